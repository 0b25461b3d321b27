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

namespace {

FlowSnapshot flowFromJson(const QJsonObject &o)
{
    FlowSnapshot f;
    f.name = o.value(QStringLiteral("name")).toString();
    f.requestsPerSec = o.value(QStringLiteral("requests_per_sec")).toDouble();
    f.requests = o.value(QStringLiteral("requests")).toInteger();
    f.errors = o.value(QStringLiteral("errors")).toInteger();
    f.rateLimited = o.value(QStringLiteral("rate_limited")).toInteger();
    f.overloaded = o.value(QStringLiteral("overloaded")).toInteger();
    f.inFlight = o.value(QStringLiteral("in_flight")).toInteger();
    f.queued = o.value(QStringLiteral("queued")).toInteger();
    f.latencyP50Ms = o.value(QStringLiteral("latency_p50_ms")).toDouble();
    f.latencyP95Ms = o.value(QStringLiteral("latency_p95_ms")).toDouble();
    f.latencyP99Ms = o.value(QStringLiteral("latency_p99_ms")).toDouble();
    f.queueWaitP50Ms = o.value(QStringLiteral("queue_wait_p50_ms")).toDouble();
    f.queueWaitP95Ms = o.value(QStringLiteral("queue_wait_p95_ms")).toDouble();
    f.poolSize = o.value(QStringLiteral("pool_size")).toInt();
    return f;
}

CircuitState circuitStateFromName(const QString &name)
{
    for (CircuitState state : {CircuitState::Open, CircuitState::HalfOpen})
        if (circuitStateName(state) == name)
            return state;
    return CircuitState::Closed;
}

qint64 timeMs(const QJsonValue &value)
{
    return AdminJson::timeMs(value).value_or(0);
}

} // namespace

EngineStatsSnapshot statsFromJson(const QJsonObject &json)
{
    EngineStatsSnapshot s;
    s.listenAddress = json.value(QStringLiteral("listen")).toString();
    s.workers = json.value(QStringLiteral("workers")).toInt();
    s.uptimeMs = json.value(QStringLiteral("uptime_ms")).toInteger();
    s.requests = json.value(QStringLiteral("requests")).toInteger();
    s.inFlight = json.value(QStringLiteral("in_flight")).toInteger();
    s.upstreamErrors = json.value(QStringLiteral("upstream_errors")).toInteger();
    s.clientConnections = json.value(QStringLiteral("client_connections")).toInt();
    s.configVersion = json.value(QStringLiteral("config_version")).toInteger();
    s.usageRowsWritten = json.value(QStringLiteral("usage_rows_written")).toInteger();
    s.pinnedUpstream = json.value(QStringLiteral("pinned_upstream")).toString();
    s.paused = json.value(QStringLiteral("paused")).toBool();
    for (const QJsonValue t : json.value(QStringLiteral("tenants")).toArray())
        s.tenants << flowFromJson(t.toObject());
    for (const QJsonValue u : json.value(QStringLiteral("upstreams")).toArray()) {
        const QJsonObject o = u.toObject();
        s.upstreams << flowFromJson(o);
        CircuitSnapshot circuit;
        circuit.upstream = s.upstreams.constLast().name;
        circuit.state = circuitStateFromName(o.value(QStringLiteral("circuit")).toString());
        circuit.reason = o.value(QStringLiteral("circuit_reason")).toString();
        circuit.changedWallMs = timeMs(o.value(QStringLiteral("circuit_since")));
        s.circuits << circuit;
    }
    for (const QJsonValue b : json.value(QStringLiteral("budgets")).toArray()) {
        const QJsonObject o = b.toObject();
        BudgetSnapshot budget;
        budget.tenant = o.value(QStringLiteral("tenant")).toString();
        budget.period = o.value(QStringLiteral("period")).toString();
        if (const QJsonValue usd = o.value(QStringLiteral("budget_usd")); usd.isDouble())
            budget.budgetUsd = usd.toDouble();
        budget.soft = o.value(QStringLiteral("soft")).toBool();
        budget.spentUsd = o.value(QStringLiteral("spent_usd")).toDouble();
        budget.inFlightUsd = o.value(QStringLiteral("in_flight_usd")).toDouble();
        budget.forecastUsd = o.value(QStringLiteral("forecast_usd")).toDouble();
        s.budgets << budget;
    }
    return s;
}

} // namespace relay
