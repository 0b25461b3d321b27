#pragma once

#include "core/Headers.h"

namespace relay {

// What admission holds for one request until the meter settles it: its tokens/min estimate, its
// budget hold and the x-ratelimit-* headers its answer carries.
struct Reservation
{
    qint64 tokens = 0;
    double costUsd = 0;
    HttpHeaders limitHeaders;
};

} // namespace relay
