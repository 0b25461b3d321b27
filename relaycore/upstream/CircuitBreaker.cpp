#include "CircuitBreaker.h"

#include "core/Clock.h"

#include <algorithm>

namespace relay {

CircuitBreaker::CircuitBreaker(QString upstream, Clock &clock, Listener listener)
    : m_upstream(std::move(upstream)), m_clock(clock), m_listener(std::move(listener))
{
}

void CircuitBreaker::notify(const CircuitTransition &t)
{
    if (!t.upstream.isEmpty() && m_listener)
        m_listener(t);
}

CircuitBreaker::Bucket &CircuitBreaker::bucketLocked(qint64 nowMs)
{
    const qint64 second = nowMs / 1000;
    Bucket &b = m_window[size_t(second % kWindowSeconds)];
    if (b.second != second)
        b = Bucket{second, 0, 0, {}};
    return b;
}

void CircuitBreaker::clearWindowLocked()
{
    m_window.fill(Bucket{});
    m_consecutive = 0;
}

QString CircuitBreaker::windowVerdictLocked(qint64 nowMs) const
{
    // Runs on every result: counts first, the latency histograms only when slow-ms asks.
    const qint64 second = nowMs / 1000;
    const auto inWindow = [second](const Bucket &b) {
        return b.second >= 0 && b.second > second - kWindowSeconds;
    };
    int requests = 0;
    int failures = 0;
    for (const Bucket &b : m_window) {
        if (inWindow(b)) {
            requests += b.requests;
            failures += b.failures;
        }
    }
    if (requests < kWindowMinRequests)
        return {};
    if (failures * 2 > requests)
        return QStringLiteral("error rate %1 % (%2 of %3 requests in %4 s)")
            .arg(failures * 100 / requests)
            .arg(failures)
            .arg(requests)
            .arg(kWindowSeconds);
    if (!m_slowMs)
        return {};
    LatencyHistogram::Counts firstByte;
    for (const Bucket &b : m_window)
        if (inWindow(b))
            firstByte += b.firstByte;
    if (firstByte.count >= quint64(kWindowMinRequests)) {
        const double p95 = firstByte.percentileMs(0.95);
        if (p95 > *m_slowMs)
            return QStringLiteral("p95 first byte %1 ms over slow-ms %2 (%3 requests in %4 s)")
                .arg(qRound64(p95))
                .arg(*m_slowMs)
                .arg(firstByte.count)
                .arg(kWindowSeconds);
    }
    return {};
}

void CircuitBreaker::moveLocked(CircuitState to, const QString &reason, CircuitTransition *out)
{
    out->upstream = m_upstream;
    out->from = m_state;
    out->to = to;
    out->reason = reason;
    out->wallMs = m_clock.wallMs();
    m_state = to;
    m_reason = reason;
    m_changedWallMs = out->wallMs;
    if (to == CircuitState::Open)
        out->openUntilWallMs = out->wallMs + (m_openUntilMs - m_clock.monotonicMs());
}

void CircuitBreaker::openLocked(const QString &reason, qint64 nowMs, CircuitTransition *out)
{
    // Each trip without a successful probe in between doubles the cooldown.
    m_cooldownMs = std::min(kMaxCooldownMs, kBaseCooldownMs << std::min(m_trips, 10));
    ++m_trips;
    m_openUntilMs = nowMs + m_cooldownMs;
    m_probeOut = false;
    m_lastCheckMs = nowMs;
    clearWindowLocked();
    moveLocked(CircuitState::Open, reason, out);
}

void CircuitBreaker::refreshLocked(qint64 nowMs, CircuitTransition *out)
{
    if (m_state == CircuitState::Open && nowMs >= m_openUntilMs)
        moveLocked(CircuitState::HalfOpen,
                   QStringLiteral("cooldown of %1 s over; the next request is the probe")
                       .arg(m_cooldownMs / 1000),
                   out);
}

CircuitBreaker::Admit CircuitBreaker::admit()
{
    CircuitTransition t;
    Admit result = Admit::Yes;
    {
        std::lock_guard lock(m_mutex);
        refreshLocked(m_clock.monotonicMs(), &t);
        switch (m_state) {
        case CircuitState::Closed:
            result = Admit::Yes;
            break;
        case CircuitState::Open:
            result = Admit::No;
            break;
        case CircuitState::HalfOpen:
            result = m_probeOut ? Admit::No : Admit::Probe;
            m_probeOut = true;
            break;
        }
    }
    notify(t);
    return result;
}

void CircuitBreaker::releaseProbe()
{
    std::lock_guard lock(m_mutex);
    m_probeOut = false;
}

void CircuitBreaker::recordSuccess(qint64 firstByteMs, bool probe)
{
    CircuitTransition t;
    {
        std::lock_guard lock(m_mutex);
        const qint64 now = m_clock.monotonicMs();
        if (m_state == CircuitState::HalfOpen && probe) {
            m_trips = 0;
            m_cooldownMs = kBaseCooldownMs;
            m_probeOut = false;
            clearWindowLocked();
            moveLocked(CircuitState::Closed, QStringLiteral("probe request succeeded"), &t);
        } else if (m_state == CircuitState::Closed) {
            m_consecutive = 0;
            Bucket &b = bucketLocked(now);
            ++b.requests;
            b.firstByte.add(firstByteMs);
            if (const QString reason = windowVerdictLocked(now); !reason.isEmpty())
                openLocked(reason, now, &t);
        }
    }
    notify(t);
}

void CircuitBreaker::recordFailure(const QString &reason, bool probe)
{
    CircuitTransition t;
    {
        std::lock_guard lock(m_mutex);
        const qint64 now = m_clock.monotonicMs();
        if (m_state == CircuitState::HalfOpen && probe) {
            openLocked(QStringLiteral("probe request failed: %1").arg(reason), now, &t);
        } else if (m_state == CircuitState::Closed) {
            ++m_consecutive;
            Bucket &b = bucketLocked(now);
            ++b.requests;
            ++b.failures;
            if (m_consecutive >= kConsecutiveFailures)
                openLocked(QStringLiteral("%1 consecutive failures, the last: %2")
                               .arg(m_consecutive)
                               .arg(reason),
                           now, &t);
            else if (const QString verdict = windowVerdictLocked(now); !verdict.isEmpty())
                openLocked(verdict + QStringLiteral(", the last: ") + reason, now, &t);
        }
        // Open: a late answer of a request admitted before the circuit opened changes nothing.
    }
    notify(t);
}

void CircuitBreaker::setSlowMs(std::optional<int> slowMs)
{
    std::lock_guard lock(m_mutex);
    m_slowMs = slowMs;
}

void CircuitBreaker::noteFailover(const QString &reason)
{
    std::lock_guard lock(m_mutex);
    m_lastFailover = reason;
    m_lastFailoverWallMs = m_clock.wallMs();
}

bool CircuitBreaker::beginIdleCheck()
{
    std::lock_guard lock(m_mutex);
    const qint64 now = m_clock.monotonicMs();
    if (m_state != CircuitState::Open || m_checkRunning || now >= m_openUntilMs ||
        now - m_lastCheckMs < kIdleCheckIntervalMs)
        return false;
    m_checkRunning = true;
    m_lastCheckMs = now;
    return true;
}

void CircuitBreaker::endIdleCheck(bool ok, const QString &reason)
{
    CircuitTransition t;
    {
        std::lock_guard lock(m_mutex);
        m_checkRunning = false;
        if (ok || m_state != CircuitState::Open)
            return;
        const qint64 now = m_clock.monotonicMs();
        m_openUntilMs = std::max(m_openUntilMs, now + m_cooldownMs);
        // Recorded like a change: the cooldown moved and why.
        moveLocked(CircuitState::Open,
                   QStringLiteral("idle check failed (%1); cooldown extended").arg(reason), &t);
    }
    notify(t);
}

CircuitState CircuitBreaker::state() const
{
    std::lock_guard lock(m_mutex);
    return m_state;
}

CircuitSnapshot CircuitBreaker::snapshot() const
{
    std::lock_guard lock(m_mutex);
    CircuitSnapshot s;
    s.upstream = m_upstream;
    s.state = m_state;
    s.reason = m_reason;
    s.changedWallMs = m_changedWallMs;
    if (m_state == CircuitState::Open)
        s.openUntilWallMs = m_clock.wallMs() + (m_openUntilMs - m_clock.monotonicMs());
    s.trips = m_trips;
    s.lastFailover = m_lastFailover;
    s.lastFailoverWallMs = m_lastFailoverWallMs;
    return s;
}

CircuitBoard::CircuitBoard(Clock &clock) : m_clock(clock) {}

std::shared_ptr<CircuitBreaker> CircuitBoard::breaker(const QString &upstream)
{
    std::lock_guard lock(m_mutex);
    auto it = m_breakers.find(upstream);
    if (it != m_breakers.end())
        return it.value();
    auto b =
        std::make_shared<CircuitBreaker>(upstream, m_clock, [this](const CircuitTransition &t) {
            std::lock_guard inner(m_mutex);
            m_pending.append(t);
            if (m_pending.size() > 1000) // nobody is writing them down: keep the newest
                m_pending.remove(0, m_pending.size() - 1000);
        });
    m_breakers.insert(upstream, b);
    return b;
}

QList<CircuitSnapshot> CircuitBoard::snapshots() const
{
    QList<CircuitSnapshot> out;
    for (const auto &[name, b] : all())
        out.append(b->snapshot());
    return out;
}

QList<CircuitTransition> CircuitBoard::takeTransitions()
{
    std::lock_guard lock(m_mutex);
    return std::exchange(m_pending, {});
}

QList<std::pair<QString, std::shared_ptr<CircuitBreaker>>> CircuitBoard::all() const
{
    std::lock_guard lock(m_mutex);
    QList<std::pair<QString, std::shared_ptr<CircuitBreaker>>> out;
    for (auto it = m_breakers.begin(); it != m_breakers.end(); ++it)
        out.append({it.key(), it.value()});
    return out;
}

} // namespace relay
