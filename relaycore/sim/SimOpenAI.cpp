#include "SimOpenAI.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>
#include <optional>

namespace relay::sim {

using namespace Qt::StringLiterals;

namespace {

constexpr qint64 kModelCreated = 1'715'367'049;
const char *const kModels[] = {"gpt-4o", "gpt-4o-mini", "text-embedding-3-small"};

QJsonObject modelObject(const QString &id)
{
    return {{u"id"_s, id},
            {u"object"_s, u"model"_s},
            {u"created"_s, kModelCreated},
            {u"owned_by"_s, u"system"_s}};
}

// Unicode characters of the text in a request field: a string, an array of them, or objects
// whose "text", "content" or "output" hold text (message parts, Responses input items).
qint64 textChars(const QJsonValue &v)
{
    if (v.isString())
        return charCount(v.toString());
    qint64 n = 0;
    if (v.isArray()) {
        for (const auto &part : v.toArray())
            n += textChars(part);
    } else if (v.isObject()) {
        const QJsonObject o = v.toObject();
        for (const auto field : {"text"_L1, "content"_L1, "output"_L1})
            n += textChars(o.value(field));
    }
    return n;
}

QJsonObject chatUsage(qint64 prompt, qint64 completion)
{
    return {{u"prompt_tokens"_s, prompt},
            {u"completion_tokens"_s, completion},
            {u"total_tokens"_s, prompt + completion}};
}

Answer badRequest(const QByteArray &message)
{
    return jsonAnswer(400, openAIError(message, "invalid_request_error", "invalid_request_error"));
}

// What every POST body has in common.
struct Body
{
    QJsonObject json;
    QString model;
    bool stream = false;
    bool includeUsage = false; // stream_options.include_usage
    qint64 maxTokens = -1;     // max_completion_tokens, max_tokens or max_output_tokens
};

std::optional<Body> parseBody(const QByteArray &bytes, bool modelRequired, QByteArray *error)
{
    const QJsonDocument doc = QJsonDocument::fromJson(bytes);
    if (!doc.isObject()) {
        *error = "We could not parse the JSON body of your request. The body must be a JSON "
                 "object.";
        return std::nullopt;
    }
    Body b;
    b.json = doc.object();
    const QJsonValue model = b.json.value("model"_L1);
    b.model = model.toString();
    if ((modelRequired || !model.isUndefined()) && b.model.isEmpty()) {
        *error = "You must provide a model parameter (a string).";
        return std::nullopt;
    }
    const QJsonValue stream = b.json.value("stream"_L1);
    if (!stream.isUndefined() && !stream.isNull() && !stream.isBool()) {
        *error = "'stream' must be a boolean.";
        return std::nullopt;
    }
    b.stream = stream.toBool(false);
    b.includeUsage =
        b.json.value("stream_options"_L1).toObject().value("include_usage"_L1).toBool();
    for (const auto field : {"max_completion_tokens"_L1, "max_tokens"_L1, "max_output_tokens"_L1}) {
        const QJsonValue v = b.json.value(field);
        if (v.isUndefined() || v.isNull())
            continue;
        if (!v.isDouble() || v.toDouble() < 0 || v.toDouble() != std::floor(v.toDouble())) {
            *error = "'" + field.toString().toUtf8() + "' must be a non-negative integer.";
            return std::nullopt;
        }
        if (b.maxTokens < 0)
            b.maxTokens = qint64(v.toDouble());
    }
    return b;
}

int completionTokens(const Body &body, const Context &context)
{
    return body.maxTokens >= 0 && body.maxTokens < context.completionTokens
               ? int(body.maxTokens)
               : context.completionTokens;
}

// Chat completions and legacy completions streamed: "data:" chunks, a usage chunk when the
// client asked for one, then [DONE].
class ChunkStream final : public Stream
{
public:
    ChunkStream(bool chat, const QString &id, const QString &model, const QString &text,
                const QString &finishReason, bool includeUsage, const QJsonObject &usage)
        : m_chat(chat), m_id(id), m_model(model), m_words(streamWords(text)),
          m_finishReason(finishReason), m_includeUsage(includeUsage), m_usage(usage),
          m_created(QDateTime::currentSecsSinceEpoch())
    {
    }

