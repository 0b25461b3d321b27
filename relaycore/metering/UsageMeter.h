#pragma once

#include "store/UsageRecord.h"

#include <QString>

#include <functional>
#include <optional>

namespace relay {

class BudgetTracker;
class DirectorySnapshot;
class MetricsRegistry;
class RateLimiter;
struct PriceConfig;
struct Reservation;

// Stage 8 (design.md, "One request, start to end"): every answered request becomes one usage
// row, exactly once. A served request's tokens are priced, its tokens/min reservation settles
// from the estimate to what it used, its budget hold is released and its cost added, and its
// tenant's and upstream's live figures count it; a refused one is counted as rejected and holds
// nothing to settle. Rows go to `sink` (the usage writer). Thread-safe.
class UsageMeter
{
public:
    using Sink = std::function<void(UsageRecord)>;
    UsageMeter(RateLimiter &limiter, BudgetTracker &budgets, MetricsRegistry &metrics, Sink sink)
        : m_limiter(limiter), m_budgets(budgets), m_metrics(metrics), m_sink(std::move(sink))
    {
    }

    // The price a request is billed at: of the first of `models` (the name sent upstream, the
    // one that answered, the one requested) that has one; nullopt when none has.
    static std::optional<PriceConfig> priceFor(const DirectorySnapshot &directory,
                                               std::initializer_list<QString> models);
    // The cost `record`'s tokens come to at `price` (sets priced and costUsd).
    static void price(UsageRecord &record, const std::optional<PriceConfig> &price);

    // A known tenant's request refused by the relay (400, 404, 413, 429): rejected, no tokens.
    void rejected(UsageRecord record);
    // An admitted request ended (answered or not): `flowUpstream` is the upstream whose figures
    // it counts for (empty: none). `record` is priced by the caller.
    void served(UsageRecord record, const Reservation &reservation, const QString &flowUpstream);

private:
    RateLimiter &m_limiter;
    BudgetTracker &m_budgets;
    MetricsRegistry &m_metrics;
    Sink m_sink;
};

} // namespace relay
