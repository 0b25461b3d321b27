#pragma once

#include "metrics/CircuitState.h"
#include "metrics/LatencyHistogram.h"

#include <QHash>
#include <QList>
#include <QString>

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

namespace relay {

class Clock;

// The circuit breaker of one upstream (interface.md §4 "Failover"): it opens after 5 consecutive
// failures, or an error rate over 50 % (at least 20 requests in a rolling 30 s), or a p95
// first-byte latency over slow-ms in the same window; it stays open 30 s, doubling on each
// repeated trip up to 5 min; then half-open, the next request is the probe. Thread-safe; time
// from the injected clock.
class CircuitBreaker
{
public:
    static constexpr int kConsecutiveFailures = 5;
    static constexpr int kWindowSeconds = 30;
    static constexpr int kWindowMinRequests = 20;
    static constexpr qint64 kBaseCooldownMs = 30'000;
    static constexpr qint64 kMaxCooldownMs = 300'000;
    static constexpr qint64 kIdleCheckIntervalMs = 10'000;

    enum class Admit { Yes, Probe, No };

    using Listener = std::function<void(const CircuitTransition &)>;
    CircuitBreaker(QString upstream, Clock &clock, Listener listener);

    // A request wants to use this upstream now. Probe: it is the half-open probe and must end
    // with recordSuccess/recordFailure(probe = true) or releaseProbe().
    Admit admit();
    // The probe ended without a verdict (its client left, the relay stopped).
    void releaseProbe();
    void recordSuccess(qint64 firstByteMs, bool probe);
    void recordFailure(const QString &reason, bool probe);
    // The upstream's --slow-ms (nullopt = latency does not open the circuit).
    void setSlowMs(std::optional<int> slowMs);
    // Only remembers the reason, for the console.
    void noteFailover(const QString &reason);

    // Idle checks while open: true (and the check counts as running) when one is due.
    bool beginIdleCheck();
    // A failed check extends the cooldown from now.
    void endIdleCheck(bool ok, const QString &reason);

    CircuitState state() const;
    CircuitSnapshot snapshot() const;

private:
    struct Bucket
    {
        qint64 second = -1;
        int requests = 0;
        int failures = 0;
        LatencyHistogram::Counts firstByte;
    };

    Bucket &bucketLocked(qint64 nowMs);
    void clearWindowLocked();
    // Checks the window's rules; returns the reason to open, or empty.
    QString windowVerdictLocked(qint64 nowMs) const;
    void openLocked(const QString &reason, qint64 nowMs, CircuitTransition *out);
    void moveLocked(CircuitState to, const QString &reason, CircuitTransition *out);
    void refreshLocked(qint64 nowMs, CircuitTransition *out);
    void notify(const CircuitTransition &t);

    const QString m_upstream;
    Clock &m_clock;
    Listener m_listener;
    mutable std::mutex m_mutex;
    CircuitState m_state = CircuitState::Closed;
    QString m_reason;
    qint64 m_changedWallMs = 0;
    qint64 m_openUntilMs = 0; // monotonic
    qint64 m_cooldownMs = kBaseCooldownMs;
    int m_trips = 0;
    int m_consecutive = 0;
    bool m_probeOut = false;
    bool m_checkRunning = false;
    qint64 m_lastCheckMs = 0;
    std::optional<int> m_slowMs;
    std::array<Bucket, kWindowSeconds> m_window{};
    QString m_lastFailover;
    qint64 m_lastFailoverWallMs = 0;
};

// Every upstream's breaker, made on first use and kept for the relay's life (an upstream removed
// and added back keeps its state). The transitions it collects are written to the database by
// the config watcher's thread (upstream_state and audit). Thread-safe.
class CircuitBoard
{
public:
    explicit CircuitBoard(Clock &clock);

    std::shared_ptr<CircuitBreaker> breaker(const QString &upstream);
    QList<CircuitSnapshot> snapshots() const;
    // Transitions since the last call, oldest first.
    QList<CircuitTransition> takeTransitions();
    // Every breaker (for the idle checker).
    QList<std::pair<QString, std::shared_ptr<CircuitBreaker>>> all() const;

private:
    Clock &m_clock;
    mutable std::mutex m_mutex;
    QHash<QString, std::shared_ptr<CircuitBreaker>> m_breakers;
    QList<CircuitTransition> m_pending;
};

} // namespace relay
