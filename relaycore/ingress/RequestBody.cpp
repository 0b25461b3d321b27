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

Dialect dialectOf(Endpoint endpoint)
{
    return endpoint == Endpoint::Messages || endpoint == Endpoint::CountTokens ? Dialect::Anthropic
                                                                               : Dialect::OpenAI;
}

std::optional<Endpoint> endpointForPath(QByteArrayView path)
{
    static const std::pair<QByteArrayView, Endpoint> paths[] = {
        {"/v1/chat/completions", Endpoint::Chat},
        {"/v1/embeddings", Endpoint::Embeddings},
        {"/v1/responses", Endpoint::Responses},
        {"/v1/completions", Endpoint::Completions},
        {"/v1/moderations", Endpoint::Moderations},
        {"/v1/messages", Endpoint::Messages},
        {"/v1/messages/count_tokens", Endpoint::CountTokens},
    };
    for (const auto &[p, endpoint] : paths)
        if (path == p)
            return endpoint;
    return std::nullopt;
}

Dialect dialectOfPath(QByteArrayView path)
{
    return path == "/v1/messages" || path.startsWith("/v1/messages/") ? Dialect::Anthropic
                                                                      : Dialect::OpenAI;
}

QByteArray endpointName(Endpoint endpoint)
{
    switch (endpoint) {
    case Endpoint::Chat:
        return "chat";
    case Endpoint::Embeddings:
        return "embeddings";
    case Endpoint::Responses:
        return "responses";
    case Endpoint::Completions:
        return "completions";
    case Endpoint::Moderations:
        return "moderations";
    case Endpoint::Messages:
        return "messages";
    case Endpoint::CountTokens:
        return "count_tokens";
    }
    return "chat";
}

bool canStream(Endpoint endpoint)
{
    return endpoint == Endpoint::Chat || endpoint == Endpoint::Responses ||
           endpoint == Endpoint::Completions || endpoint == Endpoint::Messages;
}

