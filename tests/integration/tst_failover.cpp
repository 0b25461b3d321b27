// Failover end to end (interface.md §4 "Failover"): a primary and a backup simulated provider
// behind the real engine. Each failure mode of the primary is answered by the backup with no
// client error; the primary's circuit opens, is recorded (state, audit, `upstream list`),
// cools down and closes again on a probe; the manual pin moves traffic and is recorded; both
// failing gives 502 after the last target's retries; the backup's pool cap holds in a storm; a
// request whose whole chain cools down waits to be the probe.

#include "RelayHarness.h"

#include "core/Clock.h"
#include "store/RelayState.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QSqlQuery>
#include <QTest>

using namespace relay;
using namespace relay::test;

namespace {

const QString kModel = QStringLiteral("gpt-4o");

// The relay with `primary` (the harness's simulator) and `backup` in one chain for gpt-4o.
struct Setup
{
    explicit Setup(Clock *clock = nullptr, int backupConnections = 8)
    {
        h.addSimUpstream(QStringLiteral("primary"), h.sim());
        h.addSimUpstream(QStringLiteral("backup"), backup, backupConnections);
        const AdminResult r =
            h.admin().setRoute(kModel, {QStringLiteral("primary"), QStringLiteral("backup")});
        if (!r.ok)
            qFatal("setRoute: %s", qPrintable(r.error));
        TenantChanges t;
        t.tier = QStringLiteral("dedicated"); // 5 s queue deadline
        key = h.addTenant(QStringLiteral("app"), t);
        EngineOptions options;
        options.clock = clock;
        options.configPollMs = 200;
        if (!h.start(options))
            qFatal("the engine did not start");
    }

    TestResponse chat(bool stream = false, const QString &model = kModel)
    {
        return request(h.port(), "POST", "/v1/chat/completions",
                       RelayHarness::chatBody(model, QStringLiteral("hello"), stream),
                       TestHttpClient::bearer(key), 20'000);
    }

    QString recordedState(const QString &upstream)
    {
        QSqlQuery q(h.db());
        q.prepare(QStringLiteral("SELECT state FROM upstream_state WHERE name = ?"));
        q.addBindValue(upstream);
        return q.exec() && q.next() ? q.value(0).toString() : QString();
    }

    int auditCount(const QString &action, const QString &actor)
    {
        QSqlQuery q(h.db());
        q.prepare(QStringLiteral("SELECT COUNT(*) FROM audit WHERE action = ? AND actor = ?"));
        q.addBindValue(action);
        q.addBindValue(actor);
        return q.exec() && q.next() ? q.value(0).toInt() : -1;
    }

    QString listedState(const QString &upstream)
    {
        for (const UpstreamRecord &u : h.admin().listUpstreams().value)
            if (u.name == upstream)
                return u.state;
        return {};
    }

    RelayHarness h;
    Simulator backup;
    QString key;
};

// A manual clock that starts at the real time, so the relay's heartbeat is current for
// `upstream list` in this process.
std::unique_ptr<ManualClock> realTimeManualClock()
{
    return std::make_unique<ManualClock>(QDateTime::currentMSecsSinceEpoch());
}

// Opens the primary's circuit through the one-target route "solo": two requests, each tried
// three times, fail 5 times in a row.
void tripSolo(Setup &s, ManualClock &clock)
{
    s.h.sim().pushFault({SimFault::Status, 500, -1, 0}, 5);
    for (int i = 0; i < 2; ++i) {
        TestHttpClient c(s.h.port());
        c.send("POST", "/v1/chat/completions",
               RelayHarness::chatBody(QStringLiteral("solo"), QStringLiteral("x")),
               TestHttpClient::bearer(s.key));
        // Retries wait on the (manual) clock: move it past each backoff.
        while (!c.response().complete) {
            QTest::qWait(100);
            clock.advance(1'000);
        }
        QCOMPARE(c.response().status, 502);
    }
    QTRY_COMPARE(s.h.engine().stats().circuits[0].state, CircuitState::Open);
}

} // namespace

class TestFailover : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void eachFailureModeIsServedByTheBackup_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("status");
        QTest::addColumn<int>("retryAfter");
        QTest::addColumn<bool>("stream");
        QTest::newRow("500") << int(SimFault::Status) << 500 << -1 << false;
        QTest::newRow("429 with Retry-After") << int(SimFault::Status) << 429 << 20 << false;
        QTest::newRow("529 overloaded") << int(SimFault::Status) << 529 << -1 << false;
        QTest::newRow("503 streamed") << int(SimFault::Status) << 503 << -1 << true;
        QTest::newRow("connection reset") << int(SimFault::Reset) << 0 << -1 << false;
        QTest::newRow("hang past --timeout-ms") << int(SimFault::Hang) << 0 << -1 << false;
        QTest::newRow("stream cut before its first byte")
            << int(SimFault::CutStream) << 0 << -1 << true;
    }

