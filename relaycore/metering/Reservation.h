#pragma once

#include "core/Headers.h"

#include <memory>

namespace relay {

struct PriceConfig;
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
    // The price of the name the chain's first target is sent, found once at admission and used
    // again when the request is billed there (nullptr: none, or not looked up; the bill then
    // looks it up). Points into the published config the request holds.
    const PriceConfig *firstTargetPrice = nullptr;
};

} // namespace relay
