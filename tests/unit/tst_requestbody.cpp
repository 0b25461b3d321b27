#include "core/JsonScan.h"
#include "ingress/RequestBody.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using relay::Endpoint;
using relay::RequestBody;

Q_DECLARE_METATYPE(relay::Endpoint)

namespace {

const QByteArray kChat = R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})";

RequestBody parseOk(Endpoint endpoint, const QByteArray &body)
{
    QByteArray error;
    const auto r = relay::parseRequestBody(endpoint, body, &error);
    if (!r) {
        QTest::qFail(qPrintable("refused " + body + ": " + error), __FILE__, __LINE__);
        return {};
    }
    return *r;
}

QJsonObject upstreamJson(const QByteArray &clientBody, const QString &model)
{
    return QJsonDocument::fromJson(
               relay::buildUpstreamBody(parseOk(Endpoint::Chat, clientBody), model))
        .object();
}

QJsonObject without(QJsonObject o, const QStringList &keys)
{
    for (const QString &k : keys)
        o.remove(k);
    return o;
}

} // namespace

class TestRequestBody : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The model name spliced into the upstream body: a JSON string that reads back as the name,
    // whatever characters it holds.
    void quotedReadsBackAsTheText()
    {
        QString controls;
        for (char16_t c = 0; c < 0x20; ++c)
            controls += QChar(c);
        const QStringList texts = {QString(),
                                   QStringLiteral("gpt-4o-mini"),
                                   QStringLiteral("a\"b"),
                                   QStringLiteral("back\\slash\\"),
                                   QStringLiteral("\"\"\\\\"),
                                   controls,
                                   QStringLiteral("tab\tnew\nline\r"),
                                   QStringLiteral("caf\u00e9 \u6a21\u578b \U0001F600"),
                                   QStringLiteral("x") + QChar(0x7f) +
                                       QStringLiteral("/</script>")};
        for (const QString &text : texts) {
            const QByteArray literal = relay::json::quoted(text);
            QJsonParseError error;
            const QJsonDocument doc = QJsonDocument::fromJson("[" + literal + "]", &error);
            QVERIFY2(error.error == QJsonParseError::NoError, literal.constData());
            QCOMPARE(doc.array().at(0).toString(), text);
            // Only what JSON requires is escaped: the bytes of any other text are as they were.
            if (!text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\\')) &&
                text != controls && !text.contains(QLatin1Char('\t')))
                QCOMPARE(literal, '"' + text.toUtf8() + '"');
        }
        QCOMPARE(relay::json::quoted(QStringLiteral("\x01\"\\")),
                 QByteArray("\"\\u0001\\\"\\\\\""));
    }

    // A prompt's characters, counted eight bytes at a time: the same count as Qt's for text of
    // every length around the eight-byte steps, each kind of character at every position (one to
    // four bytes, so a character's bytes straddle a step), and for bytes that are not UTF-8.
    void charsCountsEveryCharacterWhereverItFalls()
    {
        const QList<QByteArray> kinds = {"a", "\xc3\xa9", "\xe6\xa8\xa1", "\xf0\x9f\x98\x80"};
        for (const QByteArray &kind : kinds) {
            for (int before = 0; before <= 17; ++before) {
                for (int after = 0; after <= 9; ++after) {
                    const QByteArray text = QByteArray(before, 'x') + kind + QByteArray(after, 'y');
                    const qint64 expected = QString::fromUtf8(text).toUcs4().size();
                    QCOMPARE(
                        relay::json::chars(std::string_view(text.constData(), size_t(text.size()))),
                        expected);
                }
            }
        }
        QCOMPARE(relay::json::chars({}), 0);
        // Only continuation bytes: none begins a character, whatever the word they fall in.
        const QByteArray tails(19, '\x80');
        QCOMPARE(relay::json::chars(std::string_view(tails.constData(), size_t(tails.size()))), 0);
        const QByteArray mixed = QByteArray("\xff\xbf\x7f\xc0\x40\x80\xe0\x9f\xfe\xa0", 10);
        QCOMPARE(relay::json::chars(std::string_view(mixed.constData(), size_t(mixed.size()))),
                 qint64(6));
    }

    void validChat()
    {
        const RequestBody r = parseOk(
            Endpoint::Chat,
            R"({"model":"gpt-4o-mini","stream":true,"messages":[)"
            R"({"role":"system","content":"Be brief."},{"role":"user","content":"héllo 世界"}]})");
        QCOMPARE(r.model, QStringLiteral("gpt-4o-mini"));
        QVERIFY(r.stream);
        QVERIFY(!r.clientWantsUsage);
        QCOMPARE(r.maxTokens, -1);
        QCOMPARE(r.promptChars, 9 + 8);
        QCOMPARE(r.object().value(QLatin1String("messages")).toArray().size(), 2);
    }

    void validEmbeddings_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<qint64>("chars");
        QTest::newRow("string") << QByteArray(
                                       R"({"model":"text-embedding-3-small","input":"héllo"})")
                                << qint64(5);
        QTest::newRow("array")
            << QByteArray(R"({"model":"text-embedding-3-small","input":["héllo","世界","😀"]})")
            << qint64(8);
        QTest::newRow("tokens") << QByteArray(R"({"model":"e","input":[[1,2,3]]})") << qint64(0);
    }
    void validEmbeddings()
    {
        QFETCH(QByteArray, body);
        QFETCH(qint64, chars);
        const RequestBody r = parseOk(Endpoint::Embeddings, body);
        QVERIFY(r.model.startsWith(QLatin1Char('e')) || r.model.startsWith(QLatin1Char('t')));
        QVERIFY(!r.stream);
        QCOMPARE(r.promptChars, chars);
    }

    void refused_data()
    {
        QTest::addColumn<Endpoint>("endpoint");
        QTest::addColumn<QByteArray>("body");
        const Endpoint chat = Endpoint::Chat;
        const Endpoint emb = Endpoint::Embeddings;
        QTest::newRow("empty") << chat << QByteArray();
        QTest::newRow("truncated") << chat << QByteArray(R"({"model":"gpt-4o","messages":[)");
        QTest::newRow("not json") << chat << QByteArray("model=gpt-4o");
        QTest::newRow("array") << chat << QByteArray(R"([{"model":"gpt-4o"}])");
        QTest::newRow("string") << chat << QByteArray(R"("gpt-4o")");
        QTest::newRow("null") << chat << QByteArray("null");
        QTest::newRow("no model") << chat
                                  << QByteArray(R"({"messages":[{"role":"user","content":"x"}]})");
        QTest::newRow("empty model")
            << chat << QByteArray(R"({"model":"","messages":[{"role":"user","content":"x"}]})");
        QTest::newRow("numeric model")
            << chat << QByteArray(R"({"model":4,"messages":[{"role":"user","content":"x"}]})");
        QTest::newRow("null model")
            << chat << QByteArray(R"({"model":null,"messages":[{"role":"user","content":"x"}]})");
        QTest::newRow("no messages") << chat << QByteArray(R"({"model":"gpt-4o"})");
        QTest::newRow("empty messages")
            << chat << QByteArray(R"({"model":"gpt-4o","messages":[]})");
        QTest::newRow("messages object")
            << chat << QByteArray(R"({"model":"gpt-4o","messages":{"role":"user"}})");
        QTest::newRow("messages string")
            << chat << QByteArray(R"({"model":"gpt-4o","messages":"hello"})");
        QTest::newRow("message not object")
            << chat << QByteArray(R"({"model":"gpt-4o","messages":["hello"]})");
        QTest::newRow("message without role")
            << chat << QByteArray(R"({"model":"gpt-4o","messages":[{"content":"hello"}]})");
        QTest::newRow("stream string")
            << chat << QByteArray(R"({"model":"m","stream":"yes","messages":[{"role":"user"}]})");
        QTest::newRow("stream number")
            << chat << QByteArray(R"({"model":"m","stream":1,"messages":[{"role":"user"}]})");
        QTest::newRow("stream_options string")
            << chat
            << QByteArray(
                   R"({"model":"m","stream":true,"stream_options":"x","messages":[{"role":"user"}]})");
        QTest::newRow("max_tokens string")
            << chat
            << QByteArray(R"({"model":"m","max_tokens":"100","messages":[{"role":"user"}]})");
        QTest::newRow("max_tokens negative")
            << chat << QByteArray(R"({"model":"m","max_tokens":-1,"messages":[{"role":"user"}]})");
        QTest::newRow("max_tokens bool")
            << chat
            << QByteArray(R"({"model":"m","max_tokens":true,"messages":[{"role":"user"}]})");
        QTest::newRow("max_tokens fractional")
            << chat << QByteArray(R"({"model":"m","max_tokens":1.5,"messages":[{"role":"user"}]})");
        QTest::newRow("max_completion_tokens negative")
            << chat
            << QByteArray(
                   R"({"model":"m","max_completion_tokens":-5,"messages":[{"role":"user"}]})");
        QTest::newRow("embeddings no input") << emb << QByteArray(R"({"model":"e"})");
        QTest::newRow("embeddings numeric input")
            << emb << QByteArray(R"({"model":"e","input":5})");
        QTest::newRow("embeddings no model") << emb << QByteArray(R"({"input":"x"})");
        QTest::newRow("embeddings malformed") << emb << QByteArray(R"({"model":"e","input":"x")");
    }
    void refused()
    {
        QFETCH(Endpoint, endpoint);
        QFETCH(QByteArray, body);
        QByteArray error;
        const auto r = relay::parseRequestBody(endpoint, body, &error);
        QVERIFY2(!r, body.constData());
        QVERIFY(!error.isEmpty());
    }

    void refusalMessageNamesTheField()
    {
        QByteArray error;
        QVERIFY(
            !relay::parseRequestBody(Endpoint::Chat, R"({"messages":[{"role":"user"}]})", &error));
        QVERIFY2(error.contains("model"), error.constData());
        QVERIFY(!relay::parseRequestBody(Endpoint::Chat, R"({"model":"m"})", &error));
        QVERIFY2(error.contains("messages"), error.constData());
        QVERIFY(!relay::parseRequestBody(Endpoint::Chat, "{", &error));
        QVERIFY2(error.contains("JSON"), error.constData());
    }

    void streamNullIsFalse()
    {
        QVERIFY(
            !parseOk(Endpoint::Chat, R"({"model":"m","stream":null,"messages":[{"role":"user"}]})")
                 .stream);
        QVERIFY(!parseOk(Endpoint::Chat, kChat).stream);
    }

    void promptCharsAcrossParts()
    {
        const RequestBody r = parseOk(
            Endpoint::Chat,
            R"({"model":"gpt-4o","messages":[)"
            R"({"role":"system","content":"abc"},)"
            R"({"role":"user","content":[{"type":"text","text":"héllo"},)"
            R"({"type":"image_url","image_url":{"url":"https://example.com/a-long-url.png"}},)"
            R"({"type":"text","text":"世界😀"}]},)"
            R"({"role":"assistant","content":null,"tool_calls":[]}]})");
        QCOMPARE(r.promptChars, 3 + 5 + 3);
    }

    void maxTokens_data()
    {
        QTest::addColumn<QByteArray>("fields");
        QTest::addColumn<qint64>("maxTokens");
        QTest::newRow("none") << QByteArray() << qint64(-1);
        QTest::newRow("max_tokens") << QByteArray(R"("max_tokens":100,)") << qint64(100);
        QTest::newRow("max_completion_tokens")
            << QByteArray(R"("max_completion_tokens":250,)") << qint64(250);
        QTest::newRow("zero") << QByteArray(R"("max_tokens":0,)") << qint64(0);
        QTest::newRow("null") << QByteArray(R"("max_tokens":null,)") << qint64(-1);
    }
    void maxTokens()
    {
        QFETCH(QByteArray, fields);
        QFETCH(qint64, maxTokens);
        const RequestBody r =
            parseOk(Endpoint::Chat,
                    "{" + fields + R"("model":"m","messages":[{"role":"user","content":"x"}]})");
        QCOMPARE(r.maxTokens, maxTokens);
    }

    void clientWantsUsage()
    {
        QVERIFY(parseOk(Endpoint::Chat, R"({"model":"m","stream":true,)"
                                        R"("stream_options":{"include_usage":true},)"
                                        R"("messages":[{"role":"user"}]})")
                    .clientWantsUsage);
        QVERIFY(!parseOk(Endpoint::Chat, R"({"model":"m","stream":true,)"
                                         R"("stream_options":{"include_usage":false},)"
                                         R"("messages":[{"role":"user"}]})")
                     .clientWantsUsage);
        QVERIFY(
            !parseOk(Endpoint::Chat, R"({"model":"m","stream":true,"messages":[{"role":"user"}]})")
                 .clientWantsUsage);
    }

    void upstreamStreamBody()
    {
        const QByteArray client =
            R"({"model":"gpt-4","stream":true,"temperature":0.7,"n":1,"user":"u-1",)"
            R"("stream_options":{"include_usage":false,"continuous_usage_stats":true},)"
            R"("tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],)"
            R"("response_format":{"type":"json_object"},"logit_bias":{"50256":-100},)"
            R"("messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]})";
        const QJsonObject original = QJsonDocument::fromJson(client).object();
        const QJsonObject sent = upstreamJson(client, QStringLiteral("gpt-4o-2024-08-06"));
        QCOMPARE(sent.value(QLatin1String("model")).toString(),
                 QStringLiteral("gpt-4o-2024-08-06"));
        const QJsonObject options = sent.value(QLatin1String("stream_options")).toObject();
        QCOMPARE(options.value(QLatin1String("include_usage")), QJsonValue(true));
        QCOMPARE(options.value(QLatin1String("continuous_usage_stats")), QJsonValue(true));
        QCOMPARE(options.size(), 2);
        const QStringList edited = {QStringLiteral("model"), QStringLiteral("stream_options")};
        QCOMPARE(without(sent, edited), without(original, edited));
        QCOMPARE(sent.value(QLatin1String("stream")), QJsonValue(true));
    }

    void upstreamStreamBodyWithoutOptions()
    {
        const QJsonObject sent = upstreamJson(
            R"({"model":"a","stream":true,"messages":[{"role":"user"}]})", QStringLiteral("b"));
        QCOMPARE(sent.value(QLatin1String("model")).toString(), QStringLiteral("b"));
        QCOMPARE(sent.value(QLatin1String("stream_options")).toObject(),
                 QJsonObject({{QStringLiteral("include_usage"), true}}));
    }

    void upstreamNonStreamBody()
    {
        const QByteArray client =
            R"({"model":"gpt-4","max_tokens":50,"messages":[{"role":"user","content":"hi"}]})";
        const QJsonObject sent = upstreamJson(client, QStringLiteral("gpt-4o"));
        QVERIFY(!sent.contains(QLatin1String("stream_options")));
        QVERIFY(!sent.contains(QLatin1String("stream")));
        QCOMPARE(sent.value(QLatin1String("model")).toString(), QStringLiteral("gpt-4o"));
        QCOMPARE(without(sent, {QStringLiteral("model")}),
                 without(QJsonDocument::fromJson(client).object(), {QStringLiteral("model")}));
    }

    void upstreamEmbeddingsBody()
    {
        const RequestBody r =
            parseOk(Endpoint::Embeddings, R"({"model":"emb","input":["a","b"],"dimensions":256})");
        const QJsonObject sent =
            QJsonDocument::fromJson(relay::buildUpstreamBody(r, QStringLiteral("emb-3"))).object();
        QCOMPARE(sent.value(QLatin1String("model")).toString(), QStringLiteral("emb-3"));
        QCOMPARE(sent.value(QLatin1String("dimensions")).toInt(), 256);
        QCOMPARE(sent.value(QLatin1String("input")).toArray().size(), 2);
        QVERIFY(!sent.contains(QLatin1String("stream_options")));
    }

    void bigIntegersPassThroughExactly()
    {
        // A client's int64 seed must reach the upstream as sent, not rounded to a double.
        const QByteArray sent = relay::buildUpstreamBody(
            parseOk(Endpoint::Chat, R"({"model":"m","seed":9007199254740993,)"
                                    R"("messages":[{"role":"user","content":"x"}]})"),
            QStringLiteral("m"));
        QVERIFY2(sent.contains("9007199254740993"), sent.constData());
    }

    void modelGivenTwiceIsRefused_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("plain") << QByteArray(
            R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"model":"o1"})");
        QTest::newRow("escaped name") << QByteArray(
            R"({"model":"o1","mo\u0064el":"gpt-4o","messages":[{"role":"user","content":"x"}]})");
    }
    void modelGivenTwiceIsRefused()
    {
        QFETCH(QByteArray, body);
        QByteArray error;
        QVERIFY(!relay::parseRequestBody(Endpoint::Chat, body, &error));
        QVERIFY(error.contains("more than once"));
    }

    void nestedModelsAreNotTopLevel()
    {
        // "model" inside strings, nested objects and arrays is not the top-level model.
        const QByteArray body = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\","
                                "\"content\":\"{\\\"model\\\":1,\",\"model\":\"x\"}],"
                                "\"meta\":{\"model\":\"m\",\"a\":[\"model\",\"model\"]}}";
        const RequestBody r = parseOk(Endpoint::Chat, body);
        QCOMPARE(r.model, QStringLiteral("gpt-4o"));
    }

    void modelNameIsBounded()
    {
        QByteArray error;
        const QByteArray longest = QByteArray(relay::kMaxModelChars, 'm');
        QVERIFY(relay::parseRequestBody(Endpoint::Chat,
                                        R"({"model":")" + longest +
                                            R"(","messages":[{"role":"user","content":"x"}]})",
                                        &error));
        QVERIFY(!relay::parseRequestBody(Endpoint::Chat,
                                         R"({"model":")" + longest +
                                             R"(m","messages":[{"role":"user","content":"x"}]})",
                                         &error));
        QVERIFY(error.contains("256"));
        // Counted in characters: 256 three-byte characters are within the bound.
        const QByteArray wide = QString(relay::kMaxModelChars, QChar(0x4e2d)).toUtf8();
        QVERIFY(relay::parseRequestBody(
            Endpoint::Chat,
            R"({"model":")" + wide + R"(","messages":[{"role":"user","content":"x"}]})", &error));
    }

    void escapedModelIsDecodedOnceForCheckAndUpstream()
    {
        const QByteArray body =
            R"({"model":"gpt\u002d4o","messages":[{"role":"user","content":"x"}]})";
        const RequestBody r = parseOk(Endpoint::Chat, body);
        QCOMPARE(r.model, QStringLiteral("gpt-4o"));
        QCOMPARE(upstreamJson(body, r.model)["model"].toString(), QStringLiteral("gpt-4o"));
    }

    void splicedBodyKeepsTheClientsBytes_data()
    {
// moc misreads some of these literals
#ifndef Q_MOC_RUN
        QTest::addColumn<QByteArray>("client");
        QTest::addColumn<QByteArray>("upstream");
        const QByteArray msgs =
            "\"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9 \\\"x\\\"\"}]";
        QTest::newRow("model replaced, spacing kept")
            << QByteArray("{ \"model\" : \"a\" ,\n \"temperature\": 0.70, " + msgs + "}")
            << QByteArray("{ \"model\" : \"b\" ,\n \"temperature\": 0.70, " + msgs + "}");
        QTest::newRow("stream, no options")
            << QByteArray(R"({"stream":true,"model":"a",)" + msgs + "}")
            << QByteArray(R"({"stream_options":{"include_usage":true},"stream":true,"model":"b",)" +
                          msgs + "}");
        QTest::newRow("stream, options null")
            << QByteArray(R"({"model":"a","stream":true,"stream_options":null,)" + msgs + "}")
            << QByteArray(R"({"model":"b","stream":true,"stream_options":{"include_usage":true},)" +
                          msgs + "}");
        QTest::newRow("stream, options empty")
            << QByteArray(R"({"model":"a","stream":true,"stream_options":{ },)" + msgs + "}")
            << QByteArray(
                   R"({"model":"b","stream":true,"stream_options":{"include_usage":true },)" +
                   msgs + "}");
        QTest::newRow("stream, other options")
            << QByteArray(R"({"model":"a","stream":true,"stream_options":{"x":1},)" + msgs + "}")
            << QByteArray(
                   R"({"model":"b","stream":true,"stream_options":{"include_usage":true,"x":1},)" +
                   msgs + "}");
        QTest::newRow("stream, include_usage false")
            << QByteArray(
                   R"({"model":"a","stream":true,"stream_options":{"include_usage": false },)" +
                   msgs + "}")
            << QByteArray(
                   R"({"model":"b","stream":true,"stream_options":{"include_usage": true },)" +
                   msgs + "}");
        QTest::newRow("no stream: options untouched")
            << QByteArray(
                   R"({"model":"a","stream":false,"stream_options":{"include_usage":false},)" +
                   msgs + "}")
            << QByteArray(
                   R"({"model":"b","stream":false,"stream_options":{"include_usage":false},)" +
                   msgs + "}");
        QTest::newRow("numbers kept as written")
            << QByteArray(R"({"model":"a","seed":9007199254740993,"top_p":0.10000000000000001,)" +
                          msgs + "}")
            << QByteArray(R"({"model":"b","seed":9007199254740993,"top_p":0.10000000000000001,)" +
                          msgs + "}");
#endif
    }
    void splicedBodyKeepsTheClientsBytes()
    {
        QFETCH(QByteArray, client);
        QFETCH(QByteArray, upstream);
        const RequestBody r = parseOk(Endpoint::Chat, client);
        QVERIFY(r.splice.on);
        QCOMPARE(relay::buildUpstreamBody(r, QStringLiteral("b")), upstream);
        // And the edits are those the DOM reading makes.
        QByteArray error;
        const auto dom = relay::parseRequestBodyWithDom(Endpoint::Chat, client, &error);
        QVERIFY(dom);
        QCOMPARE(
            QJsonDocument::fromJson(upstream).object(),
            QJsonDocument::fromJson(relay::buildUpstreamBody(*dom, QStringLiteral("b"))).object());
    }

    // A body the relay has nothing to change in (the model the client named, no stream to ask
    // usage of, or usage asked for already) goes upstream as the client's own bytes, not a copy;
    // one with an edit left is built anew.
    void bodyWithoutEditsIsNotCopied()
    {
// moc misreads some of these literals
#ifndef Q_MOC_RUN
        const QByteArray same =
            R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"h"}]})";
        const RequestBody r = parseOk(Endpoint::Chat, same);
        QVERIFY(r.splice.on);
        const QByteArray sent = relay::buildUpstreamBody(r, QStringLiteral("gpt-4o-mini"));
        QCOMPARE(sent, same);
        QCOMPARE(static_cast<const void *>(sent.constData()),
                 static_cast<const void *>(r.raw.constData()));

        const QByteArray asked =
            R"({"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"h"}]})";
        const RequestBody s = parseOk(Endpoint::Chat, asked);
        QCOMPARE(
            static_cast<const void *>(relay::buildUpstreamBody(s, QStringLiteral("m")).constData()),
            static_cast<const void *>(s.raw.constData()));

        // A name that is not ASCII, sent as the client wrote it: no copy either.
        const RequestBody u =
            parseOk(Endpoint::Chat, QStringLiteral("{\"model\":\"mod\u00e8le\",\"messages\":[{"
                                                   "\"role\":\"user\",\"content\":\"h\"}]}")
                                        .toUtf8());
        QVERIFY(u.splice.on);
        QCOMPARE(static_cast<const void *>(
                     relay::buildUpstreamBody(u, QStringLiteral("mod\u00e8le")).constData()),
                 static_cast<const void *>(u.raw.constData()));

        // Another model, or usage still to ask for: a new body with the edit.
        QCOMPARE(relay::buildUpstreamBody(r, QStringLiteral("gpt-4o")),
                 QByteArray(R"({"model":"gpt-4o","messages":[{"role":"user","content":"h"}]})"));
        const RequestBody t = parseOk(
            Endpoint::Chat,
            R"({"model":"m","stream":true,"stream_options":{"include_usage":false},"messages":[{"role":"user","content":"h"}]})");
        QCOMPARE(
            relay::buildUpstreamBody(t, QStringLiteral("m")),
            QByteArray(
                R"({"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"h"}]})"));
        // A name the client escaped differently is written the relay's way (the same text).
        const RequestBody e = parseOk(
            Endpoint::Chat, R"({"model":"\u006d","messages":[{"role":"user","content":"h"}]})");
        QCOMPARE(QJsonDocument::fromJson(relay::buildUpstreamBody(e, QStringLiteral("m")))
                     .object()
                     .value(QLatin1String("model"))
                     .toString(),
                 QStringLiteral("m"));
