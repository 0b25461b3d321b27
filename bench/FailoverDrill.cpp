// failover-drill: what the clients of a relay see when their primary provider fails. The real
// engine on loopback in front of two simulated providers, `primary` and `backup` (20 ms per
// answer each, the backup with a pool of 4 connections), with gpt-4o routed primary,backup and
// one tenant sending 100 chat completions a second, evenly spaced (open loop), over keep-alive
// connections. Each failure mode gets a fresh relay (circuits closed): 2 s healthy, then every
// request to the primary fails in that way until the end of the 6 s run. Per mode: requests
// sent, requests that did not get a clean 200, client latency while the primary fails, the
// time from the failure to the first answer served by the backup and to the primary's circuit
// opening, and how many client requests still reached the primary after it opened. The first
// mode then heals the primary and times how long until traffic returns to it.
//
//   failover-drill [--only TEXT]   (just the modes whose name contains TEXT, e.g. "hang")
#include "RelayHarness.h"

#include "upstream/CircuitBreaker.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QMap>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

using namespace relay;
using namespace relay::test;

namespace {

constexpr int kLatencyMs = 20;
constexpr int kBackupConnections = 4;
constexpr int kRate = 100; // client requests/s
constexpr qint64 kHealthyMs = 2000;
constexpr qint64 kRunMs = 6000; // healthy, then failing
constexpr int kHangTimeoutMs = 500;
constexpr int kTickMs = 5; // sending and circuit polling
constexpr int kFaults = 100'000;
constexpr qint64 kRecoveryLimitMs = 60'000;
constexpr qint64 kDrainLimitMs = 35'000;

const QString kModel = QStringLiteral("gpt-4o");
const QString kPrimary = QStringLiteral("primary");
const QString kBackup = QStringLiteral("backup");

struct Mode
{
    const char *name;
    SimFault fault;
    bool stream;
    bool recover; // after the run: heal the primary and time the return of traffic
};

struct Outcome
{
    qint64 sentMs = 0;
    qint64 doneMs = -1; // -1: no answer
    bool ok = false;
    QByteArray failure; // when not ok: status and error code
    QByteArray upstream;
};

QString ms(qint64 v)
{
    return v < 0 ? QStringLiteral("—") : QString::number(v);
}

// The nearest-rank percentile (0 < p <= 100) of `values`, in ms; "—" when there are none.
QString percentileText(QList<qint64> values, int p)
{
    if (values.isEmpty())
        return QStringLiteral("—");
    std::sort(values.begin(), values.end());
    const qsizetype rank = qMax<qsizetype>(1, (values.size() * p + 99) / 100);
    return QString::number(values[qMin(rank, values.size()) - 1]);
}

// Runs the event loop until `done` holds or `limitMs` passed.
void waitFor(const std::function<bool()> &done, qint64 limitMs)
{
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < limitMs)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, kTickMs);
}

class Drill : public QObject
{
public:
    explicit Drill(const Mode &mode) : m_mode(mode) {}

    bool setUp()
    {
        m_h.sim().setLatencyMs(kLatencyMs);
        m_backup.setLatencyMs(kLatencyMs);
        m_h.addSimUpstream(kPrimary, m_h.sim());
        m_h.addSimUpstream(kBackup, m_backup, kBackupConnections);
        if (m_mode.fault.kind == SimFault::Hang) {
            UpstreamChanges shortTimeout;
            shortTimeout.timeoutMs = kHangTimeoutMs;
            if (!m_h.admin().setUpstream(kPrimary, shortTimeout).ok)
                return false;
        }
        if (!m_h.admin().setRoute(kModel, {kPrimary, kBackup}).ok)
            return false;
        m_key = m_h.addTenant(QStringLiteral("app"));
        EngineOptions options;
        options.server.workers = 2;
        return m_h.start(options);
    }

    void execute()
    {
        m_clock.start();
        auto *ticker = new QTimer(this);
        ticker->setTimerType(Qt::PreciseTimer);
        ticker->setInterval(kTickMs);
        connect(ticker, &QTimer::timeout, this, [this] {
            sendDue();
            pollCircuit();
        });
        ticker->start();
        waitFor([this] { return m_clock.elapsed() >= kHealthyMs; }, kRunMs);
        m_failStartMs = m_clock.elapsed();
        m_failStartWallMs = QDateTime::currentMSecsSinceEpoch();
        m_h.sim().pushFault(m_mode.fault, kFaults);
        waitFor([this] { return m_clock.elapsed() >= kRunMs; }, kRunMs);
        m_windowEndMs = m_clock.elapsed();
        if (m_mode.recover) {
            m_h.sim().clearFaults();
            m_healMs = m_clock.elapsed();
            m_primaryAtHeal = m_h.sim().stats().requests;
            waitFor([this] { return m_backToPrimaryMs >= 0; }, kRecoveryLimitMs);
        }
        m_sending = false;
        waitFor([this] { return m_busy.isEmpty(); }, kDrainLimitMs);
        ticker->stop();
        // Client requests (not idle checks of the models list) the primary got after it opened.
        if (m_primaryAtOpen >= 0) {
            const QList<SimReceivedRequest> received = m_h.sim().received();
            for (qsizetype i = m_primaryAtOpen; i < received.size(); ++i) {
                if (m_healMs >= 0 && i >= m_primaryAtHeal)
                    break;
                (received[i].path.endsWith("/models") ? m_idleChecksAfterOpen : m_hitsAfterOpen) +=
                    1;
            }
        }
    }

