#pragma once

#include "store/UsageRecord.h"

#include <QString>

#include <functional>

namespace relay {

class BudgetTracker;
class RateLimiter;
struct FlowMetrics;
struct PriceConfig;
struct Reservation;

// Stage 8 (design.md, "One request, start to end"): every answered request becomes one usage
// row, exactly once. A served request's tokens are priced, its tokens/min reservation settles
// from the estimate to what it used, its budget hold is released and its cost added, and its
// tenant's and upstream's live figures count it; a refused one is counted as rejected and holds
// nothing to settle. Rows go to `sink` (the usage writer). The live figures to count in come
// from the caller, resolved with the published config (no lookup by name here). Thread-safe.
class UsageMeter
{
public:
    using Sink = std::function<void(UsageRecord)>;
    UsageMeter(RateLimiter &limiter, BudgetTracker &budgets, Sink sink)
        : m_limiter(limiter), m_budgets(budgets), m_sink(std::move(sink))
    {
    }

    // The cost `record`'s tokens come to at `price` (sets priced and costUsd; nullptr: no
    // price). The price is the first of the names sent upstream, answered, requested that has
    // one (PriceIndex::first).
    static void price(UsageRecord &record, const PriceConfig *price);

    // A known tenant's request refused by the relay (400, 404, 413, 429): rejected, no tokens;
    // counted in `tenantFlow`.
    void rejected(UsageRecord record, FlowMetrics &tenantFlow);
    // An admitted request ended (answered or not): counted in its tenant's figures and in those
    // of `upstreamFlow` (nullptr: no upstream). `record` is priced by the caller.
    void served(UsageRecord record, const Reservation &reservation, FlowMetrics &tenantFlow,
                FlowMetrics *upstreamFlow);

private:
    RateLimiter &m_limiter;
    BudgetTracker &m_budgets;
    Sink m_sink;
};

} // namespace relay
