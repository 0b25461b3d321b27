#pragma once

#include "http/HttpMessage.h"

#include <atomic>
#include <optional>

namespace relay {

class RandomSource;

// Retries of the last target stop before they become a storm (like Envoy's retry budget):
// at most 20 % of the requests in flight may be retrying at once, but always at least 3.
class RetryBudget
{
public:
    static constexpr int kMinRetries = 3;
    static constexpr int kPercent = 20;

    void callStarted() { m_active.fetch_add(1, std::memory_order_relaxed); }
    void callEnded() { m_active.fetch_sub(1, std::memory_order_relaxed); }
    // True (and one retry counted) when the budget has room.
    bool tryBeginRetry();
    void endRetry() { m_retrying.fetch_sub(1, std::memory_order_relaxed); }

private:
    std::atomic<qint64> m_active{0};
    std::atomic<qint64> m_retrying{0};
};

// Stage 7's rules (interface.md §4): which upstream answers let the next target of the chain
// try, and whether and when the chain's last target is tried again. One per call: it counts
// the call in the relay-wide retry budget (at most 20 % of the calls in flight retrying at
// once, at least 3) from construction to finish(), and holds one unit of it while a retry is
// pending or running. The jitter's random source is injected.
class RetryPolicy
{
public:
    static constexpr int kMaxRetries = 2;
    // An upstream's Retry-After longer than this is not waited for.
    static constexpr qint64 kMaxRetryAfterMs = 30'000;

    RetryPolicy(RetryBudget &budget, RandomSource &random);
    ~RetryPolicy();
    RetryPolicy(const RetryPolicy &) = delete;
    RetryPolicy &operator=(const RetryPolicy &) = delete;

    // An upstream status after which the next target may answer instead (408, 429, 5xx).
    static bool failsOver(int status);
    // The wait an upstream asked for: its retry-after-ms, else its Retry-After (seconds);
    // nullopt when it sent neither.
    static std::optional<qint64> upstreamRetryAfterMs(const HttpHeaders &headers);

    // The last target failed, answering `headers` (empty for no answer): the backoff before it
    // is tried again — its Retry-After, else 250 ms doubling per retry with jitter — or nullopt
    // when no retry is allowed (retries used up, Retry-After too long, retry budget spent).
    std::optional<qint64> scheduleRetry(const HttpHeaders &headers);
    // The attempt a scheduled retry made has failed too (or the call moved on): its unit of the
    // retry budget is given back.
    void retryEnded();
    // The call is over: everything it holds of the budget is given back. Idempotent.
    void finish();
    int retries() const { return m_retries; }

private:
    RetryBudget &m_budget;
    RandomSource &m_random;
    int m_retries = 0;
    bool m_holdsRetry = false;
    bool m_counted = true;
};

} // namespace relay
