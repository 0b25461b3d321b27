#include "AnthropicFront.h"

#include "core/Redact.h"
#include "ingress/RequestBody.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace relay::anthropic_ingress {

using namespace Qt::StringLiterals;

namespace {

QByteArray compact(const QJsonValue &v)
{
    return v.isArray() ? QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact)
                       : QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact);
}

qint64 chars(const QString &s)
{
    return s.toUcs4().size();
}

// Anthropic's validation messages name the field by its path ("messages.0.role: …").
bool refuse(QByteArray *error, const QByteArray &path, const char *what)
{
    *error = path + ": " + what;
    return false;
}

bool validateBlock(const QJsonValue &value, const QByteArray &path, QByteArray *error)
{
    if (!value.isObject())
        return refuse(error, path, "Input should be a valid dictionary");
    if (!value.toObject().value("type"_L1).isString())
        return refuse(error, path + ".type", "Field required");
    return true;
}

bool validateMessages(const QJsonValue &messages, QByteArray *error)
{
    if (messages.isUndefined())
        return refuse(error, "messages", "Field required");
    if (!messages.isArray())
        return refuse(error, "messages", "Input should be a valid list");
    const QJsonArray list = messages.toArray();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QByteArray path = "messages." + QByteArray::number(i);
        if (!list[i].isObject())
            return refuse(error, path, "Input should be a valid dictionary");
        const QJsonObject m = list[i].toObject();
        const QJsonValue role = m.value("role"_L1);
        if (role != "user"_L1 && role != "assistant"_L1)
            return refuse(error, path + ".role", "Input should be 'user' or 'assistant'");
        const QJsonValue content = m.value("content"_L1);
        if (content.isUndefined())
            return refuse(error, path + ".content", "Field required");
        if (content.isString())
            continue;
        if (!content.isArray())
            return refuse(error, path + ".content", "Input should be a valid string or list");
        const QJsonArray blocks = content.toArray();
        for (qsizetype b = 0; b < blocks.size(); ++b)
            if (!validateBlock(blocks[b], path + ".content." + QByteArray::number(b), error))
                return false;
    }
    return true;
}

bool validateModel(const QJsonObject &request, QByteArray *error)
{
    const QJsonValue model = request.value("model"_L1);
    if (model.isUndefined())
        return refuse(error, "model", "Field required");
    if (!model.isString() || model.toString().isEmpty())
        return refuse(error, "model", "Input should be a valid string");
    return true;
}

// The text of a string or of the text blocks of a list.
QString text(const QJsonValue &content, const QString &separator)
{
    if (content.isString())
        return content.toString();
    QStringList texts;
    for (const auto &b : content.toArray())
        if (b.toObject().value("type"_L1) == "text"_L1)
            texts.append(b.toObject().value("text"_L1).toString());
    return texts.join(separator);
}

// An image block's URL for OpenAI: a data: URL for a base64 source, the URL of a url source;
// empty for anything else.
QString imageUrl(const QJsonObject &block)
{
    const QJsonObject source = block.value("source"_L1).toObject();
    const QString type = source.value("type"_L1).toString();
    if (type == "base64"_L1)
        return "data:"_L1 + source.value("media_type"_L1).toString() + ";base64,"_L1 +
               source.value("data"_L1).toString();
    if (type == "url"_L1)
        return source.value("url"_L1).toString();
    return {};
}

QJsonObject toolCall(const QJsonObject &toolUse)
{
    return {{u"id"_s, toolUse.value("id"_L1)},
            {u"type"_s, u"function"_s},
            {u"function"_s,
             QJsonObject{{u"name"_s, toolUse.value("name"_L1)},
                         {u"arguments"_s,
                          QString::fromUtf8(compact(toolUse.value("input"_L1).toObject()))}}}};
}

// A user message's blocks in order: text and images as user messages, each tool_result as a
// tool message.
void convertUser(const QJsonArray &blocks, QJsonArray &out)
{
    QJsonArray parts;
    const auto flush = [&] {
        if (parts.isEmpty())
            return;
        const QJsonObject only = parts.first().toObject();
        const bool plainText = parts.size() == 1 && only.value("type"_L1) == "text"_L1;
        out.append(QJsonObject{{u"role"_s, u"user"_s},
                               {u"content"_s, plainText ? only.value("text"_L1) : parts}});
        parts = {};
    };
    for (const auto &value : blocks) {
        const QJsonObject block = value.toObject();
        const QString type = block.value("type"_L1).toString();
        if (type == "text"_L1) {
            parts.append(QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, block.value("text"_L1)}});
        } else if (type == "image"_L1) {
            if (const QString url = imageUrl(block); !url.isEmpty())
                parts.append(QJsonObject{{u"type"_s, u"image_url"_s},
                                         {u"image_url"_s, QJsonObject{{u"url"_s, url}}}});
        } else if (type == "tool_result"_L1) {
            flush();
            out.append(QJsonObject{{u"role"_s, u"tool"_s},
                                   {u"tool_call_id"_s, block.value("tool_use_id"_L1)},
                                   {u"content"_s, text(block.value("content"_L1), u"\n"_s)}});
        }
    }
    flush();
}

