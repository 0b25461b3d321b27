#include "AnthropicStreamTranslator.h"

#include "AnthropicAdapter.h"
#include "core/Tokens.h"
#include "metering/SseUsageFilter.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace relay {

using namespace Qt::StringLiterals;

namespace {

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QJsonObject toolCallDelta(int index, const QJsonObject &fields)
{
    QJsonObject call = fields;
    call.insert(u"index"_s, index);
    return {{u"tool_calls"_s, QJsonArray{call}}};
}

} // namespace

QByteArray AnthropicStreamTranslator::feed(QByteArrayView bytes)
{
    return m_events.feed(bytes, [this](QByteArrayView e, QByteArray &o) { process(e, o); });
}

QByteArray AnthropicStreamTranslator::finish()
{
    QByteArray out = m_events.finish([this](QByteArrayView e, QByteArray &o) { process(e, o); });
    if (m_finished)
        return out;
    if (m_hasUsage) {
        end(out); // all but message_stop arrived
        return out;
    }
    fail(
        R"({"type":"error","error":{"type":"api_error","message":"The upstream's stream ended before the answer was complete."}})",
        out);
    return out;
}

QByteArray AnthropicStreamTranslator::chunk(const QJsonObject &delta,
                                            const QJsonValue &finishReason) const
{
    const QJsonObject choice{{u"index"_s, 0},
                             {u"delta"_s, delta},
                             {u"logprobs"_s, QJsonValue::Null},
                             {u"finish_reason"_s, finishReason}};
    return SseUsageFilter::event(compact({{u"id"_s, m_id},
                                          {u"object"_s, u"chat.completion.chunk"_s},
                                          {u"created"_s, m_created},
                                          {u"model"_s, m_model},
                                          {u"choices"_s, QJsonArray{choice}}}));
}

void AnthropicStreamTranslator::emitChunk(QByteArray &out, const QJsonObject &delta,
                                          const QJsonValue &finishReason)
{
    if (!m_emitted) {
        m_emitted = true;
        out += chunk({{u"role"_s, u"assistant"_s}, {u"content"_s, u""_s}}, QJsonValue::Null);
    }
    out += chunk(delta, finishReason);
}

void AnthropicStreamTranslator::end(QByteArray &out)
{
    out += SseUsageFilter::event(
        compact({{u"id"_s, m_id},
                 {u"object"_s, u"chat.completion.chunk"_s},
                 {u"created"_s, m_created},
                 {u"model"_s, m_model},
                 {u"choices"_s, QJsonArray()},
                 {u"usage"_s, anthropic::usage(m_inputTokens, m_outputTokens, m_cachedTokens)}}));
    out += SseUsageFilter::event("[DONE]");
    m_finished = true;
}

void AnthropicStreamTranslator::fail(const QByteArray &anthropicError, QByteArray &out)
{
    const ApiError e = anthropic::error(0, anthropicError);
    out += SseUsageFilter::event(e.body());
    m_errorStatus = e.status;
    m_finished = true;
    m_failed = true;
}

void AnthropicStreamTranslator::process(QByteArrayView event, QByteArray &out)
{
    if (m_finished)
        return;
    bool hasData = false;
    const QByteArray data = SseEventSplitter::data(event, &hasData);
    if (!hasData)
        return;
    const QJsonObject e = QJsonDocument::fromJson(data).object();
    QString type = e.value("type"_L1).toString();
    if (type.isEmpty())
        type = QString::fromUtf8(SseEventSplitter::name(event));

    if (type == "message_start"_L1) {
        const QJsonObject message = e.value("message"_L1).toObject();
        m_id = message.value("id"_L1).toString();
        m_model = message.value("model"_L1).toString();
        const QJsonObject usage = message.value("usage"_L1).toObject();
        m_inputTokens = anthropic::inputTokens(usage);
        m_cachedTokens = tokenCount(usage.value("cache_read_input_tokens"_L1));
        m_cacheWriteTokens = tokenCount(usage.value("cache_creation_input_tokens"_L1));
        m_outputTokens = tokenCount(usage.value("output_tokens"_L1));
        m_started = true;
    } else if (type == "content_block_start"_L1) {
        const QJsonObject block = e.value("content_block"_L1).toObject();
        const QString blockType = block.value("type"_L1).toString();
        if (blockType == "text"_L1) {
            const QString text = block.value("text"_L1).toString();
            if (!text.isEmpty()) {
                m_textChars += text.toUcs4().size();
                emitChunk(out, {{u"content"_s, text}}, QJsonValue::Null);
            }
        } else if (blockType == "tool_use"_L1) {
            const int index = int(m_toolIndex.size());
            m_toolIndex.insert(e.value("index"_L1).toInt(), index);
            emitChunk(out,
                      toolCallDelta(
                          index, {{u"id"_s, block.value("id"_L1)},
                                  {u"type"_s, u"function"_s},
                                  {u"function"_s, QJsonObject{{u"name"_s, block.value("name"_L1)},
                                                              {u"arguments"_s, u""_s}}}}),
                      QJsonValue::Null);
        }
    } else if (type == "content_block_delta"_L1) {
        const QJsonObject delta = e.value("delta"_L1).toObject();
        const QString deltaType = delta.value("type"_L1).toString();
        if (deltaType == "text_delta"_L1) {
            const QString text = delta.value("text"_L1).toString();
            m_textChars += text.toUcs4().size();
            emitChunk(out, {{u"content"_s, text}}, QJsonValue::Null);
        } else if (deltaType == "input_json_delta"_L1) {
            const QString json = delta.value("partial_json"_L1).toString();
            const auto tool = m_toolIndex.constFind(e.value("index"_L1).toInt());
            if (json.isEmpty() || tool == m_toolIndex.cend())
                return;
            m_textChars += json.toUcs4().size();
            out +=
                chunk(toolCallDelta(*tool, {{u"function"_s, QJsonObject{{u"arguments"_s, json}}}}),
                      QJsonValue::Null);
        }
    } else if (type == "message_delta"_L1) {
        const QJsonObject usage = e.value("usage"_L1).toObject();
        if (usage.contains("output_tokens"_L1))
            m_outputTokens = tokenCount(usage.value("output_tokens"_L1));
        // Newer API versions repeat the input counts here.
        if (const qint64 input = anthropic::inputTokens(usage); input > 0) {
            m_inputTokens = input;
            m_cachedTokens = tokenCount(usage.value("cache_read_input_tokens"_L1));
            m_cacheWriteTokens = tokenCount(usage.value("cache_creation_input_tokens"_L1));
        }
        m_hasUsage = true;
        emitChunk(out, {},
                  anthropic::finishReason(e.value("delta"_L1).toObject().value("stop_reason"_L1)));
    } else if (type == "message_stop"_L1) {
        end(out);
    } else if (type == "error"_L1) {
        fail(data, out);
    }
    // ping, content_block_stop and event types added later: nothing for the client.
}

} // namespace relay
