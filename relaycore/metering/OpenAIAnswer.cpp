#include "OpenAIAnswer.h"

#include "core/JsonScan.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <optional>

namespace relay {

namespace {

// tokenCount() of a JSON number.
qint64 tokens(double n)
{
    return n > 0 ? qint64(std::min(n, 9007199254740992.0)) : 0;
}

// A usage count: tokens() of a number, 0 for anything else; false: left to the DOM.
bool readCount(json::od::value v, qint64 *count)
{
    json::od::json_type type;
    if (v.type().get(type))
        return false;
    if (type != json::od::json_type::number)
        return json::skip(v, 3);
    double n = 0;
    if (!json::plainNumber(json::token(v)) || v.get_double().get(n))
        return false;
    *count = tokens(n);
    return true;
}

// A string member: its text, empty for any other value; false: left to the DOM. Without
// `text`, the value is only validated, as strictly.
bool readText(json::od::value v, QString *text)
{
    if (!text)
        return json::skip(v, 2);
    json::od::json_type type;
    if (v.type().get(type))
        return false;
    if (type != json::od::json_type::string)
        return json::skip(v, 2);
    std::string_view s;
    if (v.get_string().get(s))
        return false;
    *text = json::toQString(s);
    return true;
}

std::optional<OpenAIAnswer> readFast(QByteArrayView body, bool wantId)
{
    json::Scan scan(body);
    json::od::object top;
    if (!scan.object(top))
        return std::nullopt;
    OpenAIAnswer a;
    unsigned seen = 0;
    // prompt_tokens, completion_tokens, input_tokens, output_tokens
    qint64 counts[4] = {0, 0, 0, 0};
    bool responses = false;
    for (auto member : top) {
        std::string_view key;
        json::od::value v;
        if (member.unescaped_key().get(key) || member.value().get(v))
            return std::nullopt;
        const int i = key == "usage" ? 0 : key == "model" ? 1 : key == "id" ? 2 : -1;
        if (i >= 0 && (seen & (1u << i)))
            return std::nullopt; // QJsonDocument keeps the last of duplicates
        if (i >= 0)
            seen |= 1u << i;
        bool ok = false;
        if (i == 1 || i == 2) {
            ok = readText(v, i == 1 ? &a.model : wantId ? &a.id : nullptr);
        } else if (i == 0) {
            json::od::json_type type;
            if (v.type().get(type))
                return std::nullopt;
            a.hasUsage = type == json::od::json_type::object;
            json::od::object usage;
            if (!a.hasUsage) {
                ok = json::skip(v, 1);
            } else if (!v.get_object().get(usage)) {
                ok = true;
                unsigned counted = 0;
                for (auto field : usage) {
                    std::string_view name;
                    json::od::value count;
                    if (field.unescaped_key().get(name) || field.value().get(count))
                        return std::nullopt;
                    const int c = name == "prompt_tokens"       ? 0
                                  : name == "completion_tokens" ? 1
                                  : name == "input_tokens"      ? 2
                                  : name == "output_tokens"     ? 3
                                                                : -1;
                    if (c >= 0 && (counted & (1u << c)))
                        return std::nullopt;
                    if (c >= 0)
                        counted |= 1u << c;
                    responses = responses || c == 2;
                    if (!(c < 0 ? json::skip(count, 2) : readCount(count, &counts[c])))
                        return std::nullopt;
                }
            }
        } else {
            ok = json::skip(v, 1);
        }
        if (!ok)
            return std::nullopt;
    }
    if (!scan.atEnd())
        return std::nullopt;
    if (a.hasUsage)
        a.usage = responses ? TokenUsage{counts[2], counts[3], 0, 0}
                            : TokenUsage{counts[0], counts[1], 0, 0};
    return a;
}

} // namespace

OpenAIAnswer OpenAIAnswer::read(QByteArrayView body, bool wantId)
{
    if (std::optional<OpenAIAnswer> a = readFast(body, wantId))
        return *a;
    OpenAIAnswer a = readWithDom(body);
    if (!wantId)
        a.id.clear();
    return a;
}

OpenAIAnswer OpenAIAnswer::readWithDom(QByteArrayView body)
{
    OpenAIAnswer a;
    const QJsonObject answer = QJsonDocument::fromJson(body.toByteArray()).object();
    const QJsonValue value = answer.value(QLatin1String("usage"));
    a.model = answer.value(QLatin1String("model")).toString();
    a.id = answer.value(QLatin1String("id")).toString();
    if (!value.isObject())
        return a;
    a.hasUsage = true;
    const QJsonObject u = value.toObject();
    const bool responses = u.contains(QLatin1String("input_tokens"));
    a.usage.prompt =
        tokenCount(u.value(QLatin1String(responses ? "input_tokens" : "prompt_tokens")));
    a.usage.completion =
        tokenCount(u.value(QLatin1String(responses ? "output_tokens" : "completion_tokens")));
    return a;
}

} // namespace relay
