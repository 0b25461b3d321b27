#pragma once

#include <QHash>
#include <QList>
#include <QSqlDatabase>
#include <QString>

#include <optional>

// The console's reads of what the engine's snapshot does not carry yet: circuit states, the
// failover pin, budgets, this month's spend, alerts and settings, read from the database
// (schema version 3). Each function names its tables, so it can be swapped for the engine's
// own figures (EngineStatsSnapshot, alert signals) one at a time. Called on the console's
// database thread only.
namespace relay::ui::ConsoleQueries {

struct UpstreamHealth
{
    QString state = QStringLiteral("unknown"); // closed | open | half-open | unknown
    QString reason;
    qint64 changedAtMs = 0;
};

// upstream_state, as the running relay recorded it; relay_heartbeat older than 10 s → unknown.
QHash<QString, UpstreamHealth> upstreamHealth(QSqlDatabase &db, qint64 nowMs);

// config_state.pinned_upstream; empty = the configured chains.
QString pinnedUpstream(QSqlDatabase &db);

struct TenantBudget
{
    std::optional<double> budgetUsd;
    bool soft = false;
    QString thresholds; // "50,80,100"; empty = the default
    QString webhookUrl;
};

// tenants.budget_usd, soft_budget, alert_thresholds, webhook_url.
QHash<QString, TenantBudget> tenantBudgets(QSqlDatabase &db);

// upstreams.slow_ms (only those that have one).
QHash<QString, int> upstreamSlowMs(QSqlDatabase &db);

// This month's (UTC) spend per tenant: usage_hourly rollups, plus the raw usage rows newer than
// the last rolled-up hour (so it is right whether or not the writer keeps the rollups).
QHash<QString, double> monthSpend(QSqlDatabase &db, qint64 nowMs);
// The same from `sinceMs` on (within this month; rollups count from their hour's start).
QHash<QString, double> spendSince(QSqlDatabase &db, qint64 nowMs, qint64 sinceMs);

// Spend per day of this month, day 1 first, up to today; one tenant, or all when empty.
QList<double> dailySpend(QSqlDatabase &db, qint64 nowMs, const QString &tenant);

struct AlertRow
{
    qint64 id = 0;
    qint64 tsMs = 0;
    QString tenant;
    QString kind;
    int threshold = 0;
    double spentUsd = 0;
    double budgetUsd = 0;
    bool acknowledged = false;
    QString delivery;
};

// The newest `limit` alerts, newest first.
QList<AlertRow> alerts(QSqlDatabase &db, int limit);

// The settings table (webhook_url, usage_retention_days).
QHash<QString, QString> settings(QSqlDatabase &db);

// Where a query on a large table starts: the first hour of this month (UTC).
qint64 monthStartMs(qint64 nowMs);

} // namespace relay::ui::ConsoleQueries

namespace relay::ui::ConsoleQueries {

struct CostRow
{
    QString tenant;
    QString model;
    qint64 requests = 0;
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
    double costUsd = 0;
};

// Requests, tokens and cost per tenant and model since `sinceMs`, from usage_hourly plus the
// raw usage rows after the last rolled-up hour (what `report costs` adds up).
QList<CostRow> costRows(QSqlDatabase &db, qint64 sinceMs);

} // namespace relay::ui::ConsoleQueries
