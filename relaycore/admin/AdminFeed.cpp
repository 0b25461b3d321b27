#include "AdminFeed.h"

namespace relay {

void AdminFeed::publish(QByteArray name, QByteArray data)
{
    std::lock_guard lock(m_mutex);
    m_events.push_back({++m_seq, std::move(name), std::move(data)});
    while (m_events.size() > size_t(kKeep))
        m_events.pop_front();
}

void AdminFeed::publishStats(QByteArray data)
{
    {
        std::lock_guard lock(m_mutex);
        m_stats = data;
    }
    publish("stats", std::move(data));
}

QByteArray AdminFeed::stats() const
{
    std::lock_guard lock(m_mutex);
    return m_stats;
}

qint64 AdminFeed::lastSeq() const
{
    std::lock_guard lock(m_mutex);
    return m_seq;
}

QList<AdminFeed::Event> AdminFeed::since(qint64 seq) const
{
    std::lock_guard lock(m_mutex);
    QList<Event> out;
    for (const Event &event : m_events)
        if (event.seq > seq)
            out.append(event);
    return out;
}

} // namespace relay
