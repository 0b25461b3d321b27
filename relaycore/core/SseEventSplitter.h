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

    // feed() and finish() for a caller that turns each event into output with
    // `process(event, out)`: the output for the events completed. Each event is a view into the
    // pending bytes (no copy per event), valid during its call.
    template <typename Process> QByteArray feed(QByteArrayView bytes, Process &&process)
    {
        QByteArray out;
        const qsizetype scanFrom = append(bytes);
        qsizetype start = 0;
        for (qsizetype end; (end = eventEnd(qMax(start, scanFrom))) >= 0; start = end)
            process(QByteArrayView(m_pending).sliced(start, end - start), out);
        if (start > 0)
            m_pending.remove(0, start);
        return out;
    }
    template <typename Process> QByteArray finish(Process &&process)
    {
        QByteArray out;
        if (const QByteArray last = finish(); !last.isEmpty())
            process(last, out);
        return out;
    }

    // The joined `data:` lines of one event; *hasData false when it has none (a comment).
    static QByteArray data(QByteArrayView event, bool *hasData);
    // The event's `event:` name, or empty.
    static QByteArray name(QByteArrayView event);

private:
    // Appends to the pending bytes; returns where a blank line may newly end (the new bytes and
    // the 3 before them).
    qsizetype append(QByteArrayView bytes);
    // Position just past the first blank line ("\n\n" or "\n\r\n") at or after `from`, or -1.
    qsizetype eventEnd(qsizetype from) const;

    QByteArray m_pending;
};

} // namespace relay
