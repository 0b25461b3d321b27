#include "RetryPolicy.h"

#include "core/Random.h"

#include <utility>

namespace relay {

bool RetryBudget::tryBeginRetry()
{
    const qint64 allowed =
        std::max<qint64>(kMinRetries, m_active.load(std::memory_order_relaxed) * kPercent / 100);
    qint64 now = m_retrying.load(std::memory_order_relaxed);
    while (now < allowed) {
        if (m_retrying.compare_exchange_weak(now, now + 1, std::memory_order_relaxed))
            return true;
    }
    return false;
}

RetryPolicy::RetryPolicy(RetryBudget &budget, RandomSource &random)
    : m_budget(budget), m_random(random)
{
    m_budget.callStarted();
}

RetryPolicy::~RetryPolicy()
{
    finish();
}

bool RetryPolicy::failsOver(int status)
{
    return status == 408 || status == 429 || status >= 500;
}

std::optional<qint64> RetryPolicy::upstreamRetryAfterMs(const HttpHeaders &headers)
{
    bool ok = false;
    const qint64 ms = headerValue(headers, "retry-after-ms").trimmed().toLongLong(&ok);
    if (ok)
        return std::max<qint64>(0, ms);
    const qint64 seconds = headerValue(headers, "retry-after").trimmed().toLongLong(&ok);
    if (ok)
        return std::max<qint64>(0, seconds) * 1000;
    return std::nullopt;
}

std::optional<qint64> RetryPolicy::scheduleRetry(const HttpHeaders &headers)
{
    retryEnded();
    if (m_retries >= kMaxRetries)
        return std::nullopt;
    std::optional<qint64> delay = upstreamRetryAfterMs(headers);
    if (delay && *delay > kMaxRetryAfterMs)
        return std::nullopt;
    if (!delay) {
        const qint64 base = qint64(250) << m_retries;
        delay = base / 2 + qint64(m_random.bounded(quint32(base)));
    }
    if (!m_budget.tryBeginRetry())
        return std::nullopt;
    m_holdsRetry = true;
    ++m_retries;
    return delay;
}

void RetryPolicy::retryEnded()
{
    if (std::exchange(m_holdsRetry, false))
        m_budget.endRetry();
}

void RetryPolicy::finish()
{
    retryEnded();
    if (std::exchange(m_counted, false))
        m_budget.callEnded();
}

} // namespace relay