    void eachFailureModeIsServedByTheBackup()
    {
        QFETCH(int, kind);
        QFETCH(int, status);
        QFETCH(int, retryAfter);
        QFETCH(bool, stream);
        Setup s;
        UpstreamChanges shortTimeout;
        shortTimeout.timeoutMs = 300;
        QVERIFY(s.h.admin().setUpstream(QStringLiteral("primary"), shortTimeout).ok);
        s.h.reload();

        // CutStream with -1 chunks: the head arrives, then the connection closes.
        s.h.sim().pushFault({SimFault::Kind(kind), status, retryAfter, -1});
        QElapsedTimer timer;
        timer.start();
        const TestResponse r = s.chat(stream);
        const qint64 movedMs = timer.elapsed();
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("backup"));
        if (stream) {
            QVERIFY(r.body.contains("data: [DONE]"));
            QVERIFY(!r.body.contains("\"error\""));
        } else {
            QCOMPARE(r.json()[QStringLiteral("object")].toString(),
                     QStringLiteral("chat.completion"));
        }
        QCOMPARE(s.h.sim().stats().requests, 1);
        QCOMPARE(s.backup.stats().requests, 1);
        // For the closing note: how long the client waited for the answer that moved.
        qInfo("%s: served by the backup after %lld ms, 0 client errors", QTest::currentDataTag(),
              movedMs);

