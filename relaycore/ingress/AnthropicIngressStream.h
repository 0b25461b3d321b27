#pragma once

#include "AnthropicFront.h"
#include "StreamMeter.h"
#include "core/SseEventSplitter.h"

#include <QByteArray>
#include <QSet>
#include <QString>

#include <optional>

namespace relay::anthropic_ingress {

// Turns an OpenAI-kind upstream's chat.completion.chunk stream into the Messages API's event
// stream for an Anthropic client, as the bytes arrive however they are chunked: message_start,
// a content block per run of text and per tool call (content_block_start, text_delta or
// input_json_delta deltas, content_block_stop), then message_delta (stop_reason and usage) and
// message_stop. OpenAI sends usage last (after the finish_reason chunk), so message_start
// carries 0 tokens and the final message_delta the real counts, with `cost_usd` from the
// CostFunction (called once, there, when usage arrived); that final pair is written at
// `data: [DONE]`, or by finish() when the upstream sent a finish_reason but no [DONE]. An OpenAI
// error event becomes one Anthropic `error` event and ends the stream. message_start waits for
// the first content, so that an error before any leaves nothing sent and the relay can still
// fail over. Arguments of a tool call that resumes after another call began are dropped
// (Anthropic's blocks cannot interleave). Lives on one thread.
class AnthropicIngressStream : public StreamMeter
{
public:
    // `model`: the name the message carries (when empty, the upstream's); `cost` may be empty.
    explicit AnthropicIngressStream(const QString &model, CostFunction cost = {})
        : StreamMeter(std::move(cost)), m_model(model)
    {
    }

    // The Anthropic events for the OpenAI events `bytes` complete.
    QByteArray feed(QByteArrayView bytes);
    // At the end of the upstream's response: what is still owed to the client (an error event
    // when the stream stopped before the upstream finished the answer).
    QByteArray finish();

    // The upstream's model name (from its chunks).
    const QString &upstreamModel() const { return m_upstreamModel; }
    // The upstream sent a chunk.
    bool started() const { return m_started; }
    bool finished() const { return m_finished; }

private:
    void process(QByteArrayView event, QByteArray &out);
    void text(const QString &text, QByteArray &out);
    void toolCall(const QJsonObject &call, QByteArray &out);
    // Closes the open block and starts `block` (a content_block), after message_start if that
    // is still owed.
    void openBlock(const QJsonObject &block, QByteArray &out);
    void delta(const QJsonObject &delta, QByteArray &out);
    void closeBlock(QByteArray &out);
    void start(QByteArray &out);
    void end(QByteArray &out);
    void fail(int status, const QByteArray &message, QByteArray &out);

    QString m_model;
    SseEventSplitter m_events;
    QString m_id;
    QString m_upstreamModel;
    QString m_stopReason;
    int m_block = -1;    // index of the open content block, or -1
    int m_blocks = 0;    // content blocks started
    int m_openTool = -1; // OpenAI tool_calls index of the open block when it is a tool call
    bool m_textOpen = false;
    QSet<int> m_tools; // OpenAI tool_calls indexes whose block was started
    bool m_started = false;
    bool m_finishReason = false;
    bool m_finished = false;
};

} // namespace relay::anthropic_ingress
