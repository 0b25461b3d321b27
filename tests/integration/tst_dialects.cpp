// Both client dialects end to end over raw HTTP: the real engine (manual clock) in front of
// simulated providers of both kinds (real TCP). Anthropic's Messages API passed through to an
// Anthropic upstream and translated to an OpenAI-kind one, failover across kinds, Anthropic
// error shapes, count_tokens, models lists in both shapes, the OpenAI surface beyond chat
// (responses, completions, moderations), the cost header and split writes.
#include "OneShotHttpServer.h"
#include "RelayHarness.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>
#include <QTest>

#include <cmath>

using namespace relay;
using namespace relay::test;

namespace {

const QByteArray kUpstreamKey = "sk-upstream-secret-0123456789"; // RelayHarness sets it
const QString kClaude = QStringLiteral("claude-sonnet-4-5");
const QString kMini = QStringLiteral("gpt-4o-mini");

QJsonObject object(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

// The `event:` names of an SSE body, in order.
QStringList eventNames(const QByteArray &body)
{
    QStringList names;
    for (const QByteArray &line : body.split('\n'))
        if (line.startsWith("event: "))
            names.append(QString::fromUtf8(line.mid(7).trimmed()));
    return names;
}

// The JSON data payloads of an SSE body whose "type" is `type`.
QList<QJsonObject> eventsOfType(const TestResponse &r, const QString &type)
{
    QList<QJsonObject> out;
    for (const QByteArray &d : r.sseData()) {
        const QJsonObject o = object(d);
        if (o.value(QStringLiteral("type")).toString() == type)
            out.append(o);
    }
    return out;
}

HttpHeaders anthropicHeaders(const QString &key, bool bearer = false)
{
    HttpHeaders h{{"anthropic-version", "2023-06-01"}, {"content-type", "application/json"}};
    if (bearer)
        h.emplaceBack("authorization", "Bearer " + key.toUtf8());
    else
        h.emplaceBack("x-api-key", key.toUtf8());
    return h;
}

QByteArray messagesBody(const QString &model, const QString &text, bool stream = false,
                        const QString &extra = QString())
{
    QString body = QStringLiteral(R"({"model":"%1","max_tokens":256,)"
                                  R"("messages":[{"role":"user","content":"%2"}])")
                       .arg(model, text);
    if (stream)
        body += QStringLiteral(R"(,"stream":true)");
    if (!extra.isEmpty())
        body += QLatin1Char(',') + extra;
    return (body + QLatin1Char('}')).toUtf8();
}

// The Anthropic error body's type, or empty when the body is not one.
QString anthropicErrorType(const TestResponse &r)
{
    const QJsonObject o = r.json();
    if (o.value(QStringLiteral("type")).toString() != QLatin1String("error"))
        return {};
    return o.value(QStringLiteral("error")).toObject().value(QStringLiteral("type")).toString();
}

double costHeader(const TestResponse &r)
{
    return r.header("x-tenantrelay-cost-usd").toDouble();
}

// An OpenAI-kind upstream that answers each request with the next canned answer (for what the
// simulator never says: tool calls, finish_reason "length" on chat).
class CannedUpstream
{
public:
    CannedUpstream() { m_server.listen(); }
    QString baseUrl() const
    {
        return QStringLiteral("http://127.0.0.1:%1/v1").arg(m_server.port());
    }
    void push(const QByteArray &contentType, const QByteArray &body)
    {
        m_answers.append({contentType, body});
    }
    QList<QByteArray> bodies; // the requests' bodies, in order
    QList<QByteArray> paths;

private:
    QList<QPair<QByteArray, QByteArray>> m_answers; // content type, body
    OneShotHttpServer m_server{[this](const QByteArray &head, const QByteArray &body) {
        paths.append(head.left(head.indexOf('\r')).split(' ').value(1));
        bodies.append(body);
        const auto [type, answer] = m_answers.isEmpty()
                                        ? QPair<QByteArray, QByteArray>("application/json", "{}")
                                        : m_answers.takeFirst();
        return "HTTP/1.1 200 OK\r\ncontent-type: " + type +
               "\r\ncontent-length: " + QByteArray::number(answer.size()) +
               "\r\nconnection: close\r\n\r\n" + answer;
    }};
};

} // namespace

class TestDialects : public QObject
{
    Q_OBJECT

private:
    ManualClock clock;                  // time stands still unless a test moves it
    std::unique_ptr<Simulator> claude;  // the Anthropic upstream; the harness's sim is "openai"
    std::unique_ptr<Simulator> openaiB; // a second OpenAI-kind upstream
    std::unique_ptr<CannedUpstream> canned;
    std::unique_ptr<RelayHarness> h;
    QString key;

    TestResponse messages(const QByteArray &body, bool bearer = false,
                          const HttpHeaders &extra = {})
    {
        HttpHeaders headers = anthropicHeaders(key, bearer);
        headers.append(extra);
        return request(h->port(), "POST", "/v1/messages", body, headers);
    }
    TestResponse openai(const QByteArray &path, const QByteArray &body,
                        const QString &withKey = QString())
    {
        return request(h->port(), "POST", path, body,
                       TestHttpClient::bearer(withKey.isEmpty() ? key : withKey));
    }
    // The usage row of the request that answered `r` (by its x-request-id).
    QVariantMap rowOf(const TestResponse &r)
    {
        const QByteArray id = r.header("x-request-id");
        for (const QVariantMap &row : h->usageRows())
            if (row.value(QStringLiteral("request_id")).toByteArray() == id)
                return row;
        return {};
    }
    static qint64 num(const QVariantMap &row, const char *column)
    {
        return row.value(QLatin1String(column)).toLongLong();
    }
    static double cost(const QVariantMap &row)
    {
        return row.value(QStringLiteral("cost_usd")).toDouble();
    }

private Q_SLOTS:
    void init()
    {
        SimulatorOptions options;
        options.expectedApiKey = kUpstreamKey;
        claude = std::make_unique<Simulator>(options);
        openaiB = std::make_unique<Simulator>(options);
        canned = std::make_unique<CannedUpstream>();
        h = std::make_unique<RelayHarness>();
        // "openai" first: models without a route go to it.
        h->addSimUpstream(QStringLiteral("openai"), h->sim());
        h->addSimAnthropicUpstream(QStringLiteral("claude"), *claude);
        h->addSimUpstream(QStringLiteral("openai-b"), *openaiB);
        UpstreamChanges c;
        c.kind = QStringLiteral("openai");
        c.baseUrl = canned->baseUrl();
        c.apiKeyEnv = QStringLiteral("TR_TEST_UPSTREAM_KEY");
        QVERIFY(h->admin().addUpstream(QStringLiteral("canned"), c).ok);

        auto &a = h->admin();
        QVERIFY(a.setRoute(kClaude, {QStringLiteral("claude")}).ok);
        QVERIFY(a.setRoute(QStringLiteral("sonnet"), {QStringLiteral("claude:") + kClaude}).ok);
        QVERIFY(a.setRoute(kMini, {QStringLiteral("openai")}).ok);
        QVERIFY(a.setRoute(QStringLiteral("anthropic-first"),
                           {QStringLiteral("claude:") + kClaude, QStringLiteral("openai:") + kMini})
                    .ok);
        QVERIFY(a.setRoute(QStringLiteral("openai-first"),
                           {QStringLiteral("openai:") + kMini, QStringLiteral("claude:") + kClaude})
                    .ok);
        QVERIFY(a.setRoute(QStringLiteral("pair"),
                           {QStringLiteral("openai:gpt-4o"), QStringLiteral("openai-b:gpt-4o")})
                    .ok);
        QVERIFY(a.setRoute(QStringLiteral("canned-model"), {QStringLiteral("canned")}).ok);
        QVERIFY(a.setPrice(kClaude, 3.0, 15.0).ok);
        QVERIFY(a.setPrice(kMini, 0.15, 0.60).ok);
        key = h->addTenant(QStringLiteral("prod-chatbot"));
        EngineOptions engine;
        engine.clock = &clock;
        engine.server.maxBodyBytes = 64 * 1024;
        QVERIFY(h->start(engine));
    }

    void cleanup()
    {
        h.reset();
        claude.reset();
        openaiB.reset();
        canned.reset();
    }

    // 1. Anthropic ingress to an Anthropic upstream: passed through.

    void messagesPassThrough_data()
    {
        QTest::addColumn<bool>("bearer");
        QTest::newRow("x-api-key") << false;
        QTest::newRow("Authorization: Bearer") << true;
    }

