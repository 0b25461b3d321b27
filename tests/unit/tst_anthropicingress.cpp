// An Anthropic client in front of the relay (relaycore/ingress): Messages → Chat Completions
// requests, chat answers and streams back in Anthropic's shape, the pass-through usage filter,
// errors and models lists, against the golden fixtures in tests/fixtures/anthropic_ingress (see
// its README).
#include "core/SseEventSplitter.h"
#include "ingress/AnthropicFront.h"
#include "ingress/AnthropicIngressStream.h"
#include "ingress/AnthropicUsageFilter.h"
#include "upstream/AnthropicAdapter.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace relay;
using namespace relay::anthropic_ingress;
using namespace Qt::StringLiterals;

namespace {

const QString kModel = QStringLiteral("claude-sonnet-4-5");

QByteArray fixture(const QString &path)
{
    QFile f(qEnvironmentVariable("TENANTRELAY_SOURCE_DIR") + QStringLiteral("/tests/fixtures/") +
            path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(path));
    return f.readAll();
}

QJsonObject parse(const QByteArray &json)
{
    return QJsonDocument::fromJson(json).object();
}

QJsonObject jsonFixture(const QString &name)
{
    QJsonParseError error;
    const QJsonDocument doc =
        QJsonDocument::fromJson(fixture(QStringLiteral("anthropic_ingress/") + name), &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("fixture %s: %s", qPrintable(name), qPrintable(error.errorString()));
    return doc.object();
}

// Prices that are exact in binary, so that costs compare exactly: USD per token 1/1024 input,
// 1/256 output, 1/8192 cache read, 1/512 cache write.
std::optional<double> testCost(const MessageUsage &u)
{
    return u.inputTokens / 1024.0 + u.outputTokens / 256.0 + u.cacheReadTokens / 8192.0 +
           u.cacheWriteTokens / 512.0;
}

// The events of an SSE byte string as "name" → data, in order.
QList<std::pair<QByteArray, QJsonObject>> events(const QByteArray &sse)
{
    SseEventSplitter splitter;
    QList<QByteArray> all = splitter.feed(sse);
    if (const QByteArray rest = splitter.finish(); !rest.isEmpty())
        all.append(rest);
    QList<std::pair<QByteArray, QJsonObject>> out;
    for (const QByteArray &event : all) {
        bool hasData = false;
        const QByteArray data = SseEventSplitter::data(event, &hasData);
        if (hasData)
            out.append({SseEventSplitter::name(event), parse(data)});
    }
    return out;
}

void compareEvents(const QByteArray &got, const QByteArray &expected)
{
    const auto g = events(got);
    const auto e = events(expected);
    QCOMPARE(g.size(), e.size());
    for (qsizetype i = 0; i < g.size(); ++i) {
        QCOMPARE(g[i].first, e[i].first);
        QCOMPARE(g[i].second, e[i].second);
    }
}

// What a stream class gives for `bytes` fed in the pieces that end at `cuts`, then finish().
template <typename Stream>
QByteArray run(Stream &stream, QByteArrayView bytes, const QList<qsizetype> &cuts)
{
    QByteArray out;
    qsizetype from = 0;
    for (const qsizetype cut : cuts) {
        out += stream.feed(bytes.sliced(from, cut - from));
        from = cut;
    }
    out += stream.feed(bytes.sliced(from));
    return out + stream.finish();
}

// Every cut of `bytes` into two feeds, and byte by byte, must give what one whole feed gives,
// with the same counts.
template <typename Make, typename State>
void checkEveryCut(const QByteArray &bytes, Make make, State state)
{
    auto whole = make();
    const QByteArray expected = run(whole, bytes, {});
    const QByteArray expectedState = state(whole);
    for (qsizetype cut = 0; cut <= bytes.size(); ++cut) {
        auto s = make();
        const QByteArray out = run(s, bytes, {cut});
        if (out != expected || state(s) != expectedState)
            QFAIL(qPrintable(QStringLiteral("cut at byte %1 differs").arg(cut)));
    }
    QList<qsizetype> everyByte;
    for (qsizetype i = 1; i < bytes.size(); ++i)
        everyByte.append(i);
    auto s = make();
    QCOMPARE(run(s, bytes, everyByte), expected);
    QCOMPARE(state(s), expectedState);
}

QByteArray streamState(const AnthropicIngressStream &s)
{
    return QByteArray::number(s.hasUsage()) + ' ' + QByteArray::number(s.inputTokens()) + ' ' +
           QByteArray::number(s.outputTokens()) + ' ' + QByteArray::number(s.textChars()) + ' ' +
           QByteArray::number(s.failed()) + QByteArray::number(s.failedBeforeOutput()) + ' ' +
           QByteArray::number(s.errorStatus()) + ' ' + s.upstreamModel().toUtf8();
}

QByteArray filterState(const AnthropicUsageFilter &f)
{
    const MessageUsage &u = f.usage();
    return QByteArray::number(f.hasUsage()) + ' ' + QByteArray::number(u.inputTokens) + ' ' +
           QByteArray::number(u.outputTokens) + ' ' + QByteArray::number(u.cacheReadTokens) + ' ' +
           QByteArray::number(u.cacheWriteTokens) + ' ' + QByteArray::number(f.textChars()) + ' ' +
           QByteArray::number(f.failed()) + QByteArray::number(f.failedBeforeOutput()) + ' ' +
           QByteArray::number(f.errorStatus());
}

QJsonObject minimalRequest()
{
    return parse(R"({"model":"claude-sonnet-4-5","max_tokens":16,
                     "messages":[{"role":"user","content":"Hi"}]})");
}

} // namespace

