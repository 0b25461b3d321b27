#pragma once

#include "core/Clock.h"
#include "store/AdminTypes.h"

#include <QDate>
#include <QHash>
#include <QSqlDatabase>

namespace relay {

struct UsageQuery
{
    QString tenant;             // empty = every tenant
    std::optional<QDate> since; // UTC day; nullopt = the start of the current month (UTC)
};

// Per-tenant usage figures, computed from the usage table (one row per request).
namespace UsageReport {

// Midnight UTC on the first day of the month holding `nowMs`: the start of the budget period.
qint64 monthStartMs(qint64 nowMs);

// One row per tenant, sorted by id: every configured tenant (zeros when idle) and every tenant
// id with usage rows since the start — a removed tenant's history stays visible. With a tenant
// filter, that tenant only, and no row when it is neither configured nor has any usage.
bool build(QSqlDatabase &db, const Clock &clock, const UsageQuery &query,
           QList<UsageReportRow> *rows, QString *error);

// Spend per tenant id since `sinceMs`.
bool spentSince(QSqlDatabase &db, qint64 sinceMs, QHash<QString, double> *spent, QString *error);

// The nearest-rank percentile (0 < p <= 100) of ascending `sorted`; nullopt when it is empty.
std::optional<qint64> percentile(const QList<qint64> &sorted, int p);

} // namespace UsageReport
} // namespace relay
