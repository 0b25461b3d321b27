#include "SseUsageFilter.h"

#include "core/JsonScan.h"
#include "core/Tokens.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace relay {

QByteArray SseUsageFilter::event(QByteArrayView json)
{
    QByteArray out("data: ");
    out += json;
    out += "\n\n";
    return out;
}

QByteArray SseUsageFilter::feed(QByteArrayView bytes)
{
    return m_events.feed(bytes,
                         [this](QByteArrayView e, QByteArray &out) { processEvent(e, out); });
}

QByteArray SseUsageFilter::finish()
{
    return m_events.finish([this](QByteArrayView e, QByteArray &out) { processEvent(e, out); });
}

namespace {

qint64 chars(const QJsonValue &v)
{
    return v.toString().toUcs4().size();
}

} // namespace

QByteArray SseUsageFilter::withCost(QByteArrayView original, QJsonObject json) const
{
    const bool nested = m_shape == Shape::Responses;
    QJsonObject holder = nested ? json.value(QLatin1String("response")).toObject() : json;
    QJsonObject usage = holder.value(QLatin1String("usage")).toObject();
    const std::optional<double> cost = m_cost ? m_cost(this->usage()) : std::nullopt;
    if (!cost)
        return original.toByteArray();
    usage.insert(QLatin1String("cost_usd"), *cost);
    holder.insert(QLatin1String("usage"), usage);
    if (nested)
        json.insert(QLatin1String("response"), holder);
    else
        json = holder;
    QByteArray out;
    if (const QByteArray name = SseEventSplitter::name(original); !name.isEmpty())
        out += "event: " + name + '\n';
    return out + event(QJsonDocument(json).toJson(QJsonDocument::Compact));
}

namespace {

// A string member's characters (chars() of it: 0 for any other value); false: left to the DOM.
bool textChars(json::od::value v, int depth, qint64 *n)
{
    json::od::json_type type;
    if (v.type().get(type))
        return false;
    if (type != json::od::json_type::string)
        return json::skip(v, depth);
    std::string_view s;
    if (v.get_string().get(s))
        return false;
    *n += json::chars(s);
    return true;
}

// Calls f(index, value) for the members of object `v` named in `names` (each at most once: of
// duplicates QJsonDocument keeps the last) and validates the others; anything but an object
// is validated and has none. False: left to the DOM.
template <typename F>
bool forMembers(json::od::value v, int depth, std::initializer_list<std::string_view> names, F &&f)
{
    json::od::json_type type;
    if (depth > json::kMaxDepth || v.type().get(type))
        return false;
    if (type != json::od::json_type::object)
        return json::skip(v, depth);
    json::od::object o;
    if (v.get_object().get(o))
        return false;
    unsigned seen = 0;
    for (auto member : o) {
        std::string_view key;
        json::od::value child;
        if (member.unescaped_key().get(key) || member.value().get(child))
            return false;
        int i = 0;
        for (const std::string_view name : names) {
            if (name == key)
                break;
            ++i;
        }
        if (i == int(names.size())) {
            if (!json::skip(child, depth + 1))
                return false;
            continue;
        }
        if ((seen & (1u << i)) || !f(i, child))
            return false;
        seen |= 1u << i;
    }
    return true;
}

// Calls f(element) for each element of array `v`; anything but an array is validated and has
// none.
template <typename F> bool forElements(json::od::value v, int depth, F &&f)
{
    json::od::json_type type;
    if (depth > json::kMaxDepth || v.type().get(type))
        return false;
    if (type != json::od::json_type::array)
        return json::skip(v, depth);
    json::od::array a;
    if (v.get_array().get(a))
        return false;
    for (auto element : a) {
        json::od::value child;
        if (element.get(child) || !f(child))
            return false;
    }
    return true;
}

} // namespace

