#include "RequestBody.h"

#include "core/JsonScan.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <QVarLengthArray>

#include <algorithm>
#include <cmath>

namespace relay {

namespace {

constexpr char kNotAnObject[] =
    "We could not parse the JSON body of your request. The body must be a JSON object.";
constexpr char kStreamNotBoolean[] = "'stream' must be a boolean.";
constexpr char kStreamOptionsNotObject[] = "'stream_options' must be an object.";
constexpr char kMessagesNotArray[] = "'messages' must be a non-empty array.";
constexpr char kMessageNotObject[] = "Each message must be an object with a string 'role'.";
constexpr char kInputNotText[] = "'input' must be a string or an array.";
constexpr char kPromptNotText[] = "'prompt' must be a string or an array.";
constexpr char kInstructionsNotString[] = "'instructions' must be a string.";
constexpr char kPreviousResponseIdInvalid[] =
    "'previous_response_id' must be a string of at most 256 characters.";

bool validTokenLimit(bool isNumber, double n)
{
    return isNumber && n >= 0 && n == std::floor(n) && n <= 1e12;
}

QByteArray tokenLimitError(const char *field)
{
    return QByteArray("'") + field + "' must be a non-negative integer.";
}

// The model a request names (empty when it names none, or not as a string).
bool modelAcceptable(const QString &model, QByteArray *error)
{
    if (model.isEmpty()) {
        *error = "You must provide a model parameter (a string).";
        return false;
    }
    // Client strings end up in usage rows, so a name is bounded.
    if (model.size() > kMaxModelChars && model.toUcs4().size() > kMaxModelChars) {
        *error = "'model' is longer than " + QByteArray::number(kMaxModelChars) + " characters.";
        return false;
    }
    return true;
}

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
        return QByteArrayLiteral("chat");
    case Endpoint::Embeddings:
        return QByteArrayLiteral("embeddings");
    case Endpoint::Responses:
        return QByteArrayLiteral("responses");
    case Endpoint::Completions:
        return QByteArrayLiteral("completions");
    case Endpoint::Moderations:
        return QByteArrayLiteral("moderations");
    case Endpoint::Messages:
        return QByteArrayLiteral("messages");
    case Endpoint::CountTokens:
        return QByteArrayLiteral("count_tokens");
    }
    return QByteArrayLiteral("chat");
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
        *error = kStreamNotBoolean;
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
        if (!validTokenLimit(v.isDouble(), n)) {
            *error = tokenLimitError(field);
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
        *error = kStreamOptionsNotObject;
        return false;
    }
    r.clientWantsUsage = options.toObject().value(QLatin1String("include_usage")).toBool();
    return true;
}

