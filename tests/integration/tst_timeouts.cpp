// The relay's deadlines with their real default lengths, driven by an injected clock: the test
// moves time (RelayHarness::advance, which runs the sweeps that became due) instead of waiting
// 10, 60 or 120 seconds.
#include "RelayHarness.h"

#include "core/Clock.h"

#include <QJsonDocument>
#include <QTest>

using namespace relay;
using namespace relay::test;

class TestTimeouts : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<RelayHarness> h;
    ManualClock clock;
    QString key;

private Q_SLOTS:
    void init()
    {
        h = std::make_unique<RelayHarness>();
        h->addSimUpstream(QStringLiteral("sim"), h->sim());
        key = h->addTenant(QStringLiteral("prod"));
        EngineOptions options;
        options.clock = &clock; // default limits: 10 s headers, 60 s idle, 60 s first byte
        QVERIFY(h->start(options));
    }

    void cleanup() { h.reset(); }

    void incompleteHeadersGet408AfterTenSeconds()
    {
        TestHttpClient client(h->port());
        client.sendRaw("GET /healthz HTTP/1.1\r\nhost: x\r\n");
        QVERIFY(h->settle(1)); // the relay has the first bytes: the 10 s start now
        h->advance(9'000);
        QCOMPARE(client.response().status, 0); // still waiting at 9 s
        QVERIFY(!client.response().connectionClosed);
        h->advance(1'500);
        QVERIFY(client.waitClosed(3000));
        QCOMPARE(client.response().status, 408);
        QCOMPARE(client.response().json()["error"].toObject()["code"].toString(),
                 QStringLiteral("request_timeout"));
    }

    void idleKeepAliveConnectionClosedAfterSixtySeconds()
    {
        TestHttpClient client(h->port());
        client.send("GET", "/healthz");
        QVERIFY(client.waitDone());
        QVERIFY(h->settle(1));
        h->advance(59'000);
        QVERIFY(!client.response().connectionClosed);
        h->advance(1'500);
        QVERIFY(client.waitClosed(3000));
    }

    void silentUpstreamGives502AfterItsTimeout()
    {
        // The only target: tried, then retried twice after a backoff (≤ 0.5 s, then ≤ 1 s).
        h->sim().pushFault({SimFault::Hang}, 3);
        const SimulatorStats before = h->sim().stats();
        TestHttpClient client(h->port());
        client.send("POST", "/v1/chat/completions",
                    RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hello")),
                    TestHttpClient::bearer(key));
        QTRY_COMPARE(h->sim().stats().inFlight, 1);
        h->advance(59'000);
        QVERIFY(!client.response().complete);
        h->advance(1'500); // the relay gives up on the try and schedules the retry
        for (int retry = 1; retry <= 2; ++retry) {
            // It gave up on the last try: closed that connection.
            QTRY_COMPARE(h->sim().stats().cancelledByClient, before.cancelledByClient + retry);
            h->advance(1'000); // the backoff
            QTRY_COMPARE(h->sim().stats().requests, before.requests + retry + 1);
            QVERIFY(!client.response().complete);
            h->advance(60'500);
        }
        QVERIFY(client.waitDone(3000));
        QCOMPARE(client.response().status, 502);
        QVERIFY(client.response().json()["error"].toObject()["message"].toString().contains(
            QStringLiteral("timed out")));
        QTRY_COMPARE(h->sim().stats().cancelledByClient, before.cancelledByClient + 3);
    }

    void streamSilentForTwoMinutesEndsWithAnErrorEvent()
    {
        h->sim().setChunkIntervalMs(600'000); // the second chunk never comes in real time
        TestHttpClient client(h->port());
        client.send("POST", "/v1/chat/completions",
                    RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hello"), true),
                    TestHttpClient::bearer(key));
        QVERIFY(client.waitFirstBody());
        h->advance(119'000);
        QVERIFY(!client.response().complete);
        h->advance(1'500);
        QVERIFY(client.waitDone(3000));
        const QJsonObject last =
            QJsonDocument::fromJson(client.response().sseData().last()).object();
        QCOMPARE(last["error"].toObject()["code"].toString(), QStringLiteral("upstream_error"));
        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("estimated")).toInt(), 1);
    }
};

QTEST_GUILESS_MAIN(TestTimeouts)
#include "tst_timeouts.moc"
