#include "RateLimiter.h"

#include "core/Clock.h"
#include "limits/TokenBucket.h"

#include <algorithm>

namespace relay {

namespace {

constexpr qint64 kConcurrencyRetryMs = 1000;

// Keeps a bucket in step with its limit: dropped when the limit goes, started full when it
// comes, resized (keeping its level) when it changes.
void applyLimit(std::optional<TokenBucket> &bucket, const std::optional<qint64> &limit,
                qint64 nowMs)
{
    if (!limit)
        bucket.reset();
    else if (bucket)
        bucket->setCapacity(*limit, nowMs);
    else
        bucket.emplace(*limit, nowMs);
}

void addBucketHeaders(HttpHeaders &headers, QByteArrayView kind, TokenBucket &bucket, qint64 nowMs)
{
    headers.append(
        {"x-ratelimit-limit-" + kind.toByteArray(), QByteArray::number(bucket.capacity())});
    headers.append({"x-ratelimit-remaining-" + kind.toByteArray(),
                    QByteArray::number(std::max<qint64>(0, bucket.level(nowMs)))});
    headers.append({"x-ratelimit-reset-" + kind.toByteArray(),
                    RateLimiter::formatDuration(bucket.msUntilFull(nowMs))});
}

// The x-ratelimit-* headers of whichever limits the tenant has.
HttpHeaders bucketHeaders(std::optional<TokenBucket> &requests, std::optional<TokenBucket> &tokens,
                          qint64 nowMs)
{
    HttpHeaders headers;
    if (requests)
        addBucketHeaders(headers, "requests", *requests, nowMs);
    if (tokens)
        addBucketHeaders(headers, "tokens", *tokens, nowMs);
    return headers;
}

} // namespace

// One tenant's buckets and in-flight count, guarded by its own mutex so that tenants never
// wait for each other. In-flight requests are counted even without a concurrency limit, so a
// limit added at run time sees the requests already running.
struct TenantLimitState
{
    std::mutex mutex;
    std::optional<TokenBucket> requests; // rpm
    std::optional<TokenBucket> tokens;   // tpm
    std::optional<qint64> concurrency;
    qint64 inFlight = 0;
};

RateLimiter::RateLimiter(Clock &clock) : m_clock(clock) {}

RateLimiter::~RateLimiter() = default;

void RateLimiter::configure(const QString &tenantId, const TenantLimits &limits)
{
    const qint64 now = m_clock.monotonicMs();
    std::shared_ptr<TenantLimitState> s = m_tenants.find(tenantId, true);
    std::lock_guard lock(s->mutex);
    applyLimit(s->requests, limits.rpm, now);
    applyLimit(s->tokens, limits.tpm, now);
    // A hand-edited zero or negative cap would refuse everything forever; 1 is the least.
    s->concurrency = limits.concurrency
                         ? std::optional<qint64>(std::max<qint64>(1, *limits.concurrency))
                         : std::nullopt;
}

void RateLimiter::retain(const QList<QString> &tenantIds)
{
    m_tenants.retain(tenantIds);
}

LimitDecision RateLimiter::admit(const QString &tenantId, qint64 estimatedTokens)
{
    // A tenant never configured has no limits, but its requests are still counted.
    return admit(state(tenantId), estimatedTokens);
}

std::shared_ptr<TenantLimitState> RateLimiter::state(const QString &tenantId)
{
    return m_tenants.find(tenantId, true);
}

LimitDecision RateLimiter::admit(std::shared_ptr<TenantLimitState> s, qint64 estimatedTokens)
{
    const qint64 now = m_clock.monotonicMs();
    const qint64 estimate = std::max<qint64>(0, estimatedTokens);
    LimitDecision d;
    std::lock_guard lock(s->mutex);
    if (s->concurrency && s->inFlight >= *s->concurrency) {
        d.refusal = LimitRefusal::Concurrency;
        d.retryAfterMs = kConcurrencyRetryMs;
    } else if (s->requests && s->requests->level(now) < 1) {
        d.refusal = LimitRefusal::Requests;
        d.retryAfterMs = s->requests->msUntilAvailable(1, now);
    } else if (const qint64 wait = s->tokens ? s->tokens->msUntilAvailable(estimate, now) : 0;
               wait != 0) {
        // Negative: more than the whole tpm, which no wait can fix.
        d.refusal = wait < 0 ? LimitRefusal::TokensNever : LimitRefusal::Tokens;
        d.retryAfterMs = std::max<qint64>(0, wait);
    } else {
        // Every check passed under the same lock, so these takes cannot fail.
        if (s->requests)
            s->requests->tryTake(1, now);
        if (s->tokens)
            s->tokens->tryTake(estimate, now);
        ++s->inFlight;
    }
    d.headers = bucketHeaders(s->requests, s->tokens, now);
    if (d.admitted())
        d.held = std::move(s);
    return d;
}

void RateLimiter::finish(TenantLimitState &held, qint64 estimatedTokens, qint64 actualTokens)
{
    const qint64 now = m_clock.monotonicMs();
    std::lock_guard lock(held.mutex);
    held.inFlight = std::max<qint64>(0, held.inFlight - 1);
    if (held.tokens)
        held.tokens->adjust(
            std::max<qint64>(0, estimatedTokens) - std::max<qint64>(0, actualTokens), now);
}

void RateLimiter::finish(const QString &tenantId, qint64 estimatedTokens, qint64 actualTokens)
{
    // Gone when the tenant left the directory while the request ran: nothing to give back.
    if (const std::shared_ptr<TenantLimitState> s = m_tenants.find(tenantId, false))
        finish(*s, estimatedTokens, actualTokens);
}

HttpHeaders RateLimiter::release(TenantLimitState &held, qint64 estimatedTokens)
{
    const qint64 now = m_clock.monotonicMs();
    std::lock_guard lock(held.mutex);
    held.inFlight = std::max<qint64>(0, held.inFlight - 1);
    if (held.requests)
        held.requests->adjust(1, now);
    if (held.tokens)
        held.tokens->adjust(std::max<qint64>(0, estimatedTokens), now);
    return bucketHeaders(held.requests, held.tokens, now);
}

HttpHeaders RateLimiter::release(const QString &tenantId, qint64 estimatedTokens)
{
    const std::shared_ptr<TenantLimitState> s = m_tenants.find(tenantId, false);
    return s ? release(*s, estimatedTokens) : HttpHeaders();
}

QByteArray RateLimiter::formatDuration(qint64 ms)
{
    // Go's time.Duration form, which OpenAI's headers use, at millisecond resolution.
    if (ms <= 0)
        return QByteArrayLiteral("0s");
    if (ms < 1000)
        return QByteArray::number(ms) + "ms";
    const qint64 hours = ms / 3'600'000;
    const qint64 minutes = ms / 60'000 % 60;
    const qint64 millis = ms % 60'000;
    QByteArray seconds = QByteArray::number(millis / 1000);
    if (const qint64 fraction = millis % 1000) {
        QByteArray digits = QByteArray::number(fraction).rightJustified(3, '0');
        while (digits.endsWith('0'))
            digits.chop(1);
        seconds += '.' + digits;
    }
    QByteArray out;
    if (hours > 0)
        out += QByteArray::number(hours) + 'h';
    if (ms >= 60'000)
        out += QByteArray::number(minutes) + 'm';
    return out + seconds + 's';
}

} // namespace relay
