#include "AnthropicIngressStream.h"

#include "core/Redact.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace relay::anthropic_ingress {

using namespace Qt::StringLiterals;

QByteArray AnthropicIngressStream::feed(QByteArrayView bytes)
{
    return m_events.feed(bytes, [this](QByteArrayView e, QByteArray &o) { process(e, o); });
}

QByteArray AnthropicIngressStream::finish()
{
    QByteArray out = m_events.finish([this](QByteArrayView e, QByteArray &o) { process(e, o); });
    if (m_finished)
        return out;
    if (m_finishReason)
        end(out); // all but [DONE] arrived
    else
        fail(502, "The upstream's stream ended before the answer was complete.", out);
    return out;
}

void AnthropicIngressStream::start(QByteArray &out)
{
    if (m_emitted)
        return;
    m_emitted = true;
    const QJsonObject message{
        {u"id"_s, messageId(m_id)},
        {u"type"_s, u"message"_s},
        {u"role"_s, u"assistant"_s},
        {u"model"_s, m_model.isEmpty() ? m_upstreamModel : m_model},
        {u"content"_s, QJsonArray()},
        {u"stop_reason"_s, QJsonValue::Null},
        {u"stop_sequence"_s, QJsonValue::Null},
        {u"usage"_s, QJsonObject{{u"input_tokens"_s, 0}, {u"output_tokens"_s, 0}}}};
    out += sseEvent("message_start", {{u"type"_s, u"message_start"_s}, {u"message"_s, message}});
}

void AnthropicIngressStream::closeBlock(QByteArray &out)
{
    if (m_block < 0)
        return;
    out += sseEvent("content_block_stop",
                    {{u"type"_s, u"content_block_stop"_s}, {u"index"_s, m_block}});
    m_block = -1;
    m_openTool = -1;
    m_textOpen = false;
}

void AnthropicIngressStream::openBlock(const QJsonObject &block, QByteArray &out)
{
    start(out);
    closeBlock(out);
    m_block = m_blocks++;
    out += sseEvent("content_block_start", {{u"type"_s, u"content_block_start"_s},
                                            {u"index"_s, m_block},
                                            {u"content_block"_s, block}});
}

void AnthropicIngressStream::delta(const QJsonObject &delta, QByteArray &out)
{
    out += sseEvent(
        "content_block_delta",
        {{u"type"_s, u"content_block_delta"_s}, {u"index"_s, m_block}, {u"delta"_s, delta}});
}

void AnthropicIngressStream::text(const QString &text, QByteArray &out)
{
    if (!m_textOpen) {
        openBlock({{u"type"_s, u"text"_s}, {u"text"_s, u""_s}}, out);
        m_textOpen = true;
    }
    m_textChars += text.toUcs4().size();
    delta({{u"type"_s, u"text_delta"_s}, {u"text"_s, text}}, out);
}

void AnthropicIngressStream::toolCall(const QJsonObject &call, QByteArray &out)
{
    const int index = call.value("index"_L1).toInt();
    const QJsonObject function = call.value("function"_L1).toObject();
    if (index != m_openTool) {
        if (m_tools.contains(index))
            return; // its block is closed: see the class comment
        m_tools.insert(index);
        openBlock({{u"type"_s, u"tool_use"_s},
                   {u"id"_s, call.value("id"_L1).toString()},
                   {u"name"_s, function.value("name"_L1).toString()},
                   {u"input"_s, QJsonObject()}},
                  out);
        m_openTool = index;
    }
    const QString arguments = function.value("arguments"_L1).toString();
    if (arguments.isEmpty())
        return;
    m_textChars += arguments.toUcs4().size();
    delta({{u"type"_s, u"input_json_delta"_s}, {u"partial_json"_s, arguments}}, out);
}

void AnthropicIngressStream::end(QByteArray &out)
{
    start(out);
    closeBlock(out);
    QJsonObject usage{{u"input_tokens"_s, m_usage.inputTokens},
                      {u"output_tokens"_s, m_usage.outputTokens},
                      {u"cache_creation_input_tokens"_s, m_usage.cacheWriteTokens},
                      {u"cache_read_input_tokens"_s, m_usage.cacheReadTokens}};
    if (m_hasUsage)
        price();
    if (m_costUsd)
        usage.insert(u"cost_usd"_s, *m_costUsd);
    const QString stop = m_stopReason.isEmpty() ? u"end_turn"_s : m_stopReason;
    out += sseEvent("message_delta",
                    {{u"type"_s, u"message_delta"_s},
                     {u"delta"_s, QJsonObject{{u"stop_reason"_s, stop},
                                              {u"stop_sequence"_s, QJsonValue::Null}}},
                     {u"usage"_s, usage}});
    out += sseEvent("message_stop", {{u"type"_s, u"message_stop"_s}});
    m_finished = true;
}

void AnthropicIngressStream::fail(int status, const QByteArray &message, QByteArray &out)
{
    out += errorEvent(status, message);
    setFailed(status);
    m_finished = true;
}

void AnthropicIngressStream::process(QByteArrayView event, QByteArray &out)
{
    if (m_finished)
        return;
    bool hasData = false;
    const QByteArray data = SseEventSplitter::data(event, &hasData);
    if (!hasData)
        return;
    if (data.trimmed() == "[DONE]") {
        end(out);
        return;
    }
    const QJsonObject chunk = QJsonDocument::fromJson(data).object();
    if (const QJsonValue error = chunk.value("error"_L1); error.isObject() || error.isString()) {
        const QJsonObject e = error.toObject();
        QByteArray message =
            redactKeys((error.isString() ? error : e.value("message"_L1)).toString().toUtf8());
        if (message.isEmpty())
            message = "The upstream's stream reported an error.";
        fail(statusOfOpenAiError(e), message, out);
        return;
    }
    if (chunk.isEmpty())
        return;
    m_started = true;
    if (m_id.isEmpty())
        m_id = chunk.value("id"_L1).toString();
    if (const QString model = chunk.value("model"_L1).toString(); !model.isEmpty())
        m_upstreamModel = model;
    for (const auto &c : chunk.value("choices"_L1).toArray()) {
        const QJsonObject choice = c.toObject();
        if (choice.value("index"_L1).toInt() != 0)
            continue; // Anthropic has no `n`
        const QJsonObject d = choice.value("delta"_L1).toObject();
        if (const QString t = d.value("content"_L1).toString(); !t.isEmpty())
            text(t, out);
        // Reasoning has no Anthropic block without a signature; it is metered all the same.
        m_textChars += d.value("reasoning_content"_L1).toString().toUcs4().size();
        for (const auto &call : d.value("tool_calls"_L1).toArray())
            toolCall(call.toObject(), out);
        if (const QJsonValue reason = choice.value("finish_reason"_L1); reason.isString()) {
            m_stopReason = stopReason(reason);
            m_finishReason = true;
        }
    }
    if (const QJsonValue usage = chunk.value("usage"_L1); usage.isObject()) {
        m_usage = usageFromChat(usage.toObject());
        m_hasUsage = true;
    }
}

} // namespace relay::anthropic_ingress
