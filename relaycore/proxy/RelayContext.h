#pragma once

#include "Admission.h"
#include "ResponseOrigins.h"
#include "RetryPolicy.h"
#include "billing/PriceIndex.h"
#include "budget/BudgetTracker.h"
#include "limits/RateLimiter.h"
#include "metering/UsageMeter.h"
#include "metrics/FlowMetrics.h"
#include "tenants/DirectorySnapshot.h"
#include "upstream/CircuitBreaker.h"
#include "upstream/UpstreamSlots.h"

#include <QHash>

#include <atomic>
#include <memory>
#include <mutex>

namespace relay {

class Clock;
class RandomSource;
class UsageWriter;
struct UsageRecord;

// A tenant's state that every worker shares, found once per published config: its live
// figures, and the limit and budget states (the objects the limiter and the budget tracker keep
// and change in place when limits change).
struct TenantLive
{
    std::shared_ptr<FlowMetrics> flow;
    std::shared_ptr<TenantLimitState> limits;
    std::shared_ptr<TenantBudgetState> budget;
};

// An upstream's, likewise: its slot pool, its circuit and its live figures.
struct UpstreamLive
{
    std::shared_ptr<UpstreamSlots> slots;
    std::shared_ptr<CircuitBreaker> circuit;
    std::shared_ptr<FlowMetrics> flow;
};

// What the workers read per request: the tenant directory plus the live slot pool of every
// upstream, and what admission and metering look up per request, resolved once here rather
// than under a shared lock per request: the price index, every tenant's limit and budget state
// and every tenant's and upstream's live figures. A request finds its tenant's and each
// target's in one look-up. Immutable once published.
struct RuntimeConfig
{
    DirectorySnapshotPtr directory;
    PriceIndex prices;
    QHash<QString, TenantLive> tenants;     // by tenant id
    QHash<QString, UpstreamLive> upstreams; // by upstream name
    MetricsRegistry *metrics = nullptr;     // for a name this config does not know

    // nullptr for a tenant or an upstream this config does not have.
    const TenantLive *tenant(const QString &id) const;
    const UpstreamLive *upstream(const QString &name) const;

    // The live figures of a tenant or an upstream (nullptr for an empty upstream name). They
    // live as long as the engine.
    FlowMetrics &tenantFlow(const QString &id) const;
    FlowMetrics *upstreamFlow(const QString &name) const;

    std::shared_ptr<UpstreamSlots> slotsFor(const QString &upstream) const
    {
        const UpstreamLive *u = this->upstream(upstream);
        return u ? u->slots : nullptr;
    }
    std::shared_ptr<CircuitBreaker> circuitFor(const QString &upstream) const
    {
        const UpstreamLive *u = this->upstream(upstream);
        return u ? u->circuit : nullptr;
    }
};

// Every upstream pool's figures at one moment, and the queued requests summed per tenant.
struct PoolFigures
{
    QHash<QString, SlotPoolSnapshot> pools; // by upstream
    QHash<QString, qint64> queuedByTenant;
};

// Live figures any thread may bump; the engine reads them for its snapshots.
struct RelayCounters
{
    std::atomic<qint64> requests{0};       // tenant requests answered (any status)
    std::atomic<qint64> inFlight{0};       // tenant requests being served now
    std::atomic<qint64> upstreamErrors{0}; // requests that ended in 502
};

// The state every worker shares: the current config (swapped atomically on reload; readers
// take a reference without locking), the usage writer, counters and the clock.
// Thread-safe; owned by the Engine.
class RelayContext
{
public:
    RelayContext(Clock &clock, UsageWriter *writer);

    Clock &clock() const { return m_clock; }
    std::shared_ptr<const RuntimeConfig> config() const { return m_config.load(); }
    // Raised by every publish(), after the new config is in place: a reader that keeps a copy of
    // config() (a worker's ProxyHandler) takes it again only when this has changed, instead of
    // taking the lock std::atomic<std::shared_ptr> takes on every load, shared by every worker.
    quint64 configVersion() const { return m_configVersion.load(std::memory_order_acquire); }
    // Publishes a new directory, keeping each upstream's slot pool (and its waiters) alive.
    void publish(DirectorySnapshotPtr directory);
    void meter(UsageRecord record);
    // For the stats tick and GET /metrics.
    PoolFigures poolFigures() const;
    RelayCounters &counters() { return m_counters; }
    RateLimiter &limiter() { return m_limiter; }
    CircuitBoard &circuits() { return m_circuits; }
    RetryBudget &retryBudget() { return m_retryBudget; }
    ResponseOrigins &responseOrigins() { return m_responseOrigins; }
    // The randomness retries' jitter draws from (tests set a sequence before the relay starts).
    RandomSource &random() const { return *m_random; }
    void setRandom(RandomSource &random) { m_random = &random; }
    // The stages every worker shares.
    Admission &admission() { return m_admission; }
    UsageMeter &usageMeter() { return m_usageMeter; }
    BudgetTracker &budgets() { return m_budgets; }
    MetricsRegistry &metrics() { return m_metrics; }
    // Why /healthz says "degraded", empty while healthy: the usage writer has not been able to
    // commit for kUnhealthyAfterMs, or the configuration could not be read at the last poll.
    QString healthProblem() const;
    static constexpr qint64 kUnhealthyAfterMs = 10'000;
    // The config watcher's last poll: could it read the configuration?
    void setConfigReadable(bool readable) { m_configReadable.store(readable); }
    // "Pause new requests": while set, new tenant requests are refused (503 relay_paused) and those
    // in flight finish. Read on every request, so an atomic rather than a lock.
    bool paused() const { return m_paused.load(std::memory_order_relaxed); }
    void setPaused(bool paused) { m_paused.store(paused, std::memory_order_relaxed); }
    // Bearer token that GET /metrics requires; empty = loopback clients only.
    QByteArray adminToken;

private:
    Clock &m_clock;
    UsageWriter *m_writer;
    std::atomic<bool> m_configReadable{true};
    std::atomic<bool> m_paused{false};
    std::mutex m_publishMutex;
    QHash<QString, std::shared_ptr<UpstreamSlots>> m_pools; // every pool ever made; publish only
    std::atomic<std::shared_ptr<const RuntimeConfig>> m_config;
    std::atomic<quint64> m_configVersion{0};
    RelayCounters m_counters;
    RateLimiter m_limiter;
    BudgetTracker m_budgets;
    MetricsRegistry m_metrics;
    CircuitBoard m_circuits;
    RetryBudget m_retryBudget;
    ResponseOrigins m_responseOrigins{m_clock, m_writer};
    RandomSource *m_random;
    Admission m_admission;
    UsageMeter m_usageMeter;
};

} // namespace relay
