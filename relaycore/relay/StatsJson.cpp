#include "StatsJson.h"

#include "admin/AdminJson.h"

#include <QJsonArray>

#include <type_traits>

namespace relay {

namespace {

// Each figure's JSON name and member: written and read back through the same tables.
template <typename Owner, typename Value> struct Field
{
    const char *name;
    Value Owner::*member;
};

constexpr Field<FlowSnapshot, double> kFlowFigures[] = {
    {"requests_per_sec", &FlowSnapshot::requestsPerSec},
    {"latency_p50_ms", &FlowSnapshot::latencyP50Ms},
    {"latency_p95_ms", &FlowSnapshot::latencyP95Ms},
    {"latency_p99_ms", &FlowSnapshot::latencyP99Ms},
    {"queue_wait_p50_ms", &FlowSnapshot::queueWaitP50Ms},
    {"queue_wait_p95_ms", &FlowSnapshot::queueWaitP95Ms},
};
constexpr Field<FlowSnapshot, qint64> kFlowCounts[] = {
    {"requests", &FlowSnapshot::requests},        {"errors", &FlowSnapshot::errors},
    {"rate_limited", &FlowSnapshot::rateLimited}, {"overloaded", &FlowSnapshot::overloaded},
    {"in_flight", &FlowSnapshot::inFlight},       {"queued", &FlowSnapshot::queued},
};
constexpr Field<EngineStatsSnapshot, qint64> kEngineCounts[] = {
    {"uptime_ms", &EngineStatsSnapshot::uptimeMs},
    {"requests", &EngineStatsSnapshot::requests},
    {"in_flight", &EngineStatsSnapshot::inFlight},
    {"upstream_errors", &EngineStatsSnapshot::upstreamErrors},
    {"config_version", &EngineStatsSnapshot::configVersion},
    {"usage_rows_written", &EngineStatsSnapshot::usageRowsWritten},
};
constexpr Field<EngineStatsSnapshot, int> kEngineInts[] = {
    {"workers", &EngineStatsSnapshot::workers},
    {"client_connections", &EngineStatsSnapshot::clientConnections},
};
constexpr Field<BudgetSnapshot, double> kBudgetAmounts[] = {
    {"spent_usd", &BudgetSnapshot::spentUsd},
    {"in_flight_usd", &BudgetSnapshot::inFlightUsd},
    {"forecast_usd", &BudgetSnapshot::forecastUsd},
};

template <typename Owner, typename Value, size_t N>
void write(QJsonObject &json, const Owner &owner, const Field<Owner, Value> (&fields)[N])
{
    for (const auto &field : fields) {
        const Value value = owner.*field.member;
        // Amounts of money print rounded (AdminJson::money); other figures as they are.
        if constexpr (std::is_same_v<Owner, BudgetSnapshot>)
            json.insert(QLatin1String(field.name), AdminJson::money(value));
        else
            json.insert(QLatin1String(field.name), value);
    }
}

template <typename Owner, typename Value, size_t N>
void read(const QJsonObject &json, Owner &owner, const Field<Owner, Value> (&fields)[N])
{
    for (const auto &field : fields) {
        const QJsonValue value = json.value(QLatin1String(field.name));
        if constexpr (std::is_same_v<Value, double>)
            owner.*field.member = value.toDouble();
        else
            owner.*field.member = Value(value.toInteger());
    }
}

QJsonObject flowJson(const FlowSnapshot &f)
{
    QJsonObject json{{QStringLiteral("name"), f.name}};
    write(json, f, kFlowFigures);
    write(json, f, kFlowCounts);
    return json;
}

FlowSnapshot flowFromJson(const QJsonObject &json)
{
    FlowSnapshot f;
    f.name = json.value(QStringLiteral("name")).toString();
    read(json, f, kFlowFigures);
    read(json, f, kFlowCounts);
    f.poolSize = json.value(QStringLiteral("pool_size")).toInt();
    return f;
}

// When the circuit last changed state, null when it never did since the relay started.
QJsonValue changedTime(const CircuitSnapshot &c)
{
    return AdminJson::time(c.changedWallMs ? std::optional<qint64>(c.changedWallMs) : std::nullopt);
}

CircuitState circuitStateFromName(const QString &name)
{
    for (CircuitState state : {CircuitState::Open, CircuitState::HalfOpen})
        if (circuitStateName(state) == name)
            return state;
    return CircuitState::Closed;
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
    for (const BudgetSnapshot &b : s.budgets) {
        QJsonObject budget{
            {QStringLiteral("tenant"), b.tenant},
            {QStringLiteral("period"), b.period},
            {QStringLiteral("budget_usd"), AdminJson::number(b.budgetUsd)},
            {QStringLiteral("soft"), b.soft},
        };
        write(budget, b, kBudgetAmounts);
        budgets.append(budget);
    }
    QJsonObject json{
        {QStringLiteral("listen"), s.listenAddress},
        {QStringLiteral("pinned_upstream"),
         s.pinnedUpstream.isEmpty() ? QJsonValue() : QJsonValue(s.pinnedUpstream)},
        {QStringLiteral("paused"), s.paused},
        {QStringLiteral("tenants"), tenants},
        {QStringLiteral("upstreams"), upstreams},
        {QStringLiteral("budgets"), budgets},
    };
    write(json, s, kEngineCounts);
    write(json, s, kEngineInts);
    return json;
}

EngineStatsSnapshot statsFromJson(const QJsonObject &json)
{
    EngineStatsSnapshot s;
    s.listenAddress = json.value(QStringLiteral("listen")).toString();
    read(json, s, kEngineCounts);
    read(json, s, kEngineInts);
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
        circuit.changedWallMs =
            AdminJson::timeMs(o.value(QStringLiteral("circuit_since"))).value_or(0);
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
        read(o, budget, kBudgetAmounts);
        s.budgets << budget;
    }
    return s;
}

} // namespace relay
