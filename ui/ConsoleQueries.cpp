#include "ConsoleQueries.h"

#include "store/RelayState.h"

#include "store/SqlExec.h"
#include "store/UsageReport.h"

#include <QVariant>

#include <algorithm>
#include <functional>
#include <tuple>

namespace relay::ui::ConsoleQueries {

namespace {

constexpr qint64 kHourMs = 3'600'000;
constexpr qint64 kDayMs = 24 * kHourMs;

// Where raw usage rows take over from the hourly rollups.
qint64 rawTailStart(QSqlDatabase &db, qint64 monthStart)
{
    QSqlQuery q(db);
    if (sql::run(q, QStringLiteral("SELECT MAX(hour) FROM usage_hourly WHERE hour >= ?"),
                 {monthStart}) &&
        q.next() && !q.value(0).isNull())
        return q.value(0).toLongLong() + kHourMs;
    return monthStart;
}

// Sums cost per group over the rollups and the raw tail; `group` turns the time column's name
// into the SQL expression to group by.
QHash<qint64, double> spendBy(QSqlDatabase &db, qint64 nowMs, qint64 sinceMs, const QString &tenant,
                              const std::function<QString(const QString &)> &group,
                              QHash<QString, double> *perTenant)
{
    const qint64 start = qMax(sinceMs, monthStartMs(nowMs));
    const qint64 tail = qMax(start, rawTailStart(db, monthStartMs(nowMs)));
    QHash<qint64, double> byGroup;
    const QString filter = tenant.isEmpty() ? QString() : QStringLiteral(" AND tenant_id = ?");
    const struct
    {
        QString table;
        QString time;
        qint64 from;
    } parts[] = {{QStringLiteral("usage_hourly"), QStringLiteral("hour"), start},
                 {QStringLiteral("usage"), QStringLiteral("ts"), tail}};
    for (const auto &part : parts) {
        QSqlQuery q(db);
        QVariantList values{part.from};
        if (!tenant.isEmpty())
            values.append(tenant);
        const QString g = group(part.time);
        if (!sql::run(q,
                      QStringLiteral("SELECT %1, tenant_id, SUM(cost_usd) FROM %2 WHERE %3 >= ?%4 "
                                     "GROUP BY 1, 2")
                          .arg(g, part.table, part.time, filter),
                      values))
            continue;
        while (q.next()) {
            byGroup[q.value(0).toLongLong()] += q.value(2).toDouble();
            if (perTenant)
                (*perTenant)[q.value(1).toString()] += q.value(2).toDouble();
        }
    }
    return byGroup;
}

} // namespace

qint64 monthStartMs(qint64 nowMs)
{
    return UsageReport::monthStartMs(nowMs);
}

QHash<QString, UpstreamHealth> upstreamHealth(QSqlDatabase &db, qint64 nowMs)
{
    // The states as `upstream list` reads them (closed when a running relay has no change on
    // record, unknown when none runs), with the last change's reason and time.
    QHash<QString, UpstreamHealth> out;
    QSqlQuery q(db);
    QStringList names;
    if (sql::run(q, QStringLiteral("SELECT name FROM upstreams")))
        while (q.next())
            names.append(q.value(0).toString());
    const QHash<QString, QString> states = RelayState::upstreamStates(db, names, nowMs);
    for (auto it = states.cbegin(); it != states.cend(); ++it)
        out[it.key()].state = it.value();
    if (!sql::run(q, QStringLiteral("SELECT name, reason, changed_at FROM upstream_state")))
        return out;
    while (q.next()) {
        const auto h = out.find(q.value(0).toString());
        if (h == out.end())
            continue;
        h->reason = q.value(1).toString();
        h->changedAtMs = q.value(2).toLongLong();
    }
    return out;
}

QString pinnedUpstream(QSqlDatabase &db)
{
    QSqlQuery q(db);
    if (sql::run(q, QStringLiteral("SELECT pinned_upstream FROM config_state WHERE id = 1")) &&
        q.next())
        return q.value(0).toString();
    return {};
}

QHash<QString, TenantBudget> tenantBudgets(QSqlDatabase &db)
{
    QHash<QString, TenantBudget> out;
    QSqlQuery q(db);
    if (!sql::run(q, QStringLiteral("SELECT id, budget_usd, soft_budget, alert_thresholds, "
                                    "webhook_url FROM tenants")))
        return out;
    while (q.next()) {
        TenantBudget b;
        if (!q.value(1).isNull())
            b.budgetUsd = q.value(1).toDouble();
        b.soft = q.value(2).toBool();
        b.thresholds = q.value(3).toString();
        b.webhookUrl = q.value(4).toString();
        out.insert(q.value(0).toString(), b);
    }
    return out;
}

QHash<QString, int> upstreamSlowMs(QSqlDatabase &db)
{
    QHash<QString, int> out;
    QSqlQuery q(db);
    if (sql::run(q, QStringLiteral("SELECT name, slow_ms FROM upstreams WHERE slow_ms IS NOT "
                                   "NULL")))
        while (q.next())
            out.insert(q.value(0).toString(), q.value(1).toInt());
    return out;
}

QHash<QString, double> monthSpend(QSqlDatabase &db, qint64 nowMs)
{
    return spendSince(db, nowMs, 0);
}

QHash<QString, double> spendSince(QSqlDatabase &db, qint64 nowMs, qint64 sinceMs)
{
    QHash<QString, double> perTenant;
    spendBy(
        db, nowMs, sinceMs, QString(), [](const QString &) { return QStringLiteral("0"); },
        &perTenant);
    return perTenant;
}

QList<double> dailySpend(QSqlDatabase &db, qint64 nowMs, const QString &tenant)
{
    const qint64 start = monthStartMs(nowMs);
    const QHash<qint64, double> byDay = spendBy(
        db, nowMs, start, tenant,
        [start](const QString &time) {
            return QStringLiteral("(%1 - %2) / %3").arg(time).arg(start).arg(kDayMs);
        },
        nullptr);
    QList<double> days(int((nowMs - start) / kDayMs) + 1, 0.0);
    for (auto it = byDay.cbegin(); it != byDay.cend(); ++it)
        if (it.key() >= 0 && it.key() < days.size())
            days[it.key()] += it.value();
    return days;
}

QList<AlertRow> alerts(QSqlDatabase &db, int limit)
{
    QList<AlertRow> out;
    QSqlQuery q(db);
    if (!sql::run(
            q,
            QStringLiteral("SELECT id, ts, tenant_id, kind, threshold, spent_usd, budget_usd, "
                           "acknowledged, delivery FROM alerts ORDER BY id DESC LIMIT ?"),
            {limit}))
        return out;
    while (q.next())
        out.append(AlertRow{q.value(0).toLongLong(), q.value(1).toLongLong(), q.value(2).toString(),
                            q.value(3).toString(), q.value(4).toInt(), q.value(5).toDouble(),
                            q.value(6).toDouble(), q.value(7).toBool(), q.value(8).toString()});
    return out;
}

QHash<QString, QString> settings(QSqlDatabase &db)
{
    QHash<QString, QString> out;
    QSqlQuery q(db);
    if (sql::run(q, QStringLiteral("SELECT key, value FROM settings")))
        while (q.next())
            out.insert(q.value(0).toString(), q.value(1).toString());
    return out;
}

QList<CostRow> costRows(QSqlDatabase &db, qint64 sinceMs)
{
    QHash<QPair<QString, QString>, CostRow> rows;
    const qint64 tail = rawTailStart(db, sinceMs);
    const struct
    {
        QString sql;
        qint64 from;
    } parts[] = {
        {QStringLiteral("SELECT tenant_id, model, SUM(requests), SUM(prompt_tokens), "
                        "SUM(completion_tokens), SUM(cost_usd) FROM usage_hourly WHERE hour >= ? "
                        "GROUP BY 1, 2"),
         sinceMs},
        {QStringLiteral("SELECT tenant_id, COALESCE(served_model, requested_model, ''), COUNT(*), "
                        "SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_usd) FROM usage "
                        "WHERE ts >= ? AND outcome = 'served' GROUP BY 1, 2"),
         tail},
    };
    for (const auto &part : parts) {
        QSqlQuery q(db);
        if (!sql::run(q, part.sql, {part.from}))
            continue;
        while (q.next()) {
            CostRow &r = rows[{q.value(0).toString(), q.value(1).toString()}];
            r.tenant = q.value(0).toString();
            r.model = q.value(1).toString();
            r.requests += q.value(2).toLongLong();
            r.promptTokens += q.value(3).toLongLong();
            r.completionTokens += q.value(4).toLongLong();
            r.costUsd += q.value(5).toDouble();
        }
    }
    QList<CostRow> out = rows.values();
    std::sort(out.begin(), out.end(), [](const CostRow &a, const CostRow &b) {
        return std::tie(a.tenant, a.model) < std::tie(b.tenant, b.model);
    });
    return out;
}

} // namespace relay::ui::ConsoleQueries