// An assistant message's text blocks as its content, its tool_use blocks as tool_calls.
void convertAssistant(const QJsonArray &blocks, QJsonArray &out)
{
    QString content;
    QJsonArray calls;
    for (const auto &value : blocks) {
        const QJsonObject block = value.toObject();
        const QString type = block.value("type"_L1).toString();
        if (type == "text"_L1)
            content += block.value("text"_L1).toString();
        else if (type == "tool_use"_L1)
            calls.append(toolCall(block));
    }
    if (content.isEmpty() && calls.isEmpty())
        return;
    QJsonObject m{{u"role"_s, u"assistant"_s},
                  {u"content"_s, content.isEmpty() ? QJsonValue::Null : QJsonValue(content)}};
    if (!calls.isEmpty())
        m.insert(u"tool_calls"_s, calls);
    out.append(m);
}

// Custom tools (no `type`, or "custom"); Anthropic's server tools have no OpenAI equivalent.
QJsonArray customTools(const QJsonObject &request)
{
    QJsonArray tools;
    for (const auto &t : request.value("tools"_L1).toArray()) {
        const QJsonObject tool = t.toObject();
        if (tool.value("type"_L1).toString(u"custom"_s) == "custom"_L1 &&
            tool.value("name"_L1).isString())
            tools.append(tool);
    }
    return tools;
}

void convertTools(const QJsonObject &request, QJsonObject &out)
{
    const QJsonArray tools = customTools(request);
    if (tools.isEmpty())
        return; // OpenAI refuses tool_choice without tools
    QJsonArray functions;
    for (const auto &t : tools) {
        const QJsonObject tool = t.toObject();
        QJsonObject function{{u"name"_s, tool.value("name"_L1)}};
        if (const QJsonValue d = tool.value("description"_L1); d.isString())
            function.insert(u"description"_s, d);
        const QJsonValue schema = tool.value("input_schema"_L1);
        function.insert(u"parameters"_s,
                        schema.isObject() ? schema : QJsonObject{{u"type"_s, u"object"_s}});
        functions.append(QJsonObject{{u"type"_s, u"function"_s}, {u"function"_s, function}});
    }
    out.insert(u"tools"_s, functions);

    const QJsonObject choice = request.value("tool_choice"_L1).toObject();
    const QString type = choice.value("type"_L1).toString();
    if (type == "auto"_L1 || type == "none"_L1)
        out.insert(u"tool_choice"_s, type);
    else if (type == "any"_L1)
        out.insert(u"tool_choice"_s, u"required"_s);
    else if (type == "tool"_L1)
        out.insert(u"tool_choice"_s,
                   QJsonObject{{u"type"_s, u"function"_s},
                               {u"function"_s, QJsonObject{{u"name"_s, choice.value("name"_L1)}}}});
    if (choice.value("disable_parallel_tool_use"_L1).toBool() && type != "none"_L1)
        out.insert(u"parallel_tool_calls"_s, false);
}

qint64 contentChars(const QJsonValue &content, qint64 *images);

qint64 blockChars(const QJsonObject &block, qint64 *images)
{
    const QString type = block.value("type"_L1).toString();
    if (type == "text"_L1)
        return chars(block.value("text"_L1).toString());
    if (type == "image"_L1)
        ++*images;
    else if (type == "tool_use"_L1)
        return chars(block.value("name"_L1).toString()) +
               compact(block.value("input"_L1).toObject()).size();
    else if (type == "tool_result"_L1)
        return contentChars(block.value("content"_L1), images);
    return 0;
}

qint64 contentChars(const QJsonValue &content, qint64 *images)
{
    if (content.isString())
        return chars(content.toString());
    qint64 n = 0;
    for (const auto &b : content.toArray())
        n += blockChars(b.toObject(), images);
    return n;
}