#endif
    }

    void moderationWithoutModelGetsTheDefaultSpliced()
    {
// moc misreads some of these literals
#ifndef Q_MOC_RUN
        const RequestBody r = parseOk(Endpoint::Moderations, R"({"input":"x"})");
        QCOMPARE(r.model, relay::kDefaultModerationModel.toString());
        QCOMPARE(relay::buildUpstreamBody(r, r.model),
                 QByteArray(R"({"model":"omni-moderation-latest","input":"x"})"));
        const RequestBody n = parseOk(Endpoint::Moderations, R"({"model":null,"input":"x"})");
        QCOMPARE(relay::buildUpstreamBody(n, QStringLiteral("m\"q")),
                 QByteArray("{\"model\":\"m\\\"q\",\"input\":\"x\"}"));
#endif
    }

    // The reading without a DOM and the QJsonDocument reading agree on every body: the same
    // refusal, the same fields, the same upstream body once parsed.
    void sameAsTheDomReading_data()
    {
// moc misreads some of these literals
#ifndef Q_MOC_RUN
        QTest::addColumn<Endpoint>("endpoint");
        QTest::addColumn<QByteArray>("body");
        const QByteArray m = R"("messages":[{"role":"user","content":"x"}])";
        const Endpoint chat = Endpoint::Chat;
        const auto row = [](const char *name, Endpoint e, const QByteArray &body) {
            QTest::newRow(name) << e << body;
        };
        row("stream twice, last false", chat,
            R"({"model":"a","stream":true,"stream":false,)" + m + "}");
        row("stream twice, last true", chat,
            R"({"model":"a","stream":false,"stream":true,)" + m + "}");
        row("options twice", chat,
            R"({"model":"a","stream":true,"stream_options":{"include_usage":true},"stream_options":{},)" +
                m + "}");
        row("include_usage twice", chat,
            R"({"model":"a","stream":true,"stream_options":{"include_usage":true,"include_usage":false},)" +
                m + "}");
        row("include_usage object", chat,
            R"({"model":"a","stream":true,"stream_options":{"include_usage":{}},)" + m + "}");
        row("max_tokens twice", chat, R"({"model":"a","max_tokens":5,"max_tokens":-1,)" + m + "}");
        row("messages twice", chat, R"({"model":"a",)" + m + "," + m + "}");
        row("content twice", chat,
            R"({"model":"a","messages":[{"role":"user","content":"xx","content":"y"}]})");
        row("model twice", chat, R"({"model":"a","model":"b",)" + m + "}");
        row("escaped key", chat, R"({"model":"a","str\u0065am":true,)" + m + "}");
        row("escaped model", chat, R"({"model":"\u00e9",)" + m + "}");
        row("lone surrogate", chat,
            R"({"model":"a","messages":[{"role":"user","content":"\udc00"}]})");
        row("control character", chat,
            "{\"model\":\"a\",\"messages\":[{\"role\":\"user\",\"content\":\"\x01\"}]}");
        row("exponent", chat, R"({"model":"a","max_tokens":1e2,)" + m + "}");
        row("underflow", chat, R"({"model":"a","t":1e-400,)" + m + "}");
        row("overflow", chat, R"({"model":"a","t":1e400,)" + m + "}");
        row("1.", chat, R"({"model":"a","t":1.,)" + m + "}");
        row("huge max_tokens", chat, R"({"model":"a","max_tokens":1000000000001,)" + m + "}");
        row("bom", chat, "\xEF\xBB\xBF{\"model\":\"a\"," + m + "}");
        row("garbage after", chat, R"({"model":"a",)" + m + "} x");
        row("whitespace after", chat, R"({"model":"a",)" + m + "} \n");
        row("deep", chat,
            R"({"model":"a","x":)" + QByteArray(300, '[') + QByteArray(300, ']') + "," + m + "}");
        row("too deep", chat,
            R"({"model":"a","x":)" + QByteArray(1100, '[') + QByteArray(1100, ']') + "," + m + "}");
        row("long model", chat, R"({"model":")" + QByteArray(300, 'm') + "\"," + m + "}");
        row("nested parts", chat,
            R"({"model":"a","messages":[{"role":"user","content":[{"text":["ab",{"text":"cd"}]},"é",3,null]}]})");
        row("role number", chat, R"({"model":"a","messages":[{"role":1}]})");
        row("invalid utf-8", chat, "{\"model\":\"a\xff\"," + m + "}");
        row("responses", Endpoint::Responses,
            R"({"model":"a","input":[{"content":"ab","output":"c"},"x",{"arguments":"de"}],"instructions":"f","previous_response_id":"resp_1","max_output_tokens":7,"stream":true})");
        row("responses bad instructions", Endpoint::Responses,
            R"({"model":"a","input":"x","instructions":3})");
        row("responses long previous", Endpoint::Responses,
            R"({"model":"a","input":"x","previous_response_id":")" + QByteArray(257, 'r') + "\"}");
        row("completions", Endpoint::Completions,
            R"({"model":"a","prompt":["ab","c"],"stream":true,"max_tokens":3})");
        row("embeddings tokens", Endpoint::Embeddings, R"({"model":"a","input":[[1,2],[3]]})");
        row("moderations null model", Endpoint::Moderations, R"({"model":null,"input":"x"})");
        row("moderations number model", Endpoint::Moderations, R"({"model":1,"input":"x"})");