    void messagesPassThrough()
    {
        QFETCH(bool, bearer);
        const TestResponse r =
            messages(messagesBody(QStringLiteral("sonnet"), QStringLiteral("Hello there, Claude!"),
                                  false, QStringLiteral(R"("top_k":5)")),
                     bearer);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("claude"));
        QVERIFY(!r.header("request-id").isEmpty());
        QCOMPARE(r.header("request-id"), r.header("x-request-id"));
        const QJsonObject m = r.json();
        QCOMPARE(m.value(QStringLiteral("type")).toString(), QStringLiteral("message"));
        QCOMPARE(m.value(QStringLiteral("role")).toString(), QStringLiteral("assistant"));
        QCOMPARE(m.value(QStringLiteral("model")).toString(), kClaude);
        QCOMPARE(m.value(QStringLiteral("stop_reason")).toString(), QStringLiteral("end_turn"));
        const QJsonObject block = m.value(QStringLiteral("content")).toArray().at(0).toObject();
        QCOMPARE(block.value(QStringLiteral("type")).toString(), QStringLiteral("text"));
        QCOMPARE(block.value(QStringLiteral("text")).toString(), Simulator::completionText(12));

        // Upstream got the body unchanged but for the routed model, with its own key.
        const SimReceivedRequest sent = claude->received().last();
        QCOMPARE(sent.path, QByteArray("/v1/messages"));
        QCOMPARE(sent.apiKeyHeader, kUpstreamKey);
        QCOMPARE(sent.authorization, QByteArray());
        QCOMPARE(headerValue(sent.headers, "anthropic-version"), QByteArray("2023-06-01"));
        const QJsonObject body = object(sent.body);
        QCOMPARE(body.value(QStringLiteral("model")).toString(), kClaude);
        QCOMPARE(body.value(QStringLiteral("top_k")).toInt(), 5);
        QCOMPARE(body.value(QStringLiteral("max_tokens")).toInt(), 256);
        QVERIFY(!sent.body.contains(key.toUtf8()));

