#pragma once

#include "core/Headers.h"
#include "core/TenantRegistry.h"

#include <QHash>
#include <QString>

#include <memory>
#include <mutex>
#include <optional>

namespace relay {

class Clock;

// One tenant's buckets and in-flight count (RateLimiter.cpp). An admitted request holds its
// tenant's, so that its end settles where it was admitted without finding the tenant again.
struct TenantLimitState;

// A tenant's request limits (interface.md §4 "Limits"); nullopt = no limit.
struct TenantLimits
{
    std::optional<qint64> rpm;
    std::optional<qint64> tpm;
    std::optional<qint64> concurrency;

    bool operator==(const TenantLimits &) const = default;
};

// Why a request was refused before it could reach an upstream.
enum class LimitRefusal {
    None,
    Requests,    // rpm bucket empty: 429 type "requests"
    Concurrency, // too many in flight: 429 type "requests", Retry-After 1 s
    Tokens,      // tpm bucket cannot hold the estimate yet: 429 type "tokens"
    TokensNever, // the estimate exceeds the whole tpm: 429 type "tokens", x-should-retry: false
};

struct LimitDecision
{
    LimitRefusal refusal = LimitRefusal::None;
    // How long until the request would fit (exact for rpm and tpm; 1000 for concurrency;
    // 0 for TokensNever, which no wait can fix).
    qint64 retryAfterMs = 0;
    // The OpenAI x-ratelimit-* headers for the response (also on refusals): the *-requests
    // ones when the tenant has an rpm limit, the *-tokens ones when it has a tpm limit;
    // "remaining" counts this request; resets in OpenAI's duration form ("1s", "6m0s", "120ms").
    HttpHeaders headers;
    // Admitted: the tenant's state, which finish() or release() takes back.
    std::shared_ptr<TenantLimitState> held;

    bool admitted() const { return refusal == LimitRefusal::None; }
};

// Per-tenant rate limits for the whole relay: an rpm token bucket (capacity N, refilled at
// N/60 per second), a tpm token bucket (reserve the estimate before the call, settle to the real
// usage after) and a concurrency cap. Time comes from the injected clock. A changed limit keeps
// the bucket's current level (capped at the new size). Thread-safe: any worker may call it.
class RateLimiter
{
public:
    explicit RateLimiter(Clock &clock);
    ~RateLimiter();

    // Applies a tenant's limits (on every directory publish); keeps bucket levels.
    void configure(const QString &tenantId, const TenantLimits &limits);
    // Forgets tenants that are no longer in the directory.
    void retain(const QList<QString> &tenantIds);

    // Admits a request that needs `estimatedTokens` of tpm, or says why not. When admitted the
    // request holds one rpm token, its estimate of tpm and one concurrency place until
    // finish() — a refused request takes nothing.
    LimitDecision admit(const QString &tenantId, qint64 estimatedTokens);
    // The same for a tenant's state found beforehand (state()): no look-up, no registry lock.
    LimitDecision admit(std::shared_ptr<TenantLimitState> state, qint64 estimatedTokens);
    // The tenant's state, made when missing: the object configure() changes in place, until
    // retain() forgets the tenant.
    std::shared_ptr<TenantLimitState> state(const QString &tenantId);
    // The admitted request ended: gives back the concurrency place and settles tpm from the
    // estimate to the tokens it really used (refund or extra charge; the bucket may go below
    // zero, which delays later requests).
    void finish(TenantLimitState &held, qint64 estimatedTokens, qint64 actualTokens);
    // The same, for the tenant's current state (none: nothing to give back).
    void finish(const QString &tenantId, qint64 estimatedTokens, qint64 actualTokens);
    // Undoes an admit() whose request was refused later (for budget): gives back its rpm
    // token, its tpm estimate and its concurrency place. Returns the x-ratelimit-* headers as
    // they stand after the refund.
    HttpHeaders release(TenantLimitState &held, qint64 estimatedTokens);
    HttpHeaders release(const QString &tenantId, qint64 estimatedTokens);

    // "1s", "6m0s", "120ms", "1h2m3s": OpenAI's reset duration form.
    static QByteArray formatDuration(qint64 ms);

private:
    Clock &m_clock;
    TenantRegistry<TenantLimitState> m_tenants;
};

} // namespace relay
