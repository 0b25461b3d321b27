// Upstreams of kind anthropic end to end: the real engine translates a tenant's OpenAI chat
// requests to the Messages API of a simulated Anthropic provider (real TCP) and the answers back.
#include "RelayHarness.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <cmath>

using namespace relay;
using namespace relay::test;

namespace {

const QByteArray kUpstreamKey = "sk-upstream-secret-0123456789"; // RelayHarness sets it
const QString kModel = QStringLiteral("claude-sonnet-4-5");

QJsonObject object(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

// What a streamed answer said: its text, tool-call arguments, finish reason and usage chunk.
struct StreamSummary
{
    QString role;
    QString text;
    QString toolName;
    QString toolArguments;
    QString finishReason;
    QJsonObject usage;
    QJsonObject error;
    bool done = false;
};

StreamSummary summarize(const TestResponse &r)
{
    StreamSummary s;
    for (const QByteArray &d : r.sseData()) {
        if (d == "[DONE]") {
            s.done = true;
            continue;
        }
        const QJsonObject chunk = object(d);
        if (chunk.contains(QStringLiteral("error")))
            s.error = chunk.value(QStringLiteral("error")).toObject();
        if (chunk.value(QStringLiteral("usage")).isObject())
            s.usage = chunk.value(QStringLiteral("usage")).toObject();
        for (const auto &c : chunk.value(QStringLiteral("choices")).toArray()) {
            const QJsonObject delta = c.toObject().value(QStringLiteral("delta")).toObject();
            if (delta.contains(QStringLiteral("role")))
                s.role = delta.value(QStringLiteral("role")).toString();
            s.text += delta.value(QStringLiteral("content")).toString();
            for (const auto &call : delta.value(QStringLiteral("tool_calls")).toArray()) {
                const QJsonObject f = call.toObject().value(QStringLiteral("function")).toObject();
                if (f.contains(QStringLiteral("name")))
                    s.toolName = f.value(QStringLiteral("name")).toString();
                s.toolArguments += f.value(QStringLiteral("arguments")).toString();
            }
            if (const QJsonValue f = c.toObject().value(QStringLiteral("finish_reason"));
                f.isString())
                s.finishReason = f.toString();
        }
    }
    return s;
}

// A data column "stream": a row without, a row with.
void streamAndNonStreamRows()
{
    QTest::addColumn<bool>("stream");
    QTest::newRow("non-stream") << false;
    QTest::newRow("stream") << true;
}

} // namespace

class TestAnthropic : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<Simulator> claude; // the Anthropic upstream; the harness's own sim is OpenAI
    std::unique_ptr<RelayHarness> h;
    QString key;

    TestResponse chat(const QString &model, const QString &extra = QString(), bool stream = false)
    {
        return request(
            h->port(), "POST", "/v1/chat/completions",
            RelayHarness::chatBody(model, QStringLiteral("Hello there, Claude!"), stream, extra),
            TestHttpClient::bearer(key));
    }

    SimReceivedRequest lastAnthropicRequest() const
    {
        const auto received = claude->received();
        return received.isEmpty() ? SimReceivedRequest() : received.last();
    }

    bool tenantKeyNeverSentUpstream() const
    {
        for (const Simulator *sim : {claude.get(), &h->sim()}) {
            for (const SimReceivedRequest &r : sim->received()) {
                QByteArray everything = r.body;
                for (const auto &header : r.headers)
                    everything += header.second;
                if (everything.contains(key.toUtf8()))
                    return false;
            }
        }
        return true;
    }

private Q_SLOTS:
    void init()
    {
        SimulatorOptions options;
        options.expectedApiKey = kUpstreamKey;
        claude = std::make_unique<Simulator>(options);
        h = std::make_unique<RelayHarness>();
        h->addSimAnthropicUpstream(QStringLiteral("claude"), *claude);
        h->addSimUpstream(QStringLiteral("openai"), h->sim());
        // Claude first; OpenAI's mini model backs it up.
        QVERIFY(
            h->admin()
                .setRoute(kModel, {QStringLiteral("claude"), QStringLiteral("openai:gpt-4o-mini")})
                .ok);
        QVERIFY(h->admin().setRoute(QStringLiteral("claude-only"), {QStringLiteral("claude")}).ok);
        QVERIFY(h->admin().setPrice(kModel, 3.0, 15.0).ok);
        key = h->addTenant(QStringLiteral("prod-chatbot"));
        QVERIFY(h->start());
    }

