#include "UsageMeter.h"

#include "Reservation.h"
#include "billing/Cost.h"
#include "budget/BudgetTracker.h"
#include "limits/RateLimiter.h"
#include "metrics/FlowMetrics.h"

namespace relay {

void UsageMeter::price(UsageRecord &record, const PriceConfig *price)
{
    record.priced = price != nullptr;
    record.costUsd = price ? usageCost(record.promptTokens, record.completionTokens, *price,
                                       record.cacheReadTokens, record.cacheWriteTokens)
                           : 0;
}

void UsageMeter::rejected(UsageRecord record, FlowMetrics &tenantFlow)
{
    record.rejected = true;
    tenantFlow.requests.fetch_add(1, std::memory_order_relaxed);
    tenantFlow.errors.fetch_add(1, std::memory_order_relaxed);
    if (record.status == 429)
        tenantFlow.rateLimited.fetch_add(1, std::memory_order_relaxed);
    m_sink(std::move(record));
}

void UsageMeter::served(UsageRecord record, const Reservation &reservation, FlowMetrics &tenantFlow,
                        FlowMetrics *upstreamFlow)
{
    for (FlowMetrics *flow : {&tenantFlow, upstreamFlow}) {
        if (!flow)
            continue;
        flow->requests.fetch_add(1, std::memory_order_relaxed);
        if (record.status >= 400)
            flow->errors.fetch_add(1, std::memory_order_relaxed);
        if (record.status == 503 && record.error == "server_overloaded")
            flow->overloaded.fetch_add(1, std::memory_order_relaxed);
        flow->latency.record(record.latencyMs);
    }
    // Tokens/min settle from the estimate to what the request really used.
    const qint64 used = record.promptTokens + record.completionTokens;
    if (reservation.limits)
        m_limiter.finish(*reservation.limits, reservation.tokens, used);
    else
        m_limiter.finish(record.tenantId, reservation.tokens, used);
    if (reservation.budget)
        m_budgets.settle(*reservation.budget, reservation.costUsd, record);
    else
        m_budgets.settle(reservation.costUsd, record);
    m_sink(std::move(record));
}

} // namespace relay
