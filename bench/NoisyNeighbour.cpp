// noisy-neighbour: does a flood from one tenant slow down another? The real engine on loopback
// in front of the simulated provider (pool of 4 connections, 100 ms per answer). Tenant `batch`
// floods with 64 concurrent clients; `prod` and `reports` send 5 requests/s each, evenly
// spaced (open loop), for 10 s. The same traffic runs three times:
//   tiers      prod dedicated, reports guaranteed, batch best-effort (the product's answer)
//   fair       all three best-effort (fair queuing between tenants, no reservations)
//   shared-key all traffic under one tenant key: plain FIFO, what a relay without tenants does
// and a table per run gives each tenant's p50/p99 latency, errors by kind and throughput.
#include "RelayHarness.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTimer>

#include <algorithm>
#include <cstdio>

using namespace relay;
using namespace relay::test;

namespace {

constexpr int kPool = 4;
constexpr int kLatencyMs = 100;
constexpr int kBatchClients = 64;
constexpr int kSteadyRate = 5; // requests/s for prod and reports
constexpr int kSeconds = 10;

struct Outcome
{
    qint64 latencyMs;
    int status;
    QByteArray code;
    qint64 finishedAtMs;
};

struct Scenario
{
    const char *name;
    const char *prodTier;
    const char *reportsTier;
    bool sharedKey;
};

double percentile(std::vector<qint64> v, double q)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const size_t i = size_t(std::ceil(q * double(v.size()))) - 1;
    return double(v[std::min(i, v.size() - 1)]);
}

class Run : public QObject
{
public:
    explicit Run(const Scenario &s) : m_scenario(s) {}

    bool setUp()
    {
        m_h.sim().setLatencyMs(kLatencyMs);
        m_h.addSimUpstream(QStringLiteral("sim"), m_h.sim(), kPool);
        auto tenant = [&](const char *id, const char *tier) {
            TenantChanges t;
            t.tier = QString::fromLatin1(tier);
            return m_h.addTenant(QString::fromLatin1(id), t);
        };
        m_keys["batch"] = tenant("batch", "best-effort");
        m_keys["prod"] =
            m_scenario.sharedKey ? m_keys["batch"] : tenant("prod", m_scenario.prodTier);
        m_keys["reports"] =
            m_scenario.sharedKey ? m_keys["batch"] : tenant("reports", m_scenario.reportsTier);
        EngineOptions options;
        options.server.workers = 2;
        return m_h.start(options);
    }

