#include "CircuitState.h"

namespace relay {

QString circuitStateName(CircuitState state)
{
    switch (state) {
    case CircuitState::Closed:
        return QStringLiteral("closed");
    case CircuitState::Open:
        return QStringLiteral("open");
    case CircuitState::HalfOpen:
        return QStringLiteral("half-open");
    }
    return QStringLiteral("closed");
}

} // namespace relay
