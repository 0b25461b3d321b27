// "Pause new requests" (the console's Relay menu and tray): new tenant requests get 503
// relay_paused with Retry-After while a request already in flight to a slow provider finishes
// normally; the models list still answers; unpausing serves again.
#include "RelayHarness.h"

#include "http/ApiError.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

using namespace relay;
using namespace relay::test;

namespace {

TestResponse chat(RelayHarness &h, const QString &key, const QString &text)
{
    return request(h.port(), "POST", "/v1/chat/completions",
                   RelayHarness::chatBody(QStringLiteral("gpt-4o"), text),
                   TestHttpClient::bearer(key));
}

} // namespace

class TestPause : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pauseRefusesNewRequestsWhileThoseInFlightFinish()
    {
        RelayHarness h;
        h.addSimUpstream(QStringLiteral("sim"), h.sim());
        const QString key = h.addTenant(QStringLiteral("prod"));
        QVERIFY(h.start());
        Engine &engine = h.engine();
        QVERIFY(!engine.isPaused());

        // A request reaches the slow provider and waits there for its answer.
        h.sim().setLatencyMs(600);
        TestHttpClient slow(h.port());
        slow.send("POST", "/v1/chat/completions",
                  RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("slow one")),
                  TestHttpClient::bearer(key));
        QTRY_COMPARE(h.sim().stats().inFlight, 1);

        QSignalSpy changed(&engine, &Engine::pausedChanged);
        engine.setPaused(true);
        engine.setPaused(true); // no change, no signal
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.at(0).at(0).toBool(), true);
        QVERIFY(engine.isPaused());
        QVERIFY(engine.stats().paused);

        const TestResponse refused = chat(h, key, QStringLiteral("new one"));
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.errorField("code"), QStringLiteral("relay_paused"));
        QCOMPARE(refused.errorField("type"), QStringLiteral("server_error"));
        QVERIFY(!refused.errorField("message").isEmpty());
        QVERIFY(refused.json()
                    .value(QStringLiteral("error"))
                    .toObject()
                    .contains(QStringLiteral("param")));
        QCOMPARE(refused.header("retry-after"),
                 QByteArray::number(ApiError::kPausedRetryAfterSeconds));
        QVERIFY(!refused.header("x-request-id").isEmpty());
        // Claude clients get the same refusal in Anthropic's shape.
        const TestResponse anthropic = request(
            h.port(), "POST", "/v1/messages",
            R"({"model":"gpt-4o","max_tokens":16,"messages":[{"role":"user","content":"hi"}]})",
            {{"x-api-key", key.toUtf8()},
             {"anthropic-version", "2023-06-01"},
             {"content-type", "application/json"}});
        QCOMPARE(anthropic.status, 503);
        QCOMPARE(anthropic.json().value(QStringLiteral("type")).toString(),
                 QStringLiteral("error"));
        QCOMPARE(anthropic.json()
                     .value(QStringLiteral("error"))
                     .toObject()
                     .value(QStringLiteral("type"))
                     .toString(),
                 QStringLiteral("overloaded_error"));
        // The provider saw neither; a bad key is still a bad key.
        QCOMPARE(h.sim().stats().requests, 1);
        QCOMPARE(chat(h, QStringLiteral("sk-tr-nobody"), QStringLiteral("x")).status, 401);
        // The models list and the tenant's own usage still answer.
        const TestResponse models =
            request(h.port(), "GET", "/v1/models", {}, TestHttpClient::bearer(key));
        QCOMPARE(models.status, 200);
        QVERIFY(!models.json().value(QStringLiteral("data")).toArray().isEmpty());
        QCOMPARE(request(h.port(), "GET", "/v1/usage", {}, TestHttpClient::bearer(key)).status,
                 200);

        // The request that was in flight when the relay paused is answered normally.
        QVERIFY(slow.waitDone());
        QCOMPARE(slow.response().status, 200);
        QCOMPARE(slow.response().json().value(QStringLiteral("object")).toString(),
                 QStringLiteral("chat.completion"));

        engine.setPaused(false);
        QCOMPARE(changed.size(), 2);
        QVERIFY(!engine.stats().paused);
        h.sim().setLatencyMs(0);
        const TestResponse served = chat(h, key, QStringLiteral("again"));
        QCOMPARE(served.status, 200);

        // The refusals are in the tenant's request log as rejected, with their reason.
        const auto rows = h.usageRows();
        QCOMPARE(rows.size(), 4);
        int paused = 0;
        for (const QVariantMap &row : rows) {
            if (row.value(QStringLiteral("error")).toString() != QLatin1String("relay_paused"))
                continue;
            ++paused;
            QCOMPARE(row.value(QStringLiteral("status")).toInt(), 503);
            QCOMPARE(row.value(QStringLiteral("tenant_id")).toString(), QStringLiteral("prod"));
            QCOMPARE(row.value(QStringLiteral("outcome")).toString(), QStringLiteral("rejected"));
        }
        QCOMPARE(paused, 2);
    }

    void pauseSetBeforeStartHolds()
    {
        RelayHarness h;
        h.addSimUpstream(QStringLiteral("sim"), h.sim());
        const QString key = h.addTenant(QStringLiteral("prod"));
        QVERIFY(h.start());
        h.engine().setPaused(true);
        h.stopEngine();
        QVERIFY(h.engine().isPaused());
        QVERIFY(h.engine().start(nullptr));
        const TestResponse refused = chat(h, key, QStringLiteral("hi"));
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.errorField("code"), QStringLiteral("relay_paused"));
    }

    void pausedRefusesBeforeTheBodyIsRead()
    {
        RelayHarness h;
        h.addSimUpstream(QStringLiteral("sim"), h.sim());
        const QString key = h.addTenant(QStringLiteral("prod"));
        QVERIFY(h.start());
        h.engine().setPaused(true);
        // Headers announcing a 4 MiB body, and no byte of it: the refusal comes at once.
        TestHttpClient client(h.port());
        client.sendRaw("POST /v1/chat/completions HTTP/1.1\r\nhost: relay\r\n"
                       "authorization: Bearer " +
                       key.toUtf8() +
                       "\r\ncontent-type: application/json\r\n"
                       "content-length: 4194304\r\n\r\n");
        QVERIFY(client.waitDone(5000));
        QCOMPARE(client.response().status, 503);
        QCOMPARE(client.response().errorField("code"), QStringLiteral("relay_paused"));
        QCOMPARE(h.sim().stats().requests, 0);
        const auto rows = h.usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.first().value(QStringLiteral("outcome")).toString(),
                 QStringLiteral("rejected"));
    }
};

QTEST_MAIN(TestPause)
#include "tst_pause.moc"
