#include "RelayContext.h"

#include "core/Random.h"

#include "store/UsageWriter.h"

#include <algorithm>

namespace relay {

QString RelayContext::healthProblem() const
{
    if (!m_configReadable.load())
        return QStringLiteral("the configuration cannot be read from the database");
    const qint64 since = m_writer ? m_writer->uncommittedSinceMs() : 0;
    if (since && m_clock.monotonicMs() - since >= kUnhealthyAfterMs)
        return QStringLiteral("usage has not been committed to the database for %1 s")
            .arg((m_clock.monotonicMs() - since) / 1000);
    return {};
}

const TenantLive *RuntimeConfig::tenant(const QString &id) const
{
    const auto it = tenants.constFind(id);
    return it != tenants.cend() ? &it.value() : nullptr;
}

const UpstreamLive *RuntimeConfig::upstream(const QString &name) const
{
    const auto it = upstreams.constFind(name);
    return it != upstreams.cend() ? &it.value() : nullptr;
}

FlowMetrics &RuntimeConfig::tenantFlow(const QString &id) const
{
    if (const TenantLive *t = tenant(id))
        return t->flow->use();
    return *metrics->tenant(id);
}

FlowMetrics *RuntimeConfig::upstreamFlow(const QString &name) const
{
    if (name.isEmpty())
        return nullptr;
    if (const UpstreamLive *u = upstream(name))
        return &u->flow->use();
    return metrics->upstream(name).get();
}

RelayContext::RelayContext(Clock &clock, UsageWriter *writer)
    : m_clock(clock), m_writer(writer), m_limiter(clock), m_budgets(clock), m_circuits(clock),
      m_random(&RandomSource::system()), m_admission(m_limiter, m_budgets),
      m_usageMeter(m_limiter, m_budgets, [this](UsageRecord r) { meter(std::move(r)); })
{
    auto empty = std::make_shared<RuntimeConfig>();
    empty->directory = std::make_shared<DirectorySnapshot>();
    empty->metrics = &m_metrics;
    m_config.store(empty);
}

void RelayContext::publish(DirectorySnapshotPtr directory)
{
    std::lock_guard lock(m_publishMutex);
    auto next = std::make_shared<RuntimeConfig>();
    next->directory = directory;
    next->prices = PriceIndex(*directory);
    next->metrics = &m_metrics;
    // Limits change in place: buckets keep their level (interface.md §4).
    for (const TenantConfig &t : directory->tenants)
        m_limiter.configure(t.id, TenantLimits{t.rpm, t.tpm, t.concurrency});
    m_limiter.retain(directory->tenants.keys());
    for (const TenantConfig &t : directory->tenants)
        m_budgets.configure(t.id, TenantBudget{t.budgetUsd, t.softBudget, t.alertThresholds});
    m_budgets.retain(directory->tenants.keys());
    for (const TenantConfig &t : directory->tenants)
        next->tenants.insert(t.id, TenantLive{m_metrics.prepareTenant(t.id), m_limiter.state(t.id),
                                              m_budgets.state(t.id)});
    const QHash<QString, QHash<QString, int>> reserved = directory->reservations();
    for (const UpstreamConfig &u : directory->upstreams) {
        // Only tenants that differ from the default (best-effort, weight 1, nothing reserved)
        // need telling.
        QHash<QString, SlotTenant> tenants;
        const QHash<QString, int> reservedHere = reserved.value(u.name);
        for (const TenantConfig &t : directory->tenants) {
            const int slots = reservedHere.value(t.id);
            if (t.tier != Tier::BestEffort || t.weight != 1 || slots > 0)
                tenants.insert(t.id, SlotTenant{t.tier, t.weight, slots});
        }
        // Pools outlive config changes, removal included: an upstream removed and added back
        // while its old requests still run gets its old pool, so its cap still holds.
        std::shared_ptr<UpstreamSlots> &pool = m_pools[u.name];
        if (!pool)
            pool = std::make_shared<UpstreamSlots>(u.name, u.maxConnections);
        // Waiting requests stay queued; a larger pool or a new tier takes effect at once.
        pool->configure(u.maxConnections, std::move(tenants));
        auto circuit = m_circuits.breaker(u.name);
        circuit->setSlowMs(u.slowMs);
        next->upstreams.insert(
            u.name, UpstreamLive{pool, std::move(circuit), m_metrics.prepareUpstream(u.name)});
    }
    m_config.store(std::move(next));
    m_configVersion.fetch_add(1, std::memory_order_release);
}

PoolFigures RelayContext::poolFigures() const
{
    PoolFigures figures;
    const auto config = m_config.load();
    for (auto it = config->upstreams.cbegin(); it != config->upstreams.cend(); ++it) {
        SlotPoolSnapshot pool = it.value().slots->snapshot();
        for (auto w = pool.waitingByTenant.cbegin(); w != pool.waitingByTenant.cend(); ++w)
            figures.queuedByTenant[w.key()] += w.value();
        figures.pools.insert(it.key(), std::move(pool));
    }
    return figures;
}

void RelayContext::meter(UsageRecord record)
{
    if (m_writer)
        m_writer->record(std::move(record));
}

} // namespace relay