        const QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("messages"));
        QCOMPARE(row.value(QStringLiteral("status")).toInt(), 200);
        QCOMPARE(row.value(QStringLiteral("requested_model")).toString(), QStringLiteral("sonnet"));
        QCOMPARE(row.value(QStringLiteral("served_model")).toString(), kClaude);
        const qint64 prompt = (QStringLiteral("Hello there, Claude!").size() + 3) / 4;
        QCOMPARE(num(row, "prompt_tokens"), prompt);
        QCOMPARE(num(row, "completion_tokens"), 12);
        QVERIFY(std::abs(cost(row) - (prompt * 3.0 + 12 * 15.0) / 1e6) < 1e-12);
        QVERIFY(std::abs(costHeader(r) - cost(row)) < 1e-9);
    }

    void promptCacheTokensAreMetered()
    {
        const QString big(400, QLatin1Char('x'));
        const QByteArray body =
            QStringLiteral(R"({"model":"%1","max_tokens":64,"system":[{"type":"text","text":"%2",)"
                           R"("cache_control":{"type":"ephemeral"}}],)"
                           R"("messages":[{"role":"user","content":"What now?"}]})")
                .arg(kClaude, big)
                .toUtf8();
        // Cache prices: the shipped 0.1x / 1.25x of the input price, then set on their own.
        for (int i = 0; i < 3; ++i) {
            const double readPrice = i < 2 ? 0.3 : 0.5;
            const double writePrice = i < 2 ? 3.75 : 6.0;
            if (i == 2) {
                QVERIFY(h->admin().setPrice(kClaude, 3.0, 15.0, readPrice, writePrice).ok);
                h->reload();
            }
            const TestResponse r = messages(body);
            QCOMPARE(r.status, 200);
            const QJsonObject u = r.json().value(QStringLiteral("usage")).toObject();
            const qint64 input = u.value(QStringLiteral("input_tokens")).toInteger();
            const qint64 write = u.value(QStringLiteral("cache_creation_input_tokens")).toInteger();
            const qint64 read = u.value(QStringLiteral("cache_read_input_tokens")).toInteger();
            // Written to the cache the first time, read from it the second.
            QCOMPARE(write > 0, i == 0);
            QCOMPARE(read > 0, i > 0);
            const qint64 output = u.value(QStringLiteral("output_tokens")).toInteger();
            const QVariantMap row = rowOf(r);
            QCOMPARE(num(row, "prompt_tokens"), input + read + write);
            QCOMPARE(num(row, "cache_read_tokens"), read);
            QCOMPARE(num(row, "cache_write_tokens"), write);
            QCOMPARE(num(row, "completion_tokens"), output);
            const double expected =
                (input * 3.0 + read * readPrice + write * writePrice + output * 15.0) / 1e6;
            QVERIFY2(std::abs(cost(row) - expected) < 1e-12,
                     qPrintable(QStringLiteral("%1 != %2 (in %3 read %4 write %5 out %6)")
                                    .arg(cost(row))
                                    .arg(expected)
                                    .arg(input)
                                    .arg(read)
                                    .arg(write)
                                    .arg(output)));
            QVERIFY(std::abs(costHeader(r) - cost(row)) < 1e-9);
        }
        QVERIFY(h->admin().setPrice(kClaude, 3.0, 15.0).ok);
        h->reload();
    }

    void messagesStreamPassThrough()
    {
        claude->setCompletionTokens(5);
        const TestResponse r =
            messages(messagesBody(kClaude, QStringLiteral("stream me please"), true), false,
                     {{"anthropic-beta", "prompt-caching-2024-07-31"}});
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("content-type").startsWith("text/event-stream"));
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("claude"));
        QCOMPARE(eventNames(r.body),
                 QStringList({"message_start", "content_block_start", "ping", "content_block_delta",
                              "content_block_delta", "content_block_delta", "content_block_delta",
                              "content_block_delta", "content_block_stop", "message_delta",
                              "message_stop"}));
        QString text;
        for (const QJsonObject &d : eventsOfType(r, QStringLiteral("content_block_delta")))
            text += d.value(QStringLiteral("delta")).toObject().value("text").toString();
        QCOMPARE(text, Simulator::completionText(5));
        const QList<QJsonObject> deltas = eventsOfType(r, QStringLiteral("message_delta"));
        QCOMPARE(deltas.size(), 1);
        const QJsonObject usage = deltas[0].value(QStringLiteral("usage")).toObject();
        QCOMPARE(usage.value(QStringLiteral("output_tokens")).toInt(), 5);
        QCOMPARE(deltas[0].value(QStringLiteral("delta")).toObject().value("stop_reason"),
                 QJsonValue("end_turn"));

        const SimReceivedRequest sent = claude->received().last();
        QCOMPARE(headerValue(sent.headers, "anthropic-beta"),
                 QByteArray("prompt-caching-2024-07-31"));
        QCOMPARE(object(sent.body).value(QStringLiteral("stream")).toBool(), true);

        const QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("messages"));
        QCOMPARE(num(row, "streamed"), 1);
        QCOMPARE(num(row, "estimated"), 0);
        QCOMPARE(num(row, "prompt_tokens"), (QStringLiteral("stream me please").size() + 3) / 4);
        QCOMPARE(num(row, "completion_tokens"), 5);
        QVERIFY(usage.contains(QStringLiteral("cost_usd")));
        QVERIFY(std::abs(usage.value(QStringLiteral("cost_usd")).toDouble() - cost(row)) < 1e-9);
        QVERIFY(cost(row) > 0);
    }

    // 2. Anthropic ingress to an OpenAI-kind upstream: translated.

    void messagesTranslatedToOpenAiKind()
    {
        const QByteArray body =
            QStringLiteral(R"({"model":"%1","max_tokens":100,"system":"Be brief.","messages":[)"
                           R"({"role":"user","content":[{"type":"text","text":"What is this?"},)"
                           R"({"type":"image","source":{"type":"base64","media_type":"image/png",)"
                           R"("data":"iVBORw0KGgo="}}]}]})")
                .arg(kMini)
                .toUtf8();
        const TestResponse r = messages(body);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("openai"));
        QVERIFY(!r.header("request-id").isEmpty());
        const QJsonObject m = r.json();
        QCOMPARE(m.value(QStringLiteral("type")).toString(), QStringLiteral("message"));
        QVERIFY(m.value(QStringLiteral("id")).toString().startsWith(QLatin1String("msg_")));
        QCOMPARE(m.value(QStringLiteral("model")).toString(), kMini);
        QCOMPARE(m.value(QStringLiteral("stop_reason")).toString(), QStringLiteral("end_turn"));
        QCOMPARE(m.value(QStringLiteral("content")).toArray().at(0).toObject().value("text"),
                 QJsonValue(Simulator::completionText(12)));
        const QJsonObject usage = m.value(QStringLiteral("usage")).toObject();
        const qint64 prompt = (QStringLiteral("Be brief.What is this?").size() + 3) / 4;
        QCOMPARE(usage.value(QStringLiteral("input_tokens")).toInteger(), prompt);
        QCOMPARE(usage.value(QStringLiteral("output_tokens")).toInteger(), 12);

        const SimReceivedRequest sent = h->sim().received().last();
        QCOMPARE(sent.path, QByteArray("/v1/chat/completions"));
        QCOMPARE(sent.authorization, "Bearer " + kUpstreamKey);
        const QJsonObject chat = object(sent.body);
        QCOMPARE(chat.value(QStringLiteral("model")).toString(), kMini);
        QCOMPARE(chat.value(QStringLiteral("max_tokens")).toInt(), 100);
        const QJsonArray msgs = chat.value(QStringLiteral("messages")).toArray();
        QCOMPARE(msgs.at(0).toObject().value("role"), QJsonValue("system"));
        QCOMPARE(msgs.at(0).toObject().value("content"), QJsonValue("Be brief."));
        QCOMPARE(msgs.at(1).toObject().value("role"), QJsonValue("user"));
        const QJsonArray parts = msgs.at(1).toObject().value("content").toArray();
        QCOMPARE(parts.size(), 2);
        QCOMPARE(parts.at(0).toObject().value("type"), QJsonValue("text"));
        QCOMPARE(parts.at(1).toObject().value("type"), QJsonValue("image_url"));
        QCOMPARE(parts.at(1).toObject().value("image_url").toObject().value("url"),
                 QJsonValue("data:image/png;base64,iVBORw0KGgo="));

        const QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("messages"));
        QCOMPARE(row.value(QStringLiteral("upstream")).toString(), QStringLiteral("openai"));
        QCOMPARE(num(row, "prompt_tokens"), prompt);
        QCOMPARE(num(row, "completion_tokens"), 12);
        QVERIFY(std::abs(cost(row) - (prompt * 0.15 + 12 * 0.60) / 1e6) < 1e-12);
        QVERIFY(std::abs(costHeader(r) - cost(row)) < 1e-9);
    }

    void messagesToolUseRoundTrip()
    {
        canned->push(
            "application/json",
            R"({"id":"chatcmpl-tool1","object":"chat.completion","created":1,)"
            R"("model":"canned-model","choices":[{"index":0,"message":{"role":"assistant",)"
            R"("content":null,"tool_calls":[{"id":"call_abc","type":"function",)"
            "\"function\":{\"name\":\"search_docs\",\"arguments\":\"{\\\"query\\\":\\\"relay\\\"}"
            "\"}}]},"
            R"("finish_reason":"tool_calls"}],)"
            R"("usage":{"prompt_tokens":20,"completion_tokens":7,"total_tokens":27}})");
        const QString tools = QStringLiteral(
            R"("tools":[{"name":"search_docs","description":"Search","input_schema":)"
            R"({"type":"object","properties":{"query":{"type":"string"}}}}],)"
            R"("tool_choice":{"type":"tool","name":"search_docs"})");
        TestResponse r = messages(
            messagesBody(QStringLiteral("canned-model"), QStringLiteral("find it"), false, tools));
        QCOMPARE(r.status, 200);
        QJsonObject m = r.json();
        QCOMPARE(m.value(QStringLiteral("stop_reason")).toString(), QStringLiteral("tool_use"));
        const QJsonArray content = m.value(QStringLiteral("content")).toArray();
        QJsonObject toolUse;
        for (const auto &b : content)
            if (b.toObject().value(QStringLiteral("type")) == QJsonValue("tool_use"))
                toolUse = b.toObject();
        QCOMPARE(toolUse.value(QStringLiteral("id")).toString(), QStringLiteral("call_abc"));
        QCOMPARE(toolUse.value(QStringLiteral("name")).toString(), QStringLiteral("search_docs"));
        QCOMPARE(toolUse.value(QStringLiteral("input")).toObject(),
                 QJsonObject({{QStringLiteral("query"), QStringLiteral("relay")}}));
        QCOMPARE(m.value(QStringLiteral("usage")).toObject().value("output_tokens").toInt(), 7);

        // What went upstream: OpenAI tools and a named tool_choice.
        QCOMPARE(canned->paths.last(), QByteArray("/v1/chat/completions"));
        QJsonObject sent = object(canned->bodies.last());
        const QJsonObject tool = sent.value(QStringLiteral("tools")).toArray().at(0).toObject();
        QCOMPARE(tool.value(QStringLiteral("type")).toString(), QStringLiteral("function"));
        QCOMPARE(tool.value(QStringLiteral("function")).toObject().value("name"),
                 QJsonValue("search_docs"));
        QVERIFY(tool.value(QStringLiteral("function")).toObject().value("parameters").isObject());
        QCOMPARE(sent.value(QStringLiteral("tool_choice"))
                     .toObject()
                     .value(QStringLiteral("function"))
                     .toObject()
                     .value("name"),
                 QJsonValue("search_docs"));
        QCOMPARE(rowOf(r).value(QStringLiteral("completion_tokens")).toLongLong(), 7);

        // The round trip: the tool's result goes back as a tool message.
        canned->push(
            "application/json",
            R"({"id":"chatcmpl-tool2","object":"chat.completion","created":1,)"
            R"("model":"canned-model","choices":[{"index":0,"message":{"role":"assistant",)"
            R"("content":"Found it."},"finish_reason":"stop"}],)"
            R"("usage":{"prompt_tokens":30,"completion_tokens":3,"total_tokens":33}})");
        const QByteArray second =
            R"({"model":"canned-model","max_tokens":256,"messages":[)"
            R"({"role":"user","content":"find it"},)"
            R"({"role":"assistant","content":[{"type":"tool_use","id":"call_abc",)"
            R"("name":"search_docs","input":{"query":"relay"}}]},)"
            R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"call_abc",)"
            R"("content":"page 7"}]}],)" +
            tools.toUtf8() + "}";
        r = messages(second);
        QCOMPARE(r.status, 200);
        m = r.json();
        QCOMPARE(m.value(QStringLiteral("stop_reason")).toString(), QStringLiteral("end_turn"));
        QCOMPARE(m.value(QStringLiteral("content")).toArray().at(0).toObject().value("text"),
                 QJsonValue("Found it."));
        sent = object(canned->bodies.last());
        const QJsonArray msgs = sent.value(QStringLiteral("messages")).toArray();
        QCOMPARE(msgs.size(), 3);
        const QJsonObject assistant = msgs.at(1).toObject();
        QCOMPARE(assistant.value(QStringLiteral("role")), QJsonValue("assistant"));
        const QJsonObject call =
            assistant.value(QStringLiteral("tool_calls")).toArray().at(0).toObject();
        QCOMPARE(call.value(QStringLiteral("id")), QJsonValue("call_abc"));
        QCOMPARE(object(call.value(QStringLiteral("function"))
                            .toObject()
                            .value("arguments")
                            .toString()
                            .toUtf8()),
                 QJsonObject({{QStringLiteral("query"), QStringLiteral("relay")}}));
        const QJsonObject result = msgs.at(2).toObject();
        QCOMPARE(result.value(QStringLiteral("role")), QJsonValue("tool"));
        QCOMPARE(result.value(QStringLiteral("tool_call_id")), QJsonValue("call_abc"));
        QCOMPARE(result.value(QStringLiteral("content")), QJsonValue("page 7"));
    }

    void messagesMaxTokensStopReason_data()
    {
        QTest::addColumn<bool>("stream");
        QTest::newRow("non-stream") << false;
        QTest::newRow("stream") << true;
    }

    void messagesMaxTokensStopReason()
    {
        QFETCH(bool, stream);
        if (stream)
            canned->push("text/event-stream",
                         "data: {\"id\":\"chatcmpl-l\",\"object\":\"chat.completion.chunk\","
                         "\"model\":\"canned-model\",\"choices\":[{\"index\":0,\"delta\":"
                         "{\"role\":\"assistant\",\"content\":\"Two words\"},"
                         "\"finish_reason\":null}]}\n\n"
                         "data: {\"id\":\"chatcmpl-l\",\"object\":\"chat.completion.chunk\","
                         "\"model\":\"canned-model\",\"choices\":[{\"index\":0,\"delta\":{},"
                         "\"finish_reason\":\"length\"}]}\n\n"
                         "data: {\"id\":\"chatcmpl-l\",\"object\":\"chat.completion.chunk\","
                         "\"model\":\"canned-model\",\"choices\":[],\"usage\":"
                         "{\"prompt_tokens\":4,\"completion_tokens\":2,\"total_tokens\":6}}\n\n"
                         "data: [DONE]\n\n");
        else
            canned->push("application/json",
                         R"({"id":"chatcmpl-l","object":"chat.completion","created":1,)"
                         R"("model":"canned-model","choices":[{"index":0,"message":)"
                         R"({"role":"assistant","content":"Two words"},"finish_reason":"length"}],)"
                         R"("usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}})");
        const TestResponse r = messages(QStringLiteral(R"({"model":"canned-model","max_tokens":2,)"
                                                       R"("stream":%1,"messages":[{"role":"user",)"
                                                       R"("content":"Say many words"}]})")
                                            .arg(stream ? "true" : "false")
                                            .toUtf8());
        QCOMPARE(r.status, 200);
        QCOMPARE(object(canned->bodies.last()).value(QStringLiteral("max_tokens")).toInt(), 2);
        if (stream) {
            const QList<QJsonObject> deltas = eventsOfType(r, QStringLiteral("message_delta"));
            QCOMPARE(deltas.size(), 1);
            QCOMPARE(deltas[0].value(QStringLiteral("delta")).toObject().value("stop_reason"),
                     QJsonValue("max_tokens"));
            QCOMPARE(deltas[0].value(QStringLiteral("usage")).toObject().value("output_tokens"),
                     QJsonValue(2));
        } else {
            QCOMPARE(r.json().value(QStringLiteral("stop_reason")).toString(),
                     QStringLiteral("max_tokens"));
        }
        const QVariantMap row = rowOf(r);
        QCOMPARE(num(row, "prompt_tokens"), 4);
        QCOMPARE(num(row, "completion_tokens"), 2);
    }

    void messagesStreamTranslated()
    {
        h->sim().setCompletionTokens(4);
        const TestResponse r =
            messages(messagesBody(kMini, QStringLiteral("stream this one"), true));
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("content-type").startsWith("text/event-stream"));
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("openai"));
        const QStringList names = eventNames(r.body);
        QVERIFY2(names.size() >= 6, qPrintable(names.join(u',')));
        QCOMPARE(names.first(), QStringLiteral("message_start"));
        QCOMPARE(names.at(1), QStringLiteral("content_block_start"));
        QCOMPARE(names.last(), QStringLiteral("message_stop"));
        QCOMPARE(names.at(names.size() - 2), QStringLiteral("message_delta"));
        QCOMPARE(names.at(names.size() - 3), QStringLiteral("content_block_stop"));
        QCOMPARE(names.count(QStringLiteral("message_delta")), 1);
        QString text;
        for (const QJsonObject &d : eventsOfType(r, QStringLiteral("content_block_delta")))
            text += d.value(QStringLiteral("delta")).toObject().value("text").toString();
        QCOMPARE(text, Simulator::completionText(4));
        const QJsonObject start =
            eventsOfType(r, QStringLiteral("message_start")).at(0).value("message").toObject();
        QCOMPARE(start.value(QStringLiteral("role")).toString(), QStringLiteral("assistant"));
        QCOMPARE(start.value(QStringLiteral("model")).toString(), kMini);
        const QJsonObject delta = eventsOfType(r, QStringLiteral("message_delta")).at(0);
        QCOMPARE(delta.value(QStringLiteral("delta")).toObject().value("stop_reason"),
                 QJsonValue("end_turn"));
        const QJsonObject usage = delta.value(QStringLiteral("usage")).toObject();
        QCOMPARE(usage.value(QStringLiteral("output_tokens")).toInt(), 4);
        // The upstream was asked for usage.
        const QJsonObject sent = object(h->sim().received().last().body);
        QCOMPARE(sent.value(QStringLiteral("stream")).toBool(), true);
        QCOMPARE(sent.value(QStringLiteral("stream_options")).toObject().value("include_usage"),
                 QJsonValue(true));

        const QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("messages"));
        QCOMPARE(num(row, "streamed"), 1);
        QCOMPARE(num(row, "estimated"), 0);
        QCOMPARE(num(row, "prompt_tokens"), (QStringLiteral("stream this one").size() + 3) / 4);
        QCOMPARE(num(row, "completion_tokens"), 4);
        QVERIFY(cost(row) > 0);
        QVERIFY(std::abs(usage.value(QStringLiteral("cost_usd")).toDouble() - cost(row)) < 1e-9);
    }

    // 3. Failover across kinds, mid-chain.

    void anthropicClientFailsOverToOpenAiKind_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("status");
        QTest::addColumn<bool>("stream");
        QTest::newRow("529") << int(SimFault::Status) << 529 << false;
        QTest::newRow("500, stream") << int(SimFault::Status) << 500 << true;
        QTest::newRow("reset") << int(SimFault::Reset) << 0 << false;
    }

    void anthropicClientFailsOverToOpenAiKind()
    {
        QFETCH(int, kind);
        QFETCH(int, status);
        QFETCH(bool, stream);
        claude->pushFault({SimFault::Kind(kind), status, -1, 0});
        const TestResponse r =
            messages(messagesBody(QStringLiteral("anthropic-first"), QStringLiteral("hi"), stream));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("openai"));
        QCOMPARE(claude->received().size(), 1);
        QCOMPARE(h->sim().received().size(), 1);
        QCOMPARE(h->sim().received().last().path, QByteArray("/v1/chat/completions"));
        QString text;
        if (stream) {
            QCOMPARE(eventNames(r.body).first(), QStringLiteral("message_start"));
            QCOMPARE(eventNames(r.body).last(), QStringLiteral("message_stop"));
            for (const QJsonObject &d : eventsOfType(r, QStringLiteral("content_block_delta")))
                text += d.value(QStringLiteral("delta")).toObject().value("text").toString();
        } else {
            QCOMPARE(r.json().value(QStringLiteral("type")).toString(), QStringLiteral("message"));
            text = r.json()
                       .value(QStringLiteral("content"))
                       .toArray()
                       .at(0)
                       .toObject()
                       .value("text")
                       .toString();
        }
        QCOMPARE(text, Simulator::completionText(12));
        const QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("upstream")).toString(), QStringLiteral("openai"));
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("messages"));
        QCOMPARE(row.value(QStringLiteral("status")).toInt(), 200);
        QCOMPARE(num(row, "completion_tokens"), 12);
    }

    void openAiClientFailsOverToAnthropic_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<bool>("stream");
        QTest::newRow("500") << int(SimFault::Status) << false;
        QTest::newRow("reset, stream") << int(SimFault::Reset) << true;
    }

    void openAiClientFailsOverToAnthropic()
    {
        QFETCH(int, kind);
        QFETCH(bool, stream);
        h->sim().pushFault({SimFault::Kind(kind), 500, -1, 0});
        const TestResponse r =
            openai("/v1/chat/completions", RelayHarness::chatBody(QStringLiteral("openai-first"),
                                                                  QStringLiteral("hi"), stream));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("claude"));
        QCOMPARE(claude->received().size(), 1);
        QCOMPARE(claude->received().last().path, QByteArray("/v1/messages"));
        if (stream) {
            QCOMPARE(r.sseData().last(), QByteArray("[DONE]"));
            QCOMPARE(object(r.sseData().first()).value(QStringLiteral("object")).toString(),
                     QStringLiteral("chat.completion.chunk"));
        } else {
            QCOMPARE(r.json().value(QStringLiteral("object")).toString(),
                     QStringLiteral("chat.completion"));
            QCOMPARE(r.json().value(QStringLiteral("model")).toString(), kClaude);
        }
        const QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("chat"));
        QCOMPARE(row.value(QStringLiteral("upstream")).toString(), QStringLiteral("claude"));
        QCOMPARE(num(row, "completion_tokens"), 12);
    }

    // 4. Anthropic error shapes and headers.

    void anthropicErrorShapes()
    {
        // 401: a bad key, either header.
        for (bool bearer : {false, true}) {
            HttpHeaders headers = anthropicHeaders(QStringLiteral("sk-tr-not-a-real-key"), bearer);
            const TestResponse r = request(h->port(), "POST", "/v1/messages",
                                           messagesBody(kClaude, QStringLiteral("x")), headers);
            QCOMPARE(r.status, 401);
            QCOMPARE(anthropicErrorType(r), QStringLiteral("authentication_error"));
            QVERIFY(!r.json().value("error").toObject().value("message").toString().isEmpty());
            QVERIFY(!r.header("request-id").isEmpty());
            QCOMPARE(r.header("request-id"), r.header("x-request-id"));
        }
        // 400: max_tokens missing.
        TestResponse r =
            messages(R"({"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"x"}]})");
        QCOMPARE(r.status, 400);
        QCOMPARE(anthropicErrorType(r), QStringLiteral("invalid_request_error"));
        QVERIFY(r.json().value("error").toObject().value("message").toString().contains(
            QLatin1String("max_tokens")));
        QVERIFY(!r.header("request-id").isEmpty());
        QCOMPARE(claude->received().size(), 0);
        // 404: a model this tenant may not use.
        const QString narrowKey = h->addTenant(QStringLiteral("narrow"), QStringList{kMini});
        h->reload();
        r = request(h->port(), "POST", "/v1/messages", messagesBody(kClaude, QStringLiteral("x")),
                    anthropicHeaders(narrowKey));
        QCOMPARE(r.status, 404);
        QCOMPARE(anthropicErrorType(r), QStringLiteral("not_found_error"));
        QVERIFY(!r.header("request-id").isEmpty());
        QCOMPARE(claude->received().size(), 0);
        // 429: rpm.
        TenantChanges limited;
        limited.rpm = LimitValue(1);
        const QString rpmKey = h->addTenant(QStringLiteral("rpm-one"), limited);
        h->reload();
        r = request(h->port(), "POST", "/v1/messages", messagesBody(kClaude, QStringLiteral("x")),
                    anthropicHeaders(rpmKey));
        QCOMPARE(r.status, 200);
        r = request(h->port(), "POST", "/v1/messages", messagesBody(kClaude, QStringLiteral("x")),
                    anthropicHeaders(rpmKey));
        QCOMPARE(r.status, 429);
        QCOMPARE(anthropicErrorType(r), QStringLiteral("rate_limit_error"));
        QCOMPARE(r.header("retry-after"), QByteArray("60"));
        QCOMPARE(r.header("x-ratelimit-remaining-requests"), QByteArray("0"));
        QVERIFY(!r.header("request-id").isEmpty());
        QCOMPARE(rowOf(r).value(QStringLiteral("endpoint")).toString(), QStringLiteral("messages"));
        QCOMPARE(rowOf(r).value(QStringLiteral("outcome")).toString(), QStringLiteral("rejected"));
    }

    void openAiKindUpstreamErrorInAnthropicShape_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("type");
        QTest::newRow("400") << 400 << QStringLiteral("invalid_request_error");
        QTest::newRow("403") << 403 << QStringLiteral("permission_error");
        QTest::newRow("404") << 404 << QStringLiteral("not_found_error");
    }

    void openAiKindUpstreamErrorInAnthropicShape()
    {
        QFETCH(int, status);
        QFETCH(QString, type);
        h->sim().pushFault({SimFault::Status, status, -1, 0});
        const TestResponse r = messages(messagesBody(kMini, QStringLiteral("x")));
        QCOMPARE(r.status, status);
        QCOMPARE(anthropicErrorType(r), type);
        QCOMPARE(r.json().value("error").toObject().value("message").toString(),
                 QStringLiteral("simulated failure %1").arg(status));
        QVERIFY(!r.header("request-id").isEmpty());
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("openai"));
        const QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("status")).toInt(), status);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("messages"));
    }

    void tooLargeBodyInAnthropicShape()
    {
        const QByteArray big = messagesBody(kClaude, QString(70 * 1024, QLatin1Char('a')));
        TestResponse r = messages(big);
        QCOMPARE(r.status, 413);
        QCOMPARE(anthropicErrorType(r), QStringLiteral("request_too_large"));
        QVERIFY(!r.header("request-id").isEmpty());
        const QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("messages"));
        QCOMPARE(row.value(QStringLiteral("status")).toInt(), 413);
        QCOMPARE(row.value(QStringLiteral("outcome")).toString(), QStringLiteral("rejected"));
        // The OpenAI paths keep OpenAI's shape.
        r = openai("/v1/chat/completions",
                   RelayHarness::chatBody(kMini, QString(70 * 1024, QLatin1Char('a'))));
        QCOMPARE(r.status, 413);
        QCOMPARE(r.errorField("code"), QStringLiteral("request_too_large"));
        QCOMPARE(claude->received().size(), 0);
    }

    // The server's own refusals, before the handler saw a whole request, in the path's shape.
    void serverRefusalsInAnthropicShape()
    {
        const auto raw = [&](const QByteArray &bytes, bool moveClock) {
            TestHttpClient client(h->port());
            client.sendRaw(bytes);
            if (moveClock) {
                // The headers (or the body) stop arriving; the relay's clock moves past the
                // deadline, and its next sweep answers.
                QTest::qWait(100);
                clock.advance(700'000);
            }
            if (!client.waitDone(5000))
                return TestResponse();
            return client.response();
        };
        const QByteArray head = "POST /v1/messages?beta=true HTTP/1.1\r\nHost: relay\r\n"
                                "x-api-key: " +
                                key.toUtf8() + "\r\nanthropic-version: 2023-06-01\r\n";
        TestResponse r = raw(head + "X-Big: " + QByteArray(40 * 1024, 'a') + "\r\n\r\n", false);
        QCOMPARE(r.status, 431);
        QCOMPARE(anthropicErrorType(r), QStringLiteral("invalid_request_error"));
        QVERIFY(!r.header("request-id").isEmpty());
        r = raw(head, true); // headers never complete
        QCOMPARE(r.status, 408);
        QCOMPARE(anthropicErrorType(r), QStringLiteral("invalid_request_error"));
        r = raw(head + "Content-Length: 100\r\n\r\n{\"model\"", true); // body never complete
        QCOMPARE(r.status, 408);
        QCOMPARE(anthropicErrorType(r), QStringLiteral("invalid_request_error"));
        r = raw(head + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", false);
        QCOMPARE(r.status, 400);
        QCOMPARE(anthropicErrorType(r), QStringLiteral("invalid_request_error"));
        // An OpenAI path keeps OpenAI's shape for the same refusal.
        r = raw("POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\nX-Big: " +
                    QByteArray(40 * 1024, 'a') + "\r\n\r\n",
                false);
        QCOMPARE(r.status, 431);
        QCOMPARE(r.errorField("code"), QStringLiteral("request_header_fields_too_large"));
        // None of them is metered: no whole request reached the relay.
        QCOMPARE(h->usageRows().size(), 0);
    }

    void streamErrorAfterContentInAnthropicShape_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QByteArray>("upstream");
        QTest::newRow("Anthropic upstream") << kClaude << QByteArray("claude");
        QTest::newRow("OpenAI-kind upstream") << kMini << QByteArray("openai");
    }

    void streamErrorAfterContentInAnthropicShape()
    {
        QFETCH(QString, model);
        QFETCH(QByteArray, upstream);
        Simulator &sim = upstream == "claude" ? *claude : h->sim();
        sim.pushFault({SimFault::StreamError, 529, -1, 2});
        const TestResponse r = messages(messagesBody(model, QStringLiteral("hi"), true));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), upstream);
        const QStringList names = eventNames(r.body);
        QCOMPARE(names.first(), QStringLiteral("message_start"));
        QCOMPARE(names.last(), QStringLiteral("error"));
        QVERIFY(!names.contains(QStringLiteral("message_stop")));
        const QList<QJsonObject> errors = eventsOfType(r, QStringLiteral("error"));
        QCOMPARE(errors.size(), 1);
        QVERIFY(!errors[0]
                     .value(QStringLiteral("error"))
                     .toObject()
                     .value("type")
                     .toString()
                     .isEmpty());
        for (const QByteArray &d : r.sseData()) // nothing in OpenAI's shape
            QVERIFY2(object(d).contains(QStringLiteral("type")), d.constData());
        QString text;
        for (const QJsonObject &d : eventsOfType(r, QStringLiteral("content_block_delta")))
            text += d.value(QStringLiteral("delta")).toObject().value("text").toString();
        QCOMPARE(text, QStringLiteral("The relay "));
        const QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("messages"));
        QCOMPARE(row.value(QStringLiteral("error")).toString(), QStringLiteral("stream_error"));
        QCOMPARE(num(row, "estimated"), 1);
    }

    void chainFailuresInAnthropicShape()
    {
        // The upstream's 429 with a Retry-After too long to wait: passed back as a rate limit.
        h->sim().pushFault({SimFault::Status, 429, 60, 0});
        TestResponse r = messages(messagesBody(kMini, QStringLiteral("x")));
        QCOMPARE(r.status, 429);
        QCOMPARE(anthropicErrorType(r), QStringLiteral("rate_limit_error"));
        QCOMPARE(r.header("retry-after"), QByteArray("60"));
        QVERIFY(!r.header("request-id").isEmpty());
        // Every target failed: 502, an api_error.
        claude->pushFault({SimFault::Status, 500, 0, 0}, 3);
        r = messages(messagesBody(kClaude, QStringLiteral("x")));
        QCOMPARE(r.status, 502);
        QCOMPARE(anthropicErrorType(r), QStringLiteral("api_error"));
        QVERIFY(!r.body.contains(kUpstreamKey));
        QCOMPARE(claude->received().size(), 3);
        QCOMPARE(rowOf(r).value(QStringLiteral("endpoint")).toString(), QStringLiteral("messages"));
    }

    void imageBlocksCountInTpmEstimate()
    {
        TenantChanges limited;
        limited.tpm = LimitValue(1500);
        const QString tpmKey = h->addTenant(QStringLiteral("images"), limited);
        h->reload();
        const QString image = QStringLiteral(
            R"({"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}})");
        const auto body = [&](int images) {
            QStringList blocks{QStringLiteral(R"({"type":"text","text":"look"})")};
            for (int i = 0; i < images; ++i)
                blocks.append(image);
            return QStringLiteral(R"({"model":"%1","max_tokens":100,"messages":[{"role":"user",)"
                                  R"("content":[%2]}]})")
                .arg(kMini, blocks.join(QLatin1Char(',')))
                .toUtf8();
        };
        // 1 + 1,000 + 100 fits in 1,500; 1 + 2,000 + 100 never can.
        TestResponse r =
            request(h->port(), "POST", "/v1/messages", body(1), anthropicHeaders(tpmKey));
        QCOMPARE(r.status, 200);
        r = request(h->port(), "POST", "/v1/messages", body(2), anthropicHeaders(tpmKey));
        QCOMPARE(r.status, 429);
        QCOMPARE(anthropicErrorType(r), QStringLiteral("rate_limit_error"));
        QCOMPARE(r.header("x-should-retry"), QByteArray("false"));
        QCOMPARE(h->sim().received().size(), 1);
    }

    // 5. count_tokens.

    void countTokensAskedOfAnthropicTarget()
    {
        const TestResponse r = request(
            h->port(), "POST", "/v1/messages/count_tokens",
            QStringLiteral(R"({"model":"sonnet","messages":[{"role":"user","content":"%1"}]})")
                .arg(QString(40, QLatin1Char('b')))
                .toUtf8(),
            anthropicHeaders(key));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json(), QJsonObject({{QStringLiteral("input_tokens"), 10}}));
        QVERIFY(!r.header("request-id").isEmpty());
        QCOMPARE(claude->received().size(), 1);
        QCOMPARE(claude->received().last().path, QByteArray("/v1/messages/count_tokens"));
        QCOMPARE(object(claude->received().last().body).value(QStringLiteral("model")),
                 QJsonValue(kClaude));
        const QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("count_tokens"));
        QCOMPARE(row.value(QStringLiteral("status")).toInt(), 200);
        QCOMPARE(num(row, "prompt_tokens"), 0);
        QCOMPARE(num(row, "completion_tokens"), 0);
        QCOMPARE(cost(row), 0.0);
    }

    void countTokensEstimatedWithoutAnthropicTarget()
    {
        const TestResponse r =
            request(h->port(), "POST", "/v1/messages/count_tokens",
                    QStringLiteral(R"({"model":"%1","system":"abcd","messages":[{"role":"user",)"
                                   R"("content":"%2"}]})")
                        .arg(kMini, QString(37, QLatin1Char('c')))
                        .toUtf8(),
                    anthropicHeaders(key));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json(), QJsonObject({{QStringLiteral("input_tokens"), (41 + 3) / 4}}));
        QCOMPARE(h->sim().received().size(), 0);
        QCOMPARE(claude->received().size(), 0);
        const QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("count_tokens"));
        QCOMPARE(num(row, "prompt_tokens"), 0);
        QCOMPARE(num(row, "completion_tokens"), 0);
        QCOMPARE(row.value(QStringLiteral("outcome")).toString(), QStringLiteral("served"));
    }

    void countTokensUsesRpm()
    {
        TenantChanges limited;
        limited.rpm = LimitValue(1);
        limited.tpm = LimitValue(1); // no tpm taken: a count of a long prompt still passes
        const QString rpmKey = h->addTenant(QStringLiteral("counter"), limited);
        h->reload();
        const QByteArray body =
            QStringLiteral(R"({"model":"%1","messages":[{"role":"user","content":"%2"}]})")
                .arg(kMini, QString(400, QLatin1Char('d')))
                .toUtf8();
        TestResponse r =
            request(h->port(), "POST", "/v1/messages/count_tokens", body, anthropicHeaders(rpmKey));
        QCOMPARE(r.status, 200);
        r = request(h->port(), "POST", "/v1/messages/count_tokens", body, anthropicHeaders(rpmKey));
        QCOMPARE(r.status, 429);
        QCOMPARE(anthropicErrorType(r), QStringLiteral("rate_limit_error"));
        QCOMPARE(r.header("retry-after"), QByteArray("60"));
        h->advance(60'000);
        r = request(h->port(), "POST", "/v1/messages/count_tokens", body, anthropicHeaders(rpmKey));
        QCOMPARE(r.status, 200);
    }

    // 6. Models in both shapes.

    void modelsInBothShapes()
    {
        QVERIFY(h->admin().setAlias(QStringLiteral("mini"), kMini).ok);
        const QString narrowKey =
            h->addTenant(QStringLiteral("narrow"), QStringList{kMini, kClaude});
        h->reload();
        const QStringList expected{kClaude, kMini, QStringLiteral("mini")};

        TestResponse r =
            request(h->port(), "GET", "/v1/models", {}, TestHttpClient::bearer(narrowKey));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("object")).toString(), QStringLiteral("list"));
        QStringList ids;
        for (const auto &m : r.json().value(QStringLiteral("data")).toArray()) {
            QCOMPARE(m.toObject().value(QStringLiteral("object")), QJsonValue("model"));
            ids.append(m.toObject().value(QStringLiteral("id")).toString());
        }
        ids.sort();
        QCOMPARE(ids, expected);

        r = request(h->port(), "GET", "/v1/models", {}, anthropicHeaders(narrowKey));
        QCOMPARE(r.status, 200);
        const QJsonObject list = r.json();
        QCOMPARE(list.value(QStringLiteral("has_more")), QJsonValue(false));
        const QJsonArray data = list.value(QStringLiteral("data")).toArray();
        ids.clear();
        for (const auto &m : data) {
            const QJsonObject o = m.toObject();
            QCOMPARE(o.value(QStringLiteral("type")), QJsonValue("model"));
            QVERIFY(o.contains(QStringLiteral("display_name")));
            QVERIFY(o.value(QStringLiteral("created_at")).isString());
            ids.append(o.value(QStringLiteral("id")).toString());
        }
        QCOMPARE(list.value(QStringLiteral("first_id")), data.first().toObject().value("id"));
        QCOMPARE(list.value(QStringLiteral("last_id")), data.last().toObject().value("id"));
        ids.sort();
        QCOMPARE(ids, expected);
        QVERIFY(!r.header("request-id").isEmpty());

        // One model.
        r = request(h->port(), "GET", "/v1/models/gpt-4o-mini", {},
                    TestHttpClient::bearer(narrowKey));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("id")), QJsonValue(kMini));
        QCOMPARE(r.json().value(QStringLiteral("object")), QJsonValue("model"));
        r = request(h->port(), "GET", "/v1/models/claude-sonnet-4-5", {},
                    anthropicHeaders(narrowKey, true));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("type")), QJsonValue("model"));
        QCOMPARE(r.json().value(QStringLiteral("id")), QJsonValue(kClaude));
        // Not this tenant's.
        r = request(h->port(), "GET", "/v1/models/gpt-4o", {}, TestHttpClient::bearer(narrowKey));
        QCOMPARE(r.status, 404);
        QCOMPARE(r.errorField("code"), QStringLiteral("model_not_found"));
        r = request(h->port(), "GET", "/v1/models/gpt-4o", {}, anthropicHeaders(narrowKey));
        QCOMPARE(r.status, 404);
        QCOMPARE(anthropicErrorType(r), QStringLiteral("not_found_error"));
        QVERIFY(!r.header("request-id").isEmpty());
        // The unrestricted tenant sees that one.
        r = request(h->port(), "GET", "/v1/models/gpt-4o", {}, TestHttpClient::bearer(key));
        QCOMPARE(r.status, 200);
    }

    // 7. The OpenAI surface beyond chat.

    void responsesNonStreamAndStream()
    {
        TestResponse r = openai(
            "/v1/responses",
            QStringLiteral(R"({"model":"%1","input":"Tell me a story"})").arg(kMini).toUtf8());
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("object")).toString(), QStringLiteral("response"));
        QCOMPARE(h->sim().received().last().path, QByteArray("/v1/responses"));
        QJsonObject usage = r.json().value(QStringLiteral("usage")).toObject();
        QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("responses"));
        QCOMPARE(num(row, "prompt_tokens"),
                 usage.value(QStringLiteral("input_tokens")).toInteger());
        QCOMPARE(num(row, "prompt_tokens"), (QStringLiteral("Tell me a story").size() + 3) / 4);
        QCOMPARE(num(row, "completion_tokens"), 12);
        QVERIFY(std::abs(costHeader(r) - cost(row)) < 1e-9);
        QVERIFY(cost(row) > 0);

        r = openai("/v1/responses",
                   QStringLiteral(R"({"model":"%1","input":"Stream a story","stream":true})")
                       .arg(kMini)
                       .toUtf8());
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("content-type").startsWith("text/event-stream"));
        const QList<QJsonObject> completed = eventsOfType(r, QStringLiteral("response.completed"));
        QCOMPARE(completed.size(), 1);
        usage = completed[0].value(QStringLiteral("response")).toObject().value("usage").toObject();
        row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("responses"));
        QCOMPARE(num(row, "streamed"), 1);
        QCOMPARE(num(row, "estimated"), 0);
        QCOMPARE(num(row, "prompt_tokens"),
                 usage.value(QStringLiteral("input_tokens")).toInteger());
        QCOMPARE(num(row, "completion_tokens"),
                 usage.value(QStringLiteral("output_tokens")).toInteger());
        QCOMPARE(num(row, "completion_tokens"), 12);
        QVERIFY(usage.contains(QStringLiteral("cost_usd")));
        QVERIFY(std::abs(usage.value(QStringLiteral("cost_usd")).toDouble() - cost(row)) < 1e-9);
    }

    void previousResponseIdStaysOnItsUpstream_data()
    {
        QTest::addColumn<bool>("stream");
        QTest::newRow("non-stream") << false;
        QTest::newRow("stream") << true;
    }

    void previousResponseIdStaysOnItsUpstream()
    {
        QFETCH(bool, stream);
        const QString streamField = stream ? QStringLiteral(R"(,"stream":true)") : QString();
        // A fails, B creates the response.
        h->sim().pushFault({SimFault::Status, 500, -1, 0});
        TestResponse r = openai(
            "/v1/responses",
            QStringLiteral(R"({"model":"pair","input":"first"%1})").arg(streamField).toUtf8());
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("openai-b"));
        QString id;
        if (stream)
            id = eventsOfType(r, QStringLiteral("response.completed"))
                     .value(0)
                     .value("response")
                     .toObject()
                     .value("id")
                     .toString();
        else
            id = r.json().value(QStringLiteral("id")).toString();
        QVERIFY(id.startsWith(QLatin1String("resp_")));
        QCOMPARE(openaiB->received().size(), 1);
        h->sim().clearReceived();

        // A is healthy and first, but the continuation goes to B.
        r = openai("/v1/responses",
                   QStringLiteral(R"({"model":"pair","input":"next","previous_response_id":"%1"})")
                       .arg(id)
                       .toUtf8());
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("openai-b"));
        QCOMPARE(r.json().value(QStringLiteral("previous_response_id")).toString(), id);
        QCOMPARE(h->sim().received().size(), 0);
        QCOMPARE(openaiB->received().size(), 2);

        // B failing now is passed back, never failed over to A.
        openaiB->pushFault({SimFault::Status, 500, 0, 0}, 3);
        r = openai("/v1/responses",
                   QStringLiteral(R"({"model":"pair","input":"again","previous_response_id":"%1"})")
                       .arg(id)
                       .toUtf8());
        QVERIFY(r.status >= 500);
        QCOMPARE(h->sim().received().size(), 0);
        openaiB->clearFaults();

        // An unknown id: the first target only, its 404 passed back.
        const int before = int(openaiB->received().size());
        r = openai("/v1/responses",
                   R"({"model":"pair","input":"next","previous_response_id":"resp_unknown0000"})");
        QCOMPARE(r.status, 404);
        QCOMPARE(r.errorField("code"), QStringLiteral("previous_response_not_found"));
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("openai"));
        QCOMPARE(h->sim().received().size(), 1);
        QCOMPARE(openaiB->received().size(), before);
    }

    void previousResponseIdSurvivesARestart()
    {
        constexpr qint64 kDay = 24 * 3'600'000LL;
        const QString onA = QStringLiteral("openai");
        const QString onB = QStringLiteral("openai-b");
        auto upstreamOf = [this](const QString &id) {
            QSqlQuery q(h->db());
            q.prepare(
                QStringLiteral("SELECT upstream FROM response_origins WHERE response_id = ?"));
            q.addBindValue(id);
            return q.exec() && q.next() ? q.value(0).toString() : QString();
        };
        // Chain openai, openai-b: one response created on each (openai failing once for the
        // second, which streams).
        TestResponse r = openai("/v1/responses", R"({"model":"pair","input":"first"})");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), onA.toUtf8());
        const QString idA = r.json().value(QStringLiteral("id")).toString();
        QVERIFY(idA.startsWith(QLatin1String("resp_")));
        h->sim().pushFault({SimFault::Status, 500, -1, 0});
        r = openai("/v1/responses", R"({"model":"pair","input":"second","stream":true})");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), onB.toUtf8());
        const QString idB = eventsOfType(r, QStringLiteral("response.completed"))
                                .value(0)
                                .value("response")
                                .toObject()
                                .value("id")
                                .toString();
        QVERIFY(idB.startsWith(QLatin1String("resp_")));

        // The relay stops; the database says where each response was created.
        h->stopEngine();
        QCOMPARE(upstreamOf(idA), onA);
        QCOMPARE(upstreamOf(idB), onB);

        // A new relay on the same database, 29 days later, with openai-b pinned first in every
        // chain (so that "the chain's first target" would be the wrong answer for idA).
        clock.advance(29 * kDay);
        QVERIFY(h->admin().pinUpstream(onB).ok);
        EngineOptions engine;
        engine.clock = &clock;
        QVERIFY(h->start(engine));
        h->sim().clearReceived();
        openaiB->clearReceived();

        // Each continuation goes to the upstream that created its response.
        r = openai("/v1/responses",
                   QStringLiteral(R"({"model":"pair","input":"next","previous_response_id":"%1"})")
                       .arg(idA)
                       .toUtf8());
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), onA.toUtf8());
        QCOMPARE(r.json().value(QStringLiteral("previous_response_id")).toString(), idA);
        QCOMPARE(h->sim().received().size(), 1);
        QCOMPARE(openaiB->received().size(), 0);
        r = openai("/v1/responses",
                   QStringLiteral(R"({"model":"pair","input":"next","previous_response_id":"%1"})")
                       .arg(idB)
                       .toUtf8());
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), onB.toUtf8());
        QCOMPARE(h->sim().received().size(), 1);
        QCOMPARE(openaiB->received().size(), 1);

        // openai failing: its continuation gets openai's error, never openai-b's answer.
        h->sim().pushFault({SimFault::Status, 503, 0, 0}, 3);
        r = openai("/v1/responses",
                   QStringLiteral(R"({"model":"pair","input":"again","previous_response_id":"%1"})")
                       .arg(idA)
                       .toUtf8());
        QVERIFY(r.status >= 500);
        QCOMPARE(rowOf(r).value(QStringLiteral("upstream")).toString(), onA);
        QCOMPARE(openaiB->received().size(), 1);
        h->sim().clearFaults();

        // Past 30 days the relay forgets (a new relay loads nothing older, and the writer's
        // retention pass deletes the rows): the continuation goes to the chain's first target,
        // whose 404 is passed back.
        h->stopEngine();
        clock.advance(2 * kDay);
        QVERIFY(h->start(engine));
        QTRY_VERIFY(upstreamOf(idA).isEmpty());
        r = openai("/v1/responses",
                   QStringLiteral(R"({"model":"pair","input":"late","previous_response_id":"%1"})")
                       .arg(idA)
                       .toUtf8());
        QCOMPARE(r.status, 404);
        QCOMPARE(r.errorField("code"), QStringLiteral("previous_response_not_found"));
        QCOMPARE(r.header("x-tenantrelay-upstream"), onB.toUtf8());
        QVERIFY(h->admin().unpinUpstream().ok);
    }

    void completionsStreamAndNot()
    {
        TestResponse r = openai(
            "/v1/completions",
            QStringLiteral(R"({"model":"%1","prompt":"Once upon a time"})").arg(kMini).toUtf8());
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("object")).toString(),
                 QStringLiteral("text_completion"));
        QCOMPARE(h->sim().received().last().path, QByteArray("/v1/completions"));
        QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("completions"));
        QCOMPARE(num(row, "prompt_tokens"), (QStringLiteral("Once upon a time").size() + 3) / 4);
        QCOMPARE(num(row, "completion_tokens"), 12);
        QVERIFY(std::abs(costHeader(r) - cost(row)) < 1e-9);

        r = openai("/v1/completions",
                   QStringLiteral(R"({"model":"%1","prompt":"Once upon a time","stream":true,)"
                                  R"("stream_options":{"include_usage":true}})")
                       .arg(kMini)
                       .toUtf8());
        QCOMPARE(r.status, 200);
        QCOMPARE(r.sseData().last(), QByteArray("[DONE]"));
        QJsonObject usage;
        QString text;
        for (const QByteArray &d : r.sseData()) {
            const QJsonObject o = object(d);
            if (o.value(QStringLiteral("usage")).isObject())
                usage = o.value(QStringLiteral("usage")).toObject();
            for (const auto &c : o.value(QStringLiteral("choices")).toArray())
                text += c.toObject().value(QStringLiteral("text")).toString();
        }
        QCOMPARE(text, Simulator::completionText(12));
        row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("completions"));
        QCOMPARE(num(row, "streamed"), 1);
        QCOMPARE(num(row, "completion_tokens"), 12);
        QCOMPARE(usage.value(QStringLiteral("completion_tokens")).toInt(), 12);
        QVERIFY(std::abs(usage.value(QStringLiteral("cost_usd")).toDouble() - cost(row)) < 1e-9);
    }

    void moderationsModelOptional()
    {
        TestResponse r = openai("/v1/moderations", R"({"input":"is this fine?"})");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("model")).toString(),
                 QStringLiteral("omni-moderation-latest"));
        QCOMPARE(h->sim().received().last().path, QByteArray("/v1/moderations"));
        QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(), QStringLiteral("moderations"));
        QCOMPARE(row.value(QStringLiteral("status")).toInt(), 200);
        QCOMPARE(num(row, "completion_tokens"), 0);
        QVERIFY(r.header("x-tenantrelay-cost-usd").isEmpty()); // no price
        r = openai("/v1/moderations", R"({"model":"text-moderation-stable","input":"ok?"})");
        QCOMPARE(r.status, 200);
        QCOMPARE(object(h->sim().received().last().body).value("model"),
                 QJsonValue("text-moderation-stable"));
    }

    void anthropicTargetsSkippedForOpenAiOnlyEndpoints()
    {
        for (const QByteArray &path :
             {QByteArray("/v1/responses"), QByteArray("/v1/completions"),
              QByteArray("/v1/moderations"), QByteArray("/v1/embeddings")}) {
            const TestResponse r = openai(
                path,
                QStringLiteral(R"({"model":"%1","input":"x","prompt":"x"})").arg(kClaude).toUtf8());
            QCOMPARE(r.status, 404);
            QCOMPARE(r.errorField("code"), QStringLiteral("model_not_found"));
        }
        QCOMPARE(claude->received().size(), 0);
        // In a mixed chain the OpenAI-kind target serves them.
        const TestResponse r =
            openai("/v1/responses", R"({"model":"anthropic-first","input":"hello"})");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("openai"));
        QCOMPARE(claude->received().size(), 0);
    }

    void unknownPathAndQueryString()
    {
        // 404 from the headers alone: the promised body never comes.
        TestHttpClient c(h->port());
        c.sendRaw("POST /v1/foo HTTP/1.1\r\nhost: x\r\nauthorization: Bearer " + key.toUtf8() +
                  "\r\ncontent-type: application/json\r\ncontent-length: 50000\r\n\r\n{");
        QVERIFY(c.waitDone());
        QCOMPARE(c.response().status, 404);
        QCOMPARE(c.response().errorField("code"), QStringLiteral("unknown_url"));
        QVERIFY(!c.response().header("x-request-id").isEmpty());

        TestResponse r = openai("/v1/chat/completions?beta=true",
                                RelayHarness::chatBody(kMini, QStringLiteral("hi")));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("object")).toString(),
                 QStringLiteral("chat.completion"));
        QCOMPARE(rowOf(r).value(QStringLiteral("endpoint")).toString(), QStringLiteral("chat"));
        r = request(h->port(), "POST", "/v1/messages?beta=true",
                    messagesBody(kClaude, QStringLiteral("hi")), anthropicHeaders(key));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("type")).toString(), QStringLiteral("message"));
        QCOMPARE(claude->received().last().path, QByteArray("/v1/messages"));
        r = request(h->port(), "GET", "/v1/models?limit=5", {}, TestHttpClient::bearer(key));
        QCOMPARE(r.status, 200);
        // An unknown path in Anthropic's dialect.
        r = request(h->port(), "POST", "/v1/messages/batches", "{}", anthropicHeaders(key));
        QCOMPARE(r.status, 404);
        QCOMPARE(anthropicErrorType(r), QStringLiteral("not_found_error"));
        QVERIFY(!r.header("request-id").isEmpty());
    }

    // 8. The cost header.

    void costHeaderAndStreamCost()
    {
        TestResponse r =
            openai("/v1/chat/completions", RelayHarness::chatBody(kMini, QStringLiteral("hello")));
        QCOMPARE(r.status, 200);
        QVariantMap row = rowOf(r);
        QVERIFY(cost(row) > 0);
        QVERIFY(!r.header("x-tenantrelay-cost-usd").isEmpty());
        QVERIFY(std::abs(costHeader(r) - cost(row)) < 1e-9);

        // No price (the database seeds some, not this one): no header.
        r = openai("/v1/chat/completions",
                   RelayHarness::chatBody(QStringLiteral("local-llama"), QStringLiteral("hello")));
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("x-tenantrelay-cost-usd").isEmpty());
        QCOMPARE(rowOf(r).value(QStringLiteral("priced")).toInt(), 0);
        r = messages(messagesBody(QStringLiteral("local-llama"), QStringLiteral("hello")));
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("x-tenantrelay-cost-usd").isEmpty());

        // Embeddings have one too.
        r = openai("/v1/embeddings",
                   QStringLiteral(R"({"model":"%1","input":"alpha beta"})").arg(kMini).toUtf8());
        QCOMPARE(r.status, 200);
        QVERIFY(std::abs(costHeader(r) - cost(rowOf(r))) < 1e-9);
        QCOMPARE(rowOf(r).value(QStringLiteral("endpoint")).toString(),
                 QStringLiteral("embeddings"));

        // A chat stream whose client asked for usage.
        r = openai(
            "/v1/chat/completions",
            RelayHarness::chatBody(kMini, QStringLiteral("stream"), true,
                                   QStringLiteral(R"("stream_options":{"include_usage":true})")));
        QCOMPARE(r.status, 200);
        QJsonObject usage;
        for (const QByteArray &d : r.sseData())
            if (object(d).value(QStringLiteral("usage")).isObject())
                usage = object(d).value(QStringLiteral("usage")).toObject();
        row = rowOf(r);
        QVERIFY(usage.contains(QStringLiteral("cost_usd")));
        QVERIFY(std::abs(usage.value(QStringLiteral("cost_usd")).toDouble() - cost(row)) < 1e-9);
        // … and none in an unpriced one.
        r = openai(
            "/v1/chat/completions",
            RelayHarness::chatBody(QStringLiteral("local-llama"), QStringLiteral("stream"), true,
                                   QStringLiteral(R"("stream_options":{"include_usage":true})")));
        usage = {};
        for (const QByteArray &d : r.sseData())
            if (object(d).value(QStringLiteral("usage")).isObject())
                usage = object(d).value(QStringLiteral("usage")).toObject();
        QVERIFY(!usage.isEmpty());
        QVERIFY(!usage.contains(QStringLiteral("cost_usd")));
    }

    // 9. One request in separate TCP writes.

    void splitWrites_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<bool>("anthropic");
        QTest::newRow("/v1/messages") << QByteArray("/v1/messages") << true;
        QTest::newRow("/v1/responses") << QByteArray("/v1/responses") << false;
    }

    void splitWrites()
    {
        QFETCH(QByteArray, path);
        QFETCH(bool, anthropic);
        const QByteArray body =
            anthropic ? messagesBody(kClaude, QStringLiteral("split into pieces"))
                      : QStringLiteral(R"({"model":"%1","input":"split into pieces"})")
                            .arg(kMini)
                            .toUtf8();
        const QByteArray auth =
            anthropic ? "x-api-key: " + key.toUtf8() + "\r\nanthropic-version: 2023-06-01\r\n"
                      : "authorization: Bearer " + key.toUtf8() + "\r\n";
        const QByteArray head =
            "POST " + path + " HTTP/1.1\r\nhost: 127.0.0.1\r\n" + auth +
            "content-type: application/json\r\ncontent-length: " + QByteArray::number(body.size()) +
            "\r\n\r\n";
        TestHttpClient c(h->port());
        const qsizetype cut = head.size() / 2;
        c.sendRaw(head.left(cut));
        QVERIFY(h->settle(1)); // the relay has taken in the first piece
        c.sendRaw(head.mid(cut) + body.left(10));
        QVERIFY(h->settle(1));
        QVERIFY(!c.response().complete);
        c.sendRaw(body.mid(10));
        QVERIFY(c.waitDone());
        const TestResponse &r = c.response();
        QCOMPARE(r.status, 200);
        if (anthropic)
            QCOMPARE(r.json().value(QStringLiteral("type")).toString(), QStringLiteral("message"));
        else
            QCOMPARE(r.json().value(QStringLiteral("object")).toString(),
                     QStringLiteral("response"));
        const QVariantMap row = rowOf(r);
        QCOMPARE(row.value(QStringLiteral("endpoint")).toString(),
                 anthropic ? QStringLiteral("messages") : QStringLiteral("responses"));
        QCOMPARE(num(row, "prompt_tokens"), (QStringLiteral("split into pieces").size() + 3) / 4);
    }
};

QTEST_GUILESS_MAIN(TestDialects)
#include "tst_dialects.moc"
