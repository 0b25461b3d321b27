// OpenAI ⇄ Anthropic Messages API translation against the golden fixtures in
// tests/fixtures/anthropic (see its README).
#include "core/SseEventSplitter.h"
#include "ingress/RequestBody.h"
#include "metering/SseUsageFilter.h"
#include "tenants/DirectorySnapshot.h"
#include "upstream/AnthropicAdapter.h"
#include "upstream/AnthropicStreamTranslator.h"
#include "upstream/UpstreamCall.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTest>

using namespace relay;

namespace {

constexpr qint64 kCreated = 1700000000;

QByteArray fixture(const QString &name)
{
    QFile f(qEnvironmentVariable("TENANTRELAY_SOURCE_DIR") +
            QStringLiteral("/tests/fixtures/anthropic/") + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(name));
    return f.readAll();
}

QJsonObject jsonFixture(const QString &name)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(fixture(name), &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("fixture %s: %s", qPrintable(name), qPrintable(error.errorString()));
    return doc.object();
}

QJsonObject parse(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

// The data payloads of an SSE byte string, in order.
QList<QByteArray> payloads(const QByteArray &sse)
{
    SseEventSplitter splitter;
    QList<QByteArray> out;
    QList<QByteArray> events = splitter.feed(sse);
    if (const QByteArray rest = splitter.finish(); !rest.isEmpty())
        events.append(rest);
    for (const QByteArray &event : events) {
        bool hasData = false;
        const QByteArray data = SseEventSplitter::data(event, &hasData);
        if (hasData)
            out.append(data);
    }
    return out;
}

// Feeds `bytes` to a fresh translator in pieces of the sizes `split` picks.
template <typename Split>
QByteArray translate(const QByteArray &bytes, Split split, AnthropicStreamTranslator *t)
{
    QByteArray out;
    qsizetype pos = 0;
    while (pos < bytes.size()) {
        const qsizetype n = qMin<qsizetype>(split(), bytes.size() - pos);
        out += t->feed(QByteArrayView(bytes).sliced(pos, n));
        pos += n;
    }
    return out + t->finish();
}

void compareToExpected(const QByteArray &out, const QString &expectedFile)
{
    const QList<QByteArray> got = payloads(out);
    QList<QByteArray> expected = fixture(expectedFile).split('\n');
    expected.removeAll(QByteArray());
    QCOMPARE(got.size(), expected.size());
    for (qsizetype i = 0; i < got.size(); ++i) {
        if (expected[i] == "[DONE]") {
            QCOMPARE(got[i], expected[i]);
            continue;
        }
        QCOMPARE(parse(got[i]), parse(expected[i]));
    }
}

UpstreamConfig
anthropicUpstream(const QString &baseUrl = QStringLiteral("https://api.anthropic.com"))
{
    UpstreamConfig u;
    u.name = QStringLiteral("claude");
    u.kind = QStringLiteral("anthropic");
    u.baseUrl = baseUrl;
    u.apiKey = QStringLiteral("sk-ant-api03-secret-key-0123456789");
    u.parseBaseUrl();
    return u;
}

} // namespace

class TestAnthropicAdapter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestsMatchTheGoldenFixtures_data()
    {
        QTest::addColumn<QString>("name");
        for (const char *name : {"basic", "tools", "images"})
            QTest::newRow(name) << QString::fromLatin1(name);
    }

    void requestsMatchTheGoldenFixtures()
    {
        QFETCH(QString, name);
        const QJsonObject in = jsonFixture(QStringLiteral("request_%1.in.json").arg(name));
        const QJsonObject expected = jsonFixture(QStringLiteral("request_%1.out.json").arg(name));
        QCOMPARE(anthropic::messagesRequest(in, QStringLiteral("claude-sonnet-4-5")), expected);
    }

