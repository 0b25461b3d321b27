#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

namespace relay {

// Cuts a server-sent-events byte stream into whole events, however the bytes were chunked
// (an event may arrive split over many reads, or many events in one).
class SseEventSplitter
{
public:
    // The events completed by `bytes`, each with its terminating blank line.
    QList<QByteArray> feed(QByteArrayView bytes);
    // What is left at the end of the stream (an unterminated last event), completed with a blank
    // line; empty when nothing but whitespace remains.
    QByteArray finish();

    // The joined `data:` lines of one event; *hasData false when it has none (a comment).
    static QByteArray data(QByteArrayView event, bool *hasData);
    // The event's `event:` name, or empty.
    static QByteArray name(QByteArrayView event);

private:
    QByteArray m_pending;
};

} // namespace relay