    QByteArray begin() override
    {
        if (!m_chat)
            return {};
        return chunk({choice(QJsonObject{{u"role"_s, u"assistant"_s}, {u"content"_s, u""_s}},
                             QJsonValue::Null)},
                     QJsonValue::Null);
    }
    int pieceCount() const override { return int(m_words.size()); }
    QByteArray piece(int i) override
    {
        const QJsonValue content =
            m_chat ? QJsonValue(QJsonObject{{u"content"_s, m_words[i]}}) : QJsonValue(m_words[i]);
        return chunk({choice(content, QJsonValue::Null)}, QJsonValue::Null);
    }
    QByteArray end() override
    {
        const QJsonValue last = m_chat ? QJsonValue(QJsonObject()) : QJsonValue(u""_s);
        QByteArray out = chunk({choice(last, m_finishReason)}, QJsonValue::Null);
        if (m_includeUsage)
            out += chunk({}, m_usage);
        return out + "data: [DONE]\n\n";
    }
    QByteArray error(int status, const QByteArray &message) override
    {
        Q_UNUSED(status);
        return "data: " + openAIError(message, "server_error", "simulated") + "\n\n";
    }

private:
    QJsonObject choice(const QJsonValue &content, const QJsonValue &finishReason) const
    {
        if (m_chat)
            return {{u"index"_s, 0}, {u"delta"_s, content}, {u"finish_reason"_s, finishReason}};
        return {{u"text"_s, content},
                {u"index"_s, 0},
                {u"logprobs"_s, QJsonValue::Null},
                {u"finish_reason"_s, finishReason}};
    }
    QByteArray chunk(const QJsonArray &choices, const QJsonValue &usage) const
    {
        QJsonObject c{{u"id"_s, m_id},
                      {u"object"_s, m_chat ? u"chat.completion.chunk"_s : u"text_completion"_s},
                      {u"created"_s, m_created},
                      {u"model"_s, m_model},
                      {u"choices"_s, choices}};
        if (m_includeUsage)
            c.insert(u"usage"_s, usage);
        return sseData(c);
    }

