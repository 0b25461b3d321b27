#include "UsageReport.h"

#include "store/SqlExec.h"

#include <QDateTime>
#include <QTimeZone>

#include <map>

namespace relay::UsageReport {

namespace {

qint64 dayStartMs(const QDate &day)
{
    return QDateTime(day, QTime(0, 0), QTimeZone::utc()).toMSecsSinceEpoch();
}

// Served rows (the requests admitted past the limits) and rejected ones are counted apart;
// the percentiles need every served latency, so they are read in order and kept per tenant.
bool addCounts(QSqlDatabase &db, qint64 sinceMs, const QString &tenant,
               std::map<QString, UsageReportRow> *rows, QString *error)
{
    const QString filter = tenant.isEmpty() ? QString() : QStringLiteral(" AND tenant_id = ?");
    QVariantList values{sinceMs};
    if (!tenant.isEmpty())
        values.append(tenant);

    QSqlQuery q(db);
    if (!sql::run(q,
                  QStringLiteral("SELECT tenant_id, "
                                 "SUM(outcome = 'served'), SUM(outcome = 'rejected'), "
                                 "SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_usd), "
                                 "SUM(outcome = 'served' AND status >= 400) "
                                 "FROM usage WHERE ts >= ?%1 GROUP BY tenant_id")
                      .arg(filter),
                  values, error))
        return false;
    while (q.next()) {
        UsageReportRow &row = (*rows)[q.value(0).toString()];
        row.requests = q.value(1).toLongLong();
        row.rejected = q.value(2).toLongLong();
        row.promptTokens = q.value(3).toLongLong();
        row.completionTokens = q.value(4).toLongLong();
        row.costUsd = q.value(5).toDouble();
        row.errors = q.value(6).toLongLong();
    }

    if (!sql::run(q,
                  QStringLiteral("SELECT tenant_id, latency_ms FROM usage "
                                 "WHERE ts >= ?%1 AND outcome = 'served' "
                                 "ORDER BY tenant_id, latency_ms")
                      .arg(filter),
                  values, error))
        return false;
    QString current;
    QList<qint64> latencies;
    auto flush = [&] {
        if (latencies.isEmpty())
            return;
        UsageReportRow &row = (*rows)[current];
        row.p50Ms = percentile(latencies, 50);
        row.p95Ms = percentile(latencies, 95);
        latencies.clear();
    };
    while (q.next()) {
        const QString id = q.value(0).toString();
        if (id != current) {
            flush();
            current = id;
        }
        latencies.append(q.value(1).toLongLong());
    }
    flush();
    return true;
}

} // namespace

qint64 monthStartMs(qint64 nowMs)
{
    const QDate today = QDateTime::fromMSecsSinceEpoch(nowMs, QTimeZone::utc()).date();
    return dayStartMs(QDate(today.year(), today.month(), 1));
}

std::optional<qint64> percentile(const QList<qint64> &sorted, int p)
{
    if (sorted.isEmpty())
        return std::nullopt;
    // Nearest rank: the smallest value with at least p % of the values at or below it.
    qsizetype rank = (sorted.size() * p + 99) / 100;
    rank = std::clamp<qsizetype>(rank, 1, sorted.size());
    return sorted.at(rank - 1);
}

bool build(QSqlDatabase &db, const Clock &clock, const UsageQuery &query,
           QList<UsageReportRow> *rows, QString *error)
{
    const qint64 sinceMs = query.since ? dayStartMs(*query.since) : monthStartMs(clock.wallMs());
    std::map<QString, UsageReportRow> byTenant;

    QSqlQuery q(db);
    const bool filtered = !query.tenant.isEmpty();
    // A removed tenant keeps its history, so usage rows of any age make a filtered id known.
    if (!sql::run(q,
                  filtered ? QStringLiteral("SELECT id FROM tenants WHERE id = ? UNION "
                                            "SELECT tenant_id FROM (SELECT tenant_id FROM usage "
                                            "WHERE tenant_id = ? LIMIT 1)")
                           : QStringLiteral("SELECT id FROM tenants"),
                  filtered ? QVariantList{query.tenant, query.tenant} : QVariantList{}, error))
        return false;
    while (q.next())
        byTenant[q.value(0).toString()];
    if (!addCounts(db, sinceMs, query.tenant, &byTenant, error))
        return false;

    for (auto &[id, row] : byTenant) {
        row.tenant = id;
        rows->append(row);
    }
    return true;
}

bool spentSince(QSqlDatabase &db, qint64 sinceMs, QHash<QString, double> *spent, QString *error)
{
    QSqlQuery q(db);
    if (!sql::run(q,
                  QStringLiteral("SELECT tenant_id, SUM(cost_usd) FROM usage WHERE ts >= ? "
                                 "GROUP BY tenant_id"),
                  {sinceMs}, error))
        return false;
    while (q.next())
        spent->insert(q.value(0).toString(), q.value(1).toDouble());
    return true;
}

} // namespace relay::UsageReport