        // One failure does not open the circuit: the next request goes to the primary again.
        const TestResponse next = s.chat(stream);
        QCOMPARE(next.status, 200);
        QCOMPARE(next.header("x-tenantrelay-upstream"), QByteArray("primary"));
        const QList<QVariantMap> rows = s.h.usageRows();
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows[0].value(QStringLiteral("upstream")).toString(), QStringLiteral("backup"));
        QCOMPARE(rows[0].value(QStringLiteral("status")).toInt(), 200);
    }

    void circuitOpensIsRecordedAndClosesAfterAProbe()
    {
        auto clock = realTimeManualClock();
        Setup s(clock.get());
        s.h.sim().pushFault({SimFault::Status, 500, -1, 0}, 5);
        for (int i = 0; i < 5; ++i) {
            const TestResponse r = s.chat();
            QCOMPARE(r.status, 200);
            QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("backup"));
        }
        QCOMPARE(s.h.sim().stats().requests, 5);
        // Open: the primary is not even tried.
        for (int i = 0; i < 3; ++i)
            QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("backup"));
        QCOMPARE(s.h.sim().stats().requests, 5);

        // Recorded for other processes and in the audit log (the watcher writes each tick).
        QTRY_COMPARE(s.recordedState(QStringLiteral("primary")), QStringLiteral("open"));
        QCOMPARE(s.auditCount(QStringLiteral("circuit.open"), QStringLiteral("relay")), 1);
        QCOMPARE(s.listedState(QStringLiteral("primary")), QStringLiteral("open"));
        QCOMPARE(s.listedState(QStringLiteral("backup")), QStringLiteral("closed"));
        const EngineStatsSnapshot stats = s.h.engine().stats();
        QCOMPARE(stats.circuits.size(), 2);
        QCOMPARE(stats.circuits[0].state, CircuitState::Open);
        QVERIFY2(stats.circuits[0].reason.contains(QLatin1String("5 consecutive failures")),
                 qPrintable(stats.circuits[0].reason));
        QVERIFY(stats.circuits[0].lastFailover.contains(QLatin1String("backup")));

        // Cooldown over: the next request is the probe, it succeeds, traffic returns.
        clock->advance(30'000);
        const TestResponse probe = s.chat();
        QCOMPARE(probe.status, 200);
        QCOMPARE(probe.header("x-tenantrelay-upstream"), QByteArray("primary"));
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("primary"));
        QTRY_COMPARE(s.recordedState(QStringLiteral("primary")), QStringLiteral("closed"));
        QCOMPARE(s.auditCount(QStringLiteral("circuit.half-open"), QStringLiteral("relay")), 1);
        QCOMPARE(s.auditCount(QStringLiteral("circuit.closed"), QStringLiteral("relay")), 1);
        QCOMPARE(s.listedState(QStringLiteral("primary")), QStringLiteral("closed"));
    }

    // A stream the upstream breaks after its first bytes cannot move (the client has part of
    // the answer): it ends with an error event, is recorded as cut, and counts against the
    // upstream, so five in a row open its circuit and the next stream goes to the backup.
    void streamsBrokenAfterTheirFirstBytesOpenTheCircuit()
    {
        Setup s;
        s.h.sim().pushFault({SimFault::CutStream, 0, -1, 2}, 5);
        for (int i = 0; i < 5; ++i) {
            const TestResponse r = s.chat(true);
            QCOMPARE(r.status, 200);
            QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("primary"));
            QVERIFY(r.body.contains("\"error\""));
            QVERIFY(!r.body.contains("data: [DONE]"));
        }
        QTRY_COMPARE(s.h.engine().stats().circuits[0].state, CircuitState::Open);
        const QString reason = s.h.engine().stats().circuits[0].reason;
        QVERIFY2(reason.contains(QLatin1String("5 consecutive failures")), qPrintable(reason));
        const TestResponse next = s.chat(true);
        QCOMPARE(next.status, 200);
        QCOMPARE(next.header("x-tenantrelay-upstream"), QByteArray("backup"));
        QVERIFY(next.body.contains("data: [DONE]"));
        QCOMPARE(s.h.sim().stats().requests, 5);
        const QList<QVariantMap> rows = s.h.usageRows();
        QCOMPARE(rows.size(), 6);
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(rows[i].value(QStringLiteral("status")).toInt(), 502);
            QCOMPARE(rows[i].value(QStringLiteral("error")).toString(),
                     QStringLiteral("stream_cut"));
        }
        QCOMPARE(rows[5].value(QStringLiteral("status")).toInt(), 200);
    }

    // Streams that end well keep the circuit closed however many there are.
    void completeStreamsKeepTheCircuitClosed()
    {
        Setup s;
        for (int i = 0; i < 8; ++i)
            QCOMPARE(s.chat(true).header("x-tenantrelay-upstream"), QByteArray("primary"));
        QCOMPARE(s.h.engine().stats().circuits[0].state, CircuitState::Closed);
    }

    void failedProbeReopensWithADoubledCooldown()
    {
        auto clock = realTimeManualClock();
        Setup s(clock.get());
        s.h.sim().pushFault({SimFault::Status, 500, -1, 0}, 6);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(s.chat().status, 200);
        clock->advance(30'000);
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("backup")); // probe failed
        QCOMPARE(s.h.sim().stats().requests, 6);
        clock->advance(59'000);
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("backup"));
        QCOMPARE(s.h.sim().stats().requests, 6); // still open: 60 s now
        clock->advance(1'000);
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("primary"));
    }

    void idleCheckOfAnOpenCircuitExtendsTheCooldown()
    {
        auto clock = realTimeManualClock();
        Setup s(clock.get());
        s.h.sim().pushFault({SimFault::Status, 500, -1, 0}, 5);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(s.chat().status, 200);
        s.h.sim().clearReceived();
        // 20 s into the cooldown the idle check (GET /v1/models) fails.
        s.h.sim().pushFault({SimFault::Status, 503, -1, 0});
        clock->advance(20'000);
        QTRY_VERIFY(!s.h.sim().received().isEmpty());
        const SimReceivedRequest check = s.h.sim().received().first();
        QCOMPARE(check.method, QByteArray("GET"));
        QCOMPARE(check.path, QByteArray("/v1/models"));
        QVERIFY(check.authorization.startsWith("Bearer sk-upstream-secret"));
        QTRY_VERIFY(
            s.h.engine().stats().circuits[0].reason.contains(QLatin1String("idle check failed")));
        // The original cooldown would be over at 30 s; the failed check moved it to 50 s.
        clock->advance(15'000);
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("backup"));
        clock->advance(15'000);
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("primary"));
    }

    void pinAndUnpinMoveTrafficAndAreRecorded()
    {
        Setup s;
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("primary"));
        QVERIFY(s.h.admin().pinUpstream(QStringLiteral("backup")).ok);
        // Live without a restart (the watcher polls; here every 200 ms).
        QTRY_COMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("backup"));
        // A model without a route is served by the pinned upstream too.
        QCOMPARE(s.chat(false, QStringLiteral("unrouted-model")).header("x-tenantrelay-upstream"),
                 QByteArray("backup"));
        // The rest of the chain still backs the pinned upstream up.
        s.backup.pushFault({SimFault::Status, 500, -1, 0});
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("primary"));
        QCOMPARE(s.h.engine().stats().pinnedUpstream, QStringLiteral("backup"));

        const AdminValue<QString> unpinned = s.h.admin().unpinUpstream();
        QVERIFY(unpinned.ok);
        QCOMPARE(unpinned.value, QStringLiteral("backup"));
        QTRY_COMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("primary"));
        QCOMPARE(s.auditCount(QStringLiteral("failover.pin"), s.h.admin().actor()), 1);
        QCOMPARE(s.auditCount(QStringLiteral("failover.unpin"), s.h.admin().actor()), 1);
        QVERIFY(!s.h.admin().unpinUpstream().ok); // nothing pinned
        QCOMPARE(s.h.admin().pinUpstream(QStringLiteral("nope")).kind, AdminErrorKind::NotFound);
    }

    void bothFailingGives502AfterRetriesOfTheLastTarget()
    {
        Setup s;
        s.h.sim().pushFault({SimFault::Status, 500, -1, 0});
        s.backup.pushFault({SimFault::Status, 503, -1, 0}, 3);
        const TestResponse r = s.chat();
        QCOMPARE(r.status, 502);
        QCOMPARE(r.errorField("code"), QStringLiteral("upstream_error"));
        QCOMPARE(r.errorField("type"), QStringLiteral("server_error"));
        QVERIFY2(r.errorField("message").contains(QLatin1String("503")),
                 qPrintable(r.errorField("message")));
        QVERIFY(!r.body.contains("sk-upstream-secret"));
        QCOMPARE(s.h.sim().stats().requests, 1); // not the last target: not retried
        QCOMPARE(s.backup.stats().requests, 3);  // the last: tried and retried twice

        // A Retry-After over 30 s: no retry.
        s.h.sim().pushFault({SimFault::Status, 500, -1, 0});
        s.backup.pushFault({SimFault::Status, 429, 60, 0});
        QCOMPARE(s.chat().status, 502);
        QCOMPARE(s.backup.stats().requests, 4);

        // A short Retry-After is honoured, then the retry succeeds. (A fresh relay: the backup
        // has failed 4 times in a row above, a fifth would open its circuit.)
        Setup fresh;
        fresh.h.sim().pushFault({SimFault::Status, 500, -1, 0});
        fresh.backup.pushFault({SimFault::Status, 429, 1, 0});
        QElapsedTimer timer;
        timer.start();
        const TestResponse ok = fresh.chat();
        QCOMPARE(ok.status, 200);
        QVERIFY2(timer.elapsed() >= 1000, "the retry came before the upstream's Retry-After");
        QCOMPARE(fresh.backup.stats().requests, 2);
    }

    // A client that leaves while its request waits out a retry's backoff is recorded as 499
    // with nothing billed: no upstream was holding it.
    void clientLeavingDuringABackoffIsNotBilled()
    {
        Setup s;
        s.h.sim().pushFault({SimFault::Status, 500, -1, 0});
        s.backup.pushFault({SimFault::Status, 429, 20, 0}); // the retry would come in 20 s
        TestHttpClient c(s.h.port());
        c.send("POST", "/v1/chat/completions",
               RelayHarness::chatBody(kModel, QStringLiteral("a prompt worth some tokens")),
               TestHttpClient::bearer(s.key));
        QTRY_COMPARE(s.backup.stats().requests, 1);
        c.close();
        QTRY_VERIFY((s.h.engine().flushUsage(), s.h.usageRows().size() == 1));
        const QVariantMap row = s.h.usageRows().first();
        QCOMPARE(row.value(QStringLiteral("status")).toInt(), 499);
        QCOMPARE(row.value(QStringLiteral("prompt_tokens")).toLongLong(), qint64(0));
        QCOMPARE(row.value(QStringLiteral("cost_usd")).toDouble(), 0.0);
        QCOMPARE(s.backup.stats().requests, 1);
    }

    void backupPoolCapHoldsInAFailoverStorm()
    {
        Setup s(nullptr, 2);
        s.h.sim().setErrorRate(1.0); // the primary answers 500 to everything
        s.backup.setLatencyMs(50);
        constexpr int kClients = 30;
        std::vector<std::unique_ptr<TestHttpClient>> clients;
        for (int i = 0; i < kClients; ++i) {
            clients.push_back(std::make_unique<TestHttpClient>(s.h.port()));
            clients.back()->send("POST", "/v1/chat/completions",
                                 RelayHarness::chatBody(kModel, QStringLiteral("storm")),
                                 TestHttpClient::bearer(s.key));
        }
        int failed = 0;
        for (auto &c : clients) {
            QVERIFY(c->waitDone(20'000));
            if (c->response().status != 200)
                ++failed;
            QCOMPARE(c->response().header("x-tenantrelay-upstream"), QByteArray("backup"));
        }
        QCOMPARE(failed, 0);
        QCOMPARE(s.backup.stats().requests, kClients);
        QVERIFY2(s.backup.stats().peakInFlight <= 2,
                 qPrintable(QString::number(s.backup.stats().peakInFlight)));
        QCOMPARE(s.backup.stats().peakInFlight, 2); // and it was used to the full
    }

    void requestWaitsToBeTheProbeWhenTheWholeChainCoolsDown()
    {
        auto clock = realTimeManualClock();
        Setup s(clock.get());
        QVERIFY(s.h.admin().setRoute(QStringLiteral("solo"), {QStringLiteral("primary")}).ok);
        s.h.reload();
        tripSolo(s, *clock);

        // Every target open: a request 2 s before the end of the cooldown waits instead of
        // failing...
        const qint64 openUntil = s.h.engine().stats().circuits[0].openUntilWallMs;
        clock->advance(openUntil - clock->wallMs() - 2'000);
        TestHttpClient waiting(s.h.port());
        waiting.send("POST", "/v1/chat/completions",
                     RelayHarness::chatBody(QStringLiteral("solo"), QStringLiteral("x")),
                     TestHttpClient::bearer(s.key));
        QTest::qWait(600);
        QVERIFY(!waiting.response().complete);
        // ...and is sent as the probe once the cooldown is over, within its 5 s deadline.
        const qint64 before = s.h.sim().stats().requests;
        clock->advance(3'000);
        QVERIFY(waiting.waitDone(5'000));
        QCOMPARE(waiting.response().status, 200);
        QCOMPARE(s.h.sim().stats().requests, before + 1);

        // Open again, and the wait runs past the tenant's queue deadline (5 s): 503.
        tripSolo(s, *clock);
        TestHttpClient late(s.h.port());
        late.send("POST", "/v1/chat/completions",
                  RelayHarness::chatBody(QStringLiteral("solo"), QStringLiteral("x")),
                  TestHttpClient::bearer(s.key));
        QTest::qWait(300);
        clock->advance(5'100);
        QVERIFY(late.waitDone(5'000));
        QCOMPARE(late.response().status, 503);
        QCOMPARE(late.response().errorField("code"), QStringLiteral("server_overloaded"));
    }

    void upstreamListSaysUnknownWithoutARunningRelay()
    {
        Setup s;
        QTRY_COMPARE(s.listedState(QStringLiteral("primary")), QStringLiteral("closed"));
        s.h.stopEngine();
        QCOMPARE(s.listedState(QStringLiteral("primary")), QStringLiteral("unknown"));
    }

    // A relay that starts again starts with every circuit closed, and lists them so: the open
    // state an earlier run left is not shown as the new relay's.
    void restartedRelayListsItsOwnClosedCircuits()
    {
        Setup s;
        s.h.sim().pushFault({SimFault::Status, 500, -1, 0}, 5);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(s.chat().status, 200);
        QTRY_COMPARE(s.listedState(QStringLiteral("primary")), QStringLiteral("open"));
        s.h.stopEngine();
        EngineOptions options;
        options.configPollMs = 200;
        QVERIFY(s.h.start(options));
        QTRY_COMPARE(s.listedState(QStringLiteral("primary")), QStringLiteral("closed"));
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("primary"));
    }
};

QTEST_GUILESS_MAIN(TestFailover)
#include "tst_failover.moc"