    bool m_chat;
    QString m_id;
    QString m_model;
    QStringList m_words;
    QString m_finishReason;
    bool m_includeUsage;
    QJsonObject m_usage;
    qint64 m_created;
};

// A chat completion or a legacy completion: streamed as chunks, or whole.
Answer completionAnswer(bool chat, const Body &body, const QString &text, const QString &finish,
                        const QJsonObject &usage)
{
    const QString id = newId(chat ? u"chatcmpl-"_s : u"cmpl-"_s);
    if (body.stream) {
        Answer a;
        a.stream = std::make_unique<ChunkStream>(chat, id, body.model, text, finish,
                                                 body.includeUsage, usage);
        return a;
    }
    const QJsonObject choice =
        chat ? QJsonObject{{u"index"_s, 0},
                           {u"message"_s,
                            QJsonObject{{u"role"_s, u"assistant"_s}, {u"content"_s, text}}},
                           {u"finish_reason"_s, finish}}
             : QJsonObject{{u"text"_s, text},
                           {u"index"_s, 0},
                           {u"logprobs"_s, QJsonValue::Null},
                           {u"finish_reason"_s, finish}};
    return jsonAnswer({{u"id"_s, id},
                       {u"object"_s, chat ? u"chat.completion"_s : u"text_completion"_s},
                       {u"created"_s, QDateTime::currentSecsSinceEpoch()},
                       {u"model"_s, body.model},
                       {u"choices"_s, QJsonArray{choice}},
                       {u"usage"_s, usage}});
}

Answer chat(const Body &body, const Context &context)
{
    const QJsonValue messages = body.json.value("messages"_L1);
    if (!messages.isArray() || messages.toArray().isEmpty())
        return badRequest("'messages' must be a non-empty array.");
    qint64 chars = 0;
    for (const auto &m : messages.toArray()) {
        if (!m.toObject().value("role"_L1).isString())
            return badRequest("Each message must be an object with a string 'role'.");
        chars += textChars(m.toObject().value("content"_L1));
    }
    const int completion = completionTokens(body, context);
    // "stop" even when max_tokens cut it, as the simulator always answered.
    return completionAnswer(true, body, completionText(completion), u"stop"_s,
                            chatUsage(tokensFor(chars), completion));
}

Answer completions(const Body &body, const Context &context)
{
    const QJsonValue prompt = body.json.value("prompt"_L1);
    if (!prompt.isString() && !prompt.isArray())
        return badRequest("'prompt' must be a string or an array.");
    const int completion = completionTokens(body, context);
    return completionAnswer(false, body, completionText(completion),
                            completion < context.completionTokens ? u"length"_s : u"stop"_s,
                            chatUsage(tokensFor(textChars(prompt)), completion));
}

Answer embeddings(const Body &body, const Context &)
{
    const QJsonValue input = body.json.value("input"_L1);
    if (!input.isString() && !input.isArray())
        return badRequest("'input' must be a string or an array.");
    const qint64 prompt = tokensFor(textChars(input));
    const int inputs = input.isArray() ? int(input.toArray().size()) : 1;
    // OpenAI SDKs ask for base64 (little-endian float32) by default.
    const bool base64 = body.json.value("encoding_format"_L1).toString() == "base64"_L1;
    QJsonArray data;
    for (int i = 0; i < inputs; ++i) {
        QJsonArray vector;
        QByteArray packed;
        for (int d = 0; d < 8; ++d) {
            const float v = float((i + 1) * (d + 1)) / 64.0f;
            vector.append(double(v));
            packed.append(reinterpret_cast<const char *>(&v), sizeof v);
        }
        const QJsonValue embedding =
            base64 ? QJsonValue(QString::fromLatin1(packed.toBase64())) : QJsonValue(vector);
        data.append(QJsonObject{
            {u"object"_s, u"embedding"_s}, {u"index"_s, i}, {u"embedding"_s, embedding}});
    }
    return jsonAnswer(
        {{u"object"_s, u"list"_s},
         {u"data"_s, data},
         {u"model"_s, body.model},
         {u"usage"_s, QJsonObject{{u"prompt_tokens"_s, prompt}, {u"total_tokens"_s, prompt}}}});
}

Answer moderations(const Body &body, const Context &)
{
    const QJsonValue input = body.json.value("input"_L1);
    if (!input.isString() && !input.isArray())
        return badRequest("'input' must be a string or an array.");
    static const char *const categories[] = {"harassment",
                                             "harassment/threatening",
                                             "hate",
                                             "hate/threatening",
                                             "illicit",
                                             "illicit/violent",
                                             "self-harm",
                                             "self-harm/instructions",
                                             "self-harm/intent",
                                             "sexual",
                                             "sexual/minors",
                                             "violence",
                                             "violence/graphic"};
    QJsonObject flags;
    QJsonObject scores;
    for (const char *c : categories) {
        flags.insert(QLatin1String(c), false);
        scores.insert(QLatin1String(c), 0.0001);
    }
    const QJsonObject result{
        {u"flagged"_s, false}, {u"categories"_s, flags}, {u"category_scores"_s, scores}};
    QJsonArray results;
    for (qsizetype i = 0, n = input.isArray() ? input.toArray().size() : 1; i < n; ++i)
        results.append(result);
    return jsonAnswer(
        {{u"id"_s, newId(u"modr-"_s)},
         {u"model"_s, body.model.isEmpty() ? u"omni-moderation-latest"_s : body.model},
         {u"results"_s, results}});
}

// ---- Responses

QJsonObject outputText(const QString &text)
{
    return {{u"type"_s, u"output_text"_s}, {u"text"_s, text}, {u"annotations"_s, QJsonArray()}};
}

// The answer's one output item, a message; `content` empty while in progress.
QJsonObject messageItem(const QString &id, bool done, const QString &text)
{
    return {{u"type"_s, u"message"_s},
            {u"id"_s, id},
            {u"status"_s, done ? u"completed"_s : u"in_progress"_s},
            {u"role"_s, u"assistant"_s},
            {u"content"_s, done ? QJsonArray{outputText(text)} : QJsonArray()}};
}

// One Response: what a non-stream answer is, and what the stream's lifecycle events carry.
struct ResponseShape
{
    QString id = newId(u"resp_"_s);
    QString messageId = newId(u"msg_"_s);
    qint64 createdAt = QDateTime::currentSecsSinceEpoch();
    QString model;
    QJsonValue previousId;
    QString text;
    QJsonObject usage;

