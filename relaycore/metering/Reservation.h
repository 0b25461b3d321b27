#pragma once

#include "core/Headers.h"

#include <memory>

namespace relay {

struct TenantLimitState;
struct TenantBudgetState;

// What admission holds for one request until the meter settles it: its tokens/min estimate, its
// budget hold and the x-ratelimit-* headers its answer carries. It keeps the tenant's limit and
// budget states it was admitted against, so the meter settles there without finding the tenant
// again (none, as in tests that settle by hand: the tenant's current ones).
struct Reservation
{
    qint64 tokens = 0;
    double costUsd = 0;
    HttpHeaders limitHeaders;
    std::shared_ptr<TenantLimitState> limits;
    std::shared_ptr<TenantBudgetState> budget;
};

} // namespace relay
