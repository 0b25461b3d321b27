// Upstream connection pool: the exact --max-connections cap under load, and cancellation.
#include "RelayHarness.h"

#include "upstream/UpstreamSlots.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace relay;
using namespace relay::test;

class TestPool : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void concurrentStreamsRespectThePoolCap()
    {
        RelayHarness h;
        h.sim().setChunkIntervalMs(20);
        h.sim().setCompletionTokens(6);
        h.sim().setLatencyMs(30);
        h.addSimUpstream(QStringLiteral("sim"), h.sim(), 8);
        const QString key = h.addTenant(QStringLiteral("batch"));
        QVERIFY(h.start());

        constexpr int kStreams = 200;
        std::vector<std::unique_ptr<TestHttpClient>> clients;
        for (int i = 0; i < kStreams; ++i) {
            clients.push_back(std::make_unique<TestHttpClient>(h.port()));
            clients.back()->send("POST", "/v1/chat/completions",
                                 RelayHarness::chatBody(QStringLiteral("gpt-4o"),
                                                        QStringLiteral("stream %1").arg(i), true),
                                 TestHttpClient::bearer(key));
        }
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(clients.begin(), clients.end(),
                                             [](const auto &c) { return c->response().complete; }),
                                 60'000);
        const QString expected = Simulator::completionText(6);
        for (const auto &c : clients) {
            QCOMPARE(c->response().status, 200);
            QString text;
            for (const QByteArray &d : c->response().sseData()) {
                if (d == "[DONE]")
                    continue;
                for (const auto &choice :
                     QJsonDocument::fromJson(d).object().value(QStringLiteral("choices")).toArray())
                    text += choice.toObject()
                                .value(QStringLiteral("delta"))
                                .toObject()
                                .value(QStringLiteral("content"))
                                .toString();
            }
            QCOMPARE(text, expected);
            QCOMPARE(c->response().sseData().last(), QByteArray("[DONE]"));
        }
        // The provider never saw more than the pool allows, and the pool was used in full.
        QCOMPARE(h.sim().stats().requests, kStreams);
        QVERIFY2(h.sim().stats().peakInFlight <= 8,
                 qPrintable(QString::number(h.sim().stats().peakInFlight)));
        QCOMPARE(h.engine().upstreamSlots(QStringLiteral("sim"))->peakInFlight(), 8);
        QCOMPARE(h.engine().upstreamSlots(QStringLiteral("sim"))->inFlight(), 0);
        const auto rows = h.usageRows();
        QCOMPARE(rows.size(), kStreams);
        for (const auto &row : rows)
            QCOMPARE(row.value(QStringLiteral("completion_tokens")).toLongLong(), 6);
    }

    void clientDisconnectCancelsUpstreamAndBillsPartialTokens()
    {
        RelayHarness h;
        h.sim().setChunkIntervalMs(100);
        h.sim().setCompletionTokens(40);
        h.addSimUpstream(QStringLiteral("sim"), h.sim(), 2);
        const QString key = h.addTenant(QStringLiteral("prod"));
        QVERIFY(h.start());

        TestHttpClient client(h.port());
        client.send(
            "POST", "/v1/chat/completions",
            RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("long one"), true),
            TestHttpClient::bearer(key));
        QVERIFY(client.waitFirstBody());
        QTRY_VERIFY(client.response().body.count("data: ") >= 4);
        client.close();
        // The relay closes its upstream socket: the provider sees the request cancelled.
        QTRY_COMPARE_WITH_TIMEOUT(h.sim().stats().cancelledByClient, 1, 5000);
        QCOMPARE(h.sim().stats().completed, 0);
        QTRY_COMPARE(h.engine().upstreamSlots(QStringLiteral("sim"))->inFlight(), 0);
        QList<QVariantMap> rows;
        QTRY_VERIFY((rows = h.usageRows()).size() == 1);
        const QVariantMap &row = rows[0];
        QCOMPARE(row.value(QStringLiteral("estimated")).toInt(), 1);
        QCOMPARE(row.value(QStringLiteral("status")).toInt(), 499);
        QVERIFY(row.value(QStringLiteral("completion_tokens")).toLongLong() >= 1);
        QVERIFY(row.value(QStringLiteral("completion_tokens")).toLongLong() < 40);
        QCOMPARE(row.value(QStringLiteral("prompt_tokens")).toLongLong(), 2); // ceil(8/4)
    }

    void cutStreamEndsWithErrorEventAndIsMeteredAsEstimated()
    {
        RelayHarness h;
        h.sim().setChunkIntervalMs(10);
        h.sim().setCompletionTokens(20);
        h.addSimUpstream(QStringLiteral("sim"), h.sim(), 2);
        const QString key = h.addTenant(QStringLiteral("prod"));
        QVERIFY(h.start());
        h.sim().pushFault({SimFault::CutStream, 0, -1, 5});
        const TestResponse r = request(
            h.port(), "POST", "/v1/chat/completions",
            RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("cut me"), true),
            TestHttpClient::bearer(key));
        QCOMPARE(r.status, 200);
        const auto data = r.sseData();
        QVERIFY(!data.isEmpty());
        const QJsonObject last = QJsonDocument::fromJson(data.last()).object();
        QCOMPARE(last["error"].toObject()["code"].toString(), QStringLiteral("upstream_error"));
        const auto rows = h.usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("estimated")).toInt(), 1);
        // Five one-word chunks relayed: "The relay keeps every tenant " = 29 characters.
        QCOMPARE(rows[0].value(QStringLiteral("completion_tokens")).toLongLong(), 8);
    }

    void waitingRequestsAreServedInArrivalOrder()
    {
        // The first request holds the only slot until its client leaves.
        RelayHarness h;
        h.sim().pushFault({SimFault::Hang});
        h.addSimUpstream(QStringLiteral("sim"), h.sim(), 1);
        const QString key = h.addTenant(QStringLiteral("prod"));
        QVERIFY(h.start());
        std::vector<std::unique_ptr<TestHttpClient>> clients;
        for (int i = 0; i < 4; ++i) {
            clients.push_back(std::make_unique<TestHttpClient>(h.port()));
            clients.back()->send(
                "POST", "/v1/chat/completions",
                RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("order %1").arg(i)),
                TestHttpClient::bearer(key));
            // Let each request reach the relay's queue before the next one is sent.
            if (i == 0)
                QTRY_COMPARE(h.sim().stats().inFlight, 1);
            else
                QTRY_COMPARE(h.engine().upstreamSlots(QStringLiteral("sim"))->waiting(), i);
        }
        clients.front()->close();
        for (size_t i = 1; i < clients.size(); ++i)
            QVERIFY(clients[i]->waitDone(10'000));
        const auto received = h.sim().received();
        QCOMPARE(received.size(), 4);
        for (int i = 0; i < 4; ++i)
            QVERIFY(received[i].body.contains(QStringLiteral("order %1").arg(i).toUtf8()));
        QCOMPARE(h.sim().stats().peakInFlight, 1);
    }

    void slotWaitEndsIn503AfterTheQueueDeadline()
    {
        RelayHarness h;
        h.addSimUpstream(QStringLiteral("sim"), h.sim(), 1);
        TenantChanges settings;
        settings.queueTimeoutMs = LimitValue(300);
        const QString key = h.addTenant(QStringLiteral("prod"), settings);
        QVERIFY(h.start());
        h.sim().pushFault({SimFault::Hang});
        TestHttpClient hung(h.port());
        hung.send("POST", "/v1/chat/completions",
                  RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hang")),
                  TestHttpClient::bearer(key));
        QTRY_COMPARE(h.sim().stats().inFlight, 1);
        const TestResponse r =
            request(h.port(), "POST", "/v1/chat/completions",
                    RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("waits")),
                    TestHttpClient::bearer(key));
        QCOMPARE(r.status, 503);
        QCOMPARE(r.json()["error"].toObject()["code"].toString(),
                 QStringLiteral("server_overloaded"));
        QVERIFY(!r.header("retry-after").isEmpty());
        QCOMPARE(h.sim().stats().requests, 1);
    }
};

QTEST_GUILESS_MAIN(TestPool)
#include "tst_pool.moc"
