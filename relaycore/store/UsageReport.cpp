#include "UsageReport.h"

#include "billing/BudgetPeriod.h"
#include "billing/Cost.h"
#include "metrics/LatencyHistogram.h"
#include "store/SqlExec.h"
#include "store/SqliteBind.h"
#include "store/UsageRollup.h"

#include <QDateTime>
#include <QTimeZone>

#include <sqlite3.h>

#include <map>

namespace relay::UsageReport {

namespace {

qint64 dayStartMs(const QDate &day)
{
    return QDateTime(day, QTime(0, 0), QTimeZone::utc()).toMSecsSinceEpoch();
}

std::optional<qint64> roundedPercentile(const LatencyHistogram::Counts &latency, double q)
{
    if (latency.count == 0)
        return std::nullopt;
    return qRound64(latency.percentileMs(q));
}

// Adds up the rollups per tenant; the percentiles come from the merged histograms. Read through
// the sqlite3 handle: a month is tens of thousands of rollups, and QSqlQuery's variants per
// value would cost more than the sums.
bool addCounts(QSqlDatabase &db, qint64 sinceMs, const QString &tenant,
               std::map<QString, UsageReportRow> *rows, QString *error)
{
    sqlite3 *handle = sqlite::handleOf(db);
    const QByteArray sql =
        QByteArrayLiteral("SELECT tenant_id, requests, rejected, prompt_tokens, "
                          "completion_tokens, cost_usd, errors, latency_hist "
                          "FROM usage_hourly WHERE hour >= ?1") +
        (tenant.isEmpty() ? QByteArray() : QByteArrayLiteral(" AND tenant_id = ?2"));
    sqlite3_stmt *q = nullptr;
    if (sqlite3_prepare_v2(handle, sql.constData(), int(sql.size()), &q, nullptr) != SQLITE_OK) {
        *error = QString::fromUtf8(sqlite3_errmsg(handle));
        return false;
    }
    sqlite3_bind_int64(q, 1, sinceMs);
    const QByteArray tenantUtf8 = tenant.toUtf8();
    if (!tenant.isEmpty())
        sqlite3_bind_text(q, 2, tenantUtf8.constData(), int(tenantUtf8.size()), SQLITE_STATIC);
    // Rollups come grouped by hour, not tenant: remember the last tenant's entry.
    QByteArray lastId;
    UsageReportRow *row = nullptr;
    LatencyHistogram::Counts *latency = nullptr;
    std::map<QString, LatencyHistogram::Counts> latencies;
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        const char *id = reinterpret_cast<const char *>(sqlite3_column_text(q, 0));
        const int idSize = sqlite3_column_bytes(q, 0);
        if (!row || lastId != QByteArrayView(id, idSize)) {
            lastId = QByteArray(id, idSize);
            const QString key = QString::fromUtf8(lastId);
            row = &(*rows)[key];
            latency = &latencies[key];
        }
        row->requests += sqlite3_column_int64(q, 1);
        row->rejected += sqlite3_column_int64(q, 2);
        row->promptTokens += sqlite3_column_int64(q, 3);
        row->completionTokens += sqlite3_column_int64(q, 4);
        row->costUsd += sqlite3_column_double(q, 5);
        row->errors += sqlite3_column_int64(q, 6);
        if (sqlite3_column_type(q, 7) == SQLITE_BLOB)
            *latency += LatencyHistogram::Counts::fromBlob(
                static_cast<const char *>(sqlite3_column_blob(q, 7)), sqlite3_column_bytes(q, 7));
    }
    if (step != SQLITE_DONE)
        *error = QString::fromUtf8(sqlite3_errmsg(handle));
    sqlite3_finalize(q);
    if (step != SQLITE_DONE)
        return false;
    for (const auto &[id, counts] : latencies) {
        UsageReportRow &r = (*rows)[id];
        r.p50Ms = roundedPercentile(counts, 0.50);
        r.p95Ms = roundedPercentile(counts, 0.95);
    }
    return true;
}

} // namespace

qint64 monthStartMs(qint64 nowMs)
{
    return BudgetPeriod::containing(nowMs).startMs;
}

qint64 periodStartMs(const std::optional<QDate> &since, const Clock &clock)
{
    return since ? dayStartMs(*since) : monthStartMs(clock.wallMs());
}

bool build(QSqlDatabase &db, const Clock &clock, const UsageQuery &query,
           QList<UsageReportRow> *rows, QString *error)
{
    const qint64 sinceMs = periodStartMs(query.since, clock);
    std::map<QString, UsageReportRow> byTenant;

    QSqlQuery q(db);
    const bool filtered = !query.tenant.isEmpty();
    // A removed tenant keeps its history: usage of any age, or its audit entries (a tenant
    // removed before it sent a request), make a filtered id known.
    if (!sql::run(q,
                  filtered ? QStringLiteral("SELECT id FROM tenants WHERE id = ? UNION "
                                            "SELECT tenant_id FROM (SELECT tenant_id FROM "
                                            "usage_hourly WHERE tenant_id = ? LIMIT 1) UNION "
                                            "SELECT tenant_id FROM (SELECT tenant_id FROM "
                                            "usage WHERE tenant_id = ? LIMIT 1) UNION "
                                            "SELECT tenant_id FROM (SELECT tenant_id FROM "
                                            "audit WHERE tenant_id = ? LIMIT 1)")
                           : QStringLiteral("SELECT id FROM tenants"),
                  filtered ? QVariantList(4, query.tenant) : QVariantList{}, error))
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
                  QStringLiteral("SELECT tenant_id, SUM(cost_usd) FROM usage_hourly "
                                 "WHERE hour >= ? GROUP BY tenant_id"),
                  {sinceMs}, error))
        return false;
    while (q.next())
        spent->insert(q.value(0).toString(), q.value(1).toDouble());
    return true;
}

bool costs(QSqlDatabase &db, qint64 sinceMs, const std::vector<PriceConfig> &altPrices,
           QList<CostReportRow> *rows, QString *error)
{
    DirectorySnapshot alternative;
    alternative.prices = altPrices;
    QSqlQuery q(db);
    if (!sql::run(q,
                  QStringLiteral("SELECT tenant_id, model, SUM(requests), SUM(prompt_tokens), "
                                 "SUM(completion_tokens), SUM(cost_usd) FROM usage_hourly "
                                 "WHERE hour >= ? GROUP BY tenant_id, model "
                                 "HAVING SUM(requests) > 0 ORDER BY tenant_id, model"),
                  {sinceMs}, error))
        return false;
    while (q.next()) {
        CostReportRow row;
        row.tenant = q.value(0).toString();
        row.model = q.value(1).toString();
        row.requests = q.value(2).toLongLong();
        row.promptTokens = q.value(3).toLongLong();
        row.completionTokens = q.value(4).toLongLong();
        row.costUsd = q.value(5).toDouble();
        if (const std::optional<PriceConfig> price = alternative.priceFor(row.model))
            row.altCostUsd = usageCost(row.promptTokens, row.completionTokens, *price);
        rows->append(row);
    }
    return true;
}

} // namespace relay::UsageReport
