#pragma once

#include "tenants/DirectorySnapshot.h"

namespace relay {

// Cost in USD of a call: prompt × input price + completion × output price, per million tokens.
inline double usageCost(qint64 promptTokens, qint64 completionTokens, const PriceConfig &price)
{
    return (double(promptTokens) * price.inputPerMTok +
            double(completionTokens) * price.outputPerMTok) /
           1'000'000.0;
}

} // namespace relay