    void adaptedRequestCarriesTheKeyOnlyAsXApiKey()
    {
        const UpstreamConfig u = anthropicUpstream();
        QByteArray error;
        const auto body = parseRequestBody(
            Endpoint::Chat, fixture(QStringLiteral("request_basic.in.json")), &error);
        QVERIFY(body);
        // As ProxyCall builds it: the upstream's own auth headers first.
        UpstreamRequest request;
        request.path = "/chat/completions";
        request.headers = anthropic::authHeaders(u);
        request.headers.emplaceBack("content-type", "application/json");
        anthropic::adaptRequest(request, u, *body, QStringLiteral("claude-sonnet-4-5"));
        QCOMPARE(request.path, QByteArray("/v1/messages"));
        QCOMPARE(headerValue(request.headers, "x-api-key"),
                 QByteArray("sk-ant-api03-secret-key-0123456789"));
        QCOMPARE(headerValue(request.headers, "anthropic-version"), QByteArray("2023-06-01"));
        QCOMPARE(headerValue(request.headers, "authorization"), QByteArray());
        int keyHeaders = 0;
        for (const auto &h : request.headers)
            keyHeaders += h.first == "x-api-key" || h.first == "anthropic-version";
        QCOMPARE(keyHeaders, 2); // each once
        QCOMPARE(headerValue(request.headers, "content-type"), QByteArray("application/json"));
        QCOMPARE(parse(request.body), jsonFixture(QStringLiteral("request_basic.out.json")));
    }

    void pathsUnderTheBaseUrl()
    {
        QCOMPARE(anthropic::apiPath(anthropicUpstream(), "/messages"), QByteArray("/v1/messages"));
        // A base URL written with /v1 (as for OpenAI) is not doubled; a prefix path is kept.
        QCOMPARE(anthropic::apiPath(anthropicUpstream(QStringLiteral("https://x.example/v1")),
                                    "/messages"),
                 QByteArray("/v1/messages"));
        QCOMPARE(anthropic::modelsListPath(
                     anthropicUpstream(QStringLiteral("https://gw.example/anthropic"))),
                 QByteArray("/anthropic/v1/models"));
        UpstreamConfig openai;
        openai.baseUrl = QStringLiteral("https://api.openai.com/v1");
        openai.apiKey = QStringLiteral("sk-openai-secret");
        openai.parseBaseUrl();
        QCOMPARE(anthropic::modelsListPath(openai), QByteArray("/v1/models"));
        QCOMPARE(headerValue(anthropic::authHeaders(openai), "authorization"),
                 QByteArray("Bearer sk-openai-secret"));
        const HttpHeaders claude = anthropic::authHeaders(anthropicUpstream());
        QCOMPARE(claude.size(), 2);
        QCOMPARE(headerValue(claude, "anthropic-version"), QByteArray("2023-06-01"));
    }

    void responsesMatchTheGoldenFixtures_data()
    {
        QTest::addColumn<QString>("name");
        for (const char *name : {"text", "tool_use", "max_tokens", "stop_sequence"})
            QTest::newRow(name) << QString::fromLatin1(name);
    }

    void responsesMatchTheGoldenFixtures()
    {
        QFETCH(QString, name);
        const QByteArray in = fixture(QStringLiteral("response_%1.in.json").arg(name));
        const QJsonObject expected = jsonFixture(QStringLiteral("response_%1.out.json").arg(name));
        QCOMPARE(anthropic::chatCompletion(parse(in), kCreated), expected);
        int status = 200;
        HttpHeaders headers{{"content-type", "application/json; charset=utf-8"}};
        QCOMPARE(parse(anthropic::reply(&status, &headers, in, kCreated)), expected);
        QCOMPARE(status, 200);
        QCOMPARE(headers, HttpHeaders({{"content-type", "application/json"}}));
    }

    void finishReasons_data()
    {
        QTest::addColumn<QJsonValue>("stopReason");
        QTest::addColumn<QJsonValue>("finishReason");
        QTest::newRow("end_turn") << QJsonValue("end_turn") << QJsonValue("stop");
        QTest::newRow("stop_sequence") << QJsonValue("stop_sequence") << QJsonValue("stop");
        QTest::newRow("max_tokens") << QJsonValue("max_tokens") << QJsonValue("length");
        QTest::newRow("tool_use") << QJsonValue("tool_use") << QJsonValue("tool_calls");
        QTest::newRow("refusal") << QJsonValue("refusal") << QJsonValue("content_filter");
        QTest::newRow("none yet") << QJsonValue(QJsonValue::Null) << QJsonValue(QJsonValue::Null);
    }

    void finishReasons()
    {
        QFETCH(QJsonValue, stopReason);
        QFETCH(QJsonValue, finishReason);
        QCOMPARE(anthropic::finishReason(stopReason), finishReason);
    }

    void unreadableSuccessIsABadGateway()
    {
        int status = 200;
        HttpHeaders headers;
        const QJsonObject e = parse(anthropic::reply(&status, &headers, "<html>oops</html>", 1));
        QCOMPARE(status, 502);
        QCOMPARE(e.value("error").toObject().value("code").toString(),
                 QStringLiteral("upstream_error"));
    }

