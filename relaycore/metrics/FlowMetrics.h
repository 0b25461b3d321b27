#pragma once

#include "LatencyHistogram.h"

#include <QHash>
#include <QList>
#include <QString>

#include <memory>
#include <mutex>

namespace relay {

// The live figures of one tenant or one upstream: counters and histograms that any worker
// bumps without locking.
struct FlowMetrics
{
    std::atomic<qint64> requests{0};    // answered requests, refusals included
    std::atomic<qint64> errors{0};      // answered with a status >= 400
    std::atomic<qint64> rateLimited{0}; // 429s from the relay's own limits
    std::atomic<qint64> overloaded{0};  // 503s: waited too long for a slot
    std::atomic<qint64> inFlight{0};
    LatencyHistogram latency;   // from the request to its last byte
    LatencyHistogram queueWait; // waiting for an upstream slot
    // Listed by MetricsRegistry once a request has reached it (made ahead for a published
    // config, it stays out of the figures until then).
    std::atomic<bool> used{false};

    // Marks the figures used (a plain load once they are) and returns them.
    FlowMetrics &use()
    {
        if (!used.load(std::memory_order_relaxed))
            used.store(true, std::memory_order_relaxed);
        return *this;
    }
};

// One row of the live figures (per tenant or per upstream), over the last tick.
struct FlowSnapshot
{
    QString name;
    double requestsPerSec = 0;
    qint64 requests = 0; // since start
    qint64 errors = 0;
    qint64 rateLimited = 0;
    qint64 overloaded = 0;
    qint64 inFlight = 0;
    qint64 queued = 0;
    int poolSize = 0; // upstreams only
    double queueWaitP50Ms = 0;
    double queueWaitP95Ms = 0;
    double latencyP50Ms = 0;
    double latencyP95Ms = 0;
    double latencyP99Ms = 0;
};

// Every tenant's and upstream's FlowMetrics, created on first use and kept for the life of
// the engine. Thread-safe; lookups take a short lock, so the request path reaches them through
// the published config instead (RuntimeConfig), which prepares them.
class MetricsRegistry
{
public:
    // The figures, marked used.
    std::shared_ptr<FlowMetrics> tenant(const QString &id);
    std::shared_ptr<FlowMetrics> upstream(const QString &name);
    // The figures, made if missing but not marked used: listed once a request uses them.
    std::shared_ptr<FlowMetrics> prepareTenant(const QString &id);
    std::shared_ptr<FlowMetrics> prepareUpstream(const QString &name);
    // The used figures, sorted by name.
    QList<QPair<QString, std::shared_ptr<FlowMetrics>>> tenants() const;
    QList<QPair<QString, std::shared_ptr<FlowMetrics>>> upstreams() const;

private:
    mutable std::mutex m_mutex;
    QHash<QString, std::shared_ptr<FlowMetrics>> m_tenants;
    QHash<QString, std::shared_ptr<FlowMetrics>> m_upstreams;
};

} // namespace relay
