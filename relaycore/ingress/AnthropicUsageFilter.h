#pragma once

#include "AnthropicFront.h"
#include "StreamMeter.h"
#include "core/SseEventSplitter.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace relay::anthropic_ingress {

// Relays an Anthropic upstream's event stream to an Anthropic client as it arrives, however the
// bytes are chunked: events pass unchanged, but for `cost_usd` added to the usage of each
// message_delta (Anthropic sends one, the final usage) from the CostFunction given the counts
// read so far (message_start's, then message_delta's). message_start (and any ping or comment
// before the content) is held until the next event, so that an error before any content leaves
// nothing sent but the error event and the relay can still fail over; finish() lets out what is
// held. Lives on one thread.
class AnthropicUsageFilter : public StreamMeter
{
public:
    explicit AnthropicUsageFilter(CostFunction cost = {}) : StreamMeter(std::move(cost)) {}

    // The events completed by `bytes` that go to the client now.
    QByteArray feed(QByteArrayView bytes);
    // At the end of the upstream's response: the rest (an unterminated last event, what is held).
    QByteArray finish();

    // hasUsage(): message_delta arrived, usage() is final.
    const QString &model() const { return m_model; }
    bool started() const { return m_started; }   // message_start arrived
    bool finished() const { return m_finished; } // message_stop arrived

private:
    void process(QByteArrayView event, QByteArray &out);
    // Appends what is held, then `event`.
    void forward(QByteArrayView event, QByteArray &out);

    SseEventSplitter m_events;
    QByteArray m_held;
    QString m_model;
    bool m_started = false;
    bool m_finished = false;
};

} // namespace relay::anthropic_ingress