    QJsonObject object(bool done) const
    {
        return {{u"id"_s, id},
                {u"object"_s, u"response"_s},
                {u"created_at"_s, createdAt},
                {u"status"_s, done ? u"completed"_s : u"in_progress"_s},
                {u"error"_s, QJsonValue::Null},
                {u"incomplete_details"_s, QJsonValue::Null},
                {u"model"_s, model},
                {u"output"_s, done ? QJsonArray{messageItem(messageId, true, text)} : QJsonArray()},
                {u"previous_response_id"_s, previousId},
                {u"usage"_s, done ? QJsonValue(usage) : QJsonValue::Null}};
    }
};

// The Responses API's stream: typed events, each with its sequence_number.
class ResponsesStream final : public Stream
{
public:
    explicit ResponsesStream(ResponseShape shape)
        : m_shape(std::move(shape)), m_words(streamWords(m_shape.text))
    {
    }

    QByteArray begin() override
    {
        return events(
            {{{u"type"_s, u"response.created"_s}, {u"response"_s, m_shape.object(false)}},
             {{u"type"_s, u"response.in_progress"_s}, {u"response"_s, m_shape.object(false)}},
             {{u"type"_s, u"response.output_item.added"_s},
              {u"output_index"_s, 0},
              {u"item"_s, messageItem(m_shape.messageId, false, {})}},
             part(u"response.content_part.added"_s, {u"part"_s, outputText({})})});
    }
    int pieceCount() const override { return int(m_words.size()); }
    QByteArray piece(int i) override
    {
        QJsonObject e = part(u"response.output_text.delta"_s, {u"delta"_s, m_words[i]});
        e.insert(u"logprobs"_s, QJsonArray());
        return events({e});
    }
    QByteArray end() override
    {
        QJsonObject done = part(u"response.output_text.done"_s, {u"text"_s, m_shape.text});
        done.insert(u"logprobs"_s, QJsonArray());
        return events(
            {done,
             part(u"response.content_part.done"_s, {u"part"_s, outputText(m_shape.text)}),
             {{u"type"_s, u"response.output_item.done"_s},
              {u"output_index"_s, 0},
              {u"item"_s, messageItem(m_shape.messageId, true, m_shape.text)}},
             {{u"type"_s, u"response.completed"_s}, {u"response"_s, m_shape.object(true)}}});
    }
    QByteArray error(int status, const QByteArray &message) override
    {
        Q_UNUSED(status);
        return events({{{u"type"_s, u"error"_s},
                        {u"code"_s, u"server_error"_s},
                        {u"message"_s, QString::fromUtf8(message)},
                        {u"param"_s, QJsonValue::Null}}});
    }

private:
    // An event about the message's one content part, with `field`.
    QJsonObject part(const QString &type, const QPair<QString, QJsonValue> &field) const
    {
        return {{u"type"_s, type},
                {u"item_id"_s, m_shape.messageId},
                {u"output_index"_s, 0},
                {u"content_index"_s, 0},
                {field.first, field.second}};
    }
    // The events in order, numbered.
    QByteArray events(std::initializer_list<QJsonObject> list)
    {
        QByteArray out;
        for (QJsonObject e : list) {
            e.insert(u"sequence_number"_s, m_sequence++);
            out += sseEvent(e);
        }
        return out;
    }

