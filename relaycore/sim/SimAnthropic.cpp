#include "SimAnthropic.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace relay::sim {

using namespace Qt::StringLiterals;

namespace {

const char *const kModels[] = {"claude-sonnet-4-5", "claude-haiku-4-5"};

QJsonObject modelObject(const QString &id)
{
    return {{u"type"_s, u"model"_s},
            {u"id"_s, id},
            {u"display_name"_s, id},
            {u"created_at"_s, u"2025-10-01T00:00:00Z"_s}};
}

qint64 chars(const QJsonValue &content)
{
    if (content.isString())
        return charCount(content.toString());
    qint64 n = 0;
    for (const auto &block : content.toArray()) {
        const QJsonObject b = block.toObject();
        if (b.value("type"_L1) == "text"_L1)
            n += charCount(b.value("text"_L1).toString());
        else if (b.value("type"_L1) == "tool_result"_L1)
            n += chars(b.value("content"_L1));
    }
    return n;
}

// Reads a request's blocks in order (system, then each message's content) for its characters and
// the prefix that prompt caching would cache (keyed by the model and the blocks' JSON).
class PromptReader
{
public:
    explicit PromptReader(const QString &model) : m_blocks(model.toUtf8()) {}

    void add(const QJsonValue &content)
    {
        if (!content.isArray()) {
            addBlock(content, false);
            return;
        }
        for (const auto &block : content.toArray())
            addBlock(block, block.toObject().value("cache_control"_L1).isObject());
    }
    void fill(MessagesRequest *r) const
    {
        r->promptChars = m_chars;
        r->cachedPrefix = m_prefix;
        r->cachedPrefixChars = m_prefixChars;
    }

private:
    void addBlock(const QJsonValue &block, bool cached)
    {
        const QJsonArray one{block};
        m_chars += chars(block.isObject() ? QJsonValue(one) : block);
        QJsonObject b = block.toObject();
        b.remove("cache_control"_L1);
        m_blocks += '\n' + (block.isObject() ? json(b) : QJsonDocument(one).toJson());
        if (!cached)
            return;
        m_prefixChars = m_chars;
        m_prefix = QCryptographicHash::hash(m_blocks, QCryptographicHash::Sha256);
    }

    QByteArray m_blocks;
    qint64 m_chars = 0;
    QByteArray m_prefix;
    qint64 m_prefixChars = 0;
};

QJsonObject toolInput()
{
    return {{u"query"_s, u"tenant relay"_s}, {u"limit"_s, 3}};
}

QStringList toolInputPieces()
{
    return {u"{\"query\": \"ten"_s, u"ant relay\", "_s, u"\"limit\": 3}"_s};
}

struct Usage
{
    qint64 input = 0;
    qint64 cacheCreation = 0;
    qint64 cacheRead = 0;

    QJsonObject object(qint64 output) const
    {
        return {{u"input_tokens"_s, input},
                {u"cache_creation_input_tokens"_s, cacheCreation},
                {u"cache_read_input_tokens"_s, cacheRead},
                {u"output_tokens"_s, output}};
    }
};

// A whole message (non-stream answer); `content` is its content blocks.
QJsonObject message(const QString &id, const QString &model, const QJsonArray &content,
                    const QJsonValue &stopReason, const QJsonObject &usage)
{
    return {{u"id"_s, id},
            {u"type"_s, u"message"_s},
            {u"role"_s, u"assistant"_s},
            {u"model"_s, model},
            {u"content"_s, content},
            {u"stop_reason"_s, stopReason},
            {u"stop_sequence"_s, QJsonValue::Null},
            {u"usage"_s, usage}};
}

// The Messages API's stream: message_start, one content block (text or a tool call),
// message_delta with the stop reason and usage, message_stop.
class MessagesStream final : public Stream
{
public:
    MessagesStream(const QString &id, const QString &model, const QJsonObject &block,
                   const QStringList &pieces, const QString &stopReason, const Usage &usage,
                   int outputTokens)
        : m_id(id), m_model(model), m_block(block), m_pieces(pieces), m_stopReason(stopReason),
          m_usage(usage), m_output(outputTokens)
    {
    }

