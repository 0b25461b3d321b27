#pragma once

#include "core/SseEventSplitter.h"

#include "core/Tokens.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <functional>
#include <optional>

namespace relay {

// What a request's answer costs at its price, for the tokens it used (nullopt: no price).
using CostOf = std::function<std::optional<double>(const TokenUsage &)>;

// Relays an OpenAI-dialect SSE stream (chat completions, legacy completions, or Responses) event
// by event as it arrives: reads the usage the upstream reports (chat and completions: the usage
// chunk; Responses: response.usage of response.completed, incomplete or failed), drops the
// usage-only chunk when the tenant did not ask for it, adds "cost_usd" to the usage the tenant
// gets when `cost` is given, and counts the text relayed so a cut stream can still be metered.
class SseUsageFilter
{
public:
    enum class Shape { Chat, Responses };
    explicit SseUsageFilter(bool forwardUsageChunk, Shape shape = Shape::Chat, CostOf cost = {})
        : m_forwardUsage(forwardUsageChunk), m_shape(shape), m_cost(std::move(cost))
    {
    }

    // The complete events in `bytes` (with any earlier partial one) that go to the client.
    QByteArray feed(QByteArrayView bytes);
    // What remains at the end of the stream (an unterminated last event).
    QByteArray finish();

    bool hasUsage() const { return m_hasUsage; }
    qint64 promptTokens() const { return m_promptTokens; }
    qint64 completionTokens() const { return m_completionTokens; }
    // Unicode characters of content relayed to the client.
    qint64 contentChars() const { return m_contentChars; }
    // The usage read; OpenAI's cached prompt tokens stay in `prompt`, at the input price.
    TokenUsage usage() const { return {m_promptTokens, m_completionTokens, 0, 0}; }
    const QString &model() const { return m_model; }
    // Responses: the id of the response the stream created.
    const QString &responseId() const { return m_responseId; }
    bool sawDone() const { return m_sawDone; }
    int eventsForwarded() const { return m_eventsForwarded; }

    // One SSE event carrying `json` as its data.
    static QByteArray event(QByteArrayView json);

private:
    // Appends the event to `out` unless it is dropped.
    void processEvent(QByteArrayView event, QByteArray &out);

    // Counts the text of an event without usage (its JSON `data`) without building a DOM; false
    // (and nothing counted) when the event is to be read with QJsonDocument.
    bool countWithoutDom(QByteArrayView data);

    // The event again with "cost_usd" added to its usage (`json` is its data).
    QByteArray withCost(QByteArrayView original, QJsonObject json) const;

    bool m_forwardUsage;
    Shape m_shape;
    CostOf m_cost;
    QString m_responseId;
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