    void errors_data()
    {
        QTest::addColumn<int>("httpStatus");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("message");
        const auto body = [](const char *type, const char *message) {
            const QJsonObject error{{QStringLiteral("type"), QLatin1String(type)},
                                    {QStringLiteral("message"), QLatin1String(message)}};
            return QJsonDocument(
                       QJsonObject{{QStringLiteral("type"), QStringLiteral("error")},
                                   {QStringLiteral("error"), error},
                                   {QStringLiteral("request_id"), QStringLiteral("req_1")}})
                .toJson(QJsonDocument::Compact);
        };
        QTest::newRow("400") << 400 << body("invalid_request_error", "max_tokens: too large") << 400
                             << "invalid_request_error"
                             << "invalid_request_error"
                             << "max_tokens: too large";
        QTest::newRow("401") << 401 << body("authentication_error", "invalid x-api-key") << 401
                             << "invalid_request_error"
                             << "invalid_api_key"
                             << "invalid x-api-key";
        QTest::newRow("403") << 403 << body("permission_error", "no access") << 403
                             << "invalid_request_error"
                             << "permission_denied"
                             << "no access";
        QTest::newRow("404") << 404 << body("not_found_error", "model: claude-x") << 404
                             << "invalid_request_error"
                             << "model_not_found"
                             << "model: claude-x";
        QTest::newRow("413 from the CDN, not JSON")
            << 413 << QByteArray("<html>413 Request Entity Too Large</html>") << 413
            << "invalid_request_error"
            << "request_too_large"
            << "The upstream answered HTTP 413.";
        QTest::newRow("429") << 429 << body("rate_limit_error", "slow down") << 429 << "requests"
                             << "rate_limit_exceeded"
                             << "slow down";
        QTest::newRow("500") << 500 << body("api_error", "Internal server error") << 500
                             << "server_error"
                             << "server_error"
                             << "Internal server error";
        QTest::newRow("529") << 529 << body("overloaded_error", "Overloaded") << 529
                             << "server_error"
                             << "server_overloaded"
                             << "Overloaded";
        QTest::newRow("stream error event, no status")
            << 0 << body("overloaded_error", "Overloaded") << 529 << "server_error"
            << "server_overloaded"
            << "Overloaded";
        QTest::newRow("unknown type keeps the status")
            << 418 << body("teapot_error", "short and stout") << 418 << "invalid_request_error"
            << "teapot_error"
            << "short and stout";
        QTest::newRow("key in the message is masked")
            << 401 << body("authentication_error", "bad key sk-ant-api03-abcdefghijkl") << 401
            << "invalid_request_error"
            << "invalid_api_key"
            << "bad key [redacted key]";
    }

