#include "RelayContext.h"

#include "store/UsageWriter.h"

namespace relay {

RelayContext::RelayContext(Clock &clock, UsageWriter *writer) : m_clock(clock), m_writer(writer)
{
    auto empty = std::make_shared<RuntimeConfig>();
    empty->directory = std::make_shared<DirectorySnapshot>();
    m_config.store(empty);
}

void RelayContext::publish(DirectorySnapshotPtr directory)
{
    std::lock_guard lock(m_publishMutex);
    const auto previous = m_config.load();
    auto next = std::make_shared<RuntimeConfig>();
    next->directory = directory;
    for (const UpstreamConfig &u : directory->upstreams) {
        std::shared_ptr<UpstreamSlots> pool = previous->slots.value(u.name);
        if (pool)
            pool->setMaxConnections(u.maxConnections);
        else
            pool = std::make_shared<UpstreamSlots>(u.name, u.maxConnections);
        next->slots.insert(u.name, pool);
    }
    m_config.store(std::move(next));
}

void RelayContext::meter(UsageRecord record)
{
    if (m_writer)
        m_writer->record(std::move(record));
}

} // namespace relay