    // One row of the table (Markdown).
    QString row() const
    {
        int sent = 0;
        int failed = 0;
        QMap<QByteArray, int> failures;
        QList<qint64> failingLatency;
        for (const Outcome &o : m_outcomes) {
            if (o.sentMs >= m_windowEndMs)
                continue;
            ++sent;
            if (!o.ok) {
                ++failed;
                failures[o.failure] += 1;
            } else if (o.sentMs >= m_failStartMs) {
                failingLatency.append(o.doneMs - o.sentMs);
            }
        }
        QString failedText = QString::number(failed);
        for (auto it = failures.cbegin(); it != failures.cend(); ++it)
            failedText += QStringLiteral(" (%1 ×%2)").arg(QString::fromUtf8(it.key())).arg(*it);
        const QString hits = m_primaryAtOpen < 0 ? QStringLiteral("—")
                                                 : QStringLiteral("%1 (+%2 idle checks)")
                                                       .arg(m_hitsAfterOpen)
                                                       .arg(m_idleChecksAfterOpen);
        return QStringLiteral("| %1 | %2 | %3 | %4 | %5 | %6 | %7 | %8 |")
            .arg(QString::fromLatin1(m_mode.name), -33)
            .arg(sent, 8)
            .arg(failedText, 6)
            .arg(percentileText(failingLatency, 50), 6)
            .arg(percentileText(failingLatency, 99), 6)
            .arg(ms(m_firstBackupMs), 17)
            .arg(ms(m_openWallMs < 0 ? -1 : m_openWallMs - m_failStartWallMs), 15)
            .arg(hits, -23);
    }

    // The recovery phase, when there was one.
    QString recovery() const
    {
        int sent = 0;
        int failed = 0;
        for (const Outcome &o : m_outcomes) {
            if (o.sentMs < m_healMs)
                continue;
            ++sent;
            failed += o.ok ? 0 : 1;
        }
        const qint64 openMs = m_openWallMs - m_failStartWallMs;
        const qint64 healedAfterOpenMs = (m_healMs - m_failStartMs) - openMs;
        return QStringLiteral(
                   "Recovery (%1): the primary healed %2 ms after its circuit opened; the first "
                   "answer from the primary came %3 ms after healing (%4 ms after the circuit "
                   "opened; cooldown 30 s), the circuit was closed again %5 ms after healing; "
                   "%6 requests during recovery, %7 failed.")
            .arg(QString::fromLatin1(m_mode.name))
            .arg(healedAfterOpenMs)
            .arg(ms(m_backToPrimaryMs))
            .arg(ms(m_backToPrimaryMs < 0 ? -1 : m_backToPrimaryMs + healedAfterOpenMs))
            .arg(ms(m_closedWallMs < 0
                        ? -1
                        : m_closedWallMs - m_failStartWallMs - (m_healMs - m_failStartMs)))
            .arg(sent)
            .arg(failed);
    }

private:
    // Keeps the open-loop rate: sends what is due by now.
    void sendDue()
    {
        const qint64 due = m_clock.elapsed() * kRate / 1000 + 1;
        while (m_sending && qint64(m_outcomes.size()) < due)
            send();
    }

    void send()
    {
        TestHttpClient *client = nullptr;
        if (m_idle.empty()) {
            client = new TestHttpClient(m_h.port(), this);
            connect(client, &TestHttpClient::done, this, [this, client] { finished(client); });
        } else {
            client = m_idle.back();
            m_idle.pop_back();
            client->resetResponse();
        }
        Outcome o;
        o.sentMs = m_clock.elapsed();
        m_busy.insert(client, m_outcomes.size());
        m_outcomes.push_back(o);
        client->send("POST", "/v1/chat/completions",
                     RelayHarness::chatBody(kModel, QStringLiteral("hello"), m_mode.stream),
                     TestHttpClient::bearer(m_key));
    }

    void finished(TestHttpClient *client)
    {
        // `done` also comes when an idle keep-alive connection closes.
        const auto it = m_busy.constFind(client);
        if (it == m_busy.cend())
            return;
        Outcome &o = m_outcomes[*it];
        m_busy.erase(it);
        const TestResponse &r = client->response();
        o.doneMs = m_clock.elapsed();
        o.upstream = r.header("x-tenantrelay-upstream");
        o.ok =
            r.complete && r.status == 200 &&
            (!m_mode.stream || (r.body.contains("data: [DONE]") && !r.body.contains("\"error\"")));
        if (!o.ok)
            o.failure = r.complete
                            ? QByteArray::number(r.status) + ' ' + r.errorField("code").toUtf8()
                            : QByteArray("no complete answer");
        if (o.ok && o.upstream == kBackup.toUtf8() && m_failStartMs >= 0 && m_firstBackupMs < 0)
            m_firstBackupMs = o.doneMs - m_failStartMs;
        if (o.ok && o.upstream == kPrimary.toUtf8() && m_healMs >= 0 && m_backToPrimaryMs < 0)
            m_backToPrimaryMs = o.doneMs - m_healMs;
        if (r.complete && !r.connectionClosed &&
            r.header("connection").compare("close", Qt::CaseInsensitive) != 0) {
            m_idle.push_back(client);
        } else {
            client->disconnect(this);
            client->deleteLater();
        }
    }

