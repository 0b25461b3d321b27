#include "AnthropicAdapter.h"

#include "core/Redact.h"
#include "ingress/RequestBody.h"
#include "tenants/DirectorySnapshot.h"
#include "upstream/UpstreamCall.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>

namespace relay::anthropic {

using namespace Qt::StringLiterals;

namespace {

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QJsonObject textBlock(const QString &text)
{
    return {{u"type"_s, u"text"_s}, {u"text"_s, text}};
}

// An OpenAI image URL as a Messages API image block: data: URLs become base64 sources, http(s)
// URLs url sources; anything else gives an empty object.
QJsonObject imageBlock(const QString &url)
{
    QJsonObject source;
    if (url.startsWith("data:"_L1)) {
        const qsizetype comma = url.indexOf(u',');
        const QString header = url.mid(5, comma - 5);
        if (comma < 0 || !header.endsWith(";base64"_L1))
            return {};
        source = {{u"type"_s, u"base64"_s},
                  {u"media_type"_s, header.chopped(7)},
                  {u"data"_s, url.mid(comma + 1)}};
    } else if (url.startsWith("https://"_L1) || url.startsWith("http://"_L1)) {
        source = {{u"type"_s, u"url"_s}, {u"url"_s, url}};
    } else {
        return {};
    }
    return {{u"type"_s, u"image"_s}, {u"source"_s, source}};
}

// OpenAI message content (a string or an array of parts) as Messages API content blocks. Empty
// text is left out (the Messages API refuses empty text blocks), and so are the part types it
// has no equivalent for.
QJsonArray contentBlocks(const QJsonValue &content)
{
    QJsonArray blocks;
    const auto addText = [&blocks](const QString &text) {
        if (!text.isEmpty())
            blocks.append(textBlock(text));
    };
    if (content.isString()) {
        addText(content.toString());
        return blocks;
    }
    for (const auto &part : content.toArray()) {
        if (part.isString()) {
            addText(part.toString());
            continue;
        }
        const QJsonObject p = part.toObject();
        const QString type = p.value("type"_L1).toString();
        if (type == "text"_L1) {
            addText(p.value("text"_L1).toString());
        } else if (type == "image_url"_L1) {
            const QJsonValue image = p.value("image_url"_L1);
            const QJsonObject block = imageBlock(
                image.isString() ? image.toString() : image.toObject().value("url"_L1).toString());
            if (!block.isEmpty())
                blocks.append(block);
        }
    }
    return blocks;
}

// The text of a message's content, its text parts joined.
QString contentText(const QJsonValue &content)
{
    QStringList texts;
    for (const auto &block : contentBlocks(content))
        if (block.toObject().value("type"_L1) == "text"_L1)
            texts.append(block.toObject().value("text"_L1).toString());
    return texts.join(u'\n');
}

QJsonObject toolUse(const QJsonObject &call)
{
    const QJsonObject function = call.value("function"_L1).toObject();
    QJsonObject input =
        QJsonDocument::fromJson(function.value("arguments"_L1).toString().toUtf8()).object();
    return {{u"type"_s, u"tool_use"_s},
            {u"id"_s, call.value("id"_L1).toString()},
            {u"name"_s, function.value("name"_L1).toString()},
            {u"input"_s, input}};
}

QJsonObject toolResult(const QJsonObject &message)
{
    QJsonObject block{{u"type"_s, u"tool_result"_s},
                      {u"tool_use_id"_s, message.value("tool_call_id"_L1).toString()}};
    const QJsonValue content = message.value("content"_L1);
    if (content.isString() && !content.toString().isEmpty())
        block.insert(u"content"_s, content);
    else if (const QJsonArray blocks = contentBlocks(content); !blocks.isEmpty())
        block.insert(u"content"_s, blocks);
    return block;
}

// The conversation as the Messages API wants it: system text apart, tool results as user
// content, and consecutive messages of one role merged (roles must alternate).
void convertMessages(const QJsonArray &chat, QJsonObject &out)
{
    QStringList system;
    QJsonArray messages;
    QString role;
    QJsonArray blocks;
    const auto flush = [&] {
        if (blocks.isEmpty())
            return;
        const QJsonObject only = blocks.first().toObject();
        const bool plainText =
            blocks.size() == 1 && only.size() == 2 && only.value("type"_L1) == "text"_L1;
        messages.append(
            QJsonObject{{u"role"_s, role},
                        {u"content"_s, plainText ? only.value("text"_L1) : QJsonValue(blocks)}});
        blocks = {};
    };
    const auto add = [&](const QString &messageRole, const QJsonArray &more) {
        if (more.isEmpty())
            return;
        if (messageRole != role)
            flush();
        role = messageRole;
        for (const auto &b : more)
            blocks.append(b);
    };
    for (const auto &value : chat) {
        const QJsonObject m = value.toObject();
        const QString r = m.value("role"_L1).toString();
        const QJsonValue content = m.value("content"_L1);
        if (r == "system"_L1 || r == "developer"_L1) {
            if (const QString text = contentText(content); !text.isEmpty())
                system.append(text);
        } else if (r == "user"_L1) {
            add(u"user"_s, contentBlocks(content));
        } else if (r == "assistant"_L1) {
            QJsonArray parts = contentBlocks(content);
            for (const auto &call : m.value("tool_calls"_L1).toArray())
                parts.append(toolUse(call.toObject()));
            add(u"assistant"_s, parts);
        } else if (r == "tool"_L1) {
            add(u"user"_s, QJsonArray{toolResult(m)});
        }
    }
    flush();
    if (!system.isEmpty())
        out.insert(u"system"_s, system.join("\n\n"_L1));
    out.insert(u"messages"_s, messages);
}

QJsonObject tool(const QJsonObject &function)
{
    QJsonObject t{{u"name"_s, function.value("name"_L1).toString()}};
    if (const QString d = function.value("description"_L1).toString(); !d.isEmpty())
        t.insert(u"description"_s, d);
    const QJsonValue parameters = function.value("parameters"_L1);
    t.insert(u"input_schema"_s,
             parameters.isObject()
                 ? parameters
                 : QJsonObject{{u"type"_s, u"object"_s}, {u"properties"_s, QJsonObject()}});
    return t;
}

void convertTools(const QJsonObject &chat, QJsonObject &out)
{
    QJsonArray tools;
    for (const auto &t : chat.value("tools"_L1).toArray()) {
        const QJsonObject o = t.toObject();
        if (o.value("type"_L1).toString(u"function"_s) == "function"_L1)
            tools.append(tool(o.value("function"_L1).toObject()));
    }
    for (const auto &f : chat.value("functions"_L1).toArray())
        tools.append(tool(f.toObject()));
    if (tools.isEmpty())
        return; // the Messages API refuses tool_choice without tools
    out.insert(u"tools"_s, tools);

    QJsonValue choice = chat.value("tool_choice"_L1);
    if (choice.isUndefined() || choice.isNull())
        choice = chat.value("function_call"_L1);
    QJsonObject mapped;
    if (choice.isString()) {
        const QString c = choice.toString();
        if (c == "none"_L1 || c == "auto"_L1)
            mapped = {{u"type"_s, c}};
        else if (c == "required"_L1)
            mapped = {{u"type"_s, u"any"_s}};
    } else if (choice.isObject()) {
        const QJsonObject o = choice.toObject();
        QString name = o.value("function"_L1).toObject().value("name"_L1).toString();
        if (name.isEmpty())
            name = o.value("name"_L1).toString();
        if (!name.isEmpty())
            mapped = {{u"type"_s, u"tool"_s}, {u"name"_s, name}};
    }
    if (chat.value("parallel_tool_calls"_L1) == QJsonValue(false) &&
        mapped.value("type"_L1) != "none"_L1) {
        if (mapped.isEmpty())
            mapped = {{u"type"_s, u"auto"_s}};
        mapped.insert(u"disable_parallel_tool_use"_s, true);
    }
    if (!mapped.isEmpty())
        out.insert(u"tool_choice"_s, mapped);
}

struct ErrorKind
{
    const char *anthropic;
    int status;
    const char *type;
    const char *code;
};

// Anthropic's error types (https://docs.anthropic.com/en/api/errors) and the OpenAI error a
// tenant's SDK expects for the same case.
constexpr ErrorKind kErrors[] = {
    {"invalid_request_error", 400, "invalid_request_error", "invalid_request_error"},
    {"authentication_error", 401, "invalid_request_error", "invalid_api_key"},
    {"billing_error", 402, "insufficient_quota", "insufficient_quota"},
    {"permission_error", 403, "invalid_request_error", "permission_denied"},
    {"not_found_error", 404, "invalid_request_error", "model_not_found"},
    {"request_too_large", 413, "invalid_request_error", "request_too_large"},
    {"rate_limit_error", 429, "requests", "rate_limit_exceeded"},
    {"api_error", 500, "server_error", "server_error"},
    {"timeout_error", 504, "server_error", "timeout"},
    {"overloaded_error", 529, "server_error", "server_overloaded"},
};

} // namespace

bool isAnthropic(const UpstreamConfig &upstream)
{
    return upstream.kind == "anthropic"_L1;
}

QByteArray apiPath(const UpstreamConfig &upstream, QByteArrayView endpoint)
{
    QByteArray base = upstream.basePath;
    if (base.endsWith("/v1"))
        base.chop(3);
    return base + "/v1" + endpoint.toByteArray();
}

QJsonObject messagesRequest(const QJsonObject &chat, const QString &model)
{
    QJsonObject out{{u"model"_s, model}};
    convertMessages(chat.value("messages"_L1).toArray(), out);
    convertTools(chat, out);
    qint64 maxTokens = 4096; // the Messages API needs one; interface.md §4
    for (const auto field : {"max_completion_tokens"_L1, "max_tokens"_L1}) {
        if (const QJsonValue v = chat.value(field); v.isDouble()) {
            maxTokens = qint64(v.toDouble());
            break;
        }
    }
    out.insert(u"max_tokens"_s, maxTokens);
    const QJsonValue stop = chat.value("stop"_L1);
    QJsonArray stops;
    for (const auto &s : stop.isString() ? QJsonArray{stop} : stop.toArray())
        if (s.isString() && !s.toString().trimmed().isEmpty())
            stops.append(s);
    if (!stops.isEmpty())
        out.insert(u"stop_sequences"_s, stops);
    // OpenAI allows temperatures up to 2, the Messages API up to 1: a request that fails over
    // from one to the other should still be answered.
    if (const QJsonValue t = chat.value("temperature"_L1); t.isDouble())
        out.insert(u"temperature"_s, std::clamp(t.toDouble(), 0.0, 1.0));
    if (const QJsonValue p = chat.value("top_p"_L1); p.isDouble())
        out.insert(u"top_p"_s, p);
    if (chat.value("stream"_L1).toBool())
        out.insert(u"stream"_s, true);
    if (const QString user = chat.value("user"_L1).toString(); !user.isEmpty())
        out.insert(u"metadata"_s, QJsonObject{{u"user_id"_s, user}});
    return out;
}

HttpHeaders authHeaders(const UpstreamConfig &upstream)
{
    HttpHeaders headers;
    const QByteArray key = upstream.resolveApiKey();
    if (!isAnthropic(upstream)) {
        if (!key.isEmpty())
            headers.emplaceBack(QByteArrayLiteral("authorization"), "Bearer " + key);
        return headers;
    }
    if (!key.isEmpty())
        headers.emplaceBack(QByteArrayLiteral("x-api-key"), key);
    headers.emplaceBack("anthropic-version", kVersion.toByteArray());
    return headers;
}

void adaptRequest(UpstreamRequest &request, const UpstreamConfig &upstream, const RequestBody &body,
                  const QString &model)
{
    request.path = apiPath(upstream, "/messages");
    request.body = compact(messagesRequest(body.object(), model));
}

QJsonValue finishReason(const QJsonValue &stopReason)
{
    if (!stopReason.isString())
        return QJsonValue::Null;
    const QString r = stopReason.toString();
    if (r == "max_tokens"_L1)
        return u"length"_s;
    if (r == "tool_use"_L1)
        return u"tool_calls"_s;
    if (r == "refusal"_L1)
        return u"content_filter"_s;
    return u"stop"_s; // end_turn, stop_sequence, pause_turn
}

qint64 inputTokens(const QJsonObject &usage)
{
    return tokenCount(usage.value("input_tokens"_L1)) +
           tokenCount(usage.value("cache_creation_input_tokens"_L1)) +
           tokenCount(usage.value("cache_read_input_tokens"_L1));
}

QJsonObject usage(qint64 inputTokens, qint64 outputTokens, qint64 cachedTokens)
{
    QJsonObject u{{u"prompt_tokens"_s, inputTokens},
                  {u"completion_tokens"_s, outputTokens},
                  {u"total_tokens"_s, inputTokens + outputTokens}};
    if (cachedTokens > 0)
        u.insert(u"prompt_tokens_details"_s, QJsonObject{{u"cached_tokens"_s, cachedTokens}});
    return u;
}

QJsonObject chatCompletion(const QJsonObject &message, qint64 created)
{
    if (message.value("type"_L1) != "message"_L1 || !message.value("content"_L1).isArray())
        return {};
    QString text;
    QJsonArray toolCalls;
    for (const auto &value : message.value("content"_L1).toArray()) {
        const QJsonObject block = value.toObject();
        const QString type = block.value("type"_L1).toString();
        if (type == "text"_L1) {
            text += block.value("text"_L1).toString();
        } else if (type == "tool_use"_L1) {
            const QByteArray arguments =
                QJsonDocument(block.value("input"_L1).toObject()).toJson(QJsonDocument::Compact);
            toolCalls.append(QJsonObject{
                {u"id"_s, block.value("id"_L1)},
                {u"type"_s, u"function"_s},
                {u"function"_s, QJsonObject{{u"name"_s, block.value("name"_L1)},
                                            {u"arguments"_s, QString::fromUtf8(arguments)}}}});
        }
    }
    QJsonObject reply{{u"role"_s, u"assistant"_s},
                      {u"content"_s, text.isEmpty() && !toolCalls.isEmpty() ? QJsonValue::Null
                                                                            : QJsonValue(text)}};
    if (!toolCalls.isEmpty())
        reply.insert(u"tool_calls"_s, toolCalls);
    const QJsonObject u = message.value("usage"_L1).toObject();
    return {{u"id"_s, message.value("id"_L1)},
            {u"object"_s, u"chat.completion"_s},
            {u"created"_s, created},
            {u"model"_s, message.value("model"_L1)},
            {u"choices"_s,
             QJsonArray{
                 QJsonObject{{u"index"_s, 0},
                             {u"message"_s, reply},
                             {u"logprobs"_s, QJsonValue::Null},
                             {u"finish_reason"_s, finishReason(message.value("stop_reason"_L1))}}}},
            {u"usage"_s, usage(inputTokens(u), tokenCount(u.value("output_tokens"_L1)),
                               tokenCount(u.value("cache_read_input_tokens"_L1)))}};
}

ApiError error(int httpStatus, const QByteArray &body)
{
    const QJsonObject e = QJsonDocument::fromJson(body).object().value("error"_L1).toObject();
    const QByteArray anthropicType = e.value("type"_L1).toString().toUtf8();
    const ErrorKind *kind = nullptr;
    for (const ErrorKind &k : kErrors)
        if (anthropicType == k.anthropic)
            kind = &k;
    for (const ErrorKind &k : kErrors)
        if (!kind && httpStatus == k.status)
            kind = &k;
    const int status = httpStatus > 0 ? httpStatus : kind ? kind->status : 500;
    ApiError out;
    out.status = status;
    out.type = kind ? kind->type : status >= 500 ? "server_error" : "invalid_request_error";
    out.code = kind ? QByteArray(kind->code) : anthropicType;
    out.message = redactKeys(e.value("message"_L1).toString().toUtf8());
    if (out.message.isEmpty())
        out.message = "The upstream answered HTTP " + QByteArray::number(status) +
                      (anthropicType.isEmpty() ? QByteArray() : " (" + anthropicType + ")") + '.';
    return out;
}

QByteArray reply(int *status, HttpHeaders *headers, const QByteArray &body, qint64 created)
{
    headers->removeIf([](const auto &h) { return h.first == "content-type"; });
    headers->emplaceBack("content-type", "application/json");
    if (*status < 200 || *status >= 300)
        return error(*status, body).body();
    const QJsonObject completion = chatCompletion(QJsonDocument::fromJson(body).object(), created);
    if (!completion.isEmpty())
        return compact(completion);
    const ApiError unreadable =
        ApiError::upstreamError("The upstream's answer is not a Messages API response.");
    *status = unreadable.status;
    return unreadable.body();
}

QByteArray modelsListPath(const UpstreamConfig &upstream)
{
    return isAnthropic(upstream) ? apiPath(upstream, "/models") : upstream.basePath + "/models";
}

void dropForEmbeddings(ModelResolution &resolution)
{
    std::erase_if(resolution.chain,
                  [](const ResolvedTarget &t) { return t.upstream && isAnthropic(*t.upstream); });
}

} // namespace relay::anthropic
