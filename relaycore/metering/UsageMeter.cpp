#include "UsageMeter.h"

#include "Reservation.h"
#include "billing/Cost.h"
#include "budget/BudgetTracker.h"
#include "limits/RateLimiter.h"
#include "metrics/FlowMetrics.h"
#include "tenants/DirectorySnapshot.h"

namespace relay {

std::optional<PriceConfig> UsageMeter::priceFor(const DirectorySnapshot &directory,
                                                std::initializer_list<QString> models)
{
    for (const QString &model : models) {
        if (model.isEmpty())
            continue;
        if (std::optional<PriceConfig> price = directory.priceFor(model))
            return price;
    }
    return std::nullopt;
}

void UsageMeter::price(UsageRecord &record, const std::optional<PriceConfig> &price)
{
    record.priced = price.has_value();
    record.costUsd = price ? usageCost(record.promptTokens, record.completionTokens, *price,
                                       record.cacheReadTokens, record.cacheWriteTokens)
                           : 0;
}

void UsageMeter::rejected(UsageRecord record)
{
    record.rejected = true;
    const auto flow = m_metrics.tenant(record.tenantId);
    flow->requests.fetch_add(1, std::memory_order_relaxed);
    flow->errors.fetch_add(1, std::memory_order_relaxed);
    if (record.status == 429)
        flow->rateLimited.fetch_add(1, std::memory_order_relaxed);
    m_sink(std::move(record));
}

void UsageMeter::served(UsageRecord record, const Reservation &reservation,
                        const QString &flowUpstream)
{
    for (const auto &flow : {m_metrics.tenant(record.tenantId),
                             flowUpstream.isEmpty() ? nullptr : m_metrics.upstream(flowUpstream)}) {
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
    m_limiter.finish(record.tenantId, reservation.tokens,
                     record.promptTokens + record.completionTokens);
    m_budgets.settle(reservation.costUsd, record);
    m_sink(std::move(record));
}

} // namespace relay
