#pragma once

#include "tenants/DirectorySnapshot.h"

#include <QByteArray>

namespace relay {

// Cost in USD of a call, per million tokens: prompt × input price + completion × output price,
// the prompt's cache tokens (part of promptTokens) at the cache prices instead.
inline double usageCost(qint64 promptTokens, qint64 completionTokens, const PriceConfig &price,
                        qint64 cacheReadTokens = 0, qint64 cacheWriteTokens = 0)
{
    const qint64 cached = qMin(promptTokens, cacheReadTokens + cacheWriteTokens);
    return (double(promptTokens - cached) * price.inputPerMTok +
            double(cacheReadTokens) * price.cacheRead() +
            double(cacheWriteTokens) * price.cacheWrite() +
            double(completionTokens) * price.outputPerMTok) /
           1'000'000.0;
}

// A cost as the x-tenantrelay-cost-usd header gives it: a plain decimal, rounded to 12 decimals,
// without trailing zeros ("0.00022", "3", "0.000000000001").
QByteArray costText(double usd);

} // namespace relay