// Anthropic's error types by status (interface.md §3).
struct StatusType
{
    int status;
    const char *type;
};
constexpr StatusType kErrorTypes[] = {
    {400, "invalid_request_error"}, {405, "invalid_request_error"}, {408, "invalid_request_error"},
    {431, "invalid_request_error"}, {401, "authentication_error"},  {403, "permission_error"},
    {404, "not_found_error"},       {413, "request_too_large"},     {429, "rate_limit_error"},
    {503, "overloaded_error"},      {529, "overloaded_error"},
};

// OpenAI error codes and types (the relay's own, see http/ApiError.cpp, and OpenAI's) and the
// status each stands for.
struct OpenAiKind
{
    const char *name;
    int status;
};
constexpr OpenAiKind kOpenAiKinds[] = {
    {"invalid_api_key", 401},
    {"permission_denied", 403},
    {"model_not_found", 404},
    {"unknown_url", 404},
    {"request_too_large", 413},
    {"rate_limit_exceeded", 429},
    {"insufficient_quota", 429},
    {"requests", 429},
    {"tokens", 429},
    {"server_overloaded", 529},
    {"overloaded_error", 529},
    {"timeout", 504},
    {"upstream_error", 502},
    {"invalid_request_error", 400},
};

} // namespace

bool validate(const QJsonObject &request, QByteArray *error)
{
    if (!validateModel(request, error))
        return false;
    const QJsonValue maxTokens = request.value("max_tokens"_L1);
    if (maxTokens.isUndefined())
        return refuse(error, "max_tokens", "Field required");
    const double n = maxTokens.toDouble();
    if (!maxTokens.isDouble() || n != std::floor(n) || n > 9007199254740992.0)
        return refuse(error, "max_tokens", "Input should be a valid integer");
    if (n < 1)
        return refuse(error, "max_tokens", "Input should be greater than or equal to 1");
    if (!validateMessages(request.value("messages"_L1), error))
        return false;
    const QJsonValue system = request.value("system"_L1);
    if (!system.isUndefined() && !system.isString() && !system.isArray())
        return refuse(error, "system", "Input should be a valid string or list");
    return true;
}

std::optional<QJsonObject> chatRequest(const QJsonObject &request, QByteArray *error)
{
    if (!validate(request, error))
        return std::nullopt;
    QJsonArray messages;
    if (const QString system = text(request.value("system"_L1), u"\n\n"_s); !system.isEmpty())
        messages.append(QJsonObject{{u"role"_s, u"system"_s}, {u"content"_s, system}});
    for (const auto &value : request.value("messages"_L1).toArray()) {
        const QJsonObject m = value.toObject();
        const QJsonValue content = m.value("content"_L1);
        const bool user = m.value("role"_L1) == "user"_L1;
        if (content.isString())
            messages.append(QJsonObject{{u"role"_s, user ? u"user"_s : u"assistant"_s},
                                        {u"content"_s, content}});
        else if (user)
            convertUser(content.toArray(), messages);
        else
            convertAssistant(content.toArray(), messages);
    }
    QJsonObject out{{u"model"_s, request.value("model"_L1)},
                    {u"messages"_s, messages},
                    {u"max_tokens"_s, request.value("max_tokens"_L1)}};
    for (const auto field : {"temperature"_L1, "top_p"_L1})
        if (const QJsonValue v = request.value(field); v.isDouble())
            out.insert(field, v);
    QJsonArray stops;
    for (const auto &s : request.value("stop_sequences"_L1).toArray())
        if (s.isString())
            stops.append(s);
    if (!stops.isEmpty())
        out.insert(u"stop"_s, stops);
    if (request.value("stream"_L1).toBool()) {
        out.insert(u"stream"_s, true);
        out.insert(u"stream_options"_s, QJsonObject{{u"include_usage"_s, true}});
    }
    convertTools(request, out);
    const QJsonValue user = request.value("metadata"_L1).toObject().value("user_id"_L1);
    if (user.isString() && !user.toString().isEmpty())
        out.insert(u"user"_s, user);
    return out;
}

qint64 estimatedPromptTokens(const QJsonObject &request)
{
    qint64 images = 0;
    qint64 n = contentChars(request.value("system"_L1), &images);
    for (const auto &m : request.value("messages"_L1).toArray())
        n += contentChars(m.toObject().value("content"_L1), &images);
    for (const auto &t : request.value("tools"_L1).toArray()) {
        const QJsonObject tool = t.toObject();
        n += chars(tool.value("name"_L1).toString()) +
             chars(tool.value("description"_L1).toString()) +
             compact(tool.value("input_schema"_L1).toObject()).size();
    }
    return estimateTokens(n) + 1000 * images;
}

