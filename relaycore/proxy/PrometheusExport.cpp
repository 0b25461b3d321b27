#include "PrometheusExport.h"

#include "RelayContext.h"

#include <functional>

namespace relay {

namespace {

QByteArray label(const QString &value)
{
    QByteArray v = value.toUtf8();
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    return '"' + v + '"';
}

void histogram(QByteArray &out, const char *metric, const QByteArray &labels,
               const LatencyHistogram::Counts &c)
{
    quint64 cumulative = 0;
    for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
        cumulative += c.buckets[i];
        const QByteArray le = i < LatencyHistogram::kUpperBoundsMs.size()
                                  ? QByteArray::number(LatencyHistogram::kUpperBoundsMs[i] / 1000.0)
                                  : QByteArray("+Inf");
        out += metric + QByteArray("_bucket{") + labels + ",le=\"" + le + "\"} " +
               QByteArray::number(cumulative) + '\n';
    }
    out += metric + QByteArray("_sum{") + labels + "} " +
           QByteArray::number(double(c.sumMs) / 1000.0) + '\n';
    out += metric + QByteArray("_count{") + labels + "} " + QByteArray::number(c.count) + '\n';
}

void flows(QByteArray &out, const char *kind,
           const QList<QPair<QString, std::shared_ptr<FlowMetrics>>> &list,
           const QHash<QString, qint64> &queued, const QHash<QString, qint64> &inFlight,
           bool inFlightFromPools)
{
    const QByteArray prefix = QByteArray("tenantrelay_") + kind;
    struct Counter
    {
        const char *name;
        const char *help;
        std::atomic<qint64> FlowMetrics::*field;
    };
    const Counter counters[] = {
        {"_requests_total", "Requests answered, refusals included.", &FlowMetrics::requests},
        {"_errors_total", "Requests answered with a status of 400 or more.", &FlowMetrics::errors},
        {"_rate_limited_total", "429s from the relay's own limits.", &FlowMetrics::rateLimited},
        {"_overloaded_total", "503s after waiting too long for an upstream slot.",
         &FlowMetrics::overloaded},
    };
    for (const Counter &c : counters) {
        out += "# HELP " + prefix + c.name + ' ' + c.help + '\n';
        out += "# TYPE " + prefix + c.name + " counter\n";
        for (const auto &[name, m] : list)
            out += prefix + c.name + '{' + kind + '=' + label(name) + "} " +
                   QByteArray::number(((*m).*(c.field)).load()) + '\n';
    }
    out += "# HELP " + prefix + "_in_flight Requests being served now.\n";
    out += "# TYPE " + prefix + "_in_flight gauge\n";
    for (const auto &[name, m] : list)
        out += prefix + "_in_flight{" + kind + '=' + label(name) + "} " +
               QByteArray::number(inFlightFromPools ? inFlight.value(name) : m->inFlight.load()) +
               '\n';
    out += "# HELP " + prefix + "_queued Requests waiting for an upstream slot.\n";
    out += "# TYPE " + prefix + "_queued gauge\n";
    for (const auto &[name, m] : list)
        out += prefix + "_queued{" + kind + '=' + label(name) + "} " +
               QByteArray::number(queued.value(name)) + '\n';
    for (const char *h : {"_request_duration_seconds", "_queue_wait_seconds"}) {
        const bool latency = QByteArrayView(h) == "_request_duration_seconds";
        out += "# HELP " + prefix + h +
               (latency ? " Time from the request to its last byte.\n"
                        : " Time spent waiting for an upstream slot.\n");
        out += "# TYPE " + prefix + h + " histogram\n";
        for (const auto &[name, m] : list)
            histogram(out, (prefix + h).constData(), kind + QByteArray("=") + label(name),
                      latency ? m->latency.counts() : m->queueWait.counts());
    }
}

// The current budget period of every configured tenant.
void budgets(QByteArray &out, const QList<BudgetSnapshot> &list)
{
    struct Gauge
    {
        const char *name;
        const char *help;
        std::function<std::optional<double>(const BudgetSnapshot &)> value;
    };
    const Gauge gauges[] = {
        {"tenantrelay_tenant_budget_usd", "The monthly budget (tenants with one).",
         [](const BudgetSnapshot &b) { return b.budgetUsd; }},
        {"tenantrelay_tenant_spent_usd", "Spend in the current budget period.",
         [](const BudgetSnapshot &b) { return std::optional(b.spentUsd); }},
        {"tenantrelay_tenant_in_flight_usd", "Estimated cost of the requests in flight.",
         [](const BudgetSnapshot &b) { return std::optional(b.inFlightUsd); }},
        {"tenantrelay_tenant_forecast_usd", "Projected spend at the end of the period.",
         [](const BudgetSnapshot &b) { return std::optional(b.forecastUsd); }},
    };
    for (const Gauge &g : gauges) {
        out += QByteArray("# HELP ") + g.name + ' ' + g.help + '\n';
        out += QByteArray("# TYPE ") + g.name + " gauge\n";
        for (const BudgetSnapshot &b : list)
            if (const std::optional<double> v = g.value(b))
                out += g.name + QByteArray("{tenant=") + label(b.tenant) + "} " +
                       QByteArray::number(*v, 'g', 12) + '\n';
    }
}

} // namespace

QByteArray prometheusText(RelayContext &context)
{
    const PoolFigures figures = context.poolFigures();
    QHash<QString, qint64> queuedByUpstream;
    QHash<QString, qint64> inFlightByUpstream;
    for (auto it = figures.pools.cbegin(); it != figures.pools.cend(); ++it) {
        queuedByUpstream.insert(it.key(), it->waiting);
        inFlightByUpstream.insert(it.key(), it->inFlight);
        context.metrics().upstream(it.key()); // every configured upstream is listed
    }
    QByteArray out;
    out.reserve(16 * 1024);
    flows(out, "tenant", context.metrics().tenants(), figures.queuedByTenant, {}, false);
    flows(out, "upstream", context.metrics().upstreams(), queuedByUpstream, inFlightByUpstream,
          true);
    budgets(out, context.budgets().snapshots());
    return out;
}

} // namespace relay
