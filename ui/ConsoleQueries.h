#pragma once

#include <QHash>
#include <QList>
#include <QSqlDatabase>
#include <QString>

// The console's reads that AdminService has no call for: why each circuit last changed, and spend
// per day for the month curve. Everything else the panels show comes from AdminService and the
// engine's snapshot. Called on the console's database threads only.
namespace relay::ui::ConsoleQueries {

// The last change of an upstream's circuit as the running relay recorded it (upstream_state);
// the state itself is UpstreamRecord::state.
struct CircuitChange
{
    QString reason;
    qint64 changedAtMs = 0;
};
QHash<QString, CircuitChange> circuitChanges(QSqlDatabase &db);

// Spend per day of this month (UTC) from the hourly rollups, day 1 first, up to today; one
// tenant, or all when empty.
QList<double> dailySpend(QSqlDatabase &db, qint64 nowMs, const QString &tenant);

} // namespace relay::ui::ConsoleQueries