std::optional<QJsonObject> countTokens(const QJsonObject &request, QByteArray *error)
{
    if (!validateModel(request, error) || !validateMessages(request.value("messages"_L1), error))
        return std::nullopt;
    return QJsonObject{{u"input_tokens"_s, estimatedPromptTokens(request)}};
}

QString stopReason(const QJsonValue &finishReason)
{
    const QString r = finishReason.toString();
    if (r == "length"_L1)
        return u"max_tokens"_s;
    if (r == "tool_calls"_L1 || r == "function_call"_L1)
        return u"tool_use"_s;
    if (r == "content_filter"_L1)
        return u"refusal"_s;
    return u"end_turn"_s;
}

QString messageId(const QString &chatId)
{
    return "msg_"_L1 + (chatId.startsWith("chatcmpl-"_L1) ? chatId.mid(9) : chatId);
}

MessageUsage usageFromChat(const QJsonObject &usage)
{
    MessageUsage u;
    const qint64 prompt = tokenCount(usage.value("prompt_tokens"_L1));
    u.cacheReadTokens = std::min(
        prompt,
        tokenCount(usage.value("prompt_tokens_details"_L1).toObject().value("cached_tokens"_L1)));
    u.inputTokens = prompt - u.cacheReadTokens;
    u.outputTokens = tokenCount(usage.value("completion_tokens"_L1));
    return u;
}

QJsonObject messageFromChat(const QJsonObject &completion, const QString &model)
{
    const QJsonArray choices = completion.value("choices"_L1).toArray();
    if (choices.isEmpty() || !choices.first().isObject())
        return {};
    const QJsonObject choice = choices.first().toObject();
    const QJsonObject message = choice.value("message"_L1).toObject();
    QJsonArray content;
    QString answer = text(message.value("content"_L1), QString());
    if (answer.isEmpty())
        answer = message.value("refusal"_L1).toString();
    if (!answer.isEmpty())
        content.append(QJsonObject{{u"type"_s, u"text"_s}, {u"text"_s, answer}});
    for (const auto &c : message.value("tool_calls"_L1).toArray()) {
        const QJsonObject call = c.toObject();
        const QJsonObject function = call.value("function"_L1).toObject();
        content.append(QJsonObject{
            {u"type"_s, u"tool_use"_s},
            {u"id"_s, call.value("id"_L1).toString()},
            {u"name"_s, function.value("name"_L1).toString()},
            {u"input"_s, QJsonDocument::fromJson(function.value("arguments"_L1).toString().toUtf8())
                             .object()}});
    }
    const MessageUsage u = usageFromChat(completion.value("usage"_L1).toObject());
    return {{u"id"_s, messageId(completion.value("id"_L1).toString())},
            {u"type"_s, u"message"_s},
            {u"role"_s, u"assistant"_s},
            {u"model"_s, model},
            {u"content"_s, content},
            {u"stop_reason"_s, stopReason(choice.value("finish_reason"_L1))},
            {u"stop_sequence"_s, QJsonValue::Null},
            {u"usage"_s, QJsonObject{{u"input_tokens"_s, u.inputTokens},
                                     {u"output_tokens"_s, u.outputTokens},
                                     {u"cache_creation_input_tokens"_s, u.cacheWriteTokens},
                                     {u"cache_read_input_tokens"_s, u.cacheReadTokens}}}};
}

QByteArray reply(int *status, HttpHeaders *headers, const QByteArray &body, const QString &model)
{
    headers->removeIf([](const auto &h) { return h.first == "content-type"; });
    headers->emplaceBack("content-type", "application/json");
    if (*status < 200 || *status >= 300)
        return errorFromOpenAi(*status, body);
    const QJsonObject message = messageFromChat(QJsonDocument::fromJson(body).object(), model);
    if (!message.isEmpty())
        return compact(message);
    *status = 502;
    return errorBody(*status, "The upstream's answer is not a chat completion.");
}

QByteArray errorType(int status)
{
    for (const StatusType &t : kErrorTypes)
        if (t.status == status)
            return t.type;
    return status >= 500 ? "api_error" : "invalid_request_error";
}