    void cleanup()
    {
        h.reset();
        claude.reset();
    }

    void nonStreamingChatIsTranslatedBothWaysAndMetered()
    {
        const TestResponse r = request(
            h->port(), "POST", "/v1/chat/completions",
            QStringLiteral(R"({"model":"%1","messages":[{"role":"system","content":"Be brief."},)"
                           R"({"role":"user","content":"Hello there, Claude!"}],"stop":"END"})")
                .arg(kModel)
                .toUtf8(),
            TestHttpClient::bearer(key));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("claude"));
        QVERIFY(r.header("content-type").startsWith("application/json"));
        const QJsonObject json = r.json();
        QCOMPARE(json.value(QStringLiteral("object")).toString(),
                 QStringLiteral("chat.completion"));
        QCOMPARE(json.value(QStringLiteral("model")).toString(), kModel);
        const QJsonObject choice = json.value(QStringLiteral("choices")).toArray().at(0).toObject();
        QCOMPARE(choice.value(QStringLiteral("message")).toObject().value("content").toString(),
                 Simulator::completionText(12));
        QCOMPARE(choice.value(QStringLiteral("finish_reason")).toString(), QStringLiteral("stop"));
        const QJsonObject usage = json.value(QStringLiteral("usage")).toObject();
        // The simulator counts ceil(characters / 4) of the system text and the messages.
        const qint64 prompt = (QStringLiteral("Be brief.Hello there, Claude!").size() + 3) / 4;
        QCOMPARE(usage.value(QStringLiteral("prompt_tokens")).toInteger(), prompt);
        QCOMPARE(usage.value(QStringLiteral("completion_tokens")).toInteger(), 12);
        QCOMPARE(usage.value(QStringLiteral("total_tokens")).toInteger(), prompt + 12);