class TestAnthropicIngress : public QObject
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
        QByteArray error;
        const std::optional<QJsonObject> chat = chatRequest(in, &error);
        QVERIFY2(chat, error.constData());
        QCOMPARE(*chat, jsonFixture(QStringLiteral("request_%1.out.json").arg(name)));
    }

    void streamingRequestsAskForUsageOnlyWhenStreaming()
    {
        QByteArray error;
        const QJsonObject chat = *chatRequest(minimalRequest(), &error);
        QVERIFY(!chat.contains(QLatin1String("stream")));
        QVERIFY(!chat.contains(QLatin1String("stream_options")));
        QCOMPARE(chat.value(QLatin1String("max_tokens")), QJsonValue(16));
    }

    void toolChoices_data()
    {
        QTest::addColumn<QByteArray>("anthropic");
        QTest::addColumn<QByteArray>("openai"); // as a JSON array of one value; [] for none
        QTest::newRow("auto") << QByteArray(R"({"type":"auto"})") << QByteArray(R"(["auto"])");
        QTest::newRow("any") << QByteArray(R"({"type":"any"})") << QByteArray(R"(["required"])");
        QTest::newRow("none") << QByteArray(R"({"type":"none"})") << QByteArray(R"(["none"])");
        QTest::newRow("tool") << QByteArray(R"({"type":"tool","name":"get_time"})")
                              << QByteArray(
                                     R"([{"type":"function","function":{"name":"get_time"}}])");
        QTest::newRow("absent") << QByteArray("null") << QByteArray("[]");
    }

    void toolChoices()
    {
        QFETCH(QByteArray, anthropic);
        QFETCH(QByteArray, openai);
        QJsonObject request = minimalRequest();
        request.insert(
            QLatin1String("tools"),
            QJsonDocument::fromJson(R"([{"name":"get_time","input_schema":{}}])").array());
        if (anthropic != "null")
            request.insert(QLatin1String("tool_choice"), parse(anthropic));
        QByteArray error;
        const QJsonObject chat = *chatRequest(request, &error);
        const QJsonArray expected = QJsonDocument::fromJson(openai).array();
        if (expected.isEmpty())
            QVERIFY(!chat.contains(QLatin1String("tool_choice")));
        else
            QCOMPARE(chat.value(QLatin1String("tool_choice")), expected.first());
        QVERIFY(!chat.contains(QLatin1String("parallel_tool_calls")));
    }

    void toolChoiceWithoutToolsIsDropped()
    {
        QJsonObject request = minimalRequest();
        request.insert(QLatin1String("tool_choice"), parse(R"({"type":"any"})"));
        QByteArray error;
        QVERIFY(!chatRequest(request, &error)->contains(QLatin1String("tool_choice")));
    }

    void validation_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("error"); // empty: accepted
        const auto messages = QByteArray(R"("messages":[{"role":"user","content":"Hi"}])");
        QTest::newRow("valid") << R"({"model":"m","max_tokens":1,)" + messages + '}'
                               << QByteArray();
        QTest::newRow("no model") << R"({"max_tokens":1,)" + messages + '}'
                                  << QByteArray("model: Field required");
        QTest::newRow("model a number") << R"({"model":7,"max_tokens":1,)" + messages + '}'
                                        << QByteArray("model: Input should be a valid string");
        QTest::newRow("model empty") << R"({"model":"","max_tokens":1,)" + messages + '}'
                                     << QByteArray("model: Input should be a valid string");
        QTest::newRow("no max_tokens")
            << R"({"model":"m",)" + messages + '}' << QByteArray("max_tokens: Field required");
        QTest::newRow("max_tokens 0")
            << R"({"model":"m","max_tokens":0,)" + messages + '}'
            << QByteArray("max_tokens: Input should be greater than or equal to 1");
        QTest::newRow("max_tokens -5")
            << R"({"model":"m","max_tokens":-5,)" + messages + '}'
            << QByteArray("max_tokens: Input should be greater than or equal to 1");
        QTest::newRow("max_tokens 1.5")
            << R"({"model":"m","max_tokens":1.5,)" + messages + '}'
            << QByteArray("max_tokens: Input should be a valid integer");
        QTest::newRow("max_tokens a string")
            << R"({"model":"m","max_tokens":"10",)" + messages + '}'
            << QByteArray("max_tokens: Input should be a valid integer");
        QTest::newRow("max_tokens 1e300")
            << R"({"model":"m","max_tokens":1e300,)" + messages + '}'
            << QByteArray("max_tokens: Input should be a valid integer");
        QTest::newRow("no messages") << QByteArray(R"({"model":"m","max_tokens":1})")
                                     << QByteArray("messages: Field required");
        QTest::newRow("messages an object")
            << QByteArray(R"({"model":"m","max_tokens":1,"messages":{}})")
            << QByteArray("messages: Input should be a valid list");
        QTest::newRow("system role")
            << QByteArray(
                   R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":"a"},)"
                   R"({"role":"system","content":"b"}]})")
            << QByteArray("messages.1.role: Input should be 'user' or 'assistant'");
        QTest::newRow("no content")
            << QByteArray(R"({"model":"m","max_tokens":1,"messages":[{"role":"user"}]})")
            << QByteArray("messages.0.content: Field required");
        QTest::newRow("content a number")
            << QByteArray(
                   R"({"model":"m","max_tokens":1,"messages":[{"role":"user","content":3}]})")
            << QByteArray("messages.0.content: Input should be a valid string or list");
        QTest::newRow("block without type")
            << QByteArray(R"({"model":"m","max_tokens":1,"messages":[{"role":"user",)"
                          R"("content":[{"type":"text","text":"a"},{"text":"b"}]}]})")
            << QByteArray("messages.0.content.1.type: Field required");
        QTest::newRow("message a string")
            << QByteArray(R"({"model":"m","max_tokens":1,"messages":["hi"]})")
            << QByteArray("messages.0: Input should be a valid dictionary");
        QTest::newRow("system a number")
            << R"({"model":"m","max_tokens":1,"system":1,)" + messages + '}'
            << QByteArray("system: Input should be a valid string or list");
    }

    void validation()
    {
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, error);
        QByteArray message;
        const std::optional<QJsonObject> chat = chatRequest(parse(body), &message);
        QCOMPARE(bool(chat), error.isEmpty());
        QCOMPARE(message, error);
        // The client gets it as Anthropic's 400.
        if (!error.isEmpty())
            QCOMPARE(parse(errorBody(ApiError::badRequest(message))),
                     parse(R"({"type":"error","error":{"type":"invalid_request_error","message":)" +
                           jsonQuote(message) + "}}"));
    }

    void imagesOfBothSourceKinds()
    {
        QByteArray error;
        const QJsonObject chat = *chatRequest(jsonFixture(u"request_images.in.json"_s), &error);
        const QJsonArray parts = chat.value(QLatin1String("messages"))
                                     .toArray()
                                     .first()
                                     .toObject()
                                     .value(QLatin1String("content"))
                                     .toArray();
        QCOMPARE(parts.size(), 3); // the file source has no OpenAI equivalent
        QVERIFY(parts[0]
                    .toObject()
                    .value(QLatin1String("image_url"))
                    .toObject()
                    .value(QLatin1String("url"))
                    .toString()
                    .startsWith(QLatin1String("data:image/png;base64,iVBORw0KGgo")));
        QCOMPARE(parts[1]
                     .toObject()
                     .value(QLatin1String("image_url"))
                     .toObject()
                     .value(QLatin1String("url")),
                 QJsonValue(QStringLiteral("https://upload.wikimedia.org/wikipedia/commons/a/a7/"
                                           "Camponotus_flavomarginatus_ant.jpg")));
    }

    void promptEstimate()
    {
        // 3 images, and "Compare these images." (21 characters → 6 tokens).
        QCOMPARE(estimatedPromptTokens(jsonFixture(u"request_images.in.json"_s)), 3006);
        // "You are terse." + "Hello, Claude" + "Hello!" + "Can you describe LLMs to me?": 61.
        QCOMPARE(estimatedPromptTokens(jsonFixture(u"request_basic.in.json"_s)), 16);
        // tool_use "f" + {"a":1} (8), tool_result "abcd" (4), and the tool: "get", "x",
        // {"type":"object"} (21): 33 characters.
        const QJsonObject tools = parse(
            R"({"model":"m","max_tokens":5,"tools":[{"name":"get","description":"x",
                "input_schema":{"type":"object"}}],"messages":[
                {"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{"a":1}}]},
                {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"abcd"}]}]})");
        QCOMPARE(estimatedPromptTokens(tools), 9);
    }

    void countTokensAnswer()
    {
        QByteArray error;
        QJsonObject request = jsonFixture(u"request_basic.in.json"_s);
        request.remove(QLatin1String("max_tokens")); // count_tokens does not need it
        QCOMPARE(countTokens(request, &error), QJsonObject({{u"input_tokens"_s, 16}}));
        request.remove(QLatin1String("messages"));
        QVERIFY(!countTokens(request, &error));
        QCOMPARE(error, QByteArray("messages: Field required"));
        QVERIFY(!countTokens(parse(R"({"messages":[]})"), &error));
        QCOMPARE(error, QByteArray("model: Field required"));
    }

    void responsesMatchTheGoldenFixtures_data()
    {
        QTest::addColumn<QString>("name");
        for (const char *name : {"text", "tool_calls"})
            QTest::newRow(name) << QString::fromLatin1(name);
    }

    void responsesMatchTheGoldenFixtures()
    {
        QFETCH(QString, name);
        const QJsonObject in = jsonFixture(QStringLiteral("response_%1.in.json").arg(name));
        const QJsonObject expected = jsonFixture(QStringLiteral("response_%1.out.json").arg(name));
        QCOMPARE(messageFromChat(in, kModel), expected);
        int status = 200;
        HttpHeaders headers{{"content-type", "text/plain"}};
        const QByteArray body = QJsonDocument(in).toJson(QJsonDocument::Compact);
        QCOMPARE(parse(reply(&status, &headers, body, kModel)), expected);
        QCOMPARE(status, 200);
        QCOMPARE(headers, HttpHeaders({{"content-type", "application/json"}}));
    }

    void stopReasons_data()
    {
        QTest::addColumn<QJsonValue>("finish");
        QTest::addColumn<QString>("stop");
        QTest::newRow("stop") << QJsonValue(u"stop"_s) << u"end_turn"_s;
        QTest::newRow("length") << QJsonValue(u"length"_s) << u"max_tokens"_s;
        QTest::newRow("tool_calls") << QJsonValue(u"tool_calls"_s) << u"tool_use"_s;
        QTest::newRow("function_call") << QJsonValue(u"function_call"_s) << u"tool_use"_s;
        QTest::newRow("content_filter") << QJsonValue(u"content_filter"_s) << u"refusal"_s;
        QTest::newRow("null") << QJsonValue(QJsonValue::Null) << u"end_turn"_s;
    }

    void stopReasons()
    {
        QFETCH(QJsonValue, finish);
        QFETCH(QString, stop);
        QCOMPARE(stopReason(finish), stop);
    }

    void unreadableAnswers()
    {
        QCOMPARE(messageFromChat(parse(R"({"object":"list","data":[]})"), kModel), QJsonObject());
        int status = 200;
        HttpHeaders headers;
        const QJsonObject e = parse(reply(&status, &headers, "<html>", kModel));
        QCOMPARE(status, 502);
        QCOMPARE(e.value(QLatin1String("type")), QJsonValue(u"error"_s));
        QCOMPARE(e.value(QLatin1String("error")).toObject().value(QLatin1String("type")),
                 QJsonValue(u"api_error"_s));
        // An upstream's error passes back with its status, in Anthropic's shape.
        status = 400;
        const QByteArray openAiError =
            R"({"error":{"message":"Invalid 'messages[1].content': bad","type":"invalid_request_error","param":"messages","code":null}})";
        QCOMPARE(parse(reply(&status, &headers, openAiError, kModel)),
                 parse(R"({"type":"error","error":{"type":"invalid_request_error",)"
                       R"("message":"Invalid 'messages[1].content': bad"}})"));
        QCOMPARE(status, 400);
    }

    void errorTypesByStatus_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("type");
        const std::pair<int, const char *> table[] = {{400, "invalid_request_error"},
                                                      {405, "invalid_request_error"},
                                                      {408, "invalid_request_error"},
                                                      {431, "invalid_request_error"},
                                                      {401, "authentication_error"},
                                                      {403, "permission_error"},
                                                      {404, "not_found_error"},
                                                      {413, "request_too_large"},
                                                      {429, "rate_limit_error"},
                                                      {503, "overloaded_error"},
                                                      {529, "overloaded_error"},
                                                      {500, "api_error"},
                                                      {502, "api_error"},
                                                      {504, "api_error"},
                                                      {501, "api_error"},
                                                      {402, "invalid_request_error"},
                                                      {409, "invalid_request_error"},
                                                      {422, "invalid_request_error"}};
        for (const auto &[status, type] : table)
            QTest::addRow("%d", status) << status << QByteArray(type);
    }

    void errorTypesByStatus()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, type);
        QCOMPARE(errorType(status), type);
        const QByteArray message = "say \"no\"\n\tto ünïcode \\ 😀";
        const QJsonObject body = parse(errorBody(status, message));
        QCOMPARE(body, QJsonObject({{u"type"_s, u"error"_s},
                                    {u"error"_s,
                                     QJsonObject{{u"type"_s, QString::fromUtf8(type)},
                                                 {u"message"_s, QString::fromUtf8(message)}}}}));
        const QList<std::pair<QByteArray, QJsonObject>> e = events(errorEvent(status, message));
        QCOMPARE(e.size(), 1);
        QCOMPARE(e.first().first, QByteArray("error"));
        QCOMPARE(e.first().second, body);
    }

    void relayErrorsInAnthropicShape()
    {
        const ApiError limited = ApiError::rateLimited("tokens", "Slow down.", 1500);
        const QJsonObject e = parse(errorBody(limited));
        QCOMPARE(
            e.value(QLatin1String("error")).toObject(),
            QJsonObject({{u"type"_s, u"rate_limit_error"_s}, {u"message"_s, u"Slow down."_s}}));
        // The relay's OpenAI body, converted, keeps its message.
        QCOMPARE(parse(errorFromOpenAi(limited.status, limited.body())), e);
        const ApiError missing = ApiError::modelNotFound("gpt-9");
        QCOMPARE(parse(errorFromOpenAi(404, missing.body())), parse(errorBody(missing)));
        // An upstream's: keys in the message are masked; without a message, a stock one.
        const QJsonObject masked = parse(errorFromOpenAi(
            401,
            R"({"error":{"message":"Incorrect API key provided: sk-proj-abcdef123456.","type":"invalid_request_error","code":"invalid_api_key"}})"));
        QCOMPARE(masked.value(QLatin1String("error")).toObject().value(QLatin1String("message")),
                 QJsonValue(u"Incorrect API key provided: [redacted key]."_s));
        QCOMPARE(masked.value(QLatin1String("error")).toObject().value(QLatin1String("type")),
                 QJsonValue(u"authentication_error"_s));
        QCOMPARE(parse(errorFromOpenAi(503, "Service Unavailable")),
                 parse(R"({"type":"error","error":{"type":"overloaded_error",)"
                       R"("message":"The upstream answered HTTP 503."}})"));
        QCOMPARE(parse(errorFromOpenAi(500, R"({"error":"boom"})")),
                 parse(R"({"type":"error","error":{"type":"api_error","message":"boom"}})"));
    }

    void statusOfStreamErrors_data()
    {
        QTest::addColumn<QByteArray>("error");
        QTest::addColumn<int>("status");
        QTest::newRow("server_error")
            << QByteArray(R"({"type":"server_error","code":null})") << 500;
        QTest::newRow("tokens") << QByteArray(R"({"type":"tokens","code":"rate_limit_exceeded"})")
                                << 429;
        QTest::newRow("overloaded")
            << QByteArray(R"({"type":"server_error","code":"server_overloaded"})") << 529;
        QTest::newRow("invalid") << QByteArray(R"({"type":"invalid_request_error","code":null})")
                                 << 400;
        QTest::newRow("numeric code") << QByteArray(R"({"code":503,"message":"busy"})") << 503;
        QTest::newRow("nothing") << QByteArray("{}") << 500;
    }

    void statusOfStreamErrors()
    {
        QFETCH(QByteArray, error);
        QFETCH(int, status);
        QCOMPARE(statusOfOpenAiError(parse(error)), status);
    }

    void modelsInAnthropicShape()
    {
        QCOMPARE(
            modelObject(u"claude-sonnet-4-5"_s, 1718841600),
            parse(R"({"type":"model","id":"claude-sonnet-4-5","display_name":"claude-sonnet-4-5",)"
                  R"("created_at":"2024-06-20T00:00:00Z"})"));
        const QJsonObject list = modelList({{u"a"_s, 0}, {u"b"_s, 1700000000}});
        QCOMPARE(list.value(QLatin1String("has_more")), QJsonValue(false));
        QCOMPARE(list.value(QLatin1String("first_id")), QJsonValue(u"a"_s));
        QCOMPARE(list.value(QLatin1String("last_id")), QJsonValue(u"b"_s));
        QCOMPARE(list.value(QLatin1String("data")).toArray().size(), 2);
        QCOMPARE(list.value(QLatin1String("data"))
                     .toArray()[0]
                     .toObject()
                     .value(QLatin1String("created_at")),
                 QJsonValue(u"1970-01-01T00:00:00Z"_s));
        const QJsonObject empty = modelList({});
        QCOMPARE(empty.value(QLatin1String("first_id")), QJsonValue(QJsonValue::Null));
        QCOMPARE(empty.value(QLatin1String("last_id")), QJsonValue(QJsonValue::Null));
        QCOMPARE(empty.value(QLatin1String("data")), QJsonValue(QJsonArray()));
        QCOMPARE(
            modelListFromOpenAi(parse(
                R"({"object":"list","data":[{"id":"a","object":"model","created":0,"owned_by":"x"},)"
                R"({"id":"b","object":"model","created":1700000000,"owned_by":"y"}]})")),
            list);
    }

    void passThroughEdits()
    {
        const QByteArray body = R"({"model":"claude","max_tokens":9,"messages":[],"stream":true})";
        const QJsonObject edited = parse(withModel(body, u"claude-sonnet-4-5-20250929"_s));
        QJsonObject expected = parse(body);
        expected.insert(u"model"_s, u"claude-sonnet-4-5-20250929"_s);
        QCOMPARE(edited, expected);
        const std::optional<MessageUsage> usage = messageUsage(
            R"({"id":"msg_1","type":"message","usage":{"input_tokens":12,"output_tokens":6,)"
            R"("cache_creation_input_tokens":100,"cache_read_input_tokens":2000}})");
        QVERIFY(usage);
        QCOMPARE(*usage, (MessageUsage{12, 6, 2000, 100}));
        QCOMPARE(usage->promptTokens(), 2112);
        QVERIFY(!messageUsage(R"({"type":"error","error":{}})"));
        QVERIFY(!messageUsage("not json"));
    }

    void chatStreamsMatchTheGoldenFixtures_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("state");
        QTest::newRow("text") << u"text"_s << QByteArray("1 19 6 10 00 0 gpt-4o-mini-2024-07-18");
        QTest::newRow("tools") << u"tools"_s
                               << QByteArray("1 2006 58 53 00 0 gpt-4.1-mini-2025-04-14");
        QTest::newRow("error") << u"error"_s << QByteArray("0 0 0 7 10 500 gpt-4o-mini-2024-07-18");
        QTest::newRow("error first")
            << u"error_first"_s << QByteArray("0 0 0 0 11 429 gpt-4o-mini-2024-07-18");
        QTest::newRow("length, CRLF, no [DONE]")
            << u"length"_s << QByteArray("1 7 2 7 00 0 gpt-4o-mini-2024-07-18");
    }

    void chatStreamsMatchTheGoldenFixtures()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, state);
        const QByteArray bytes =
            fixture(QStringLiteral("anthropic_ingress/chat_stream_%1.sse").arg(name));
        AnthropicIngressStream s(kModel, testCost);
        const QByteArray out = run(s, bytes, {});
        compareEvents(
            out, fixture(QStringLiteral("anthropic_ingress/chat_stream_%1.expected").arg(name)));
        QCOMPARE(streamState(s), state);
        QVERIFY(s.finished());
        QCOMPARE(s.costUsd().has_value(), s.hasUsage());
        checkEveryCut(
            bytes, [] { return AnthropicIngressStream(kModel, testCost); }, streamState);
    }

    void chatStreamWithoutUsageOrPrice()
    {
        const QByteArray bytes = fixture(u"anthropic_ingress/chat_stream_text.sse"_s);
        // No price: no cost_usd, the counts all the same.
        AnthropicIngressStream unpriced(
            kModel, [](const MessageUsage &) { return std::optional<double>(); });
        const auto e = events(run(unpriced, bytes, {}));
        const QJsonObject usage = e[e.size() - 2].second.value(QLatin1String("usage")).toObject();
        QVERIFY(!usage.contains(QLatin1String("cost_usd")));
        QCOMPARE(usage.value(QLatin1String("input_tokens")), QJsonValue(19));
        QVERIFY(!unpriced.costUsd());
        // A stream without the usage chunk: zeros, and no cost is asked for.
        QByteArray noUsage = bytes;
        const qsizetype at = noUsage.indexOf(
            "data: "
            "{\"id\":\"chatcmpl-AxTx1\",\"object\":\"chat.completion.chunk\",\"created\":"
            "1741570283,\"model\":\"gpt-4o-mini-2024-07-18\",\"service_tier\":\"default\",\"system_"
            "fingerprint\":\"fp_b376dfbbd5\",\"choices\":[]");
        QVERIFY(at > 0);
        noUsage.remove(at, noUsage.indexOf("\n\n", at) + 2 - at);
        bool asked = false;
        AnthropicIngressStream s(kModel, [&asked](const MessageUsage &) {
            asked = true;
            return std::optional<double>(1.0);
        });
        const auto f = events(run(s, noUsage, {}));
        QVERIFY(!asked);
        QVERIFY(!s.hasUsage());
        QCOMPARE(f[f.size() - 2].first, QByteArray("message_delta"));
        QVERIFY(!f[f.size() - 2]
                     .second.value(QLatin1String("usage"))
                     .toObject()
                     .contains(QLatin1String("cost_usd")));
        // The upstream's model name when none is given.
        AnthropicIngressStream named(QString(), {});
        const auto g = events(run(named, bytes, {}));
        QCOMPARE(g.first()
                     .second.value(QLatin1String("message"))
                     .toObject()
                     .value(QLatin1String("model")),
                 QJsonValue(u"gpt-4o-mini-2024-07-18"_s));
    }

    void chatStreamCutBeforeTheEndFinishesWithAnError()
    {
        const QByteArray bytes = fixture(u"anthropic_ingress/chat_stream_tools.sse"_s);
        const qsizetype cut = bytes.indexOf("\"finish_reason\":\"tool_calls\"");
        AnthropicIngressStream s(kModel, testCost);
        const auto e = events(run(s, bytes.left(cut), {}));
        QCOMPARE(e.last().first, QByteArray("error"));
        QCOMPARE(
            e.last().second.value(QLatin1String("error")).toObject().value(QLatin1String("type")),
            QJsonValue(u"api_error"_s));
        QVERIFY(s.failed());
        QVERIFY(!s.failedBeforeOutput());
        QCOMPARE(s.errorStatus(), 502);
        // Nothing at all from the upstream: only the error, so the relay may fail over.
        AnthropicIngressStream empty(kModel, testCost);
        QCOMPARE(events(run(empty, "", {})).size(), 1);
        QVERIFY(empty.failedBeforeOutput());
        QVERIFY(!empty.started());
    }

    void toolCallResumingAfterAnotherIsDropped()
    {
        const QByteArray bytes =
            R"(data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{"}}]}}]})"
            "\n\n"
            R"(data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"b","function":{"name":"g","arguments":"{}"}}]}}]})"
            "\n\n"
            R"(data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"}"}}]},"finish_reason":"tool_calls"}]})"
            "\n\ndata: [DONE]\n\n";
        AnthropicIngressStream s(kModel, {});
        QList<QByteArray> names;
        for (const auto &[name, data] : events(run(s, bytes, {})))
            names.append(name);
        QCOMPARE(names, QList<QByteArray>({"message_start", "content_block_start",
                                           "content_block_delta", "content_block_stop",
                                           "content_block_start", "content_block_delta",
                                           "content_block_stop", "message_delta", "message_stop"}));
    }

    void passThroughMatchesTheGoldenFixtures_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("state");
        QTest::newRow("text") << u"text"_s << QByteArray("1 25 15 10 0 10 00 0");
        QTest::newRow("tool") << u"tool"_s << QByteArray("1 472 89 0 0 40 00 0");
    }

    void passThroughMatchesTheGoldenFixtures()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, state);
        const QByteArray bytes = fixture(QStringLiteral("anthropic/stream_%1.sse").arg(name));
        const QByteArray expected =
            fixture(QStringLiteral("anthropic_ingress/passthrough_%1.expected").arg(name));
        AnthropicUsageFilter f(testCost);
        const QByteArray out = run(f, bytes, {});
        compareEvents(out, expected);
        // Every event but message_delta passes byte for byte.
        const auto unchanged = [](const QByteArray &sse) {
            SseEventSplitter splitter;
            QList<QByteArray> kept = splitter.feed(sse);
            kept.removeIf(
                [](const QByteArray &e) { return SseEventSplitter::name(e) == "message_delta"; });
            return kept;
        };
        QCOMPARE(unchanged(out), unchanged(bytes));
        QCOMPARE(filterState(f), state);
        QVERIFY(f.finished());
        QVERIFY(f.started());
        checkEveryCut(
            bytes, [] { return AnthropicUsageFilter(testCost); }, filterState);
        // Without a cost function, all of it passes unchanged.
        AnthropicUsageFilter plain;
        QCOMPARE(run(plain, bytes, {}), bytes);
    }

    void passThroughCacheCountsAndErrors()
    {
        // Usage as Anthropic gives it with prompt caching; message_delta repeats some counts.
        const QByteArray bytes =
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_c\","
            "\"model\":\"claude-sonnet-4-5\",\"usage\":{\"input_tokens\":3,\"cache_creation_input_"
            "tokens\":1024,\"cache_read_input_tokens\":2048,\"output_tokens\":1}}}\n\n"
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
            "\"end_turn\"},\"usage\":{\"input_tokens\":3,\"output_tokens\":512}}\n\n"
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        AnthropicUsageFilter f(testCost);
        const auto e = events(run(f, bytes, {}));
        QCOMPARE(f.usage(), (MessageUsage{3, 512, 2048, 1024}));
        QCOMPARE(f.inputTokens(), 3075);
        // 3/1024 + 512/256 + 2048/8192 + 1024/512
        QCOMPARE(*f.costUsd(), 3 / 1024.0 + 2 + 0.25 + 2);
        QCOMPARE(
            e[1].second.value(QLatin1String("usage")).toObject().value(QLatin1String("cost_usd")),
            QJsonValue(3 / 1024.0 + 4.25));

        // Overloaded right after message_start: only the error goes out, the relay may fail over.
        const QByteArray overloaded =
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":"
            "{\"input_tokens\":9,\"output_tokens\":1}}}\n\nevent: ping\ndata: {\"type\": "
            "\"ping\"}\n\n"
            "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", "
            "\"message\": \"Overloaded\"}}\n\n";
        AnthropicUsageFilter g(testCost);
        const QByteArray out = run(g, overloaded, {});
        QCOMPARE(out, overloaded.mid(overloaded.indexOf("event: error")));
        QVERIFY(g.failedBeforeOutput());
        QCOMPARE(g.errorStatus(), 529);
        checkEveryCut(
            overloaded, [] { return AnthropicUsageFilter(testCost); }, filterState);
        // After content an error fails the stream but not before output; all passes unchanged.
        const QByteArray later = fixture(u"anthropic/stream_overloaded.sse"_s);
        AnthropicUsageFilter h(testCost);
        QCOMPARE(run(h, later, {}), later);
        QVERIFY(h.failed());
        QVERIFY(!h.failedBeforeOutput());
        // A stream cut after message_start lets out what was held.
        AnthropicUsageFilter cut(testCost);
        const QByteArray start = overloaded.left(overloaded.indexOf("event: ping"));
        QCOMPARE(run(cut, start, {}), start);
    }

    void toolRoundTrip()
    {
        // An Anthropic client's tool call through an OpenAI-kind upstream and back.
        QJsonObject request = jsonFixture(u"request_tools.in.json"_s);
        QByteArray error;
        const QJsonObject chat = *chatRequest(request, &error);
        // The upstream answers with a call; the client sees a tool_use block...
        const QJsonObject message =
            messageFromChat(jsonFixture(u"response_tool_calls.in.json"_s), kModel);
        const QJsonArray content = message.value(QLatin1String("content")).toArray();
        const QJsonObject toolUse = content[1].toObject();
        QCOMPARE(toolUse.value(QLatin1String("id")), QJsonValue(u"call_w1"_s));
        // ...and sends it back with its result in the next request.
        QJsonArray messages = request.value(QLatin1String("messages")).toArray();
        messages.append(QJsonObject{{u"role"_s, u"assistant"_s}, {u"content"_s, content}});
        messages.append(parse(R"({"role":"user","content":[{"type":"tool_result",
            "tool_use_id":"call_w1","content":"19 C"},{"type":"tool_result",
            "tool_use_id":"call_t2","content":[{"type":"text","text":"15:00"}]}]})"));
        request.insert(u"messages"_s, messages);
        const QJsonArray next =
            chatRequest(request, &error)->value(QLatin1String("messages")).toArray();
        QCOMPARE(next.size(), chat.value(QLatin1String("messages")).toArray().size() + 3);
        const QJsonObject call = next[next.size() - 3].toObject();
        QCOMPARE(call.value(QLatin1String("tool_calls")).toArray()[0].toObject(),
                 parse(R"({"id":"call_w1","type":"function","function":{"name":"get_weather",)"
                       "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\",\\\"unit\\\":\\\"c\\\"}\"}}"));
        QCOMPARE(next[next.size() - 2].toObject(),
                 parse(R"({"role":"tool","tool_call_id":"call_w1","content":"19 C"})"));
        QCOMPARE(next.last().toObject(),
                 parse(R"({"role":"tool","tool_call_id":"call_t2","content":"15:00"})"));
        // The relay's own OpenAI → Anthropic adapter reads the translated request back into the
        // same tool ids and inputs.
        const QJsonObject back = anthropic::messagesRequest(chat, kModel);
        const QJsonArray assistant = back.value(QLatin1String("messages"))
                                         .toArray()[1]
                                         .toObject()
                                         .value(QLatin1String("content"))
                                         .toArray();
        QCOMPARE(assistant[1].toObject(),
                 parse(R"({"type":"tool_use","id":"toolu_01A","name":"get_weather",)"
                       R"("input":{"city":"Paris"}})"));
        QCOMPARE(assistant[2].toObject().value(QLatin1String("input")),
                 QJsonValue(parse(R"({"tz":"Europe/Paris"})")));
    }
};

QTEST_GUILESS_MAIN(TestAnthropicIngress)
#include "tst_anthropicingress.moc"
