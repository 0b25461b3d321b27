#pragma once

#include <QList>
#include <QSqlDatabase>
#include <QString>

#include <optional>

namespace relay {

// One bucket of a chart series.
struct HistoryPoint
{
    qint64 startMs = 0; // the bucket's start (wall clock, UTC)
    qint64 requests = 0;
    qint64 errors = 0;
    std::optional<qint64> p50Ms; // nullopt when nothing was served in the bucket
    std::optional<qint64> p95Ms;
    double costUsd = 0;
};

// A tenant's or an upstream's figures over a window, one point per bucket, oldest first
// (every bucket of the window, zeros where idle).
struct HistorySeries
{
    QString kind; // tenant | upstream
    QString name;
    QList<HistoryPoint> points;
};

// The chart series of GET /admin/v1/history (interface.md §5): per tenant and per upstream,
// requests, errors, p50, p95 and cost per bucket.
namespace UsageHistory {

enum class Window {
    Hour, // 60 one-minute buckets, from the raw usage rows of the last hour
    Day,  // 24 hourly buckets, from the hourly rollups
    Week, // 168 hourly buckets, from the hourly rollups
};

// "1h", "24h", "7d"; nullopt for anything else.
std::optional<Window> windowFromText(const QString &text);
QString windowText(Window window);
qint64 bucketMs(Window window);
int bucketCount(Window window);

// Sorted by kind (tenants first), then name.
bool build(QSqlDatabase &db, qint64 nowMs, Window window, QList<HistorySeries> *series,
           QString *error);

// Spend per day of this month (UTC) from the hourly rollups, day 1 first, up to today; one
// tenant, or all when empty (the budget panel's month curve).
QList<double> dailySpend(QSqlDatabase &db, qint64 nowMs, const QString &tenant);

} // namespace UsageHistory
} // namespace relay
