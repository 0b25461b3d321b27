#pragma once

#include "Simulator.h"
#include "http/HttpHandler.h"

#include <QObject>
#include <QRandomGenerator>

#include <deque>
#include <random>

namespace relay {

class HttpExchange;

// The simulated provider's shared state: options, scripted faults, counters and the requests
// received. Guarded by `mutex`; touched by the simulator's worker threads and the test thread.
struct Simulator::State
{
    mutable std::mutex mutex;
    SimulatorOptions options;
    std::deque<SimFault> faults;
    SimulatorStats stats;
    QList<SimReceivedRequest> received;
    std::mt19937 rng;
};

// Answers requests as a provider would, on one of the simulator's worker threads.
class SimulatorHandler final : public QObject, public HttpHandler
{
    Q_OBJECT
public:
    explicit SimulatorHandler(std::shared_ptr<Simulator::State> state);
    void handle(HttpExchange *exchange) override;

private:
    std::shared_ptr<Simulator::State> m_state;
};

} // namespace relay
