// The relay's tenant API end to end: real engine, real sockets, simulated provider.
#include "RelayHarness.h"

#include "tenants/ApiKey.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QTest>

using namespace relay;
using namespace relay::test;

class TestProxy : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<RelayHarness> h;
    QString key;

    TestResponse chat(const QByteArray &body, const QString &withKey)
    {
        return request(h->port(), "POST", "/v1/chat/completions", body,
                       TestHttpClient::bearer(withKey));
    }

private Q_SLOTS:
    // Every test twice: the relay's workers on their epoll dispatcher, and on Qt's own
    // (TENANTRELAY_DISPATCHER=qt), where each socket's readiness comes as Qt's event.
    void initTestCase_data() { RelayHarness::addDispatcherRows(); }

    void init()
    {
        h = std::make_unique<RelayHarness>();
        h->addSimUpstream(QStringLiteral("sim"), h->sim());
        h->admin().setPrice(QStringLiteral("gpt-4o-mini"), 0.15, 0.60);
        key = h->addTenant(QStringLiteral("prod-chatbot"),
                           QStringList{QStringLiteral("gpt-4o"), QStringLiteral("gpt-4o-mini")});
        EngineOptions options;
        options.server.maxBodyBytes = 64 * 1024;
        // Short, for the 408 test; long enough that a loaded machine does not starve a
        // pipelining client into one.
        options.server.headerTimeoutMs = 2000;
        QFETCH_GLOBAL(bool, epoll);
        options.server.epollDispatcher = epoll;
        QVERIFY(h->start(options));
        QCOMPARE(RelayHarness::epollInstances() > 0, epoll);
    }

    void cleanup() { h.reset(); }

    void healthz()
    {
        const TestResponse r = request(h->port(), "GET", "/healthz");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
        QVERIFY(r.header("x-request-id").startsWith("req_"));
    }

    void nonStreamingChatIsRelayedAndMetered()
    {
        const QByteArray body = RelayHarness::chatBody(QStringLiteral("gpt-4o-mini"),
                                                       QStringLiteral("Hello there, relay!"));
        const TestResponse r = chat(body, key);
        QCOMPARE(r.status, 200);
        const QJsonObject json = r.json();
        QCOMPARE(json.value(QStringLiteral("object")).toString(),
                 QStringLiteral("chat.completion"));
        QCOMPARE(json.value(QStringLiteral("model")).toString(), QStringLiteral("gpt-4o-mini"));
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("sim"));
        const QByteArray requestId = r.header("x-request-id");
        QVERIFY(!requestId.isEmpty());

        const QJsonObject usage = json.value(QStringLiteral("usage")).toObject();
        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        const QVariantMap &row = rows[0];
        QCOMPARE(row.value(QStringLiteral("request_id")).toByteArray(), requestId);
        QCOMPARE(row.value(QStringLiteral("tenant_id")).toString(), QStringLiteral("prod-chatbot"));
        QCOMPARE(row.value(QStringLiteral("key_prefix")).toString(), ApiKey::prefix(key));
        QCOMPARE(row.value(QStringLiteral("prompt_tokens")).toLongLong(),
                 qint64(usage.value(QStringLiteral("prompt_tokens")).toDouble()));
        QCOMPARE(row.value(QStringLiteral("completion_tokens")).toLongLong(),
                 qint64(usage.value(QStringLiteral("completion_tokens")).toDouble()));
        QCOMPARE(row.value(QStringLiteral("status")).toInt(), 200);
        QCOMPARE(row.value(QStringLiteral("upstream")).toString(), QStringLiteral("sim"));
        QCOMPARE(row.value(QStringLiteral("estimated")).toInt(), 0);
        QCOMPARE(row.value(QStringLiteral("streamed")).toInt(), 0);
        const double expected =
            (usage.value(QStringLiteral("prompt_tokens")).toDouble() * 0.15 +
             usage.value(QStringLiteral("completion_tokens")).toDouble() * 0.60) /
            1e6;
        QVERIFY(qAbs(row.value(QStringLiteral("cost_usd")).toDouble() - expected) < 1e-12);
        QVERIFY(expected > 0);
    }

    // `price set` applies from the next reload: the same request costs what the new price
    // says, and a price on a dated name sent upstream by a route, or on an alias's target,
    // bills as before.
    void priceChangeAppliesOnReload()
    {
        const QByteArray body = RelayHarness::chatBody(QStringLiteral("gpt-4o-mini"),
                                                       QStringLiteral("What does this cost?"));
        QCOMPARE(chat(body, key).status, 200);
        QVERIFY(h->admin().setPrice(QStringLiteral("gpt-4o-mini"), 1.5, 6.0).ok);
        h->reload();
        QCOMPARE(chat(body, key).status, 200);
        // gpt-4o has no price of its own; its route sends a dated gpt-4o-mini name.
        QVERIFY(
            h->admin()
                .setRoute(QStringLiteral("gpt-4o"), {QStringLiteral("sim:gpt-4o-mini-2024-07-18")})
                .ok);
        QVERIFY(h->admin().setAlias(QStringLiteral("fast"), QStringLiteral("gpt-4o-mini")).ok);
        h->reload();
        QCOMPARE(
            chat(RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("routed")), key)
                .status,
            200);
        QCOMPARE(
            chat(RelayHarness::chatBody(QStringLiteral("fast"), QStringLiteral("aliased")), key)
                .status,
            200);

        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 4);
        const double input[] = {0.15, 1.5, 1.5, 1.5};
        const double output[] = {0.60, 6.0, 6.0, 6.0};
        for (int i = 0; i < 4; ++i) {
            const QVariantMap &row = rows[i];
            QCOMPARE(row.value(QStringLiteral("priced")).toInt(), 1);
            const double expected =
                (row.value(QStringLiteral("prompt_tokens")).toDouble() * input[i] +
                 row.value(QStringLiteral("completion_tokens")).toDouble() * output[i]) /
                1e6;
            QVERIFY(expected > 0);
            QVERIFY2(qAbs(row.value(QStringLiteral("cost_usd")).toDouble() - expected) < 1e-12,
                     qPrintable(QString::number(i)));
        }
        QCOMPARE(rows[2].value(QStringLiteral("requested_model")).toString(),
                 QStringLiteral("gpt-4o"));
        QCOMPARE(rows[3].value(QStringLiteral("requested_model")).toString(),
                 QStringLiteral("fast"));
    }

    void upstreamGetsItsOwnKeyNeverTheTenants()
    {
        chat(RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")), key);
        const auto received = h->sim().received();
        QCOMPARE(received.size(), 1);
        QCOMPARE(received[0].authorization, QByteArray("Bearer sk-upstream-secret-0123456789"));
        for (const auto &header : received[0].headers)
            QVERIFY2(!header.second.contains(key.toUtf8()), header.first.constData());
        QVERIFY(!received[0].body.contains(key.toUtf8()));
    }

    void streamingRelaysChunksAsTheyArrive()
    {
        h->sim().setChunkIntervalMs(150);
        h->sim().setCompletionTokens(8);
        TestHttpClient client(h->port());
        client.send(
            "POST", "/v1/chat/completions",
            RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("stream me"), true),
            TestHttpClient::bearer(key));
        QVERIFY(client.waitFirstBody());
        // The first event is here while the simulated provider is still producing the rest.
        QVERIFY(!client.response().complete);
        QCOMPARE(h->sim().stats().completed, 0);
        QVERIFY(client.waitDone());
        const TestResponse &r = client.response();
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("content-type").startsWith("text/event-stream"));
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("sim"));
        QVERIFY(r.bodyPieces.size() > 3);
        const auto data = r.sseData();
        QCOMPARE(data.last(), QByteArray("[DONE]"));
        QString text;
        for (const QByteArray &d : data) {
            if (d == "[DONE]")
                continue;
            const QJsonObject chunk = QJsonDocument::fromJson(d).object();
            // The client did not ask for usage: the relay's usage chunk is not forwarded.
            QVERIFY(!chunk.value(QStringLiteral("usage")).isObject());
            for (const auto &c : chunk.value(QStringLiteral("choices")).toArray())
                text += c.toObject()
                            .value(QStringLiteral("delta"))
                            .toObject()
                            .value(QStringLiteral("content"))
                            .toString();
        }
        QCOMPARE(text, Simulator::completionText(8));
        // Upstream was asked for usage all the same, and it was metered exactly.
        const auto received = h->sim().received();
        const QJsonObject sent = QJsonDocument::fromJson(received.last().body).object();
        QVERIFY(sent.value(QStringLiteral("stream_options"))
                    .toObject()
                    .value(QStringLiteral("include_usage"))
                    .toBool());
        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("completion_tokens")).toLongLong(), 8);
        QCOMPARE(rows[0].value(QStringLiteral("streamed")).toInt(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("estimated")).toInt(), 0);
        QVERIFY(!rows[0].value(QStringLiteral("ttfb_ms")).isNull());
    }

    void streamingKeepsUsageChunkWhenClientAsks()
    {
        const TestResponse r = chat(
            RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("usage please"), true,
                                   QStringLiteral(R"("stream_options":{"include_usage":true})")),
            key);
        QCOMPARE(r.status, 200);
        bool sawUsage = false;
        for (const QByteArray &d : r.sseData()) {
            const QJsonObject chunk = QJsonDocument::fromJson(d).object();
            if (chunk.value(QStringLiteral("usage")).isObject())
                sawUsage = true;
        }
        QVERIFY(sawUsage);
    }

    void embeddingsAreForwardedAndMetered()
    {
        const QByteArray body = R"({"model":"gpt-4o","input":["alpha beta","gamma"]})";
        const TestResponse r =
            request(h->port(), "POST", "/v1/embeddings", body, TestHttpClient::bearer(key));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("data")).toArray().size(), 2);
        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("endpoint")).toString(),
                 QStringLiteral("embeddings"));
        QCOMPARE(rows[0].value(QStringLiteral("prompt_tokens")).toLongLong(), 4); // ceil(15/4)
    }

    void modelsListIsTenantFiltered()
    {
        h->admin().setAlias(QStringLiteral("fast"), QStringLiteral("gpt-4o-mini"));
        h->admin().setAlias(QStringLiteral("other"), QStringLiteral("claude-x"));
        h->reload();
        const TestResponse r =
            request(h->port(), "GET", "/v1/models", {}, TestHttpClient::bearer(key));
        QCOMPARE(r.status, 200);
        QStringList ids;
        for (const auto &m : r.json().value(QStringLiteral("data")).toArray())
            ids << m.toObject().value(QStringLiteral("id")).toString();
        QCOMPARE(ids, (QStringList{QStringLiteral("fast"), QStringLiteral("gpt-4o"),
                                   QStringLiteral("gpt-4o-mini")}));
    }

    void badKeysGet401()
    {
        const QByteArray body =
            RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("x"));
        TestResponse r = request(h->port(), "POST", "/v1/chat/completions", body);
        QCOMPARE(r.status, 401);
        QCOMPARE(r.json()["error"].toObject()["code"].toString(),
                 QStringLiteral("invalid_api_key"));
        QCOMPARE(r.json()["error"].toObject()["type"].toString(),
                 QStringLiteral("invalid_request_error"));
        r = chat(body, QStringLiteral("sk-tr-thisisnotakeythisisnotakeythisisnotakey"));
        QCOMPARE(r.status, 401);
        // x-api-key works as well as a bearer token.
        r = request(h->port(), "POST", "/v1/chat/completions", body, {{"x-api-key", key.toUtf8()}});
        QCOMPARE(r.status, 200);
        // Disabled tenant, then revoked key.
        TenantChanges off;
        off.enabled = false;
        QVERIFY(h->admin().setTenant(QStringLiteral("prod-chatbot"), off).ok);
        h->reload();
        QCOMPARE(chat(body, key).status, 401);
        TenantChanges on;
        on.enabled = true;
        QVERIFY(h->admin().setTenant(QStringLiteral("prod-chatbot"), on).ok);
        QVERIFY(h->admin().revokeKey(ApiKey::prefix(key)).ok);
        h->reload();
        QCOMPARE(chat(body, key).status, 401);
        QCOMPARE(h->sim().stats().requests, 1);
    }

    // A key passed at the head and revoked before the body arrives is refused when the body
    // has: the key is judged again by the config of that moment (the worker's memo of its last
    // key does not outlive the config it was found in).
    void keyRevokedBetweenHeadAndBodyIsRefused()
    {
        const QByteArray body =
            RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("x"));
        const qint64 before = h->sim().stats().requests;
        TestHttpClient c(h->port());
        c.sendRaw("POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nAuthorization: Bearer " +
                  key.toUtf8() + "\r\nContent-Type: application/json\r\nContent-Length: " +
                  QByteArray::number(body.size()) + "\r\n\r\n");
        QTest::qWait(200); // the head is read and its key passes
        QVERIFY(h->admin().revokeKey(ApiKey::prefix(key)).ok);
        h->reload();
        c.sendRaw(body);
        QVERIFY(c.waitDone());
        QCOMPARE(c.response().status, 401);
        QCOMPARE(c.response().json()["error"].toObject()["code"].toString(),
                 QStringLiteral("invalid_api_key"));
        QCOMPARE(h->sim().stats().requests, before);
    }

    void modelNotAllowedIs404AndNeverForwarded()
    {
        const TestResponse r =
            chat(RelayHarness::chatBody(QStringLiteral("gpt-5-secret"), QStringLiteral("x")), key);
        QCOMPARE(r.status, 404);
        QCOMPARE(r.json()["error"].toObject()["code"].toString(),
                 QStringLiteral("model_not_found"));
        QCOMPARE(h->sim().stats().requests, 0);
        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("outcome")).toString(), QStringLiteral("rejected"));
        QCOMPARE(rows[0].value(QStringLiteral("status")).toInt(), 404);
    }

    void noEnabledUpstreamIs404()
    {
        UpstreamChanges off;
        off.enabled = false;
        QVERIFY(h->admin().setUpstream(QStringLiteral("sim"), off).ok);
        h->reload();
        const TestResponse r =
            chat(RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("x")), key);
        QCOMPARE(r.status, 404);
        QCOMPARE(r.json()["error"].toObject()["code"].toString(),
                 QStringLiteral("model_not_found"));
    }

    void malformedBodiesGet400()
    {
        const QList<QByteArray> bodies{
            "{not json",
            "[1,2]",
            R"({"messages":[]})",
            R"({"model":"gpt-4o"})",
            R"({"model":7,"messages":[]})",
            R"({"model":"gpt-4o","messages":"hi"})",
            R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"stream":"yes"})"};
        for (const QByteArray &body : bodies) {
            const TestResponse r = chat(body, key);
            QCOMPARE(r.status, 400);
            const QJsonObject error = r.json()["error"].toObject();
            QCOMPARE(error["type"].toString(), QStringLiteral("invalid_request_error"));
            QCOMPARE(error["code"].toString(), QStringLiteral("invalid_request_error"));
            QVERIFY(error.contains(QStringLiteral("param")));
        }
        QCOMPARE(h->sim().stats().requests, 0);
    }

    void oversizeBodyGets413()
    {
        const QByteArray big =
            RelayHarness::chatBody(QStringLiteral("gpt-4o"), QString(70 * 1024, QLatin1Char('a')));
        const TestResponse r = chat(big, key);
        QCOMPARE(r.status, 413);
        QCOMPARE(r.json()["error"].toObject()["code"].toString(),
                 QStringLiteral("request_too_large"));
        QCOMPARE(h->sim().stats().requests, 0);
        // It counts as a rejected request of the tenant whose key it carried.
        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("outcome")).toString(), QStringLiteral("rejected"));
        QCOMPARE(rows[0].value(QStringLiteral("status")).toInt(), 413);
        QCOMPARE(rows[0].value(QStringLiteral("tenant_id")).toString(),
                 QStringLiteral("prod-chatbot"));
        QCOMPARE(rows[0].value(QStringLiteral("request_id")).toByteArray(),
                 r.header("x-request-id"));
        // Without a key it is nobody's.
        QCOMPARE(request(h->port(), "POST", "/v1/chat/completions", big).status, 413);
        QCOMPARE(h->usageRows().size(), 1);
    }

    void oversizeHeadersGet431()
    {
        HttpHeaders headers = TestHttpClient::bearer(key);
        headers.append({"x-padding", QByteArray(40 * 1024, 'p')});
        const TestResponse r = request(h->port(), "GET", "/v1/models", {}, headers);
        QCOMPARE(r.status, 431);
        QCOMPARE(r.json()["error"].toObject()["code"].toString(),
                 QStringLiteral("request_header_fields_too_large"));
    }

    void slowHeadersGet408ThenClose()
    {
        TestHttpClient client(h->port());
        client.sendRaw("GET /healthz HTTP/1.1\r\nhost: x\r\n"); // never finished
        QVERIFY(client.waitClosed(5000));
        QCOMPARE(client.response().status, 408);
        QCOMPARE(client.response().json()["error"].toObject()["code"].toString(),
                 QStringLiteral("request_timeout"));
    }

    void keepAliveAndPipelining()
    {
        TestHttpClient client(h->port());
        const QByteArray auth = "authorization: Bearer " + key.toUtf8() + "\r\n";
        const QByteArray chatBody =
            RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("pipelined"));
        client.sendRaw("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n"
                       "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n" +
                       auth + "content-length: " + QByteArray::number(chatBody.size()) +
                       "\r\n\r\n" + chatBody +
                       "GET /v1/nothing-here HTTP/1.1\r\nhost: x\r\n\r\n"
                       "GET /v1/models HTTP/1.1\r\nhost: x\r\nconnection: close\r\n" +
                       auth + "\r\n");
        QVERIFY(client.waitClosed(10'000));
        const QByteArray raw = client.raw();
        const qsizetype a = raw.indexOf("HTTP/1.1 200");
        const qsizetype b = raw.indexOf("chat.completion", a);
        const qsizetype c = raw.indexOf("HTTP/1.1 404", b);
        const qsizetype d = raw.indexOf("HTTP/1.1 200", c);
        QVERIFY2(a >= 0 && b > a && c > b && d > c, raw.constData());
        QCOMPARE(raw.count("HTTP/1.1 "), 4);
    }

    void aliasAndRouteRewriteTheModel()
    {
        h->admin().setAlias(QStringLiteral("gpt-4"), QStringLiteral("gpt-4o"));
        QVERIFY(
            h->admin().setRoute(QStringLiteral("gpt-4o"), {QStringLiteral("sim:sim-large")}).ok);
        h->reload();
        const TestResponse r =
            chat(RelayHarness::chatBody(QStringLiteral("gpt-4"), QStringLiteral("x")), key);
        QCOMPARE(r.status, 200);
        const QJsonObject sent = QJsonDocument::fromJson(h->sim().received().last().body).object();
        QCOMPARE(sent.value(QStringLiteral("model")).toString(), QStringLiteral("sim-large"));
        // The response carries the model name the upstream answered with.
        QCOMPARE(r.json().value(QStringLiteral("model")).toString(), QStringLiteral("sim-large"));
        const auto rows = h->usageRows();
        QCOMPARE(rows.last().value(QStringLiteral("requested_model")).toString(),
                 QStringLiteral("gpt-4"));
        QCOMPARE(rows.last().value(QStringLiteral("served_model")).toString(),
                 QStringLiteral("sim-large"));
    }

    void upstreamClientErrorsArePassedBack()
    {
        h->sim().pushFault({SimFault::Status, 400, -1, 0});
        const TestResponse r =
            chat(RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("x")), key);
        QCOMPARE(r.status, 400);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("sim"));
    }

    void failingUpstreamGives502WithoutKeys()
    {
        // The only (so the last) target is tried once and retried twice.
        const qint64 before = h->sim().stats().requests;
        h->sim().pushFault({SimFault::Status, 500, -1, 0}, 3);
        TestResponse r =
            chat(RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("x")), key);
        QCOMPARE(r.status, 502);
        QCOMPARE(r.json()["error"].toObject()["code"].toString(), QStringLiteral("upstream_error"));
        QVERIFY(r.json()["error"].toObject()["message"].toString().contains(QStringLiteral("500")));
        QVERIFY(!r.body.contains("sk-upstream-secret"));
        QCOMPARE(h->sim().stats().requests - before, 3);
        h->sim().pushFault({SimFault::Reset}, 3);
        r = chat(RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("x")), key);
        QCOMPARE(r.status, 502);
    }

    void configChangeIsPickedUpWithoutRestart()
    {
        // No explicit reload: the engine's own poll (about once a second) must see it.
        const QString newKey = h->addTenant(QStringLiteral("batch"));
        QTRY_COMPARE_WITH_TIMEOUT(
            chat(RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("x")), newKey)
                .status,
            200, 2500);
    }

    void clientThatDoesNotReadIsPushedBack()
    {
        // A client pipelines requests as fast as the relay takes them and reads none of the
        // answers. The relay must stop reading it once its answers back up, so the client's
        // sending stalls (its memory, not the relay's, holds the flood).
        QTcpSocket socket;
        // Small kernel buffers on the client's side, so that what the kernel holds for it does
        // not hide whether the relay kept reading.
        socket.connectToHost(QHostAddress::LocalHost, h->port());
        QVERIFY(socket.waitForConnected(5000));
        socket.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 64 * 1024);
        socket.setSocketOption(QAbstractSocket::SendBufferSizeSocketOption, 64 * 1024);
        // Qt would otherwise keep reading the answers into the client's own memory.
        socket.setReadBufferSize(64 * 1024);
        const QByteArray one = "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n";
        constexpr int kPerChunk = 16 * 1024;
        const QByteArray chunk = one.repeated(kPerChunk); // 576 KiB
        int chunks = 0;
        int chunksAfterWarmUp = -1;
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 4000 && chunks < 160) {
            if (socket.bytesToWrite() == 0) {
                socket.write(chunk);
                ++chunks;
            }
            if (chunksAfterWarmUp < 0 && timer.elapsed() >= 2500)
                chunksAfterWarmUp = chunks;
            QTest::qWait(5);
        }
        // A relay that keeps reading takes all 160 chunks (92 MB of requests, 430 MB of
        // answers) in about a second. One that pushes back stops taking them once the kernel's
        // socket buffers (autotuned to tens of MB on loopback) are full: after the warm-up the
        // count stands still.
        qInfo("the client got %d chunks of requests in, %d of them in the first 2.5 s", chunks,
              chunksAfterWarmUp);
        QVERIFY2(socket.state() == QAbstractSocket::ConnectedState,
                 qPrintable(socket.errorString()));
        QVERIFY(chunks < 160);
        QVERIFY2(chunks - chunksAfterWarmUp <= 2, qPrintable(QString::number(chunks)));
        // Once the client reads, every answer arrives.
        const qint64 expected = qint64(chunks) * kPerChunk;
        const QByteArray marker = "HTTP/1.1 200 OK";
        qint64 answers = 0;
        QByteArray pending;
        timer.restart();
        while (answers < expected && timer.elapsed() < 60'000) {
            if (socket.bytesAvailable() == 0 && !socket.waitForReadyRead(5000))
                break;
            pending += socket.readAll();
            // Count whole markers; keep a tail that could hold the start of a split one.
            const qsizetype lastFull = pending.lastIndexOf(marker);
            if (lastFull < 0)
                continue;
            answers += pending.left(lastFull + marker.size()).count(marker);
            pending = pending.mid(lastFull + marker.size());
        }
        QCOMPARE(answers, expected);
    }

    void unknownPathIs404()
    {
        const TestResponse r = request(h->port(), "GET", "/v2/whatever");
        QCOMPARE(r.status, 404);
        QVERIFY(r.json().contains(QStringLiteral("error")));
    }
};

QTEST_GUILESS_MAIN(TestProxy)
#include "tst_proxy.moc"
