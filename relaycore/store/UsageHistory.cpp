#include "UsageHistory.h"

#include "SqlExec.h"
#include "UsageReport.h"
#include "metrics/LatencyHistogram.h"
#include "store/SqliteBind.h"

#include <sqlite3.h>

#include <map>

namespace relay::UsageHistory {

std::optional<Window> windowFromText(const QString &text)
{
    if (text == QLatin1String("1h"))
        return Window::Hour;
    if (text == QLatin1String("24h"))
        return Window::Day;
    if (text == QLatin1String("7d"))
        return Window::Week;
    return std::nullopt;
}

QString windowText(Window window)
{
    switch (window) {
    case Window::Hour:
        return QStringLiteral("1h");
    case Window::Day:
        return QStringLiteral("24h");
    case Window::Week:
        return QStringLiteral("7d");
    }
    return {};
}

qint64 bucketMs(Window window)
{
    return window == Window::Hour ? 60'000 : 3'600'000;
}

int bucketCount(Window window)
{
    switch (window) {
    case Window::Hour:
        return 60;
    case Window::Day:
        return 24;
    case Window::Week:
        return 168;
    }
    return 0;
}

namespace {

struct Bucket
{
    qint64 requests = 0;
    qint64 errors = 0;
    double costUsd = 0;
    LatencyHistogram::Counts latency;
};

// (kind, name) → one bucket per slot of the window.
using Buckets = std::map<std::pair<QString, QString>, std::vector<Bucket>>;

std::optional<qint64> percentile(const LatencyHistogram::Counts &latency, double q)
{
    if (latency.count == 0)
        return std::nullopt;
    return qRound64(latency.percentileMs(q));
}

QString text(sqlite3_stmt *q, int column)
{
    const char *data = reinterpret_cast<const char *>(sqlite3_column_text(q, column));
    return data ? QString::fromUtf8(data, sqlite3_column_bytes(q, column)) : QString();
}

} // namespace

bool build(QSqlDatabase &db, qint64 nowMs, Window window, QList<HistorySeries> *series,
           QString *error)
{
    const qint64 bucket = bucketMs(window);
    const int count = bucketCount(window);
    // The last bucket holds now; the first starts count-1 buckets before it.
    const qint64 firstMs = (nowMs / bucket - (count - 1)) * bucket;
    sqlite3 *handle = sqlite::handleOf(db);
    // Raw rows for the last hour (index usage_ts); rollups for the longer windows.
    const char *sql =
        window == Window::Hour
            ? "SELECT ts, tenant_id, COALESCE(upstream, ''), 1 - (outcome = 'rejected'), "
              "CASE WHEN outcome <> 'rejected' AND status >= 400 THEN 1 ELSE 0 END, cost_usd, "
              "latency_ms, NULL FROM usage WHERE ts >= ?1"
            : "SELECT hour, tenant_id, upstream, requests, errors, cost_usd, NULL, latency_hist "
              "FROM usage_hourly WHERE hour >= ?1";
    sqlite3_stmt *q = nullptr;
    if (sqlite3_prepare_v2(handle, sql, -1, &q, nullptr) != SQLITE_OK) {
        *error = QString::fromUtf8(sqlite3_errmsg(handle));
        return false;
    }
    sqlite3_bind_int64(q, 1, firstMs);
    Buckets buckets;
    const auto slotOf = [&](const QString &kind, const QString &name, qint64 slot) -> Bucket & {
        std::vector<Bucket> &row = buckets[{kind, name}];
        if (row.empty())
            row.resize(size_t(count));
        return row[size_t(slot)];
    };
    int step;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        const qint64 slot = (sqlite3_column_int64(q, 0) - firstMs) / bucket;
        if (slot < 0 || slot >= count)
            continue;
        const QString tenant = text(q, 1);
        const QString upstream = text(q, 2);
        const qint64 requests = sqlite3_column_int64(q, 3);
        const qint64 errors = sqlite3_column_int64(q, 4);
        const double cost = sqlite3_column_double(q, 5);
        // A raw row's one latency (served requests only), or a rollup's histogram.
        const bool raw = window == Window::Hour;
        const qint64 latencyMs = sqlite3_column_int64(q, 6);
        LatencyHistogram::Counts rollup;
        if (!raw && sqlite3_column_type(q, 7) == SQLITE_BLOB)
            rollup = LatencyHistogram::Counts::fromBlob(
                static_cast<const char *>(sqlite3_column_blob(q, 7)), sqlite3_column_bytes(q, 7));
        for (Bucket *b :
             {&slotOf(QStringLiteral("tenant"), tenant, slot),
              upstream.isEmpty() ? nullptr : &slotOf(QStringLiteral("upstream"), upstream, slot)}) {
            if (!b)
                continue;
            b->requests += requests;
            b->errors += errors;
            b->costUsd += cost;
            if (!raw)
                b->latency += rollup;
            else if (requests > 0)
                b->latency.add(latencyMs);
        }
    }
    if (step != SQLITE_DONE)
        *error = QString::fromUtf8(sqlite3_errmsg(handle));
    sqlite3_finalize(q);
    if (step != SQLITE_DONE)
        return false;
    series->clear();
    // std::map orders by (kind, name): "tenant" after "upstream"; tenants go first.
    for (const char *kind : {"tenant", "upstream"}) {
        for (const auto &[key, row] : buckets) {
            if (key.first != QLatin1String(kind))
                continue;
            HistorySeries s{key.first, key.second, {}};
            for (int i = 0; i < count; ++i) {
                const Bucket &b = row[size_t(i)];
                s.points.append({firstMs + i * bucket, b.requests, b.errors,
                                 percentile(b.latency, 0.50), percentile(b.latency, 0.95),
                                 b.costUsd});
            }
            series->append(s);
        }
    }
    return true;
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

} // namespace relay::UsageHistory
