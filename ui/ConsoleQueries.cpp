#include "ConsoleQueries.h"

#include "store/SqlExec.h"
#include "store/UsageReport.h"

#include <QVariant>

namespace relay::ui::ConsoleQueries {

QHash<QString, CircuitChange> circuitChanges(QSqlDatabase &db)
{
    QHash<QString, CircuitChange> out;
    QSqlQuery q(db);
    if (sql::run(q, QStringLiteral("SELECT name, reason, changed_at FROM upstream_state")))
        while (q.next())
            out.insert(q.value(0).toString(), {q.value(1).toString(), q.value(2).toLongLong()});
    return out;
}

QList<double> dailySpend(QSqlDatabase &db, qint64 nowMs, const QString &tenant)
{
    constexpr qint64 kDayMs = 86'400'000;
    const qint64 start = UsageReport::monthStartMs(nowMs);
    QList<double> days(int((nowMs - start) / kDayMs) + 1, 0.0);
    QSqlQuery q(db);
    QVariantList values{start, start};
    if (!tenant.isEmpty())
        values.append(tenant);
    if (!sql::run(q,
                  QStringLiteral("SELECT (hour - ?) / %1, SUM(cost_usd) FROM usage_hourly WHERE "
                                 "hour >= ?%2 GROUP BY 1")
                      .arg(kDayMs)
                      .arg(tenant.isEmpty() ? QString() : QStringLiteral(" AND tenant_id = ?")),
                  values))
        return days;
    while (q.next()) {
        const qint64 day = q.value(0).toLongLong();
        if (day >= 0 && day < days.size())
            days[day] += q.value(1).toDouble();
    }
    return days;
}

} // namespace relay::ui::ConsoleQueries
