#pragma once

#include <QByteArray>
#include <QList>

#include <deque>
#include <mutex>

namespace relay {

// What GET /admin/v1/stats answers and /admin/v1/events streams (interface.md §5): the engine
// publishes its live snapshot about once a second, and each alert and circuit change as it
// happens; every worker's event streams read from here. Thread-safe. Keeps the last
// kKeep events only: a stream that falls further behind skips them (no replay).
class AdminFeed
{
public:
    struct Event
    {
        qint64 seq = 0;
        QByteArray name; // stats | alert | circuit
        QByteArray data; // one line of JSON
    };
    static constexpr int kKeep = 256;

    void publish(QByteArray name, QByteArray data);
    // The snapshot, also published as a `stats` event.
    void publishStats(QByteArray data);
    QByteArray stats() const;
    qint64 lastSeq() const;
    // The events after `seq`, oldest first.
    QList<Event> since(qint64 seq) const;

private:
    mutable std::mutex m_mutex;
    QByteArray m_stats;
    std::deque<Event> m_events;
    qint64 m_seq = 0;
};

} // namespace relay