#endif
    }
    void sameAsTheDomReading()
    {
        QFETCH(Endpoint, endpoint);
        QFETCH(QByteArray, body);
        QByteArray error, domError;
        const auto r = relay::parseRequestBody(endpoint, body, &error);
        const auto dom = relay::parseRequestBodyWithDom(endpoint, body, &domError);
        QCOMPARE(error, domError);
        QCOMPARE(r.has_value(), dom.has_value());
        if (!r)
            return;
        QCOMPARE(r->model, dom->model);
        QCOMPARE(r->stream, dom->stream);
        QCOMPARE(r->clientWantsUsage, dom->clientWantsUsage);
        QCOMPARE(r->promptChars, dom->promptChars);
        QCOMPARE(r->maxTokens, dom->maxTokens);
        QCOMPARE(r->previousResponseId, dom->previousResponseId);
        const QByteArray sent = relay::buildUpstreamBody(*r, QStringLiteral("u"));
        QCOMPARE(
            QJsonDocument::fromJson(sent).object(),
            QJsonDocument::fromJson(relay::buildUpstreamBody(*dom, QStringLiteral("u"))).object());
        // What the upstream reads is what the relay checked.
        const auto again = relay::parseRequestBodyWithDom(endpoint, sent, &error);
        QVERIFY(again);
        QCOMPARE(again->stream, r->stream);
        QCOMPARE(again->maxTokens, r->maxTokens);
    }

    void estimateTokens()
    {
        QCOMPARE(relay::estimateTokens(0), 0);
        QCOMPARE(relay::estimateTokens(1), 1);
        QCOMPARE(relay::estimateTokens(3), 1);
        QCOMPARE(relay::estimateTokens(4), 1);
        QCOMPARE(relay::estimateTokens(5), 2);
        QCOMPARE(relay::estimateTokens(8), 2);
        QCOMPARE(relay::estimateTokens(9), 3);
        QCOMPARE(relay::estimateTokens(4001), 1001);
    }
};

QTEST_GUILESS_MAIN(TestRequestBody)
#include "tst_requestbody.moc"
