#include "UsageReport.h"

#include "billing/Cost.h"
#include "metrics/LatencyHistogram.h"
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

std::optional<qint64> roundedPercentile(const LatencyHistogram::Counts &latency, double q)
{
    if (latency.count == 0)
        return std::nullopt;
    return qRound64(latency.percentileMs(q));
}

// Adds up the rollups per tenant; the percentiles come from the merged histograms.
bool addCounts(QSqlDatabase &db, qint64 sinceMs, const QString &tenant,
               std::map<QString, UsageReportRow> *rows, QString *error)
{
    const QString filter = tenant.isEmpty() ? QString() : QStringLiteral(" AND tenant_id = ?");
    QVariantList values{sinceMs};
    if (!tenant.isEmpty())
        values.append(tenant);

    QSqlQuery q(db);
    if (!sql::run(q,
                  QStringLiteral("SELECT tenant_id, requests, rejected, prompt_tokens, "
                                 "completion_tokens, cost_usd, errors, latency_hist "
                                 "FROM usage_hourly WHERE hour >= ?%1")
                      .arg(filter),
                  values, error))
        return false;
    std::map<QString, LatencyHistogram::Counts> latency;
    while (q.next()) {
        const QString id = q.value(0).toString();
        UsageReportRow &row = (*rows)[id];
        row.requests += q.value(1).toLongLong();
        row.rejected += q.value(2).toLongLong();
        row.promptTokens += q.value(3).toLongLong();
        row.completionTokens += q.value(4).toLongLong();
        row.costUsd += q.value(5).toDouble();
        row.errors += q.value(6).toLongLong();
        const QByteArray blob = q.value(7).toByteArray();
        if (!blob.isEmpty())
            latency[id] += LatencyHistogram::Counts::fromBlob(blob.constData(), blob.size());
    }
    for (const auto &[id, counts] : latency) {
        UsageReportRow &row = (*rows)[id];
        row.p50Ms = roundedPercentile(counts, 0.50);
        row.p95Ms = roundedPercentile(counts, 0.95);
    }
    return true;
}

} // namespace

qint64 monthStartMs(qint64 nowMs)
{
    const QDate today = QDateTime::fromMSecsSinceEpoch(nowMs, QTimeZone::utc()).date();
    return dayStartMs(QDate(today.year(), today.month(), 1));
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
    // A removed tenant keeps its history, so rollups of any age make a filtered id known.
    if (!sql::run(q,
                  filtered ? QStringLiteral("SELECT id FROM tenants WHERE id = ? UNION "
                                            "SELECT tenant_id FROM (SELECT tenant_id FROM "
                                            "usage_hourly WHERE tenant_id = ? LIMIT 1)")
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