    void errors()
    {
        QFETCH(int, httpStatus);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, type);
        QFETCH(QString, code);
        QFETCH(QString, message);
        const ApiError e = anthropic::error(httpStatus, body);
        QCOMPARE(e.status, status);
        const QJsonObject error = parse(e.body()).value("error").toObject();
        QCOMPARE(error.value("type").toString(), type);
        QCOMPARE(error.value("code").toString(), code);
        QCOMPARE(error.value("message").toString(), message);
        QVERIFY(error.contains("param"));
        // reply() passes an error's status on unchanged, in OpenAI's shape.
        int replyStatus = httpStatus > 0 ? httpStatus : 529;
        HttpHeaders headers{{"content-type", "text/html"}};
        QCOMPARE(parse(anthropic::reply(&replyStatus, &headers, body, 1)).value("error"),
                 QJsonValue(error));
        QCOMPARE(headerValue(headers, "content-type"), QByteArray("application/json"));
    }

    void streamsMatchTheGoldenFixtures_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("piece"); // 0 = whole, -1 = random splits
        for (const char *name : {"text", "tool", "error", "overloaded", "max_tokens"}) {
            for (int piece : {0, 1, 2, 7, -1})
                QTest::addRow("%s, %s", name,
                              piece == 0 ? "whole"
                              : piece == -1
                                  ? "random splits"
                                  : qPrintable(QStringLiteral("%1-byte pieces").arg(piece)))
                    << QString::fromLatin1(name) << piece;
        }
    }

    void streamsMatchTheGoldenFixtures()
    {
        QFETCH(QString, name);
        QFETCH(int, piece);
        const QByteArray bytes = fixture(QStringLiteral("stream_%1.sse").arg(name));
        QRandomGenerator rng(42);
        for (int round = 0; round < (piece == -1 ? 25 : 1); ++round) {
            AnthropicStreamTranslator t(kCreated);
            const QByteArray out = translate(
                bytes,
                [&]() -> qsizetype {
                    if (piece == 0)
                        return bytes.size();
                    return piece > 0 ? piece : rng.bounded(1, 40);
                },
                &t);
            compareToExpected(out, QStringLiteral("stream_%1.expected").arg(name));
            if (QTest::currentTestFailed())
                return;
            QVERIFY(t.finished());
            const bool error =
                name == QLatin1String("error") || name == QLatin1String("overloaded");
            QCOMPARE(t.failed(), error);
            // Only an error before any content leaves the relay free to fail over.
            QCOMPARE(t.failedBeforeOutput(), name == QLatin1String("overloaded"));
            QCOMPARE(t.errorStatus(), error ? 529 : 0);
        }
    }

    void streamExposesUsageModelAndText()
    {
        AnthropicStreamTranslator t(kCreated);
        t.feed(fixture(QStringLiteral("stream_text.sse")));
        QVERIFY(t.hasUsage());
        QCOMPARE(t.inputTokens(), 35); // 25 + 10 read from the cache
        QCOMPARE(t.outputTokens(), 15);
        QCOMPARE(t.model(), QStringLiteral("claude-sonnet-4-5-20250929"));
        QCOMPARE(t.textChars(), QStringLiteral("Héllo 世界 😀").toUcs4().size());
    }

    // ProxyCall puts the translated stream through the SseUsageFilter: the usage chunk reaches
    // only clients that asked for it, and the tokens are metered either way.
    void usageChunkGoesOnlyToClientsThatAskedForIt()
    {
        for (const bool clientWantsUsage : {false, true}) {
            AnthropicStreamTranslator t(kCreated);
            SseUsageFilter filter(clientWantsUsage);
            QByteArray out;
            for (const char c : fixture(QStringLiteral("stream_text.sse")))
                out += filter.feed(t.feed(QByteArrayView(&c, 1)));
            out += filter.feed(t.finish()) + filter.finish();
            QVERIFY(filter.hasUsage());
            QCOMPARE(filter.promptTokens(), 35);
            QCOMPARE(filter.completionTokens(), 15);
            QCOMPARE(filter.model(), QStringLiteral("claude-sonnet-4-5-20250929"));
            const QList<QByteArray> events = payloads(out);
            QCOMPARE(events.size(), clientWantsUsage ? 6 : 5);
            QCOMPARE(events.last(), QByteArray("[DONE]"));
            QCOMPARE(parse(events[events.size() - 2]).contains("usage"), clientWantsUsage);
        }
    }

    void streamCutBeforeTheEndFinishesWithAnError()
    {
        const QByteArray bytes = fixture(QStringLiteral("stream_text.sse"));
        AnthropicStreamTranslator t(kCreated);
        QByteArray out = t.feed(bytes.left(bytes.indexOf("event: content_block_stop")));
        QVERIFY(!t.finished());
        out += t.finish();
        QVERIFY(t.failed());
        QVERIFY(!t.hasUsage());
        const QList<QByteArray> events = payloads(out);
        QCOMPARE(events.size(), 4);
        QVERIFY(!t.failedBeforeOutput());
        QCOMPARE(parse(events.last()).value("error").toObject().value("type").toString(),
                 QStringLiteral("server_error"));
        // Nothing more after the end.
        QCOMPARE(t.feed("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"),
                 QByteArray());
    }

    void embeddingsChainsLeaveAnthropicOut()
    {
        const UpstreamConfig claude = anthropicUpstream();
        UpstreamConfig openai;
        openai.name = QStringLiteral("openai");
        ModelResolution r;
        r.chain = {{&claude, QStringLiteral("m")},
                   {&openai, QStringLiteral("m")},
                   {&claude, QStringLiteral("m2")}};
        anthropic::dropForEmbeddings(r);
        QCOMPARE(r.chain.size(), size_t(1));
        QCOMPARE(r.chain[0].upstream, &openai);
    }
};

QTEST_GUILESS_MAIN(TestAnthropicAdapter)
#include "tst_anthropicadapter.moc"