        // What went upstream: the Messages API, with the upstream's key as x-api-key only.
        const SimReceivedRequest sent = lastAnthropicRequest();
        QCOMPARE(sent.method, QByteArray("POST"));
        QCOMPARE(sent.path, QByteArray("/v1/messages"));
        QCOMPARE(sent.apiKeyHeader, kUpstreamKey);
        QCOMPARE(sent.authorization, QByteArray());
        QCOMPARE(headerValue(sent.headers, "anthropic-version"), QByteArray("2023-06-01"));
        const QJsonObject body = object(sent.body);
        QCOMPARE(body.value(QStringLiteral("model")).toString(), kModel);
        QCOMPARE(body.value(QStringLiteral("system")).toString(), QStringLiteral("Be brief."));
        QCOMPARE(body.value(QStringLiteral("max_tokens")).toInt(), 4096);
        QCOMPARE(body.value(QStringLiteral("stop_sequences")).toArray(), QJsonArray{"END"});
        QCOMPARE(body.value(QStringLiteral("messages")).toArray().size(), 1);
        QVERIFY(tenantKeyNeverSentUpstream());
        QCOMPARE(h->sim().received().size(), 0); // no failover

        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        const QVariantMap &row = rows[0];
        QCOMPARE(row.value(QStringLiteral("status")).toInt(), 200);
        QCOMPARE(row.value(QStringLiteral("upstream")).toString(), QStringLiteral("claude"));
        QCOMPARE(row.value(QStringLiteral("served_model")).toString(), kModel);
        QCOMPARE(row.value(QStringLiteral("prompt_tokens")).toLongLong(), prompt);
        QCOMPARE(row.value(QStringLiteral("completion_tokens")).toLongLong(), 12);
        QCOMPARE(row.value(QStringLiteral("estimated")).toInt(), 0);
        QCOMPARE(row.value(QStringLiteral("priced")).toInt(), 1);
        const double cost = (prompt * 3.0 + 12 * 15.0) / 1e6;
        QVERIFY(std::abs(row.value(QStringLiteral("cost_usd")).toDouble() - cost) < 1e-12);
    }

    void streamingChatIsTranslated_data()
    {
        QTest::addColumn<bool>("includeUsage");
        QTest::newRow("without include_usage") << false;
        QTest::newRow("with include_usage") << true;
    }

    void streamingChatIsTranslated()
    {
        QFETCH(bool, includeUsage);
        claude->setChunkIntervalMs(100);
        claude->setCompletionTokens(8);
        TestHttpClient client(h->port());
        client.send("POST", "/v1/chat/completions",
                    RelayHarness::chatBody(
                        kModel, QStringLiteral("stream me"), true,
                        includeUsage ? QStringLiteral(R"("stream_options":{"include_usage":true})")
                                     : QString()),
                    TestHttpClient::bearer(key));
        QVERIFY(client.waitFirstBody());
        QVERIFY(!client.response().complete); // relayed as it arrives, not at the end
        QVERIFY(client.waitDone());
        const TestResponse &r = client.response();
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("content-type").startsWith("text/event-stream"));
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("claude"));
        QVERIFY(r.bodyPieces.size() > 3);
        const StreamSummary s = summarize(r);
        QCOMPARE(s.role, QStringLiteral("assistant"));
        QCOMPARE(s.text, Simulator::completionText(8));
        QCOMPARE(s.finishReason, QStringLiteral("stop"));
        QVERIFY(s.done);
        QVERIFY(s.error.isEmpty());
        for (const QByteArray &d : r.sseData())
            if (d != "[DONE]")
                QCOMPARE(object(d).value(QStringLiteral("object")).toString(),
                         QStringLiteral("chat.completion.chunk"));
        QCOMPARE(object(lastAnthropicRequest().body).value(QStringLiteral("stream")).toBool(),
                 true);

        const qint64 prompt = (QStringLiteral("stream me").size() + 3) / 4;
        QCOMPARE(s.usage.isEmpty(), !includeUsage);
        if (includeUsage) {
            QCOMPARE(s.usage.value(QStringLiteral("prompt_tokens")).toInteger(), prompt);
            QCOMPARE(s.usage.value(QStringLiteral("completion_tokens")).toInteger(), 8);
        }
        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("prompt_tokens")).toLongLong(), prompt);
        QCOMPARE(rows[0].value(QStringLiteral("completion_tokens")).toLongLong(), 8);
        QCOMPARE(rows[0].value(QStringLiteral("streamed")).toInt(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("estimated")).toInt(), 0);
        QCOMPARE(rows[0].value(QStringLiteral("upstream")).toString(), QStringLiteral("claude"));
        QVERIFY(rows[0].value(QStringLiteral("cost_usd")).toDouble() > 0);
    }

    void maxTokensEndsWithLength_data() { streamAndNonStreamRows(); }

    void maxTokensEndsWithLength()
    {
        QFETCH(bool, stream);
        const TestResponse r = chat(kModel, QStringLiteral(R"("max_tokens":3)"), stream);
        QCOMPARE(r.status, 200);
        QCOMPARE(object(lastAnthropicRequest().body).value(QStringLiteral("max_tokens")).toInt(),
                 3);
        if (stream) {
            const StreamSummary s = summarize(r);
            QCOMPARE(s.finishReason, QStringLiteral("length"));
            QCOMPARE(s.text, Simulator::completionText(3));
        } else {
            const QJsonObject choice =
                r.json().value(QStringLiteral("choices")).toArray().at(0).toObject();
            QCOMPARE(choice.value(QStringLiteral("finish_reason")).toString(),
                     QStringLiteral("length"));
        }
        QCOMPARE(h->usageRows().last().value(QStringLiteral("completion_tokens")).toLongLong(), 3);
    }

    void toolCallsComeBackAsOpenAiToolCalls_data() { streamAndNonStreamRows(); }

    void toolCallsComeBackAsOpenAiToolCalls()
    {
        QFETCH(bool, stream);
        const QString tools = QStringLiteral(
            R"("tools":[{"type":"function","function":{"name":"search_docs","parameters":)"
            R"({"type":"object","properties":{"query":{"type":"string"}}}}}],)"
            R"("tool_choice":"required")");
        const TestResponse r = chat(kModel, tools, stream);
        QCOMPARE(r.status, 200);
        const QJsonObject sent = object(lastAnthropicRequest().body);
        QCOMPARE(sent.value(QStringLiteral("tool_choice")).toObject().value("type").toString(),
                 QStringLiteral("any"));
        QCOMPARE(sent.value(QStringLiteral("tools")).toArray().at(0).toObject().value("name"),
                 QJsonValue("search_docs"));
        QString name;
        QString arguments;
        QString finish;
        if (stream) {
            const StreamSummary s = summarize(r);
            name = s.toolName;
            arguments = s.toolArguments;
            finish = s.finishReason;
        } else {
            const QJsonObject choice =
                r.json().value(QStringLiteral("choices")).toArray().at(0).toObject();
            const QJsonObject call = choice.value(QStringLiteral("message"))
                                         .toObject()
                                         .value(QStringLiteral("tool_calls"))
                                         .toArray()
                                         .at(0)
                                         .toObject();
            QCOMPARE(call.value(QStringLiteral("type")).toString(), QStringLiteral("function"));
            QVERIFY(!call.value(QStringLiteral("id")).toString().isEmpty());
            name = call.value(QStringLiteral("function")).toObject().value("name").toString();
            arguments =
                call.value(QStringLiteral("function")).toObject().value("arguments").toString();
            finish = choice.value(QStringLiteral("finish_reason")).toString();
        }
        QCOMPARE(name, QStringLiteral("search_docs"));
        QCOMPARE(object(arguments.toUtf8()),
                 QJsonObject({{QStringLiteral("query"), QStringLiteral("tenant relay")},
                              {QStringLiteral("limit"), 3}}));
        QCOMPARE(finish, QStringLiteral("tool_calls"));
    }

    void overloadedOrFailingAnthropicFailsOverToOpenAi_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<bool>("stream");
        QTest::newRow("529") << 529 << false;
        QTest::newRow("529, stream") << 529 << true;
        QTest::newRow("500") << 500 << false;
    }

    void overloadedOrFailingAnthropicFailsOverToOpenAi()
    {
        QFETCH(int, status);
        QFETCH(bool, stream);
        claude->pushFault({SimFault::Status, status, -1, 0});
        const TestResponse r = chat(kModel, QString(), stream);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("openai"));
        if (stream)
            QCOMPARE(summarize(r).text, Simulator::completionText(12));
        else
            QCOMPARE(r.json().value(QStringLiteral("model")).toString(),
                     QStringLiteral("gpt-4o-mini"));
        QCOMPARE(claude->received().size(), 1);
        QCOMPARE(h->sim().received().size(), 1);
        QVERIFY(h->sim().received().last().path.endsWith("/chat/completions"));
        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("upstream")).toString(), QStringLiteral("openai"));
        QCOMPARE(rows[0].value(QStringLiteral("status")).toInt(), 200);
        QVERIFY(tenantKeyNeverSentUpstream());
    }

    void overloadInTheStreamBeforeContentFailsOver()
    {
        claude->pushFault({SimFault::StreamError, 529, -1, 0});
        const TestResponse r = chat(kModel, QString(), true);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("openai"));
        const StreamSummary s = summarize(r);
        QVERIFY(s.error.isEmpty());
        QCOMPARE(s.text, Simulator::completionText(12));
        QCOMPARE(claude->received().size(), 1);
        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("upstream")).toString(), QStringLiteral("openai"));
    }

    void overloadInTheStreamAfterContentEndsTheStream()
    {
        claude->pushFault({SimFault::StreamError, 529, -1, 3});
        const TestResponse r = chat(kModel, QString(), true);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("claude"));
        const StreamSummary s = summarize(r);
        QCOMPARE(s.text, QStringLiteral("The relay keeps "));
        QCOMPARE(s.error.value(QStringLiteral("type")).toString(), QStringLiteral("server_error"));
        QCOMPARE(s.error.value(QStringLiteral("code")).toString(),
                 QStringLiteral("server_overloaded"));
        QVERIFY(!s.done);
        QCOMPARE(h->sim().received().size(), 0); // too late to fail over
        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("estimated")).toInt(), 1);
        // Recorded with the upstream's status, and counted against its circuit: four more
        // make five failures in a row, and the next stream goes to the backup at once.
        QCOMPARE(rows[0].value(QStringLiteral("status")).toInt(), 529);
        QCOMPARE(rows[0].value(QStringLiteral("error")).toString(), QStringLiteral("stream_error"));
        claude->pushFault({SimFault::StreamError, 529, -1, 3}, 4);
        for (int i = 0; i < 4; ++i)
            QCOMPARE(chat(kModel, QString(), true).header("x-tenantrelay-upstream"),
                     QByteArray("claude"));
        const TestResponse next = chat(kModel, QString(), true);
        QCOMPARE(next.header("x-tenantrelay-upstream"), QByteArray("openai"));
        QVERIFY(summarize(next).done);
        QCOMPARE(claude->received().size(), 5);
    }

    void anthropicOnlyChainFailingGives502()
    {
        // The only target is tried and retried twice (interface.md §4).
        claude->pushFault({SimFault::Status, 529, -1, 0}, 3);
        const TestResponse r = chat(QStringLiteral("claude-only"));
        QCOMPARE(r.status, 502);
        QCOMPARE(r.errorField("code"), QStringLiteral("upstream_error"));
        QVERIFY(r.errorField("message").contains(QStringLiteral("529")));
        QVERIFY(!r.body.contains(kUpstreamKey));
    }

    void anthropicClientErrorIsPassedBackInOpenAiShape()
    {
        claude->pushFault({SimFault::Status, 400, -1, 0});
        const TestResponse r = chat(kModel);
        QCOMPARE(r.status, 400);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("claude"));
        QVERIFY(r.header("content-type").startsWith("application/json"));
        QCOMPARE(r.errorField("type"), QStringLiteral("invalid_request_error"));
        QCOMPARE(r.errorField("code"), QStringLiteral("invalid_request_error"));
        QCOMPARE(r.errorField("message"), QStringLiteral("simulated failure 400"));
        QVERIFY(r.json().value(QStringLiteral("error")).toObject().contains("param"));
        QCOMPARE(h->sim().received().size(), 0); // a 400 is not failed over
        const auto rows = h->usageRows();
        QCOMPARE(rows.last().value(QStringLiteral("status")).toInt(), 400);
        QCOMPARE(rows.last().value(QStringLiteral("upstream")).toString(),
                 QStringLiteral("claude"));
    }

    void rejectedUpstreamKeyIsAnOpenAiErrorWithoutTheKey()
    {
        qputenv("TR_TEST_WRONG_ANTHROPIC_KEY", "sk-ant-wrong-key-abcdef123456");
        h->addSimAnthropicUpstream(QStringLiteral("claude-wrong-key"), *claude, 8,
                                   QStringLiteral("TR_TEST_WRONG_ANTHROPIC_KEY"));
        QVERIFY(h->admin().setRoute(QStringLiteral("m"), {QStringLiteral("claude-wrong-key")}).ok);
        h->reload();
        const TestResponse r = chat(QStringLiteral("m"));
        QCOMPARE(r.status, 401);
        QCOMPARE(r.errorField("code"), QStringLiteral("invalid_api_key"));
        QCOMPARE(lastAnthropicRequest().apiKeyHeader, QByteArray("sk-ant-wrong-key-abcdef123456"));
        QVERIFY(!r.body.contains("sk-ant-wrong-key"));
        QVERIFY(!r.body.contains(kUpstreamKey));
    }

    void cutStreamEndsWithAnErrorEventAndIsEstimated()
    {
        claude->setChunkIntervalMs(10);
        claude->pushFault({SimFault::CutStream, 0, -1, 4});
        const TestResponse r = chat(kModel, QString(), true);
        QCOMPARE(r.status, 200);
        const StreamSummary s = summarize(r);
        QCOMPARE(s.text,
                 Simulator::completionText(12).section(QLatin1Char(' '), 0, 3) + QLatin1Char(' '));
        QVERIFY(!s.error.isEmpty());
        QVERIFY(!s.done);
        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("estimated")).toInt(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("completion_tokens")).toLongLong(),
                 (s.text.size() + 3) / 4);
    }

    void embeddingsSkipAnthropicUpstreams()
    {
        const QByteArray body =
            QStringLiteral(R"({"model":"%1","input":"alpha beta"})").arg(kModel).toUtf8();
        TestResponse r =
            request(h->port(), "POST", "/v1/embeddings", body, TestHttpClient::bearer(key));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("openai"));
        QCOMPARE(claude->received().size(), 0);
        r = request(h->port(), "POST", "/v1/embeddings",
                    R"({"model":"claude-only","input":"alpha"})", TestHttpClient::bearer(key));
        QCOMPARE(r.status, 404);
        QCOMPARE(r.errorField("code"), QStringLiteral("model_not_found"));
        QCOMPARE(claude->received().size(), 0);
    }

    void simulatorSpeaksTheMessagesApi()
    {
        claude->start();
        const HttpHeaders anthropicHeaders{{"x-api-key", kUpstreamKey},
                                           {"anthropic-version", "2023-06-01"},
                                           {"content-type", "application/json"}};
        TestResponse r = request(claude->port(), "GET", "/v1/models", {}, anthropicHeaders);
        QCOMPARE(r.status, 200);
        const QJsonObject list = r.json();
        QVERIFY(list.contains(QStringLiteral("has_more")));
        QCOMPARE(list.value(QStringLiteral("data")).toArray().at(0).toObject().value("type"),
                 QJsonValue("model"));
        // The same port still speaks OpenAI's API.
        r = request(claude->port(), "GET", "/v1/models", {},
                    {{"authorization", "Bearer " + kUpstreamKey}});
        QCOMPARE(r.json().value(QStringLiteral("object")).toString(), QStringLiteral("list"));

        const QByteArray message =
            R"({"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]})";
        r = request(claude->port(), "POST", "/v1/messages", message,
                    {{"anthropic-version", "2023-06-01"}});
        QCOMPARE(r.status, 401);
        QCOMPARE(r.json().value(QStringLiteral("type")).toString(), QStringLiteral("error"));
        QCOMPARE(r.json().value("error").toObject().value("type").toString(),
                 QStringLiteral("authentication_error"));
        r = request(claude->port(), "POST", "/v1/messages", message, {{"x-api-key", kUpstreamKey}});
        QCOMPARE(r.status, 400);
        r = request(claude->port(), "POST", "/v1/messages",
                    R"({"model":"claude-haiku-4-5","messages":[{"role":"user","content":"hi"}]})",
                    anthropicHeaders);
        QCOMPARE(r.status, 400); // max_tokens is required
        QCOMPARE(r.json().value("error").toObject().value("type").toString(),
                 QStringLiteral("invalid_request_error"));
        r = request(claude->port(), "POST", "/v1/messages", message, anthropicHeaders);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json().value(QStringLiteral("stop_reason")).toString(),
                 QStringLiteral("max_tokens"));
        QCOMPARE(r.json().value("usage").toObject().value("output_tokens").toInt(), 5);
        claude->pushFault({SimFault::Status, 529, -1, 0});
        r = request(claude->port(), "POST", "/v1/messages", message, anthropicHeaders);
        QCOMPARE(r.status, 529);
        QCOMPARE(r.json().value("error").toObject().value("type").toString(),
                 QStringLiteral("overloaded_error"));

        // The stream's real event sequence.
        r = request(claude->port(), "POST", "/v1/messages",
                    R"({"model":"claude-haiku-4-5","max_tokens":3,"stream":true,)"
                    R"("messages":[{"role":"user","content":"hi"}]})",
                    anthropicHeaders);
        QCOMPARE(r.status, 200);
        QStringList events;
        for (const QByteArray &line : r.body.split('\n'))
            if (line.startsWith("event: "))
                events.append(QString::fromUtf8(line.mid(7)));
        QCOMPARE(events,
                 QStringList({"message_start", "content_block_start", "ping", "content_block_delta",
                              "content_block_delta", "content_block_delta", "content_block_stop",
                              "message_delta", "message_stop"}));
    }
};

QTEST_GUILESS_MAIN(TestAnthropic)
#include "tst_anthropic.moc"