    void pollCircuit()
    {
        if (m_failStartMs < 0)
            return;
        for (const CircuitSnapshot &c : m_h.engine().stats().circuits) {
            if (c.upstream != kPrimary)
                continue;
            if (m_openWallMs < 0 && c.state == CircuitState::Open) {
                m_openWallMs = c.changedWallMs;
                m_primaryAtOpen = m_h.sim().stats().requests;
            }
            if (m_healMs >= 0 && m_closedWallMs < 0 && c.state == CircuitState::Closed)
                m_closedWallMs = c.changedWallMs;
        }
    }

    Mode m_mode;
    Simulator m_backup; // outlives the relay (declared before the harness)
    RelayHarness m_h;
    QString m_key;
    QElapsedTimer m_clock;
    std::vector<Outcome> m_outcomes;
    QHash<TestHttpClient *, size_t> m_busy; // client → its request's outcome
    std::vector<TestHttpClient *> m_idle;
    bool m_sending = true;
    qint64 m_failStartMs = -1;
    qint64 m_failStartWallMs = -1;
    qint64 m_windowEndMs = -1;
    qint64 m_healMs = -1;
    qint64 m_firstBackupMs = -1;
    qint64 m_backToPrimaryMs = -1;
    qint64 m_openWallMs = -1;
    qint64 m_closedWallMs = -1;
    qint64 m_primaryAtOpen = -1;
    qint64 m_primaryAtHeal = -1;
    int m_hitsAfterOpen = 0;
    int m_idleChecksAfterOpen = 0;
};

} // namespace

int main(int argc, char *argv[])
{
    qputenv("QT_NO_GLIB", QByteArray("1"));
    QCoreApplication app(argc, argv);
    std::printf("failover-drill: route gpt-4o → primary,backup (both %d ms, backup pool %d), one "
                "tenant, %d req/s evenly spaced over keep-alive connections; per mode a fresh "
                "relay, %lld s healthy, then the primary fails for %lld s. Latency while failing; "
                "times from the moment the primary began to fail.\n",
                kLatencyMs, kBackupConnections, kRate, kHealthyMs / 1000,
                (kRunMs - kHealthyMs) / 1000);
    const Mode modes[] = {
        {"500 on every request", {SimFault::Status, 500, -1, 0}, false, true},
        {"429 with Retry-After: 20", {SimFault::Status, 429, 20, 0}, false, false},
        {"529 overloaded", {SimFault::Status, 529, -1, 0}, false, false},
        {"connection reset", {SimFault::Reset, 0, -1, 0}, false, false},
        {"hang, --timeout-ms 500", {SimFault::Hang, 0, -1, 0}, false, false},
        {"500, streamed", {SimFault::Status, 500, -1, 0}, true, false},
        {"connection reset, streamed", {SimFault::Reset, 0, -1, 0}, true, false},
        {"stream cut before its first byte", {SimFault::CutStream, 0, -1, -1}, true, false},
        {"stream cut after 2 chunks", {SimFault::CutStream, 0, -1, 2}, true, false},
    };
    // --only TEXT: just the modes whose name contains TEXT (e.g. --only hang).
    const QStringList args = app.arguments();
    const qsizetype only = args.indexOf(QStringLiteral("--only"));
    const QString filter = only >= 0 && only + 1 < args.size() ? args.at(only + 1) : QString();
    QStringList rows;
    QString recovery;
    for (const Mode &mode : modes) {
        if (!QString::fromUtf8(mode.name).contains(filter))
            continue;
        std::fprintf(stderr, "failover-drill: %s…\n", mode.name);
        Drill drill(mode);
        if (!drill.setUp()) {
            std::fprintf(stderr, "failover-drill: the relay did not start\n");
            return 1;
        }
        drill.execute();
        rows.append(drill.row());
        if (mode.recover)
            recovery = drill.recovery();
    }
    std::printf("\n| mode                              | requests | failed | p50 ms | p99 ms | "
                "first backup ms  | circuit open ms | primary hits after open |\n");
    std::printf("|-----------------------------------|---------:|-------:|-------:|-------:|"
                "-----------------:|----------------:|-------------------------|\n");
    for (const QString &row : rows)
        std::printf("%s\n", qPrintable(row));
    std::printf("\n%s\n", qPrintable(recovery));
    std::fflush(stdout);
    return 0;
}