bool SseUsageFilter::countWithoutDom(QByteArrayView data)
{
    json::Scan scan(data);
    json::od::value top;
    if (!scan.root(top))
        return false;
    QString model;
    QString id;
    QString type;
    qint64 text = 0;  // chat and completions: the choices' text
    qint64 delta = 0; // Responses: the event's delta
    const auto string = [](json::od::value v, QString *out) {
        json::od::json_type t;
        if (v.type().get(t))
            return false;
        std::string_view s;
        if (t != json::od::json_type::string)
            return json::skip(v, 2);
        if (v.get_string().get(s))
            return false;
        *out = json::toQString(s);
        return true;
    };
    const auto chatChoice = [&](json::od::value choice) {
        return forMembers(choice, 3, {"text", "delta"}, [&](int i, json::od::value v) {
            if (i == 0)
                return textChars(v, 4, &text);
            return forMembers(
                v, 4, {"content", "reasoning_content", "tool_calls"},
                [&](int j, json::od::value d) {
                    if (j < 2)
                        return textChars(d, 5, &text);
                    return forElements(d, 5, [&](json::od::value call) {
                        return forMembers(call, 6, {"function"}, [&](int, json::od::value fn) {
                            return forMembers(fn, 7, {"arguments"}, [&](int, json::od::value a) {
                                return textChars(a, 8, &text);
                            });
                        });
                    });
                });
        });
    };
    bool ok = false;
    if (m_shape == Shape::Responses) {
        ok = forMembers(top, 1, {"type", "response", "delta", "usage"},
                        [&](int i, json::od::value v) {
                            switch (i) {
                            case 0:
                                return string(v, &type);
                            case 1:
                                return forMembers(
                                    v, 2, {"model", "id", "usage"}, [&](int j, json::od::value r) {
                                        return j < 2 && string(r, j == 0 ? &model : &id);
                                    });
                            case 2:
                                return textChars(v, 2, &delta);
                            }
                            return false; // usage: read whole
                        });
    } else {
        ok = forMembers(top, 1, {"model", "choices", "usage"}, [&](int i, json::od::value v) {
            if (i == 0)
                return string(v, &model);
            return i == 1 && forElements(v, 2, chatChoice);
        });
    }
    if (!ok || !scan.atEnd())
        return false;
    if (!model.isEmpty())
        m_model = model;
    if (!id.isEmpty())
        m_responseId = id;
    m_contentChars += text;
    if (type == QLatin1String("response.output_text.delta") ||
        type == QLatin1String("response.function_call_arguments.delta") ||
        type == QLatin1String("response.reasoning_summary_text.delta"))
        m_contentChars += delta;
    return true;
}

void SseUsageFilter::processEvent(QByteArrayView event, QByteArray &out)
{
    bool hasData = false;
    const QByteArray data = SseEventSplitter::data(event, &hasData);
    if (!hasData || data == "[DONE]") {
        if (hasData)
            m_sawDone = true;
        out += event;
        ++m_eventsForwarded;
        return;
    }
    // Most events carry no usage: only the text they relay is counted, without a DOM. An event
    // whose bytes name "usage" (or that the fast reading leaves to QJsonDocument) is read whole.
    if (!data.contains("usage") && countWithoutDom(data)) {
        out += event;
        ++m_eventsForwarded;
        return;
    }
    const QJsonDocument doc = QJsonDocument::fromJson(data);
    const QJsonObject obj = doc.object();
    QJsonObject usage;
    bool usageOnly = false;
    if (m_shape == Shape::Responses) {
        const QString type = obj.value(QLatin1String("type")).toString();
        const QJsonObject response = obj.value(QLatin1String("response")).toObject();
        if (const QString model = response.value(QLatin1String("model")).toString();
            !model.isEmpty())
            m_model = model;
        if (const QString id = response.value(QLatin1String("id")).toString(); !id.isEmpty())
            m_responseId = id;
        if (type == QLatin1String("response.output_text.delta") ||
            type == QLatin1String("response.function_call_arguments.delta") ||
            type == QLatin1String("response.reasoning_summary_text.delta"))
            m_contentChars += chars(obj.value(QLatin1String("delta")));
        if (type == QLatin1String("response.completed") ||
            type == QLatin1String("response.incomplete") ||
            type == QLatin1String("response.failed"))
            usage = response.value(QLatin1String("usage")).toObject();
        if (!usage.isEmpty()) {
            m_hasUsage = true;
            m_promptTokens = tokenCount(usage.value(QLatin1String("input_tokens")));
            m_completionTokens = tokenCount(usage.value(QLatin1String("output_tokens")));
        }
    } else {
        if (const QString model = obj.value(QLatin1String("model")).toString(); !model.isEmpty())
            m_model = model;
        const QJsonArray choices = obj.value(QLatin1String("choices")).toArray();
        for (const auto &c : choices) {
            const QJsonObject choice = c.toObject();
            m_contentChars += chars(choice.value(QLatin1String("text"))); // completions
            const QJsonObject delta = choice.value(QLatin1String("delta")).toObject();
            m_contentChars += chars(delta.value(QLatin1String("content")));
            m_contentChars += chars(delta.value(QLatin1String("reasoning_content")));
            for (const auto &call : delta.value(QLatin1String("tool_calls")).toArray())
                m_contentChars += chars(call.toObject()
                                            .value(QLatin1String("function"))
                                            .toObject()
                                            .value(QLatin1String("arguments")));
        }
        usage = obj.value(QLatin1String("usage")).toObject();
        if (!usage.isEmpty()) {
            m_hasUsage = true;
            m_promptTokens = tokenCount(usage.value(QLatin1String("prompt_tokens")));
            m_completionTokens = tokenCount(usage.value(QLatin1String("completion_tokens")));
            usageOnly = choices.isEmpty();
        }
    }
    if (usageOnly && !m_forwardUsage)
        return; // the chunk the relay asked for on the tenant's behalf
    out += usage.isEmpty() || !m_cost ? event.toByteArray() : withCost(event, obj);
    ++m_eventsForwarded;
}

} // namespace relay
