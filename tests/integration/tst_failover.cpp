// Failover end to end (interface.md §4 "Failover"): a primary and a backup simulated provider
// behind the real engine. Each failure mode of the primary is answered by the backup with no
// client error; the primary's circuit opens, is recorded (state, audit, `upstream list`),
// cools down and closes again on a probe; the manual pin moves traffic and is recorded; both
// failing gives 502 after the last target's retries, or 429 when the last failure was the
// provider's rate limit; the backup's pool cap holds in a storm; a request whose whole chain
// cools down waits to be the probe.
// Every relay here runs on a manual clock: timeouts, backoffs, cooldowns, idle checks and the
// config poll happen when the test moves the clock (RelayHarness::advance), never on their own.

#include "RelayHarness.h"

#include "core/Clock.h"
#include "store/RelayState.h"

#include <QDateTime>
#include <QJsonObject>
#include <QSqlQuery>
#include <QTest>

using namespace relay;
using namespace relay::test;

namespace {

const QString kModel = QStringLiteral("gpt-4o");

// The relay with `primary` (the harness's simulator) and `backup` in one chain for gpt-4o, on a
// manual clock that starts at the real time (so that the relay's heartbeat is current for
// `upstream list` in this process).
struct Setup
{
    explicit Setup(int backupConnections = 8) : clock(QDateTime::currentMSecsSinceEpoch())
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
        if (!start())
            qFatal("the engine did not start");
    }

    bool start()
    {
        EngineOptions options;
        options.clock = &clock;
        return h.start(options);
    }

    // Sends a chat request without waiting for its answer.
    std::unique_ptr<TestHttpClient> send(const QString &model = kModel)
    {
        auto c = std::make_unique<TestHttpClient>(h.port());
        c->send("POST", "/v1/chat/completions",
                RelayHarness::chatBody(model, QStringLiteral("hello")),
                TestHttpClient::bearer(key));
        return c;
    }

