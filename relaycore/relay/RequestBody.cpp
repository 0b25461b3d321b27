#include "RequestBody.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <cmath>

namespace relay {

namespace {

// How many members of the top-level object of `json` (valid JSON, an object) are named
// `name`, escapes in their names decoded: QJsonDocument keeps one of duplicates silently.
int topLevelMembersNamed(const QByteArray &json, QStringView name)
{
    int count = 0;
    int depth = 0;
    bool expectKey = false;
    const char *p = json.constData();
    const char *const end = p + json.size();
    while (p < end) {
        const char c = *p;
        if (c == '"') {
            const char *const start = p++;
            bool escaped = false;
            while (p < end && *p != '"') {
                if (*p == '\\') {
                    escaped = true;
                    ++p;
                }
                ++p;
            }
            ++p; // the closing quote
            if (depth == 1 && expectKey) {
                expectKey = false;
                const QByteArray raw(start, qsizetype(qMin(p, end) - start));
                const QString key =
                    escaped ? QJsonDocument::fromJson('[' + raw + ']').array().at(0).toString()
                            : QString::fromUtf8(raw.mid(1, raw.size() - 2));
                if (key == name)
                    ++count;
            }
            continue;
        }
        if (c == '{' || c == '[') {
            ++depth;
            expectKey = c == '{' && depth == 1;
        } else if (c == '}' || c == ']') {
            --depth;
        } else if (c == ',' && depth == 1) {
            expectKey = true;
        }
        ++p;
    }
    return count;
}

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
    // Escapes are decoded once here: the name checked is the name sent upstream. Client strings
    // end up in usage rows, so a name is bounded; and one model must be the only model.
    if (r.model.size() > kMaxModelChars && r.model.toUcs4().size() > kMaxModelChars) {
        *error = "'model' is longer than " + QByteArray::number(kMaxModelChars) + " characters.";
        return std::nullopt;
    }
    if (topLevelMembersNamed(body, u"model") > 1) {
        *error = "'model' is given more than once.";
        return std::nullopt;
    }
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
