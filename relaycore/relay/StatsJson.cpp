#include "StatsJson.h"

#include "admin/AdminJson.h"

#include <QJsonArray>

namespace relay {

namespace {

QJsonObject flowJson(const FlowSnapshot &f)
{
    return QJsonObject{
        {QStringLiteral("name"), f.name},
        {QStringLiteral("requests_per_sec"), f.requestsPerSec},
        {QStringLiteral("requests"), f.requests},
        {QStringLiteral("errors"), f.errors},
        {QStringLiteral("rate_limited"), f.rateLimited},
        {QStringLiteral("overloaded"), f.overloaded},
        {QStringLiteral("in_flight"), f.inFlight},
        {QStringLiteral("queued"), f.queued},
        {QStringLiteral("latency_p50_ms"), f.latencyP50Ms},
        {QStringLiteral("latency_p95_ms"), f.latencyP95Ms},
        {QStringLiteral("latency_p99_ms"), f.latencyP99Ms},
        {QStringLiteral("queue_wait_p50_ms"), f.queueWaitP50Ms},
        {QStringLiteral("queue_wait_p95_ms"), f.queueWaitP95Ms},
    };
}

// When the circuit last changed state, null when it never did since the relay started.
QJsonValue changedTime(const CircuitSnapshot &c)
{
    return AdminJson::time(c.changedWallMs ? std::optional<qint64>(c.changedWallMs) : std::nullopt);
}

} // namespace

QJsonObject circuitJson(const CircuitSnapshot &c)
{
    return QJsonObject{
        {QStringLiteral("upstream"), c.upstream},
        {QStringLiteral("state"), circuitStateName(c.state)},
        {QStringLiteral("reason"), c.reason},
        {QStringLiteral("time"), changedTime(c)},
    };
}

QJsonObject statsJson(const EngineStatsSnapshot &s)
{
    QJsonArray tenants;
    for (const FlowSnapshot &f : s.tenants)
        tenants.append(flowJson(f));
    QJsonArray upstreams;
    for (qsizetype i = 0; i < s.upstreams.size(); ++i) {
        QJsonObject u = flowJson(s.upstreams.at(i));
        u.insert(QStringLiteral("pool_size"), s.upstreams.at(i).poolSize);
        if (i < s.circuits.size()) {
            u.insert(QStringLiteral("circuit"), circuitStateName(s.circuits.at(i).state));
            u.insert(QStringLiteral("circuit_reason"), s.circuits.at(i).reason);
        }
        u.insert(QStringLiteral("circuit_since"),
                 i < s.circuits.size() ? changedTime(s.circuits.at(i)) : QJsonValue());
        upstreams.append(u);
    }
    QJsonArray budgets;
    for (const BudgetSnapshot &b : s.budgets)
        budgets.append(QJsonObject{
            {QStringLiteral("tenant"), b.tenant},
            {QStringLiteral("period"), b.period},
            {QStringLiteral("budget_usd"), AdminJson::number(b.budgetUsd)},
            {QStringLiteral("soft"), b.soft},
            {QStringLiteral("spent_usd"), AdminJson::money(b.spentUsd)},
            {QStringLiteral("in_flight_usd"), AdminJson::money(b.inFlightUsd)},
            {QStringLiteral("forecast_usd"), AdminJson::money(b.forecastUsd)},
        });
    return QJsonObject{
        {QStringLiteral("listen"), s.listenAddress},
        {QStringLiteral("workers"), s.workers},
        {QStringLiteral("uptime_ms"), s.uptimeMs},
        {QStringLiteral("requests"), s.requests},
        {QStringLiteral("in_flight"), s.inFlight},
        {QStringLiteral("upstream_errors"), s.upstreamErrors},
        {QStringLiteral("client_connections"), s.clientConnections},
        {QStringLiteral("config_version"), s.configVersion},
        {QStringLiteral("usage_rows_written"), s.usageRowsWritten},
        {QStringLiteral("pinned_upstream"),
         s.pinnedUpstream.isEmpty() ? QJsonValue() : QJsonValue(s.pinnedUpstream)},
        {QStringLiteral("paused"), s.paused},
        {QStringLiteral("tenants"), tenants},
        {QStringLiteral("upstreams"), upstreams},
        {QStringLiteral("budgets"), budgets},
    };
}

} // namespace relay
