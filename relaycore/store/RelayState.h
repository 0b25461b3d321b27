#pragma once

#include "metrics/CircuitState.h"

#include <QList>

#include <QHash>
#include <QSqlDatabase>

#include <optional>

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

// A relay that serves the database: its process, the address it listens on (empty while it
// starts) and its last heartbeat.
struct LiveRelay
{
    qint64 pid = 0;
    QString listen;
    qint64 heartbeatMs = 0;

    // "pid 1234, listening on 127.0.0.1:8700"
    QString describe() const;
};

// Another process's relay that serves the database now: a heartbeat younger than
// kHeartbeatStaleMs from a process that is still alive (one that was killed leaves a fresh
// heartbeat behind; its pid is gone). nullopt when none, or when the heartbeat is this
// process's own.
std::optional<LiveRelay> liveRelay(QSqlDatabase &db, qint64 nowMs);

// Makes this process the relay of the database, atomically (two relays starting at once cannot
// both succeed): fails with *error naming the other relay when one is live.
bool claim(QSqlDatabase &db, qint64 nowMs, QString *error);
// The time of the last heartbeat, 0 when none.
qint64 lastHeartbeatMs(QSqlDatabase &db);
// upstream → "closed" | "open" | "half-open" as a running relay reported it; every upstream
// is "unknown" when no relay has reported for kHeartbeatStaleMs.
QHash<QString, QString> upstreamStates(QSqlDatabase &db, const QStringList &upstreams,
                                       qint64 nowMs);

// The last change of each upstream's circuit as the running relay recorded it, by upstream name
// (the state itself is UpstreamRecord::state).
struct CircuitChange
{
    QString reason;
    qint64 changedAtMs = 0;
};
QHash<QString, CircuitChange> circuitChanges(QSqlDatabase &db);

} // namespace RelayState
} // namespace relay