namespace {

bool isAbsent(const QJsonValue &v)
{
    return v.isUndefined() || v.isNull();
}

// Reads `stream` (a boolean when given).
bool readStream(RequestBody &r, QByteArray *error)
{
    const QJsonValue stream = r.json.value(QLatin1String("stream"));
    if (!isAbsent(stream) && !stream.isBool()) {
        *error = "'stream' must be a boolean.";
        return false;
    }
    r.stream = stream.toBool(false);
    return true;
}

// Reads the first of `fields` the client set as a token limit (a non-negative integer).
bool readMaxTokens(RequestBody &r, std::initializer_list<const char *> fields, QByteArray *error)
{
    for (const char *field : fields) {
        const QJsonValue v = r.json.value(QLatin1String(field));
        if (isAbsent(v))
            continue;
        const double n = v.toDouble();
        if (!v.isDouble() || n < 0 || n != std::floor(n) || n > 1e12) {
            *error = QByteArray("'") + field + "' must be a non-negative integer.";
            return false;
        }
        if (r.maxTokens < 0)
            r.maxTokens = qint64(n);
    }
    return true;
}

// Chat and completions: `stream` and `stream_options`.
bool readStreamOptions(RequestBody &r, QByteArray *error)
{
    if (!readStream(r, error))
        return false;
    const QJsonValue options = r.json.value(QLatin1String("stream_options"));
    if (!isAbsent(options) && !options.isObject()) {
        *error = "'stream_options' must be an object.";
        return false;
    }
    r.clientWantsUsage = options.toObject().value(QLatin1String("include_usage")).toBool();
    return true;
}

bool parseChat(RequestBody &r, QByteArray *error)
{
    const QJsonValue messages = r.json.value(QLatin1String("messages"));
    if (!messages.isArray() || messages.toArray().isEmpty()) {
        *error = "'messages' must be a non-empty array.";
        return false;
    }
    for (const auto &m : messages.toArray()) {
        if (!m.isObject() || !m.toObject().value(QLatin1String("role")).isString()) {
            *error = "Each message must be an object with a string 'role'.";
            return false;
        }
        r.promptChars += textChars(m.toObject().value(QLatin1String("content")));
    }
    return readStreamOptions(r, error) &&
           readMaxTokens(r, {"max_completion_tokens", "max_tokens"}, error);
}

// Embeddings and moderations: `input`, a string or an array.
bool parseInput(RequestBody &r, QByteArray *error)
{
    const QJsonValue input = r.json.value(QLatin1String("input"));
    if (!input.isString() && !input.isArray()) {
        *error = "'input' must be a string or an array.";
        return false;
    }
    r.promptChars = textChars(input);
    return true;
}

bool parseCompletions(RequestBody &r, QByteArray *error)
{
    const QJsonValue prompt = r.json.value(QLatin1String("prompt"));
    if (!prompt.isString() && !prompt.isArray()) {
        *error = "'prompt' must be a string or an array.";
        return false;
    }
    r.promptChars = textChars(prompt);
    return readStreamOptions(r, error) && readMaxTokens(r, {"max_tokens"}, error);
}

// The text of a Responses `input`: a string, or items whose content is a string or parts.
qint64 responsesInputChars(const QJsonValue &input)
{
    if (input.isString())
        return input.toString().toUcs4().size();
    qint64 n = 0;
    for (const auto &item : input.toArray()) {
        const QJsonObject o = item.toObject();
        n += textChars(o.value(QLatin1String("content")));
        n += textChars(o.value(QLatin1String("output"))); // function_call_output
        n += textChars(o.value(QLatin1String("arguments")));
    }
    return n;
}

bool parseResponses(RequestBody &r, QByteArray *error)
{
    const QJsonValue input = r.json.value(QLatin1String("input"));
    if (!input.isString() && !input.isArray()) {
        *error = "'input' must be a string or an array.";
        return false;
    }
    const QJsonValue instructions = r.json.value(QLatin1String("instructions"));
    if (!isAbsent(instructions) && !instructions.isString()) {
        *error = "'instructions' must be a string.";
        return false;
    }
    const QJsonValue previous = r.json.value(QLatin1String("previous_response_id"));
    if (!isAbsent(previous) && (!previous.isString() || previous.toString().size() > 256)) {
        *error = "'previous_response_id' must be a string of at most 256 characters.";
        return false;
    }
    r.previousResponseId = previous.toString();
    r.promptChars = responsesInputChars(input) + textChars(instructions);
    return readStream(r, error) && readMaxTokens(r, {"max_output_tokens"}, error);
}

// The text of an Anthropic content value (a string or blocks); counts image blocks.
qint64 anthropicChars(const QJsonValue &content, qint64 *images)
{
    if (content.isString())
        return content.toString().toUcs4().size();
    qint64 n = 0;
    for (const auto &b : content.toArray()) {
        const QJsonObject block = b.toObject();
        const QString type = block.value(QLatin1String("type")).toString();
        if (type == QLatin1String("image")) {
            ++*images;
        } else if (type == QLatin1String("tool_use")) {
            n += QJsonDocument(block.value(QLatin1String("input")).toObject())
                     .toJson(QJsonDocument::Compact)
                     .size();
        } else if (type == QLatin1String("tool_result")) {
            n += anthropicChars(block.value(QLatin1String("content")), images);
        } else {
            n += textChars(block.value(QLatin1String("text")));
        }
    }
    return n;
}

// Messages and count_tokens, validated as Anthropic validates them.
bool parseMessages(RequestBody &r, QByteArray *error)
{
    const QJsonValue messages = r.json.value(QLatin1String("messages"));
    if (!messages.isArray()) {
        *error = "messages: Field required";
        return false;
    }
    if (messages.toArray().isEmpty()) {
        *error = "messages: at least one message is required";
        return false;
    }
    for (const auto &m : messages.toArray()) {
        const QJsonObject message = m.toObject();
        const QJsonValue content = message.value(QLatin1String("content"));
        if (!m.isObject() || !message.value(QLatin1String("role")).isString() ||
            (!content.isString() && !content.isArray())) {
            *error = "messages: each message must be an object with a string 'role' and a "
                     "'content' string or array.";
            return false;
        }
        r.promptChars += anthropicChars(content, &r.imageBlocks);
    }
    const QJsonValue system = r.json.value(QLatin1String("system"));
    if (!isAbsent(system) && !system.isString() && !system.isArray()) {
        *error = "system: Input should be a valid string or list.";
        return false;
    }
    r.promptChars += anthropicChars(system, &r.imageBlocks);
    for (const auto &tool : r.json.value(QLatin1String("tools")).toArray())
        r.promptChars += QJsonDocument(tool.toObject()).toJson(QJsonDocument::Compact).size();
    if (r.endpoint == Endpoint::CountTokens)
        return true;
    const QJsonValue max = r.json.value(QLatin1String("max_tokens"));
    const double n = max.toDouble();
    if (!max.isDouble() || n < 1 || n != std::floor(n) || n > 1e12) {
        *error = isAbsent(max) ? "max_tokens: Field required"
                               : "max_tokens: Input should be a positive integer.";
        return false;
    }
    r.maxTokens = qint64(n);
    if (!readStream(r, error))
        return false;
    r.clientWantsUsage = true; // Anthropic's stream always carries its usage
    return true;
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
    r.endpoint = endpoint;
    r.json = doc.object();
    QJsonValue model = r.json.value(QLatin1String("model"));
    if (endpoint == Endpoint::Moderations && isAbsent(model))
        model = kDefaultModerationModel.toString();
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
    bool ok = false;
    switch (endpoint) {
    case Endpoint::Chat:
        ok = parseChat(r, error);
        break;
    case Endpoint::Embeddings:
    case Endpoint::Moderations:
        ok = parseInput(r, error);
        break;
    case Endpoint::Completions:
        ok = parseCompletions(r, error);
        break;
    case Endpoint::Responses:
        ok = parseResponses(r, error);
        break;
    case Endpoint::Messages:
    case Endpoint::CountTokens:
        ok = parseMessages(r, error);
        break;
    }
    if (!ok)
        return std::nullopt;
    return r;
}

QByteArray buildUpstreamBody(const RequestBody &request, const QString &model)
{
    QJsonObject json = request.json;
    json.insert(QLatin1String("model"), model);
    if (request.stream &&
        (request.endpoint == Endpoint::Chat || request.endpoint == Endpoint::Completions)) {
        QJsonObject options = json.value(QLatin1String("stream_options")).toObject();
        options.insert(QLatin1String("include_usage"), true);
        json.insert(QLatin1String("stream_options"), options);
    }
    return QJsonDocument(json).toJson(QJsonDocument::Compact);
}

} // namespace relay
