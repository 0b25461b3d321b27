#include "RequestBody.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <cmath>

namespace relay {

namespace {

qint64 textChars(const QJsonValue &v)
{
    if (v.isString())
        return v.toString().toUcs4().size();
    qint64 n = 0;
    if (v.isArray()) {
        for (const auto &part : v.toArray()) {
            if (part.isString())
                n += part.toString().toUcs4().size();
            else if (part.isObject())
                n += textChars(part.toObject().value(QLatin1String("text")));
        }
    }
    return n;
}

} // namespace

std::optional<RequestBody> parseRequestBody(Endpoint endpoint, const QByteArray &body,
                                            QByteArray *error)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = "We could not parse the JSON body of your request. The body must be a JSON "
                 "object.";
        return std::nullopt;
    }
    RequestBody r;
    r.json = doc.object();
    const QJsonValue model = r.json.value(QLatin1String("model"));
    if (!model.isString() || model.toString().isEmpty()) {
        *error = "You must provide a model parameter (a string).";
        return std::nullopt;
    }
    r.model = model.toString();
    if (endpoint == Endpoint::Chat) {
        const QJsonValue messages = r.json.value(QLatin1String("messages"));
        if (!messages.isArray() || messages.toArray().isEmpty()) {
            *error = "'messages' must be a non-empty array.";
            return std::nullopt;
        }
        for (const auto &m : messages.toArray()) {
            if (!m.isObject() || !m.toObject().value(QLatin1String("role")).isString()) {
                *error = "Each message must be an object with a string 'role'.";
                return std::nullopt;
            }
            r.promptChars += textChars(m.toObject().value(QLatin1String("content")));
        }
        const QJsonValue stream = r.json.value(QLatin1String("stream"));
        if (!stream.isUndefined() && !stream.isNull() && !stream.isBool()) {
            *error = "'stream' must be a boolean.";
            return std::nullopt;
        }
        r.stream = stream.toBool(false);
        const QJsonValue options = r.json.value(QLatin1String("stream_options"));
        if (!options.isUndefined() && !options.isNull() && !options.isObject()) {
            *error = "'stream_options' must be an object.";
            return std::nullopt;
        }
        r.clientWantsUsage = options.toObject().value(QLatin1String("include_usage")).toBool();
        for (const char *field : {"max_completion_tokens", "max_tokens"}) {
            const QJsonValue v = r.json.value(QLatin1String(field));
            if (v.isUndefined() || v.isNull())
                continue;
            const double n = v.toDouble();
            if (!v.isDouble() || n < 0 || n != std::floor(n) || n > 1e12) {
                *error = QByteArray("'") + field + "' must be a non-negative integer.";
                return std::nullopt;
            }
            if (r.maxTokens < 0)
                r.maxTokens = qint64(v.toDouble());
        }
    } else {
        const QJsonValue input = r.json.value(QLatin1String("input"));
        if (!input.isString() && !input.isArray()) {
            *error = "'input' must be a string or an array.";
            return std::nullopt;
        }
        r.promptChars = textChars(input);
    }
    return r;
}

QByteArray buildUpstreamBody(const RequestBody &request, const QString &model)
{
    QJsonObject json = request.json;
    json.insert(QLatin1String("model"), model);
    if (request.stream) {
        QJsonObject options = json.value(QLatin1String("stream_options")).toObject();
        options.insert(QLatin1String("include_usage"), true);
        json.insert(QLatin1String("stream_options"), options);
    }
    return QJsonDocument(json).toJson(QJsonDocument::Compact);
}

} // namespace relay