    // True once `attempts` requests have reached `sim` and the relay has taken the last one's
    // failure: the request holds no upstream slot while it waits out its retry's backoff.
    bool retryPending(Simulator &sim, qint64 attempts)
    {
        return QTest::qWaitFor(
            [&] {
                if (sim.stats().requests != attempts)
                    return false;
                for (const FlowSnapshot &t : h.engine().stats().tenants)
                    if (t.name == QLatin1String("app"))
                        return t.inFlight == 0;
                return false;
            },
            10'000);
    }

    // The last target of a request in flight, `sim`, fails twice more after `attemptsBefore`
    // requests: each time the relay has taken the failure, moves the clock past the backoff.
    bool passTwoRetries(Simulator &sim, qint64 attemptsBefore, qint64 backoffMs)
    {
        for (int retry = 1; retry <= 2; ++retry) {
            if (!retryPending(sim, attemptsBefore + retry))
                return false;
            h.advance(backoffMs);
        }
        return true;
    }

    // Chat requests (not idle checks) that reached `sim`.
    static int chatRequests(Simulator &sim)
    {
        int n = 0;
        for (const SimReceivedRequest &r : sim.received())
            n += r.path.endsWith("/chat/completions");
        return n;
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

    ManualClock clock;
    RelayHarness h;
    Simulator backup;
    QString key;
};

// Opens the primary's circuit through the one-target route "solo": two requests, each tried
// three times, fail 5 times in a row. (Retry-After: 0, so the retries need no clock.)
void tripSolo(Setup &s)
{
    s.h.sim().pushFault({SimFault::Status, 500, 0, 0}, 5);
    for (int i = 0; i < 2; ++i) {
        const std::unique_ptr<TestHttpClient> c = s.send(QStringLiteral("solo"));
        QVERIFY(c->waitDone(10'000));
        QCOMPARE(c->response().status, 502);
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
        TestHttpClient c(s.h.port());
        c.send("POST", "/v1/chat/completions",
               RelayHarness::chatBody(kModel, QStringLiteral("hello"), stream),
               TestHttpClient::bearer(s.key));
        if (kind == SimFault::Hang) {
            // The primary holds the request; its first byte is due within 300 ms.
            QTRY_COMPARE(s.h.sim().stats().inFlight, 1);
            s.h.advance(299);
            QCOMPARE(s.backup.stats().requests, 0);
            s.h.advance(1);
        }
        QVERIFY(c.waitDone(20'000));
        const TestResponse r = c.response();
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

        // One failure does not open the circuit: the next request goes to the primary again.
        const TestResponse next = s.chat(stream);
        QCOMPARE(next.status, 200);
        QCOMPARE(next.header("x-tenantrelay-upstream"), QByteArray("primary"));
        const QList<QVariantMap> rows = s.h.usageRows();
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows[0].value(QStringLiteral("upstream")).toString(), QStringLiteral("backup"));
        QCOMPARE(rows[0].value(QStringLiteral("status")).toInt(), 200);
    }

    // A request the backup serves is billed at the price of the name the backup is sent, not at
    // the first target's (the one its budget hold was taken at); one the primary serves, at the
    // primary's.
    void eachRequestIsBilledAtThePriceOfTheTargetThatServedIt()
    {
        Setup s;
        QVERIFY(s.h.admin()
                    .setRoute(kModel, {QStringLiteral("primary:primary-model"),
                                       QStringLiteral("backup:backup-model")})
                    .ok);
        QVERIFY(s.h.admin().setPrice(QStringLiteral("primary-model"), 1.0, 2.0).ok);
        QVERIFY(s.h.admin().setPrice(QStringLiteral("backup-model"), 300.0, 500.0).ok);
        s.h.reload();
        const auto billedAt = [](const TestResponse &r, double input, double output) {
            const QJsonObject usage = r.json()[QStringLiteral("usage")].toObject();
            return (usage[QStringLiteral("prompt_tokens")].toDouble() * input +
                    usage[QStringLiteral("completion_tokens")].toDouble() * output) /
                   1e6;
        };

        s.h.sim().pushFault({SimFault::Status, 500, -1, -1});
        const TestResponse failedOver = s.chat();
        QCOMPARE(failedOver.status, 200);
        QCOMPARE(failedOver.header("x-tenantrelay-upstream"), QByteArray("backup"));
        const double backupCost = billedAt(failedOver, 300.0, 500.0);
        QVERIFY(backupCost > 0);
        QVERIFY(qFuzzyCompare(failedOver.header("x-tenantrelay-cost-usd").toDouble(), backupCost));

        const TestResponse direct = s.chat();
        QCOMPARE(direct.header("x-tenantrelay-upstream"), QByteArray("primary"));
        const double primaryCost = billedAt(direct, 1.0, 2.0);
        QVERIFY(qFuzzyCompare(direct.header("x-tenantrelay-cost-usd").toDouble(), primaryCost));

        const QList<QVariantMap> rows = s.h.usageRows();
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows[0].value(QStringLiteral("served_model")).toString(),
                 QStringLiteral("backup-model"));
        QVERIFY(qFuzzyCompare(rows[0].value(QStringLiteral("cost_usd")).toDouble(), backupCost));
        QVERIFY(qFuzzyCompare(rows[1].value(QStringLiteral("cost_usd")).toDouble(), primaryCost));
    }

    void circuitOpensIsRecordedAndClosesAfterAProbe()
    {
        Setup s;
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

        // Recorded for other processes and in the audit log (written at each sweep).
        s.h.sweep();
        QCOMPARE(s.recordedState(QStringLiteral("primary")), QStringLiteral("open"));
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
        s.h.advance(30'000);
        const TestResponse probe = s.chat();
        QCOMPARE(probe.status, 200);
        QCOMPARE(probe.header("x-tenantrelay-upstream"), QByteArray("primary"));
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("primary"));
        s.h.sweep();
        QCOMPARE(s.recordedState(QStringLiteral("primary")), QStringLiteral("closed"));
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
        Setup s;
        s.h.sim().pushFault({SimFault::Status, 500, -1, 0}, 6);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(s.chat().status, 200);
        s.h.advance(30'000);
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("backup")); // probe failed
        QCOMPARE(s.h.sim().stats().requests, 6);
        // 59 s into the doubled cooldown an idle check (GET /v1/models) is due; it succeeds,
        // which leaves the cooldown as it is.
        s.h.advance(59'000);
        QTRY_COMPARE(s.h.sim().stats().completed, qint64(7));
        QCOMPARE(s.h.sim().received().last().path, QByteArray("/v1/models"));
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("backup"));
        QCOMPARE(Setup::chatRequests(s.h.sim()), 6); // still open: 60 s now
        s.h.advance(1'000);
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("primary"));
    }

    void idleCheckOfAnOpenCircuitExtendsTheCooldown()
    {
        Setup s;
        s.h.sim().pushFault({SimFault::Status, 500, -1, 0}, 5);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(s.chat().status, 200);
        s.h.sim().clearReceived();
        // 20 s into the cooldown the idle check (GET /v1/models) fails.
        s.h.sim().pushFault({SimFault::Status, 503, -1, 0});
        s.h.advance(20'000);
        QTRY_VERIFY(!s.h.sim().received().isEmpty());
        const SimReceivedRequest check = s.h.sim().received().first();
        QCOMPARE(check.method, QByteArray("GET"));
        QCOMPARE(check.path, QByteArray("/v1/models"));
        QVERIFY(check.authorization.startsWith("Bearer sk-upstream-secret"));
        QTRY_VERIFY(
            s.h.engine().stats().circuits[0].reason.contains(QLatin1String("idle check failed")));
        // The original cooldown would be over at 30 s; the failed check moved it to 50 s. (At
        // 35 s the next idle check runs, and succeeds.)
        s.h.advance(15'000);
        QTRY_COMPARE(s.h.sim().stats().completed, qint64(7));
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("backup"));
        s.h.advance(15'000);
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("primary"));
    }

    void pinAndUnpinMoveTrafficAndAreRecorded()
    {
        Setup s;
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("primary"));
        QVERIFY(s.h.admin().pinUpstream(QStringLiteral("backup")).ok);
        // Live without a restart: the engine's own poll sees it.
        s.h.advance(EngineOptions().configPollMs);
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("backup"));
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
        s.h.advance(EngineOptions().configPollMs);
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("primary"));
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
        const std::unique_ptr<TestHttpClient> c = s.send();
        // The last target is retried twice, each after a backoff (≤ 375 ms, then ≤ 750 ms).
        QVERIFY(s.passTwoRetries(s.backup, 0, 1'000));
        QVERIFY(c->waitDone());
        const TestResponse r = c->response();
        QCOMPARE(r.status, 502);
        QCOMPARE(r.errorField("code"), QStringLiteral("upstream_error"));
        QCOMPARE(r.errorField("type"), QStringLiteral("server_error"));
        QVERIFY2(r.errorField("message").contains(QLatin1String("503")),
                 qPrintable(r.errorField("message")));
        QVERIFY(!r.body.contains("sk-upstream-secret"));
        QCOMPARE(s.h.sim().stats().requests, 1); // not the last target: not retried
        QCOMPARE(s.backup.stats().requests, 3);  // the last: tried and retried twice
    }

    // interface.md §3: a chain whose last failure was the provider's 429 answers 429
    // rate_limit_exceeded (type requests) with the provider's Retry-After, else 1 — not 502.
    void chainEndingOnAnUpstream429PassesItsRetryAfterOn()
    {
        // A Retry-After over 30 s: not waited for here, no retry; the client is told to wait.
        Setup s;
        s.h.sim().pushFault({SimFault::Status, 500, -1, 0});
        s.backup.pushFault({SimFault::Status, 429, 60, 0});
        TestResponse r = s.chat();
        QCOMPARE(r.status, 429);
        QCOMPARE(r.errorField("type"), QStringLiteral("requests"));
        QCOMPARE(r.errorField("code"), QStringLiteral("rate_limit_exceeded"));
        QCOMPARE(r.header("retry-after"), QByteArray("60"));
        QCOMPARE(r.header("retry-after-ms"), QByteArray("60000"));
        QVERIFY(r.header("x-request-id").size() > 0);
        QVERIFY(!r.body.contains("sk-upstream-secret"));
        QCOMPARE(s.backup.stats().requests, 1);

        // Retries used up on 429s with a short Retry-After: the last one's is passed on.
        s.h.sim().pushFault({SimFault::Status, 500, -1, 0});
        s.backup.pushFault({SimFault::Status, 429, 2, 0}, 3);
        std::unique_ptr<TestHttpClient> c = s.send();
        QVERIFY(s.passTwoRetries(s.backup, 1, 2'000));
        QVERIFY(c->waitDone());
        r = c->response();
        QCOMPARE(r.status, 429);
        QCOMPARE(r.errorField("code"), QStringLiteral("rate_limit_exceeded"));
        QCOMPARE(r.header("retry-after"), QByteArray("2"));
        QCOMPARE(s.backup.stats().requests, 4);
        // Metered as a served request that ended in an error, not as the relay's own refusal.
        const QList<QVariantMap> rows = s.h.usageRows();
        QCOMPARE(rows.size(), 2);
        for (const QVariantMap &row : rows) {
            QCOMPARE(row.value(QStringLiteral("status")).toInt(), 429);
            QCOMPARE(row.value(QStringLiteral("outcome")).toString(), QStringLiteral("served"));
        }

        // Without a Retry-After, the client is told 1 s. (A fresh relay: the backup has failed
        // 4 times in a row above, a fifth would open its circuit.)
        Setup fresh;
        fresh.h.sim().pushFault({SimFault::Status, 500, -1, 0});
        fresh.backup.pushFault({SimFault::Status, 429, -1, 0}, 3);
        c = fresh.send();
        QVERIFY(fresh.passTwoRetries(fresh.backup, 0, 1'000));
        QVERIFY(c->waitDone());
        QCOMPARE(c->response().status, 429);
        QCOMPARE(c->response().header("retry-after"), QByteArray("1"));

        // A 429 followed by another kind of failure is that failure's 502.
        Setup other;
        other.h.sim().pushFault({SimFault::Status, 429, 60, 0});
        other.backup.pushFault({SimFault::Status, 500, -1, 0}, 3);
        c = other.send();
        QVERIFY(other.passTwoRetries(other.backup, 0, 1'000));
        QVERIFY(c->waitDone());
        QCOMPARE(c->response().status, 502);
    }

    void shortRetryAfterIsHonouredOnTheRelaysClock()
    {
        Setup s;
        s.h.sim().pushFault({SimFault::Status, 500, -1, 0});
        s.backup.pushFault({SimFault::Status, 429, 1, 0});
        const std::unique_ptr<TestHttpClient> c = s.send();
        QVERIFY(s.retryPending(s.backup, 1));
        s.h.advance(999);
        QCOMPARE(s.backup.stats().requests, 1); // not before the upstream's Retry-After
        QVERIFY(!c->response().complete);
        s.h.advance(1);
        QVERIFY(c->waitDone());
        QCOMPARE(c->response().status, 200);
        QCOMPARE(s.backup.stats().requests, 2);
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
        Setup s(2);
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
        Setup s;
        QVERIFY(s.h.admin().setRoute(QStringLiteral("solo"), {QStringLiteral("primary")}).ok);
        s.h.reload();
        tripSolo(s);

        // Every target open: a request 2 s before the end of the cooldown waits instead of
        // failing...
        const qint64 openUntil = s.h.engine().stats().circuits[0].openUntilWallMs;
        s.h.advance(openUntil - s.clock.wallMs() - 2'000);
        const std::unique_ptr<TestHttpClient> waiting = s.send(QStringLiteral("solo"));
        QTRY_COMPARE(s.h.engine().stats().inFlight, qint64(1)); // admitted, waiting
        s.h.sweep();
        QVERIFY(!waiting->response().complete);
        // ...and is sent as the probe once the cooldown is over, within its 5 s deadline.
        const int before = Setup::chatRequests(s.h.sim());
        s.h.advance(3'000);
        QVERIFY(waiting->waitDone(5'000));
        QCOMPARE(waiting->response().status, 200);
        QCOMPARE(Setup::chatRequests(s.h.sim()), before + 1);

        // Open again, and the wait runs past the tenant's queue deadline (5 s): 503.
        tripSolo(s);
        const std::unique_ptr<TestHttpClient> late = s.send(QStringLiteral("solo"));
        QTRY_COMPARE(s.h.engine().stats().inFlight, qint64(1));
        s.h.advance(4'900);
        QVERIFY(!late->response().complete);
        s.h.advance(200);
        QVERIFY(late->waitDone(5'000));
        QCOMPARE(late->response().status, 503);
        QCOMPARE(late->response().errorField("code"), QStringLiteral("server_overloaded"));
    }

    void upstreamListSaysUnknownWithoutARunningRelay()
    {
        Setup s;
        QCOMPARE(s.listedState(QStringLiteral("primary")), QStringLiteral("closed"));
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
        s.h.sweep();
        QCOMPARE(s.listedState(QStringLiteral("primary")), QStringLiteral("open"));
        s.h.stopEngine();
        QVERIFY(s.start());
        QCOMPARE(s.listedState(QStringLiteral("primary")), QStringLiteral("closed"));
        QCOMPARE(s.chat().header("x-tenantrelay-upstream"), QByteArray("primary"));
    }
};

QTEST_GUILESS_MAIN(TestFailover)
#include "tst_failover.moc"
