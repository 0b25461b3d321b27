#include "Admission.h"

#include "RelayContext.h"
#include "billing/Cost.h"
#include "billing/PriceIndex.h"
#include "budget/BudgetTracker.h"
#include "http/ApiError.h"
#include "limits/RateLimiter.h"
#include "tenants/DirectorySnapshot.h"

namespace relay {

namespace {

ApiError limitError(const LimitDecision &decision)
{
    switch (decision.refusal) {
    case LimitRefusal::Requests:
        return ApiError::rateLimited("requests",
                                     "Rate limit reached for requests per minute. Please try "
                                     "again later.",
                                     decision.retryAfterMs);
    case LimitRefusal::Concurrency:
        return ApiError::rateLimited("requests",
                                     "Too many requests in flight at once for this key.", 1000);
    case LimitRefusal::Tokens:
        return ApiError::rateLimited("tokens",
                                     "Rate limit reached for tokens per minute. Please try again "
                                     "later.",
                                     decision.retryAfterMs);
    case LimitRefusal::TokensNever:
        return ApiError::rateLimited("tokens",
                                     "This request needs more tokens than the tenant's whole "
                                     "tokens-per-minute limit.",
                                     0, true);
    case LimitRefusal::None:
        break;
    }
    return ApiError::internal("no refusal");
}

ApiError budgetError(BudgetRefusal refusal)
{
    if (refusal == BudgetRefusal::Exhausted)
        return ApiError::insufficientQuota();
    // It fits once the requests in flight have settled.
    return ApiError::rateLimited("tokens",
                                 "This tenant's budget is held by requests in flight. Please try "
                                 "again shortly.",
                                 1000);
}

} // namespace

std::variant<Reservation, ApiError> Admission::admit(const TenantConfig &tenant,
                                                     const PriceIndex &prices,
                                                     const ModelResolution &resolution,
                                                     const UsageEstimate &estimate,
                                                     const TenantLive *live)
{
    // The tenant's states are the config's (no look-up), else found by its id.
    LimitDecision limits =
        m_limiter.admit(live ? live->limits : m_limiter.state(tenant.id), estimate.tokens());
    if (!limits.admitted()) {
        ApiError refusal = limitError(limits);
        refusal.extraHeaders.append(limits.headers);
        return refusal;
    }
    // Budget: the same estimate at the first target's price, held while the request runs.
    const PriceConfig *firstTargetPrice =
        resolution.chain.empty() ? nullptr : prices.first({resolution.chain.front().model});
    const PriceConfig *price =
        firstTargetPrice ? firstTargetPrice : prices.first({resolution.requested});
    const double cost =
        price ? usageCost(estimate.promptTokens, estimate.completionAllowance, *price) : 0;
    std::shared_ptr<TenantBudgetState> budgetHeld;
    if (const BudgetRefusal budget =
            m_budgets.admit(live ? live->budget : m_budgets.state(tenant.id), cost, &budgetHeld);
        budget != BudgetRefusal::None) {
        ApiError refusal = budgetError(budget);
        refusal.extraHeaders.append(m_limiter.release(*limits.held, estimate.tokens()));
        return refusal;
    }
    return Reservation{estimate.tokens(),         cost,
                       std::move(limits.headers), std::move(limits.held),
                       std::move(budgetHeld),     firstTargetPrice};
}

} // namespace relay
