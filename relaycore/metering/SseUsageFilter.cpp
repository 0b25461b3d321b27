#include "SseUsageFilter.h"

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