    ResponseShape m_shape;
    QStringList m_words;
    int m_sequence = 0;
};

Answer responses(const Body &body, const Context &context)
{
    const QString previous = body.json.value("previous_response_id"_L1).toString();
    if (!previous.isEmpty() && !context.responseIds.contains(previous.toUtf8()))
        return jsonAnswer(
            404, openAIError("Previous response with id '" + previous.toUtf8() + "' not found.",
                             "invalid_request_error", "previous_response_not_found",
                             "previous_response_id"));
    const QJsonValue input = body.json.value("input"_L1);
    if (!input.isString() && !input.isArray())
        return badRequest("'input' must be a string or an array of input items.");
    const qint64 prompt =
        tokensFor(textChars(input) + textChars(body.json.value("instructions"_L1)));
    const int completion = completionTokens(body, context);
    ResponseShape shape;
    shape.model = body.model;
    shape.previousId = previous.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(previous);
    shape.text = completionText(completion);
    shape.usage = {{u"input_tokens"_s, prompt},
                   {u"input_tokens_details"_s, QJsonObject{{u"cached_tokens"_s, 0}}},
                   {u"output_tokens"_s, completion},
                   {u"output_tokens_details"_s, QJsonObject{{u"reasoning_tokens"_s, 0}}},
                   {u"total_tokens"_s, prompt + completion}};
    // As OpenAI: a response stored (the default) can be continued.
    if (body.json.value("store"_L1).toBool(true))
        context.responseIds.insert(shape.id.toUtf8());
    if (body.stream) {
        Answer a;
        a.stream = std::make_unique<ResponsesStream>(shape);
        return a;
    }
    return jsonAnswer(shape.object(true));
}

struct Route
{
    const char *suffix;
    Answer (*answer)(const Body &, const Context &);
    bool modelRequired;
};

// Longer suffixes first: "/chat/completions" before "/completions".
const Route kRoutes[] = {{"/chat/completions", chat, true},
                         {"/completions", completions, true},
                         {"/embeddings", embeddings, true},
                         {"/responses", responses, true},
                         {"/moderations", moderations, false}};

} // namespace

QByteArray openAIError(const QByteArray &message, const QByteArray &type, const QByteArray &code,
                       const QByteArray &param)
{
    const auto orNull = [](const QByteArray &v) {
        return v.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(QString::fromUtf8(v));
    };
    return json({{u"error"_s, QJsonObject{{u"message"_s, QString::fromUtf8(message)},
                                          {u"type"_s, QString::fromUtf8(type)},
                                          {u"param"_s, orNull(param)},
                                          {u"code"_s, orNull(code)}}}});
}

Answer answerOpenAI(const Request &request, const Context &context)
{
    const QByteArray &key = context.expectedApiKey;
    if (!key.isEmpty() && request.header("authorization") != "Bearer " + key &&
        request.header("x-api-key") != key)
        return jsonAnswer(401, openAIError("Incorrect API key provided.", "invalid_request_error",
                                           "invalid_api_key"));
    const QByteArray &path = request.path;
    if (request.method == "GET" && path.endsWith("/models")) {
        QJsonArray data;
        for (const char *id : kModels)
            data.append(modelObject(QLatin1String(id)));
        return jsonAnswer({{u"object"_s, u"list"_s}, {u"data"_s, data}});
    }
    const QString modelId = pathTail(path, "/models/");
    if (request.method == "GET" && !modelId.isEmpty()) {
        for (const char *id : kModels)
            if (modelId == QLatin1String(id))
                return jsonAnswer(modelObject(modelId));
        return jsonAnswer(404, openAIError("The model '" + modelId.toUtf8() + "' does not exist",
                                           "invalid_request_error", "model_not_found", "model"));
    }
    for (const Route &route : kRoutes) {
        if (request.method != "POST" || !path.endsWith(route.suffix))
            continue;
        QByteArray error;
        const auto body = parseBody(request.body, route.modelRequired, &error);
        if (!body)
            return badRequest(error);
        return route.answer(*body, context);
    }
    return jsonAnswer(404, openAIError("Unknown request URL: " + request.method + ' ' + path,
                                       "invalid_request_error", "unknown_url"));
}

} // namespace relay::sim