    void execute()
    {
        m_clock.start();
        for (int i = 0; i < kBatchClients; ++i)
            send("batch", true);
        auto *steady = new QTimer(this);
        steady->setTimerType(Qt::PreciseTimer);
        steady->setInterval(1000 / kSteadyRate);
        int ticks = 0;
        connect(steady, &QTimer::timeout, this, [this, steady, &ticks] {
            if (++ticks > kSteadyRate * kSeconds) {
                steady->stop();
                return;
            }
            send("prod", false);
            send("reports", false);
        });
        send("prod", false);
        send("reports", false);
        steady->start();
        QEventLoop loop;
        QTimer::singleShot(kSeconds * 1000, &loop, &QEventLoop::quit);
        loop.exec();
        m_stopped = true;
        // Let what is in flight finish (the longest queue deadline is 30 s).
        QElapsedTimer drain;
        drain.start();
        while (m_outstanding > 0 && drain.elapsed() < 35'000)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    }

    void print() const
    {
        std::printf("\n### %s\n\n", m_scenario.name);
        std::printf("| tenant  | tier        | requests | p50 ms | p99 ms | errors            | "
                    "throughput req/s |\n");
        std::printf("|---------|-------------|----------|--------|--------|-------------------|--"
                    "----------------|\n");
        for (const char *tenant : {"prod", "reports", "batch"}) {
            const auto &outcomes = m_outcomes.value(tenant);
            std::vector<qint64> ok;
            QMap<QByteArray, int> errors;
            int inWindow = 0;
            for (const Outcome &o : outcomes) {
                if (o.status == 200) {
                    ok.push_back(o.latencyMs);
                    if (o.finishedAtMs <= kSeconds * 1000)
                        ++inWindow;
                } else {
                    errors[QByteArray::number(o.status) + ' ' + o.code] += 1;
                }
            }
            QByteArray errorText;
            for (auto it = errors.cbegin(); it != errors.cend(); ++it)
                errorText += it.key() + " ×" + QByteArray::number(it.value()) + ' ';
            if (errorText.isEmpty())
                errorText = "0";
            const char *tier = m_scenario.sharedKey                  ? "(one key)"
                               : QByteArrayView(tenant) == "prod"    ? m_scenario.prodTier
                               : QByteArrayView(tenant) == "reports" ? m_scenario.reportsTier
                                                                     : "best-effort";
            std::printf("| %-7s | %-11s | %8d | %6.0f | %6.0f | %-17s | %16.1f |\n", tenant, tier,
                        int(outcomes.size()), percentile(ok, 0.50), percentile(ok, 0.99),
                        errorText.trimmed().constData(), double(inWindow) / kSeconds);
        }
        std::fflush(stdout);
    }

private:
    void send(const char *tenant, bool closedLoop)
    {
        if (m_stopped)
            return;
        ++m_outstanding;
        auto *client = new TestHttpClient(m_h.port(), this);
        const qint64 sentAt = m_clock.elapsed();
        connect(client, &TestHttpClient::done, this, [this, client, tenant, closedLoop, sentAt] {
            client->disconnect(this);
            const TestResponse &r = client->response();
            const qint64 now = m_clock.elapsed();
            m_outcomes[tenant].append({now - sentAt, r.complete ? r.status : 0,
                                       r.json()[QStringLiteral("error")]
                                           .toObject()[QStringLiteral("code")]
                                           .toString()
                                           .toUtf8(),
                                       now});
            --m_outstanding;
            client->deleteLater();
            if (closedLoop)
                QMetaObject::invokeMethod(
                    this, [this, tenant] { send(tenant, true); }, Qt::QueuedConnection);
        });
        client->send("POST", "/v1/chat/completions",
                     RelayHarness::chatBody(QStringLiteral("gpt-4o"),
                                            QString::fromLatin1(tenant) + QStringLiteral(" asks")),
                     TestHttpClient::bearer(m_keys.value(tenant)));
    }

    Scenario m_scenario;
    RelayHarness m_h;
    QHash<QByteArray, QString> m_keys;
    QHash<QByteArray, QList<Outcome>> m_outcomes;
    QElapsedTimer m_clock;
    int m_outstanding = 0;
    bool m_stopped = false;
};

} // namespace

int main(int argc, char *argv[])
{
    qputenv("QT_NO_GLIB", QByteArray("1"));
    QCoreApplication app(argc, argv);
    std::printf("noisy-neighbour: pool %d, upstream %d ms, batch %d concurrent clients, prod and "
                "reports %d req/s each, %d s per run. Targets (tiers): prod p99 <= %d ms, reports "
                "p99 <= %d ms, both 0 errors, batch >= %.0f req/s (90%% of 2 unreserved slots).\n",
                kPool, kLatencyMs, kBatchClients, kSteadyRate, kSeconds, kLatencyMs + 5, 120,
                0.9 * 2 * 1000.0 / kLatencyMs);
    const Scenario scenarios[] = {
        {"tiers: prod dedicated, reports guaranteed, batch best-effort", "dedicated", "guaranteed",
         false},
        {"fair: all best-effort (fair queuing between tenants, nothing reserved)", "best-effort",
         "best-effort", false},
        {"shared-key: all traffic on one key (plain FIFO, no tenant isolation)", "best-effort",
         "best-effort", true},
    };
    const QStringList only = app.arguments().mid(1);
    for (const Scenario &s : scenarios) {
        if (!only.isEmpty() && !only.contains(QString::fromLatin1(s.name).section(u':', 0, 0)))
            continue;
        Run run(s);
        if (!run.setUp()) {
            std::fprintf(stderr, "noisy-neighbour: the relay did not start\n");
            return 1;
        }
        run.execute();
        run.print();
    }
    return 0;
}
