#include "RelayState.h"

#include "AuditLog.h"
#include "SqlExec.h"

#include <QCoreApplication>
#include <QSqlError>
#include <QSqlQuery>

#include <cerrno>
#include <signal.h>

namespace relay::RelayState {

bool resetStates(QSqlDatabase &db, QString *error)
{
    QSqlQuery q(db);
    return sql::run(q, QStringLiteral("DELETE FROM upstream_state"), {}, error);
}

bool recordTransitions(QSqlDatabase &db, const QList<CircuitTransition> &transitions,
                       QString *error)
{
    if (transitions.isEmpty())
        return true;
    if (!db.transaction()) {
        if (error)
            *error = db.lastError().text();
        return false;
    }
    QSqlQuery q(db);
    for (const CircuitTransition &t : transitions) {
        const bool stored = sql::run(
            q,
            QStringLiteral(
                "INSERT INTO upstream_state (name, state, reason, changed_at, open_until) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET state = excluded.state, "
                "reason = excluded.reason, changed_at = excluded.changed_at, "
                "open_until = excluded.open_until"),
            {t.upstream, circuitStateName(t.to), t.reason, t.wallMs,
             t.to == CircuitState::Open ? QVariant(t.openUntilWallMs) : QVariant()},
            error);
        AuditRecord audit;
        audit.timeMs = t.wallMs;
        audit.actor = QStringLiteral("relay");
        audit.action = QStringLiteral("circuit.") + circuitStateName(t.to);
        audit.target = t.upstream;
        audit.details = QJsonObject{{QStringLiteral("before"), circuitStateName(t.from)},
                                    {QStringLiteral("after"), circuitStateName(t.to)},
                                    {QStringLiteral("reason"), t.reason}};
        if (!stored || !AuditLog::append(db, audit, error)) {
            db.rollback();
            return false;
        }
    }
    if (!db.commit()) {
        if (error)
            *error = db.lastError().text();
        return false;
    }
    return true;
}

bool writeHeartbeat(QSqlDatabase &db, qint64 nowMs, const QString &listen, QString *error)
{
    QSqlQuery q(db);
    return sql::run(
        q,
        QStringLiteral("INSERT INTO relay_heartbeat (id, ts, pid, listen) VALUES (1, ?, "
                       "?, ?) ON CONFLICT (id) DO UPDATE SET ts = excluded.ts, pid = "
                       "excluded.pid, listen = excluded.listen"),
        {nowMs, QCoreApplication::applicationPid(), listen}, error);
}

QString LiveRelay::describe() const
{
    return listen.isEmpty() ? QStringLiteral("pid %1, starting").arg(pid)
                            : QStringLiteral("pid %1, listening on %2").arg(pid).arg(listen);
}

namespace {

bool processAlive(qint64 pid)
{
    return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM);
}

} // namespace

std::optional<LiveRelay> liveRelay(QSqlDatabase &db, qint64 nowMs)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT ts, pid, listen FROM relay_heartbeat WHERE id = 1")) ||
        !q.next())
        return std::nullopt;
    LiveRelay relay{q.value(1).toLongLong(), q.value(2).toString(), q.value(0).toLongLong()};
    if (relay.heartbeatMs <= 0 || nowMs - relay.heartbeatMs > kHeartbeatStaleMs ||
        relay.pid == QCoreApplication::applicationPid() || !processAlive(relay.pid))
        return std::nullopt;
    return relay;
}

bool claim(QSqlDatabase &db, qint64 nowMs, QString *error)
{
    QSqlQuery q(db);
    if (!sql::run(q, QStringLiteral("BEGIN IMMEDIATE"), {}, error))
        return false;
    if (const auto other = liveRelay(db, nowMs)) {
        sql::run(q, QStringLiteral("ROLLBACK"));
        if (error)
            *error = QStringLiteral("another relay already serves this database (%1); stop it "
                                    "first, or manage it with the admin commands")
                         .arg(other->describe());
        return false;
    }
    if (!writeHeartbeat(db, nowMs, QString(), error) ||
        !sql::run(q, QStringLiteral("COMMIT"), {}, error)) {
        sql::run(q, QStringLiteral("ROLLBACK"));
        return false;
    }
    return true;
}

qint64 lastHeartbeatMs(QSqlDatabase &db)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT ts FROM relay_heartbeat WHERE id = 1")) || !q.next())
        return 0;
    return q.value(0).toLongLong();
}

QHash<QString, QString> upstreamStates(QSqlDatabase &db, const QStringList &upstreams, qint64 nowMs)
{
    QHash<QString, QString> out;
    const bool running = nowMs - lastHeartbeatMs(db) <= kHeartbeatStaleMs;
    for (const QString &name : upstreams)
        out.insert(name, running ? QStringLiteral("closed") : QStringLiteral("unknown"));
    if (!running)
        return out;
    QSqlQuery q(db);
    if (q.exec(QStringLiteral("SELECT name, state FROM upstream_state"))) {
        while (q.next()) {
            const QString name = q.value(0).toString();
            if (out.contains(name))
                out.insert(name, q.value(1).toString());
        }
    }
    return out;
}

QHash<QString, CircuitChange> circuitChanges(QSqlDatabase &db)
{
    QHash<QString, CircuitChange> out;
    QSqlQuery q(db);
    if (sql::run(q, QStringLiteral("SELECT name, reason, changed_at FROM upstream_state")))
        while (q.next())
            out.insert(q.value(0).toString(), {q.value(1).toString(), q.value(2).toLongLong()});
    return out;
}

} // namespace relay::RelayState