int statusOfErrorType(QByteArrayView type)
{
    static constexpr std::pair<const char *, int> kStatuses[] = {
        {"invalid_request_error", 400}, {"authentication_error", 401},
        {"billing_error", 402},         {"permission_error", 403},
        {"not_found_error", 404},       {"request_too_large", 413},
        {"rate_limit_error", 429},      {"api_error", 500},
        {"timeout_error", 504},         {"overloaded_error", 529},
    };
    for (const auto &[name, status] : kStatuses)
        if (type == name)
            return status;
    return 500;
}

int statusOfError(const QByteArray &anthropicErrorBody)
{
    const QJsonObject error =
        QJsonDocument::fromJson(anthropicErrorBody).object().value("error"_L1).toObject();
    return statusOfErrorType(error.value("type"_L1).toString().toUtf8());
}

QByteArray errorBody(int status, QByteArrayView message)
{
    return R"({"type":"error","error":{"type":)" + jsonQuote(errorType(status)) + R"(,"message":)" +
           jsonQuote(message) + "}}";
}

QByteArray errorEvent(int status, QByteArrayView message)
{
    return "event: error\ndata: " + errorBody(status, message) + "\n\n";
}

QByteArray errorBody(const ApiError &error)
{
    return errorBody(error.status, error.message);
}

QByteArray errorFromOpenAi(int status, QByteArrayView openAiBody)
{
    const QJsonValue error =
        QJsonDocument::fromJson(openAiBody.toByteArray()).object().value("error"_L1);
    QByteArray message =
        (error.isString() ? error : error.toObject().value("message"_L1)).toString().toUtf8();
    message = redactKeys(message);
    if (message.isEmpty())
        message = "The upstream answered HTTP " + QByteArray::number(status) + '.';
    return errorBody(status, message);
}

int statusOfOpenAiError(const QJsonObject &error)
{
    for (const auto field : {"code"_L1, "type"_L1}) {
        const QJsonValue v = error.value(field);
        if (v.isDouble() && v.toDouble() >= 400 && v.toDouble() < 600)
            return int(v.toDouble());
        const QByteArray name = v.toString().toUtf8();
        for (const OpenAiKind &k : kOpenAiKinds)
            if (name == k.name)
                return k.status;
    }
    return 500;
}

QJsonObject modelObject(const QString &id, qint64 created)
{
    return {
        {u"type"_s, u"model"_s},
        {u"id"_s, id},
        {u"display_name"_s, id},
        {u"created_at"_s, QDateTime::fromSecsSinceEpoch(created, Qt::UTC).toString(Qt::ISODate)}};
}

QJsonObject modelList(const QList<ModelEntry> &models)
{
    QJsonArray data;
    for (const ModelEntry &m : models)
        data.append(modelObject(m.id, m.created));
    const auto id = [&](qsizetype i) {
        return models.isEmpty() ? QJsonValue::Null : QJsonValue(models.at(i).id);
    };
    return {{u"data"_s, data},
            {u"has_more"_s, false},
            {u"first_id"_s, id(0)},
            {u"last_id"_s, id(models.size() - 1)}};
}

QJsonObject modelListFromOpenAi(const QJsonObject &list)
{
    QList<ModelEntry> models;
    for (const auto &m : list.value("data"_L1).toArray())
        models.append({m.toObject().value("id"_L1).toString(),
                       qint64(m.toObject().value("created"_L1).toDouble())});
    return modelList(models);
}

QByteArray withModel(const QByteArray &body, const QString &model)
{
    QJsonObject json = QJsonDocument::fromJson(body).object();
    json.insert(u"model"_s, model);
    return compact(json);
}

void readUsage(const QJsonObject &anthropicUsage, MessageUsage &usage)
{
    const auto read = [&](QLatin1StringView field, qint64 &count) {
        if (const QJsonValue v = anthropicUsage.value(field); v.isDouble())
            count = tokenCount(v);
    };
    read("input_tokens"_L1, usage.inputTokens);
    read("output_tokens"_L1, usage.outputTokens);
    read("cache_read_input_tokens"_L1, usage.cacheReadTokens);
    read("cache_creation_input_tokens"_L1, usage.cacheWriteTokens);
}

std::optional<MessageUsage> messageUsage(const QByteArray &body)
{
    const QJsonValue usage = QJsonDocument::fromJson(body).object().value("usage"_L1);
    if (!usage.isObject())
        return std::nullopt;
    MessageUsage u;
    readUsage(usage.toObject(), u);
    return u;
}

QByteArray sseEvent(QByteArrayView name, const QJsonObject &data)
{
    return "event: " + name.toByteArray() + "\ndata: " + compact(data) + "\n\n";
}

} // namespace relay::anthropic_ingress
