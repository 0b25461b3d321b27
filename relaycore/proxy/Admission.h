#pragma once

#include "http/ApiError.h"
#include "metering/Reservation.h"

#include <QString>

#include <variant>

namespace relay {

class BudgetTracker;
class PriceIndex;
class RateLimiter;
struct ApiError;
struct ModelResolution;
struct TenantConfig;
struct TenantLive;

// What a request is expected to use, before it is sent: reserved from the tenant's tokens/min
// and, priced at the chain's first target, held from its budget (interface.md §4).
struct UsageEstimate
{
    qint64 promptTokens = 0;
    qint64 completionAllowance = 0; // the max_tokens the first target is sent (0: none)

    qint64 tokens() const { return promptTokens + completionAllowance; }
};

// What an admitted request holds until it is metered: its tpm reservation, its budget hold and
// the x-ratelimit-* headers every answer to it carries. (The rpm token and the concurrency place
// go with it; UsageMeter gives back what is owed.)

// Stage 4 (design.md, "One request, start to end"): the tenant's rate limits (requests/min,
// tokens/min, concurrency) and then its budget. A refusal takes nothing (a budget refusal gives
// back the limits it had taken) and comes as the error the tenant is answered with: 429 with
// Retry-After, or insufficient_quota. Thread-safe through the limiter and the budget tracker.
class Admission
{
public:
    Admission(RateLimiter &limiter, BudgetTracker &budgets) : m_limiter(limiter), m_budgets(budgets)
    {
    }

    // `live`: the tenant's states in the config that authenticated it, found once per request
    // (nullptr: looked up by the tenant's id).
    std::variant<Reservation, ApiError> admit(const TenantConfig &tenant, const PriceIndex &prices,
                                              const ModelResolution &resolution,
                                              const UsageEstimate &estimate,
                                              const TenantLive *live = nullptr);

private:
    RateLimiter &m_limiter;
    BudgetTracker &m_budgets;
};

} // namespace relay