    QByteArray begin() override
    {
        return sseEvent({{u"type"_s, u"message_start"_s},
                         {u"message"_s,
                          message(m_id, m_model, {}, QJsonValue::Null, m_usage.object(1))}}) +
               sseEvent({{u"type"_s, u"content_block_start"_s},
                         {u"index"_s, 0},
                         {u"content_block"_s, m_block}}) +
               sseEvent({{u"type"_s, u"ping"_s}});
    }
    int pieceCount() const override { return int(m_pieces.size()); }
    QByteArray piece(int i) override
    {
        const bool text = m_block.value("type"_L1) == "text"_L1;
        const QJsonObject delta =
            text
                ? QJsonObject{{u"type"_s, u"text_delta"_s}, {u"text"_s, m_pieces[i]}}
                : QJsonObject{{u"type"_s, u"input_json_delta"_s}, {u"partial_json"_s, m_pieces[i]}};
        return sseEvent(
            {{u"type"_s, u"content_block_delta"_s}, {u"index"_s, 0}, {u"delta"_s, delta}});
    }
    QByteArray end() override
    {
        return sseEvent({{u"type"_s, u"content_block_stop"_s}, {u"index"_s, 0}}) +
               sseEvent({{u"type"_s, u"message_delta"_s},
                         {u"delta"_s, QJsonObject{{u"stop_reason"_s, m_stopReason},
                                                  {u"stop_sequence"_s, QJsonValue::Null}}},
                         {u"usage"_s, QJsonObject{{u"output_tokens"_s, m_output}}}}) +
               sseEvent({{u"type"_s, u"message_stop"_s}});
    }
    QByteArray error(int status, const QByteArray &message) override
    {
        // The answer started (200) and fails in the stream, as Anthropic's overloads do.
        return "event: error\ndata: " + errorBody(status, message) + "\n\n";
    }
    bool cutsBeforeBegin() const override { return false; }

private:
    QString m_id;
    QString m_model;
    QJsonObject m_block;
    QStringList m_pieces;
    QString m_stopReason;
    Usage m_usage;
    int m_output;
};

Answer error(int status, const QByteArray &message)
{
    return jsonAnswer(status, errorBody(status, message));
}

Answer messages(const MessagesRequest &body, const Context &context)
{
    const int completion = int(qMin<qint64>(context.completionTokens, body.maxTokens));
    Usage usage;
    usage.input = tokensFor(body.promptChars);
    if (!body.cachedPrefix.isEmpty()) {
        const qint64 cached = tokensFor(body.cachedPrefixChars);
        (context.cachedPrefixes.insert(body.cachedPrefix) ? usage.cacheCreation : usage.cacheRead) =
            cached;
        usage.input -= cached;
    }
    const QString id = newId(u"msg_sim_"_s);
    const QString stopReason = !body.toolName.isEmpty()                ? u"tool_use"_s
                               : completion < context.completionTokens ? u"max_tokens"_s
                                                                       : u"end_turn"_s;
    const QString text = completionText(completion);
    QJsonObject block{{u"type"_s, u"text"_s}, {u"text"_s, body.stream ? QString() : text}};
    if (!body.toolName.isEmpty())
        block = {{u"type"_s, u"tool_use"_s},
                 {u"id"_s, u"toolu_sim_1"_s},
                 {u"name"_s, body.toolName},
                 {u"input"_s, body.stream ? QJsonObject() : toolInput()}};
    if (!body.stream)
        return jsonAnswer(
            message(id, body.model, QJsonArray{block}, stopReason, usage.object(completion)));
    Answer a;
    a.stream = std::make_unique<MessagesStream>(
        id, body.model, block, body.toolName.isEmpty() ? streamWords(text) : toolInputPieces(),
        stopReason, usage, completion);
    return a;
}

} // namespace

std::optional<MessagesRequest> parseMessagesRequest(const QByteArray &body, bool countTokens,
                                                    QByteArray *error)
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
    } else if (!countTokens && (!maxTokens.isDouble() || maxTokens.toDouble() < 1 ||
                                maxTokens.toDouble() != std::floor(maxTokens.toDouble()))) {
        *error = "max_tokens: Field required (an integer of at least 1)";
    } else if (messages.isEmpty()) {
        *error = "messages: at least one message is required";
    }
    if (!error->isEmpty())
        return std::nullopt;
    r.maxTokens = qint64(maxTokens.toDouble());
    r.stream = o.value("stream"_L1).toBool();
    PromptReader prompt(r.model);
    prompt.add(o.value("system"_L1));
    for (const auto &m : messages) {
        const QJsonObject message = m.toObject();
        const QString role = message.value("role"_L1).toString();
        if (role != "user"_L1 && role != "assistant"_L1) {
            *error = "messages: roles must be 'user' or 'assistant'";
            return std::nullopt;
        }
        prompt.add(message.value("content"_L1));
    }
    prompt.fill(&r);
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
    return json({{u"type"_s, u"error"_s},
                 {u"error"_s, QJsonObject{{u"type"_s, QLatin1String(type)},
                                          {u"message"_s, QString::fromUtf8(message)}}}});
}

Answer answerAnthropic(const Request &request, const Context &context)
{
    const QByteArray key = request.header("x-api-key");
    if (key.isEmpty() || (!context.expectedApiKey.isEmpty() && key != context.expectedApiKey))
        return error(401, "invalid x-api-key");
    if (request.header("anthropic-version").isEmpty())
        return error(400, "anthropic-version: header is required");
    const QByteArray &path = request.path;
    if (request.method == "GET" && path.endsWith("/v1/models")) {
        QJsonArray data;
        for (const char *id : kModels)
            data.append(modelObject(QLatin1String(id)));
        return jsonAnswer({{u"data"_s, data},
                           {u"has_more"_s, false},
                           {u"first_id"_s, data.first().toObject().value("id"_L1)},
                           {u"last_id"_s, data.last().toObject().value("id"_L1)}});
    }
    const QString modelId = pathTail(path, "/v1/models/");
    if (request.method == "GET" && !modelId.isEmpty()) {
        for (const char *id : kModels)
            if (modelId == QLatin1String(id))
                return jsonAnswer(modelObject(modelId));
        return error(404, "model: " + modelId.toUtf8());
    }
    const bool count = path.endsWith("/v1/messages/count_tokens");
    if (request.method != "POST" || (!count && !path.endsWith("/v1/messages")))
        return error(404, "Not Found: " + request.method + ' ' + path);
    QByteArray problem;
    const auto body = parseMessagesRequest(request.body, count, &problem);
    if (!body)
        return error(400, problem);
    if (count)
        return jsonAnswer({{u"input_tokens"_s, tokensFor(body->promptChars)}});
    return messages(*body, context);
}

} // namespace relay::sim
