#pragma once

#include "SseEventSplitter.h"

#include <QByteArray>
#include <QString>

namespace relay {

// Relays an upstream's chat-completion SSE stream event by event as it arrives: reads the
// usage the upstream reports, drops the usage-only chunk when the tenant did not ask for it,
// and counts the text relayed so a cut stream can still be metered.
class SseUsageFilter
{
public:
    explicit SseUsageFilter(bool forwardUsageChunk) : m_forwardUsage(forwardUsageChunk) {}

    // The complete events in `bytes` (with any earlier partial one) that go to the client.
    QByteArray feed(QByteArrayView bytes);
    // What remains at the end of the stream (an unterminated last event).
    QByteArray finish();

    bool hasUsage() const { return m_hasUsage; }
    qint64 promptTokens() const { return m_promptTokens; }
    qint64 completionTokens() const { return m_completionTokens; }
    // Unicode characters of content relayed to the client.
    qint64 contentChars() const { return m_contentChars; }
    const QString &model() const { return m_model; }
    bool sawDone() const { return m_sawDone; }
    int eventsForwarded() const { return m_eventsForwarded; }

    // One SSE event carrying `json` as its data.
    static QByteArray event(QByteArrayView json);

private:
    // Appends the event to `out` unless it is dropped.
    void processEvent(QByteArrayView event, QByteArray &out);

    bool m_forwardUsage;
    SseEventSplitter m_events;
    bool m_hasUsage = false;
    qint64 m_promptTokens = 0;
    qint64 m_completionTokens = 0;
    qint64 m_contentChars = 0;
    QString m_model;
    bool m_sawDone = false;
    int m_eventsForwarded = 0;
};

} // namespace relay
