#pragma once

#include <QString>

namespace relay {

// An upstream's circuit as the breaker (upstream/CircuitBreaker.h) reports it and as the store
// and the console keep and show it.
enum class CircuitState { Closed, Open, HalfOpen };

// "closed", "open", "half-open" (what `upstream list` shows).
QString circuitStateName(CircuitState state);

// One change of an upstream's circuit, with its reason, for the record and the console.
struct CircuitTransition
{
    QString upstream;
    CircuitState from = CircuitState::Closed;
    CircuitState to = CircuitState::Closed;
    QString reason;
    qint64 wallMs = 0;
    qint64 openUntilWallMs = 0; // when open: the end of the cooldown
};

struct CircuitSnapshot
{
    QString upstream;
    CircuitState state = CircuitState::Closed;
    QString reason;           // why it is in this state
    qint64 changedWallMs = 0; // 0 = never changed since the relay started
    qint64 openUntilWallMs = 0;
    int trips = 0;        // consecutive openings without a successful probe
    QString lastFailover; // the last failure that moved a request to another target
    qint64 lastFailoverWallMs = 0;
};

} // namespace relay
