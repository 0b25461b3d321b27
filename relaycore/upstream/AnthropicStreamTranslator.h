#pragma once

#include "core/SseEventSplitter.h"

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QString>

namespace relay {

// Turns the Messages API's event stream (message_start, content_block_*, ping, message_delta,
// message_stop, error) into OpenAI chat.completion.chunk events as they arrive, however the bytes
// are chunked: the first chunk carries the role, text and tool-call deltas follow, message_delta
// gives the finish reason, and the stream ends with a usage chunk (choices empty, as OpenAI sends
// it for stream_options.include_usage) and `data: [DONE]`. An error event becomes one
// `data: {"error":{...}}` event in OpenAI's shape and ends the stream. The role chunk waits for
// the first content, so that an error before any (Anthropic's overload, typically) leaves nothing
// sent and the relay can still fail over. Lives on one thread.
class AnthropicStreamTranslator
{
public:
    explicit AnthropicStreamTranslator(qint64 created) : m_created(created) {}

    // The OpenAI events for the Anthropic events `bytes` complete.
    QByteArray feed(QByteArrayView bytes);
    // At the end of the upstream's response: what is still owed to the client (an error event
    // when the stream stopped before Anthropic finished it).
    QByteArray finish();

    bool hasUsage() const { return m_hasUsage; }
    qint64 inputTokens() const { return m_inputTokens; } // cache tokens included
    qint64 outputTokens() const { return m_outputTokens; }
    // The prompt-cache tokens among inputTokens().
    qint64 cacheReadTokens() const { return m_cachedTokens; }
    qint64 cacheWriteTokens() const { return m_cacheWriteTokens; }
    // Unicode characters of text and tool arguments relayed.
    qint64 textChars() const { return m_textChars; }
    const QString &model() const { return m_model; }
    bool started() const { return m_started; }
    bool failed() const { return m_failed; }
    // Failed before anything was emitted but the error event.
    bool failedBeforeOutput() const { return m_failed && !m_emitted; }
    // The HTTP status Anthropic uses for the error that ended the stream (529 overloaded).
    int errorStatus() const { return m_errorStatus; }
    bool finished() const { return m_finished; }

private:
    void process(QByteArrayView event, QByteArray &out);
    QByteArray chunk(const QJsonObject &delta, const QJsonValue &finishReason) const;
    // A chunk to the client, after the role chunk if that is still owed.
    void emitChunk(QByteArray &out, const QJsonObject &delta, const QJsonValue &finishReason);
    void end(QByteArray &out);
    void fail(const QByteArray &anthropicError, QByteArray &out);

    qint64 m_created;
    SseEventSplitter m_events;
    QString m_id;
    QString m_model;
    QHash<int, int> m_toolIndex; // content block index → tool_calls index
    bool m_started = false;
    bool m_finished = false;
    bool m_failed = false;
    bool m_emitted = false; // the role chunk is out
    int m_errorStatus = 0;
    bool m_hasUsage = false;
    qint64 m_inputTokens = 0;
    qint64 m_cachedTokens = 0;
    qint64 m_cacheWriteTokens = 0;
    qint64 m_outputTokens = 0;
    qint64 m_textChars = 0;
};

} // namespace relay
