#pragma once

#include "upstream/CircuitBreaker.h"

#include <QHash>
#include <QSqlDatabase>

namespace relay {

// What a running relay records about itself for other processes (`upstream list`): each
// upstream's circuit state and a heartbeat.
namespace RelayState {

// A relay that has not written a heartbeat for this long is taken as not running.
constexpr qint64 kHeartbeatStaleMs = 10'000;

// Stores each change as the upstream's state and as an audit entry with actor "relay".
bool recordTransitions(QSqlDatabase &db, const QList<CircuitTransition> &transitions,
                       QString *error);
// A starting relay's circuits are all closed: the states an earlier run left are dropped, so
// `upstream list` does not show them as this relay's.
bool resetStates(QSqlDatabase &db, QString *error);
bool writeHeartbeat(QSqlDatabase &db, qint64 nowMs, const QString &listen, QString *error);
// The time of the last heartbeat, 0 when none.
qint64 lastHeartbeatMs(QSqlDatabase &db);
// upstream → "closed" | "open" | "half-open" as a running relay reported it; every upstream
// is "unknown" when no relay has reported for kHeartbeatStaleMs.
QHash<QString, QString> upstreamStates(QSqlDatabase &db, const QStringList &upstreams,
                                       qint64 nowMs);

} // namespace RelayState
} // namespace relay
