// The client fronts on their own (design.md, "Ingress dialects"): which front a path gets, and
// how each speaks to its clients — the same refusal in OpenAI's error shape and in Anthropic's
// (type by status, interface.md §3), as a whole body and as the event that ends a stream, the
// headers every answer carries, and the models list and model object in each dialect's form.

#include "http/ApiError.h"
#include "ingress/ClientFront.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace relay;

Q_DECLARE_METATYPE(relay::ApiError)
Q_DECLARE_METATYPE(relay::Dialect)

namespace {

QJsonObject parse(const QByteArray &json)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        qWarning("not a JSON object: %s", json.constData());
    return doc.object();
}

const ClientFront &openai()
{
    return ClientFront::of(Dialect::OpenAI);
}

const ClientFront &anthropic()
{
    return ClientFront::of(Dialect::Anthropic);
}

} // namespace

class TestClientFront : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void frontOfEachDialect()
    {
        QCOMPARE(openai().dialect(), Dialect::OpenAI);
        QCOMPARE(anthropic().dialect(), Dialect::Anthropic);
        // One stateless front per dialect.
        QCOMPARE(&ClientFront::of(Dialect::OpenAI), &openai());
        QCOMPARE(&ClientFront::of(Dialect::Anthropic), &anthropic());
        QVERIFY(&openai() != &anthropic());
    }

    void frontOfAPath_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<Dialect>("dialect");
        QTest::newRow("messages") << QByteArray("/v1/messages") << Dialect::Anthropic;
        QTest::newRow("count_tokens")
            << QByteArray("/v1/messages/count_tokens") << Dialect::Anthropic;
        QTest::newRow("unknown under messages")
            << QByteArray("/v1/messages/batches") << Dialect::Anthropic;
        QTest::newRow("chat") << QByteArray("/v1/chat/completions") << Dialect::OpenAI;
        QTest::newRow("embeddings") << QByteArray("/v1/embeddings") << Dialect::OpenAI;
        QTest::newRow("responses") << QByteArray("/v1/responses") << Dialect::OpenAI;
        QTest::newRow("models") << QByteArray("/v1/models") << Dialect::OpenAI;
        QTest::newRow("unknown") << QByteArray("/v1/nothing") << Dialect::OpenAI;
        QTest::newRow("messages as a prefix only")
            << QByteArray("/v1/messagesX") << Dialect::OpenAI;
        QTest::newRow("message") << QByteArray("/v1/message") << Dialect::OpenAI;
        QTest::newRow("root") << QByteArray("/") << Dialect::OpenAI;
    }

    void frontOfAPath()
    {
        QFETCH(QByteArray, path);
        QFETCH(Dialect, dialect);
        QCOMPARE(ClientFront::forPath(path).dialect(), dialect);
        QCOMPARE(&ClientFront::forPath(path), &ClientFront::of(dialect));
    }

    // The same refusal, byte for byte, in each dialect.
    void sameRefusalTwoShapes()
    {
        const ApiError e = ApiError::rateLimited(
            "requests", "Rate limit reached for requests per minute. Please try again later.",
            30'000);
        QCOMPARE(openai().errorBody(e),
                 QByteArray(R"({"error":{"message":"Rate limit reached for requests per minute. )"
                            R"(Please try again later.","type":"requests","param":null,)"
                            R"("code":"rate_limit_exceeded"}})"));
        QCOMPARE(anthropic().errorBody(e),
                 QByteArray(R"({"type":"error","error":{"type":"rate_limit_error",)"
                            R"("message":"Rate limit reached for requests per minute. )"
                            R"(Please try again later."}})"));

        const ApiError key = ApiError::invalidApiKey("Incorrect API key provided.");
        QCOMPARE(openai().errorBody(key),
                 QByteArray(R"({"error":{"message":"Incorrect API key provided.",)"
                            R"("type":"invalid_request_error","param":null,)"
                            R"("code":"invalid_api_key"}})"));
        QCOMPARE(anthropic().errorBody(key),
                 QByteArray(R"({"type":"error","error":{"type":"authentication_error",)"
                            R"("message":"Incorrect API key provided."}})"));
    }

    void errorShapes_data()
    {
        QTest::addColumn<ApiError>("error");
        QTest::addColumn<QByteArray>("anthropicType");
        QTest::newRow("400") << ApiError::badRequest("messages: Field required")
                             << QByteArray("invalid_request_error");
        QTest::newRow("401") << ApiError::invalidApiKey(
                                    "This API key belongs to a disabled tenant.")
                             << QByteArray("authentication_error");
        QTest::newRow("403") << ApiError{403,
                                         "invalid_request_error",
                                         "ip_not_allowed",
                                         "Your address may not use this key.",
                                         {}}
                             << QByteArray("permission_error");
        QTest::newRow("404 model")
            << ApiError::modelNotFound("gpt-5") << QByteArray("not_found_error");
        QTest::newRow("404 path") << ApiError::notFound("POST /v1/nothing")
                                  << QByteArray("not_found_error");
        QTest::newRow("405") << ApiError::methodNotAllowed() << QByteArray("invalid_request_error");
        QTest::newRow("408") << ApiError::requestTimeout() << QByteArray("invalid_request_error");
        QTest::newRow("413") << ApiError::tooLarge() << QByteArray("request_too_large");
        QTest::newRow("431") << ApiError::headersTooLarge() << QByteArray("invalid_request_error");
        QTest::newRow("429 tokens")
            << ApiError::rateLimited("tokens", "Rate limit reached for tokens per minute.", 1500)
            << QByteArray("rate_limit_error");
        QTest::newRow("429 insufficient_quota")
            << ApiError::insufficientQuota() << QByteArray("rate_limit_error");
        QTest::newRow("500") << ApiError::internal("no refusal") << QByteArray("api_error");
        QTest::newRow("501") << ApiError::fromParserStatus(501, "CONNECT")
                             << QByteArray("api_error");
        QTest::newRow("502") << ApiError::upstreamError("Every upstream for this model failed.")
                             << QByteArray("api_error");
        QTest::newRow("503") << ApiError::overloaded("No upstream slot in time.", 1)
                             << QByteArray("overloaded_error");
        QTest::newRow("505") << ApiError::fromParserStatus(505, "HTTP/2.0")
                             << QByteArray("api_error");
    }

    void errorShapes()
    {
        QFETCH(ApiError, error);
        QFETCH(QByteArray, anthropicType);
        const QString message = QString::fromUtf8(error.message);

        const QJsonObject o = parse(openai().errorBody(error));
        QCOMPARE(o.keys(), QStringList{QStringLiteral("error")});
        const QJsonObject oe = o.value(QLatin1String("error")).toObject();
        QCOMPARE(oe.keys(), (QStringList{QStringLiteral("code"), QStringLiteral("message"),
                                         QStringLiteral("param"), QStringLiteral("type")}));
        QCOMPARE(oe.value(QLatin1String("message")).toString(), message);
        QCOMPARE(oe.value(QLatin1String("type")).toString().toUtf8(), error.type);
        QCOMPARE(oe.value(QLatin1String("code")).toString().toUtf8(), error.code);
        QVERIFY(oe.value(QLatin1String("param")).isNull());

        const QJsonObject a = parse(anthropic().errorBody(error));
        QCOMPARE(a.keys(), (QStringList{QStringLiteral("error"), QStringLiteral("type")}));
        QCOMPARE(a.value(QLatin1String("type")).toString(), QStringLiteral("error"));
        const QJsonObject ae = a.value(QLatin1String("error")).toObject();
        QCOMPARE(ae.keys(), (QStringList{QStringLiteral("message"), QStringLiteral("type")}));
        QCOMPARE(ae.value(QLatin1String("type")).toString().toUtf8(), anthropicType);
        QCOMPARE(ae.value(QLatin1String("message")).toString(), message);

        // As the event that ends a stream: OpenAI's bare data line, Anthropic's `error` event;
        // each carries the same body as the whole answer.
        QCOMPARE(openai().streamErrorEvent(error), "data: " + openai().errorBody(error) + "\n\n");
        QCOMPARE(anthropic().streamErrorEvent(error),
                 "event: error\ndata: " + anthropic().errorBody(error) + "\n\n");
    }

    // Quotes, backslashes, line breaks, control characters and non-ASCII text in a message
    // stay valid JSON in both shapes, and a stream event stays one event (no raw line break).
    void messagesAreEscaped()
    {
        const QByteArray raw = "model \"gpt-4o\\mini\"\nnot allowed\t\x01 für dich";
        const ApiError e = ApiError::badRequest(raw);
        for (const ClientFront *front : {&openai(), &anthropic()}) {
            const QJsonObject body = parse(front->errorBody(e));
            QCOMPARE(body.value(QLatin1String("error"))
                         .toObject()
                         .value(QLatin1String("message"))
                         .toString(),
                     QString::fromUtf8(raw));
            const QByteArray event = front->streamErrorEvent(e);
            QVERIFY(event.endsWith("\n\n"));
            QCOMPARE(event.count("\n\n"), 1);
        }
    }

    void baseHeaders()
    {
        const HttpHeaders openaiHeaders{{"content-type", "application/json"},
                                        {"x-request-id", "req_0123abcd"}};
        QCOMPARE(openai().baseHeaders("req_0123abcd"), openaiHeaders);
        // Anthropic's SDKs read request-id; x-request-id is there as for every client.
        const HttpHeaders anthropicHeaders{{"content-type", "application/json"},
                                           {"x-request-id", "req_0123abcd"},
                                           {"request-id", "req_0123abcd"}};
        QCOMPARE(anthropic().baseHeaders("req_0123abcd"), anthropicHeaders);
    }

    void openAiModels()
    {
        const QStringList models{QStringLiteral("gpt-4o-mini"), QStringLiteral("fast"),
                                 QStringLiteral("org/model")};
        const QJsonObject list = parse(openai().modelsList(models, 1'700'000'000));
        QJsonArray data;
        for (const QString &id : models)
            data.append(QJsonObject{{QStringLiteral("id"), id},
                                    {QStringLiteral("object"), QStringLiteral("model")},
                                    {QStringLiteral("created"), 1'700'000'000},
                                    {QStringLiteral("owned_by"), QStringLiteral("tenantrelay")}});
        QCOMPARE(list, (QJsonObject{{QStringLiteral("object"), QStringLiteral("list")},
                                    {QStringLiteral("data"), data}}));
        QCOMPARE(parse(openai().model(QStringLiteral("org/model"), 1'700'000'000)),
                 data.at(2).toObject());
        QCOMPARE(parse(openai().modelsList({}, 0)),
                 (QJsonObject{{QStringLiteral("object"), QStringLiteral("list")},
                              {QStringLiteral("data"), QJsonArray()}}));
    }

    void anthropicModels()
    {
        const QStringList models{QStringLiteral("claude-sonnet-4-5"), QStringLiteral("fast"),
                                 QStringLiteral("claude-opus-4")};
        const QJsonObject list = parse(anthropic().modelsList(models, 1'700'000'000));
        QJsonArray data;
        for (const QString &id : models)
            data.append(QJsonObject{
                {QStringLiteral("type"), QStringLiteral("model")},
                {QStringLiteral("id"), id},
                {QStringLiteral("display_name"), id},
                {QStringLiteral("created_at"), QStringLiteral("2023-11-14T22:13:20Z")}});
        QCOMPARE(list,
                 (QJsonObject{{QStringLiteral("data"), data},
                              {QStringLiteral("has_more"), false},
                              {QStringLiteral("first_id"), QStringLiteral("claude-sonnet-4-5")},
                              {QStringLiteral("last_id"), QStringLiteral("claude-opus-4")}}));
        QCOMPARE(parse(anthropic().model(QStringLiteral("fast"), 1'700'000'000)),
                 data.at(1).toObject());
        // The relay answers with created 0: the epoch, in RFC 3339.
        QCOMPARE(parse(anthropic().model(QStringLiteral("fast"), 0))
                     .value(QLatin1String("created_at"))
                     .toString(),
                 QStringLiteral("1970-01-01T00:00:00Z"));
        QCOMPARE(parse(anthropic().modelsList({}, 0)),
                 (QJsonObject{{QStringLiteral("data"), QJsonArray()},
                              {QStringLiteral("has_more"), false},
                              {QStringLiteral("first_id"), QJsonValue::Null},
                              {QStringLiteral("last_id"), QJsonValue::Null}}));
    }
};

QTEST_GUILESS_MAIN(TestClientFront)
#include "tst_clientfront.moc"
