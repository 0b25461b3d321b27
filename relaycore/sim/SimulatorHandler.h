#pragma once

#include "SimAnswer.h"
#include "Simulator.h"

#include <deque>
#include <random>

namespace relay {

// The simulated provider's shared state: options, scripted faults, counters and the requests
// received (guarded by `mutex`), and what it remembers between requests (thread-safe on its
// own). Touched by the simulator's worker threads and the test thread.
struct Simulator::State
{
    mutable std::mutex mutex;
    SimulatorOptions options;
    std::deque<SimFault> faults;
    SimulatorStats stats;
    QList<SimReceivedRequest> received;
    std::mt19937 rng;
    sim::Memory responseIds;    // Responses API: the ids this simulator created
    sim::Memory cachedPrefixes; // Messages API: prompt prefixes cached so far
};

// Takes each request on the worker thread it arrived on: records it, draws its fault and delay,
// then answers it (after the delay) as the API it was sent to would.
void handleSimulatorRequest(const std::shared_ptr<Simulator::State> &state,
                            sim::Exchange *exchange);

} // namespace relay
