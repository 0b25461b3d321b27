#include "SimAnthropic.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace relay::sim {

using namespace Qt::StringLiterals;

namespace {

qint64 chars(const QJsonValue &content)
{
    if (content.isString())
        return content.toString().toUcs4().size();
    qint64 n = 0;
    for (const auto &block : content.toArray()) {
        const QJsonObject b = block.toObject();
        if (b.value("type"_L1) == "text"_L1)
            n += b.value("text"_L1).toString().toUcs4().size();
        else if (b.value("type"_L1) == "tool_result"_L1)
            n += chars(b.value("content"_L1));
    }
    return n;
}

} // namespace

std::optional<MessagesRequest> parseMessagesRequest(const QByteArray &body, QByteArray *error)
{
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    if (!doc.isObject()) {
        *error = "The request body is not valid JSON.";
        return std::nullopt;
    }
    const QJsonObject o = doc.object();
    MessagesRequest r;
    r.model = o.value("model"_L1).toString();
    const QJsonValue maxTokens = o.value("max_tokens"_L1);
    const QJsonArray messages = o.value("messages"_L1).toArray();
    if (r.model.isEmpty()) {
        *error = "model: Field required";
    } else if (!maxTokens.isDouble() || maxTokens.toDouble() < 1 ||
               maxTokens.toDouble() != std::floor(maxTokens.toDouble())) {
        *error = "max_tokens: Field required (an integer of at least 1)";
    } else if (messages.isEmpty()) {
        *error = "messages: at least one message is required";
    }
    if (!error->isEmpty())
        return std::nullopt;
    r.maxTokens = qint64(maxTokens.toDouble());
    r.stream = o.value("stream"_L1).toBool();
    r.promptChars = chars(o.value("system"_L1));
    for (const auto &m : messages) {
        const QJsonObject message = m.toObject();
        const QString role = message.value("role"_L1).toString();
        if (role != "user"_L1 && role != "assistant"_L1) {
            *error = "messages: roles must be 'user' or 'assistant'";
            return std::nullopt;
        }
        r.promptChars += chars(message.value("content"_L1));
    }
    const QJsonObject choice = o.value("tool_choice"_L1).toObject();
    const QJsonArray tools = o.value("tools"_L1).toArray();
    if (choice.value("type"_L1) == "tool"_L1)
        r.toolName = choice.value("name"_L1).toString();
    else if (choice.value("type"_L1) == "any"_L1 && !tools.isEmpty())
        r.toolName = tools.first().toObject().value("name"_L1).toString();
    return r;
}

QByteArray errorBody(int status, const QByteArray &message)
{
    const char *type = status == 400   ? "invalid_request_error"
                       : status == 401 ? "authentication_error"
                       : status == 403 ? "permission_error"
                       : status == 404 ? "not_found_error"
                       : status == 413 ? "request_too_large"
                       : status == 429 ? "rate_limit_error"
                       : status == 529 ? "overloaded_error"
                       : status >= 500 ? "api_error"
                                       : "invalid_request_error";
    const QJsonObject e{{u"type"_s, u"error"_s},
                        {u"error"_s, QJsonObject{{u"type"_s, QLatin1String(type)},
                                                 {u"message"_s, QString::fromUtf8(message)}}}};
    return QJsonDocument(e).toJson(QJsonDocument::Compact);
}

QByteArray modelsList()
{
    QJsonArray data;
    for (const char *id : {"claude-sonnet-4-5", "claude-haiku-4-5"})
        data.append(QJsonObject{{u"type"_s, u"model"_s},
                                {u"id"_s, QLatin1String(id)},
                                {u"display_name"_s, QLatin1String(id)},
                                {u"created_at"_s, u"2025-10-01T00:00:00Z"_s}});
    return QJsonDocument(QJsonObject{{u"data"_s, data},
                                     {u"has_more"_s, false},
                                     {u"first_id"_s, data.first().toObject().value("id"_L1)},
                                     {u"last_id"_s, data.last().toObject().value("id"_L1)}})
        .toJson(QJsonDocument::Compact);
}

QJsonObject toolInput()
{
    return {{u"query"_s, u"tenant relay"_s}, {u"limit"_s, 3}};
}

QStringList toolInputPieces()
{
    return {u"{\"query\": \"ten"_s, u"ant relay\", "_s, u"\"limit\": 3}"_s};
}

QJsonObject message(const QString &id, const QString &model, const QJsonArray &content,
                    const QJsonValue &stopReason, qint64 inputTokens, qint64 outputTokens)
{
    return {{u"id"_s, id},
            {u"type"_s, u"message"_s},
            {u"role"_s, u"assistant"_s},
            {u"model"_s, model},
            {u"content"_s, content},
            {u"stop_reason"_s, stopReason},
            {u"stop_sequence"_s, QJsonValue::Null},
            {u"usage"_s,
             QJsonObject{{u"input_tokens"_s, inputTokens}, {u"output_tokens"_s, outputTokens}}}};
}

QByteArray event(const QJsonObject &json)
{
    return "event: " + json.value("type"_L1).toString().toUtf8() +
           "\ndata: " + QJsonDocument(json).toJson(QJsonDocument::Compact) + "\n\n";
}

} // namespace relay::sim
