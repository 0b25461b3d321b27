// /healthz tells a load balancer or a monitor the truth: "degraded" (503) while the relay cannot
// commit usage to the database or cannot read its configuration, "ok" again once it can.
#include "RelayHarness.h"

#include "core/Clock.h"

#include <QSqlQuery>
#include <QTest>

using namespace relay;
using namespace relay::test;

class TestHealth : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<RelayHarness> h;
    ManualClock clock;
    QString key;

    TestResponse health() { return request(h->port(), "GET", "/healthz"); }

private Q_SLOTS:
    void init()
    {
        h = std::make_unique<RelayHarness>();
        h->addSimUpstream(QStringLiteral("sim"), h->sim());
        key = h->addTenant(QStringLiteral("team-a"));
        EngineOptions options;
        options.clock = &clock;
        options.configPollMs = 3'600'000; // polled by hand: reloadConfig()
        QVERIFY(h->start(options));
    }

    void cleanup() { h.reset(); }

    void degradedWhileUsageCannotBeCommitted()
    {
        QCOMPARE(health().status, 200);
        // Another program holds the database's write lock: the writer waits and retries.
        QSqlQuery lock(h->db());
        QVERIFY(lock.exec(QStringLiteral("BEGIN IMMEDIATE")));
        const TestResponse served =
            request(h->port(), "POST", "/v1/chat/completions",
                    RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")),
                    TestHttpClient::bearer(key));
        QCOMPARE(served.status, 200);
        clock.advance(9'000);
        QCOMPARE(health().status, 200); // a short wait is not a problem
        clock.advance(1'500);
        const TestResponse degraded = health();
        QCOMPARE(degraded.status, 503);
        QCOMPARE(degraded.json().value(QStringLiteral("status")).toString(),
                 QStringLiteral("degraded"));
        QVERIFY2(degraded.json()
                     .value(QStringLiteral("reason"))
                     .toString()
                     .contains(QStringLiteral("usage has not been committed")),
                 degraded.body.constData());

        // The lock is released: the waiting row is committed, nothing lost, healthy again.
        QVERIFY(lock.exec(QStringLiteral("COMMIT")));
        QVERIFY(QTest::qWaitFor([&] { return h->engine().stats().usageRowsWritten == 1; }, 20'000));
        QCOMPARE(health().status, 200);
        QCOMPARE(h->usageRows().size(), 1);
    }

    void degradedWhileTheConfigurationCannotBeRead()
    {
        QSqlQuery q(h->db());
        QVERIFY(q.exec(QStringLiteral("ALTER TABLE config_state RENAME TO config_state_away")));
        h->reload();
        const TestResponse degraded = health();
        QCOMPARE(degraded.status, 503);
        QVERIFY2(degraded.json()
                     .value(QStringLiteral("reason"))
                     .toString()
                     .contains(QStringLiteral("configuration")),
                 degraded.body.constData());
        // Tenants are still served from the last configuration read.
        QCOMPARE(request(h->port(), "POST", "/v1/chat/completions",
                         RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")),
                         TestHttpClient::bearer(key))
                     .status,
                 200);
        QVERIFY(q.exec(QStringLiteral("ALTER TABLE config_state_away RENAME TO config_state")));
        h->reload();
        QCOMPARE(health().status, 200);
    }
};

QTEST_GUILESS_MAIN(TestHealth)
#include "tst_health.moc"