bool parseChat(RequestBody &r, QByteArray *error)
{
    const QJsonValue messages = r.json.value(QLatin1String("messages"));
    if (!messages.isArray() || messages.toArray().isEmpty()) {
        *error = kMessagesNotArray;
        return false;
    }
    for (const auto &m : messages.toArray()) {
        if (!m.isObject() || !m.toObject().value(QLatin1String("role")).isString()) {
            *error = kMessageNotObject;
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
        *error = kInputNotText;
        return false;
    }
    r.promptChars = textChars(input);
    return true;
}

bool parseCompletions(RequestBody &r, QByteArray *error)
{
    const QJsonValue prompt = r.json.value(QLatin1String("prompt"));
    if (!prompt.isString() && !prompt.isArray()) {
        *error = kPromptNotText;
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
        *error = kInputNotText;
        return false;
    }
    const QJsonValue instructions = r.json.value(QLatin1String("instructions"));
    if (!isAbsent(instructions) && !instructions.isString()) {
        *error = kInstructionsNotString;
        return false;
    }
    const QJsonValue previous = r.json.value(QLatin1String("previous_response_id"));
    if (!isAbsent(previous) && (!previous.isString() || previous.toString().size() > 256)) {
        *error = kPreviousResponseIdInvalid;
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

// The OpenAI-dialect reading without a DOM: one pass over the body with simdjson's on-demand
// API that reads the fields the relay needs, validates everything else, and notes where the
// relay's edits go. What it cannot decide exactly as the DOM reading would (see json::skip;
// a field the relay reads given twice, where QJsonDocument keeps the last; an escaped model
// name) it leaves to parseRequestBodyWithDom.
class FastReader
{
public:
    FastReader(Endpoint endpoint, const QByteArray &body) : m_scan(body)
    {
        m_r.endpoint = endpoint;
        m_r.raw = body;
    }

    // nullopt: left to the DOM reading; else the body or (`*error` set) a refusal.
    std::optional<std::optional<RequestBody>> read(QByteArray *error)
    {
        json::od::object top;
        if (!m_scan.object(top))
            return std::nullopt;
        unsigned seen = 0;
        for (auto member : top) {
            m_r.splice.members = true;
            std::string_view key;
            json::od::value v;
            if (member.unescaped_key().get(key) || member.value().get(v))
                return std::nullopt;
            const int i = fieldIndex(key);
            if (i < 0 ? !json::skip(v, 1) : (seen & (1u << i)) || !readField(Name(i), v))
                return std::nullopt;
            if (i >= 0)
                seen |= 1u << i;
        }
        if (!m_scan.atEnd())
            return std::nullopt;
        m_r.splice.open = m_r.raw.indexOf('{');
        m_r.splice.on = true;
        if (!check(error))
            return std::optional<RequestBody>();
        return std::optional<RequestBody>(std::move(m_r));
    }

private:
    enum class Kind { Absent, Null, String, Number, Bool, Object, Array, Other };
    // The top-level fields the relay reads, in kNames' order.
    enum Name {
        Model,
        Stream,
        StreamOptions,
        MaxTokens,
        MaxCompletionTokens,
        MaxOutputTokens,
        Messages,
        Prompt,
        Input,
        Instructions,
        PreviousResponseId,
        NameCount
    };
    static constexpr std::string_view kNames[NameCount] = {"model",
                                                           "stream",
                                                           "stream_options",
                                                           "max_tokens",
                                                           "max_completion_tokens",
                                                           "max_output_tokens",
                                                           "messages",
                                                           "prompt",
                                                           "input",
                                                           "instructions",
                                                           "previous_response_id"};

    struct Field
    {
        Kind kind = Kind::Absent;
        bool boolean = false;
        double number = 0;
        qint64 chars = 0;       // text characters, counted as the DOM reading counts them
        bool wellFormed = true; // messages: each an object with a string 'role'
        bool nonEmpty = false;  // arrays
        bool absent() const { return kind == Kind::Absent || kind == Kind::Null; }
        bool textual() const { return kind == Kind::String || kind == Kind::Array; }
    };

    static int fieldIndex(std::string_view key)
    {
        for (int i = 0; i < NameCount; ++i)
            if (kNames[i] == key)
                return i;
        return -1;
    }

    static Kind kindOf(json::od::json_type type)
    {
        switch (type) {
        case json::od::json_type::object:
            return Kind::Object;
        case json::od::json_type::array:
            return Kind::Array;
        case json::od::json_type::string:
            return Kind::String;
        case json::od::json_type::number:
            return Kind::Number;
        case json::od::json_type::boolean:
            return Kind::Bool;
        case json::od::json_type::null:
            return Kind::Null;
        }
        return Kind::Other;
    }

    // The members of object `v` named in `names` go to f(index, value) (each at most once),
    // the others are validated; *any tells whether it has members.
    template <typename F>
    static bool members(json::od::value v, int depth, std::initializer_list<std::string_view> names,
                        F &&f, bool *any = nullptr)
    {
        json::od::object o;
        if (depth > json::kMaxDepth || v.get_object().get(o))
            return false;
        unsigned seen = 0;
        for (auto member : o) {
            std::string_view key;
            json::od::value child;
            if (member.unescaped_key().get(key) || member.value().get(child))
                return false;
            if (any)
                *any = true;
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

    static bool string(json::od::value &v, std::string_view *s) { return !v.get_string().get(*s); }

    // The characters of a string, or of the strings and parts' 'text' in an array (textChars).
    static bool text(json::od::value v, int depth, qint64 *n)
    {
        json::od::json_type type;
        if (v.type().get(type))
            return false;
        std::string_view s;
        if (type == json::od::json_type::string)
            return string(v, &s) && (*n += json::chars(s), true);
        json::od::array a;
        if (type != json::od::json_type::array)
            return json::skip(v, depth);
        if (depth > json::kMaxDepth || v.get_array().get(a))
            return false;
        for (auto element : a) {
            json::od::value part;
            if (element.get(part) || part.type().get(type))
                return false;
            bool ok = false;
            if (type == json::od::json_type::string)
                ok = string(part, &s) && (*n += json::chars(s), true);
            else if (type == json::od::json_type::object)
                ok = members(part, depth + 1, {"text"},
                             [&](int, json::od::value t) { return text(t, depth + 2, n); });
            else
                ok = json::skip(part, depth + 1);
            if (!ok)
                return false;
        }
        return true;
    }

    // The span of scalar `v` in the body.
    void span(json::od::value &v, qsizetype *begin, qsizetype *end)
    {
        const std::string_view t = json::token(v);
        *begin = m_scan.offsetOf(t);
        *end = *begin + qsizetype(t.size());
    }

    bool readField(Name name, json::od::value v)
    {
        Field &f = m_fields[name];
        json::od::json_type type;
        if (v.type().get(type))
            return false;
        f.kind = kindOf(type);
        RequestBody::Splice &splice = m_r.splice;
        std::string_view s;
        switch (name) {
        case Model:
            if (f.kind == Kind::Null) {
                span(v, &splice.modelBegin, &splice.modelEnd);
            } else if (f.kind == Kind::String) {
                span(v, &splice.modelBegin, &splice.modelEnd);
                // An escaped name is decoded by the DOM reading, exactly as before.
                if (json::token(v).find('\\') != std::string_view::npos || !string(v, &s))
                    return false;
                m_r.model = json::toQString(s);
                return true;
            }
            break;
        case Stream:
            if (f.kind == Kind::Bool)
                return !v.get_bool().get(f.boolean);
            break;
        case StreamOptions:
            if (f.kind == Kind::Null) {
                span(v, &splice.optionsBegin, &splice.optionsEnd);
                splice.optionsNull = true;
            } else if (f.kind == Kind::Object) {
                splice.optionsBegin = m_scan.offsetOf(v.raw_json_token());
                const auto includeUsage = [&](int, json::od::value u) {
                    json::od::json_type t;
                    // A compound value's end is not at hand: left to the DOM reading.
                    if (u.type().get(t) || t == json::od::json_type::object ||
                        t == json::od::json_type::array)
                        return false;
                    span(u, &splice.usageBegin, &splice.usageEnd);
                    if (t == json::od::json_type::boolean)
                        return !u.get_bool().get(f.boolean);
                    return json::skip(u, 2);
                };
                return members(v, 1, {"include_usage"}, includeUsage, &splice.optionsMembers);
            }
            break;
        case MaxTokens:
        case MaxCompletionTokens:
        case MaxOutputTokens:
            if (f.kind == Kind::Number)
                return json::plainNumber(json::token(v)) && !v.get_double().get(f.number);
            break;
        case Messages:
            if (f.kind == Kind::Array) {
                json::od::array a;
                if (v.get_array().get(a))
                    return false;
                for (auto element : a) {
                    json::od::value m;
                    json::od::json_type t;
                    if (element.get(m) || m.type().get(t))
                        return false;
                    f.nonEmpty = true;
                    if (t != json::od::json_type::object) {
                        f.wellFormed = false;
                        if (!json::skip(m, 2))
                            return false;
                        continue;
                    }
                    bool role = false;
                    if (!members(m, 2, {"role", "content"}, [&](int i, json::od::value x) {
                            if (i == 1)
                                return text(x, 3, &f.chars);
                            json::od::json_type rt;
                            if (x.type().get(rt))
                                return false;
                            role = rt == json::od::json_type::string;
                            return role ? string(x, &s) : json::skip(x, 3);
                        }))
                        return false;
                    f.wellFormed = f.wellFormed && role;
                }
                return true;
            }
            break;
        case Input:
            if (m_r.endpoint == Endpoint::Responses && f.kind == Kind::Array) {
                json::od::array a;
                if (v.get_array().get(a))
                    return false;
                for (auto element : a) {
                    json::od::value item;
                    json::od::json_type t;
                    if (element.get(item) || item.type().get(t))
                        return false;
                    const bool ok =
                        t == json::od::json_type::object
                            ? members(item, 2, {"content", "output", "arguments"},
                                      [&](int, json::od::value x) { return text(x, 3, &f.chars); })
                            : json::skip(item, 2);
                    if (!ok)
                        return false;
                }
                return true;
            }
            [[fallthrough]];
        case Prompt:
        case Instructions:
            if (f.textual())
                return text(v, 1, &f.chars);
            break;
        case PreviousResponseId:
            if (f.kind == Kind::String) {
                if (!string(v, &s))
                    return false;
                m_r.previousResponseId = json::toQString(s);
                return true;
            }
            break;
        case NameCount:
            break;
        }
        return json::skip(v, 1);
    }

    bool fail(QByteArray *error, const char *message)
    {
        *error = message;
        return false;
    }

    bool readStream(QByteArray *error)
    {
        const Field &stream = m_fields[Stream];
        if (!stream.absent() && stream.kind != Kind::Bool)
            return fail(error, kStreamNotBoolean);
        m_r.stream = stream.boolean;
        return true;
    }

    bool readStreamOptions(QByteArray *error)
    {
        if (!readStream(error))
            return false;
        const Field &options = m_fields[StreamOptions];
        if (!options.absent() && options.kind != Kind::Object)
            return fail(error, kStreamOptionsNotObject);
        m_r.clientWantsUsage = options.boolean;
        return true;
    }

    bool readMaxTokens(std::initializer_list<Name> names, QByteArray *error)
    {
        for (const Name name : names) {
            const Field &f = m_fields[name];
            if (f.absent())
                continue;
            if (!validTokenLimit(f.kind == Kind::Number, f.number)) {
                *error = tokenLimitError(kNames[name].data());
                return false;
            }
            if (m_r.maxTokens < 0)
                m_r.maxTokens = qint64(f.number);
        }
        return true;
    }

    // The checks of the DOM reading, in its order.
    bool check(QByteArray *error)
    {
        const Field &model = m_fields[Model];
        if (m_r.endpoint == Endpoint::Moderations && model.absent())
            m_r.model = kDefaultModerationModel.toString();
        else if (model.kind != Kind::String)
            m_r.model.clear();
        if (!modelAcceptable(m_r.model, error))
            return false;
        switch (m_r.endpoint) {
        case Endpoint::Chat: {
            const Field &messages = m_fields[Messages];
            if (messages.kind != Kind::Array || !messages.nonEmpty)
                return fail(error, kMessagesNotArray);
            if (!messages.wellFormed)
                return fail(error, kMessageNotObject);
            m_r.promptChars = messages.chars;
            return readStreamOptions(error) &&
                   readMaxTokens({MaxCompletionTokens, MaxTokens}, error);
        }
        case Endpoint::Embeddings:
        case Endpoint::Moderations:
            if (!m_fields[Input].textual())
                return fail(error, kInputNotText);
            m_r.promptChars = m_fields[Input].chars;
            return true;
        case Endpoint::Completions:
            if (!m_fields[Prompt].textual())
                return fail(error, kPromptNotText);
            m_r.promptChars = m_fields[Prompt].chars;
            return readStreamOptions(error) && readMaxTokens({MaxTokens}, error);
        case Endpoint::Responses: {
            if (!m_fields[Input].textual())
                return fail(error, kInputNotText);
            const Field &instructions = m_fields[Instructions];
            if (!instructions.absent() && instructions.kind != Kind::String)
                return fail(error, kInstructionsNotString);
            const Field &previous = m_fields[PreviousResponseId];
            if (!previous.absent() &&
                (previous.kind != Kind::String || m_r.previousResponseId.size() > 256))
                return fail(error, kPreviousResponseIdInvalid);
            m_r.promptChars = m_fields[Input].chars + instructions.chars;
            return readStream(error) && readMaxTokens({MaxOutputTokens}, error);
        }
        case Endpoint::Messages:
        case Endpoint::CountTokens:
            break;
        }
        return false;
    }

    json::Scan m_scan;
    RequestBody m_r;
    Field m_fields[NameCount];
};

} // namespace

std::optional<RequestBody> parseRequestBodyWithDom(Endpoint endpoint, const QByteArray &body,
                                                   QByteArray *error)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = kNotAnObject;
        return std::nullopt;
    }
    RequestBody r;
    r.endpoint = endpoint;
    r.raw = body;
    r.json = doc.object();
    QJsonValue model = r.json.value(QLatin1String("model"));
    if (endpoint == Endpoint::Moderations && isAbsent(model))
        model = kDefaultModerationModel.toString();
    // Escapes are decoded once here: the name checked is the name sent upstream; and one model
    // must be the only model.
    r.model = model.toString();
    if (!modelAcceptable(r.model, error))
        return std::nullopt;
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

} // namespace relay

namespace relay {

namespace {

// Whether `token` is `text` as json::quoted() writes it: compared in place while the text is
// ASCII without escapes (a model's name, as a rule), else against the quoted text.
bool writtenAs(QByteArrayView token, const QString &text)
{
    if (token.size() < 2 || token.front() != '"' || token.back() != '"')
        return false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t c = text[i].unicode();
        if (c >= 0x80 || c < 0x20 || c == '"' || c == '\\')
            return token == json::quoted(text);
        if (i + 1 >= token.size() - 1 || token[i + 1] != char(c))
            return false;
    }
    return token.size() == text.size() + 2;
}

// The client's bytes with the relay's edits: the model, and for chat and completions streams
// stream_options.include_usage switched on (every edit where the DOM reading would make it).
QByteArray splicedBody(const RequestBody &request, const QString &model)
{
    struct Edit
    {
        qsizetype begin, end;
        QByteArray text;
    };
    const RequestBody::Splice &s = request.splice;
    QVarLengthArray<Edit, 3> edits;
    QByteArray atTop; // members inserted at the top of the object
    // An edit is made only where it changes the bytes: with none, the client's bytes go on as
    // they are, without a copy (the model the client named, usage asked for already).
    const QByteArrayView raw(request.raw);
    if (s.modelBegin < 0)
        atTop = "\"model\":" + json::quoted(model);
    else if (!writtenAs(raw.sliced(s.modelBegin, s.modelEnd - s.modelBegin), model))
        edits.append({s.modelBegin, s.modelEnd, json::quoted(model)});
    if (request.stream &&
        (request.endpoint == Endpoint::Chat || request.endpoint == Endpoint::Completions)) {
        if (s.usageBegin >= 0) {
            if (raw.sliced(s.usageBegin, s.usageEnd - s.usageBegin) != "true")
                edits.append({s.usageBegin, s.usageEnd, "true"});
        } else if (s.optionsBegin >= 0 && s.optionsNull) {
            edits.append({s.optionsBegin, s.optionsEnd, "{\"include_usage\":true}"});
        } else if (s.optionsBegin >= 0) {
            edits.append({s.optionsBegin + 1, s.optionsBegin + 1,
                          s.optionsMembers ? "\"include_usage\":true," : "\"include_usage\":true"});
        } else {
            atTop += QByteArray(atTop.isEmpty() ? "" : ",") +
                     "\"stream_options\":{\"include_usage\":true}";
        }
    }
    if (!atTop.isEmpty())
        edits.append({s.open + 1, s.open + 1, s.members ? atTop + ',' : atTop});
    if (edits.isEmpty())
        return request.raw;
    std::sort(edits.begin(), edits.end(),
              [](const Edit &a, const Edit &b) { return a.begin < b.begin; });
    QByteArray out;
    out.reserve(request.raw.size() + 64);
    qsizetype at = 0;
    for (const Edit &e : edits) {
        out.append(request.raw.constData() + at, e.begin - at);
        out += e.text;
        at = e.end;
    }
    out.append(request.raw.constData() + at, request.raw.size() - at);
    return out;
}

} // namespace

std::optional<RequestBody> parseRequestBody(Endpoint endpoint, const QByteArray &body,
                                            QByteArray *error)
{
    if (dialectOf(endpoint) == Dialect::OpenAI) {
        FastReader reader(endpoint, body);
        if (std::optional<std::optional<RequestBody>> read = reader.read(error))
            return std::move(*read);
    }
    return parseRequestBodyWithDom(endpoint, body, error);
}

QJsonObject RequestBody::object() const
{
    return splice.on ? QJsonDocument::fromJson(raw).object() : json;
}

QByteArray buildUpstreamBody(const RequestBody &request, const QString &model)
{
    if (request.splice.on)
        return splicedBody(request, model);
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
