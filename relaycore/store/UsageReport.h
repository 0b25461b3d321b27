#pragma once

#include "core/Clock.h"
#include "store/AdminTypes.h"
#include "tenants/DirectorySnapshot.h"

#include <QDate>
#include <QHash>
#include <QSqlDatabase>

#include <vector>

namespace relay {

struct UsageQuery
{
    QString tenant;             // empty = every tenant
    std::optional<QDate> since; // UTC day; nullopt = the start of the current month (UTC)
};

// Usage figures computed from the hourly rollups (usage_hourly), so that their cost does not
// grow with the raw usage table and retention of raw rows changes none of them.
namespace UsageReport {

// Midnight UTC on the first day of the month holding `nowMs`: the start of the budget period.
qint64 monthStartMs(qint64 nowMs);
// The start of a query's period: its `since` day, else the current month.
qint64 periodStartMs(const std::optional<QDate> &since, const Clock &clock);

// One row per tenant, sorted by id: every configured tenant (zeros when idle) and every tenant
// id with usage since the start — a removed tenant's history stays visible. With a tenant
// filter, that tenant only (zeros when idle, removed tenants included), and no row when it is
// neither configured nor has any usage or audit history.
// p50/p95 come from the merged latency histograms of the rollups.
bool build(QSqlDatabase &db, const Clock &clock, const UsageQuery &query,
           QList<UsageReportRow> *rows, QString *error);

// Spend per tenant id in the hours from `sinceMs` (an hour's start) on.
bool spentSince(QSqlDatabase &db, qint64 sinceMs, QHash<QString, double> *spent, QString *error);

// What each tenant's traffic per model cost since `sinceMs`, and what it would have cost under
// `altPrices` (longest-prefix match, as the relay prices; no match = no alternative cost).
// Sorted by tenant, then model; only tenants and models with served requests.
bool costs(QSqlDatabase &db, qint64 sinceMs, const std::vector<PriceConfig> &altPrices,
           QList<CostReportRow> *rows, QString *error);

} // namespace UsageReport
} // namespace relay
