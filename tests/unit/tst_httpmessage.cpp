#include "ResponseFeed.h"
#include "core/ByteWriter.h"
#include "core/RequestId.h"
#include "http/ApiError.h"
#include "http/HttpMessage.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

using relay::ApiError;

Q_DECLARE_METATYPE(relay::ApiError)

namespace {

// The response as a client would read it back.
struct Parsed
{
    int status = 0;
    relay::HttpHeaders headers;
    QByteArray body;
    bool complete = false;
    bool keepAlive = false;
};

Parsed parseResponse(const QByteArray &raw, bool eof)
{
    relay::HttpResponseParser p;
    Parsed out;
    if (!relay::test::feed(p, raw))
        return out;
    out.body = p.takeBody();
    if (eof && !p.messageComplete())
        p.feedEof();
    out.body += p.takeBody();
    out.status = p.status();
    out.headers = p.headers();
    out.complete = p.messageComplete();
    out.keepAlive = p.keepAlive();
    return out;
}

} // namespace

class TestHttpMessage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void responseBytes()
    {
        const QByteArray raw =
            relay::buildHttpResponse(200, {{"content-type", "application/json"}}, "{}", true);
        QCOMPARE(raw, QByteArray("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                                 "content-length: 2\r\n\r\n{}"));
    }

    void responseRoundTrip_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("keepAlive");
        QTest::newRow("200 keep-alive") << 200 << QByteArray("{\"ok\":true}") << true;
        QTest::newRow("429 close") << 429 << QByteArray("slow down") << false;
        QTest::newRow("empty body") << 204 << QByteArray() << true;
        QTest::newRow("binary body") << 502 << QByteArray("a\0b\r\n\r\nc", 8) << true;
    }
    void responseRoundTrip()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(bool, keepAlive);
        const relay::HttpHeaders headers = {{"x-request-id", "req-1"},
                                            {"x-tenantrelay-upstream", "openai"}};
        const Parsed p =
            parseResponse(relay::buildHttpResponse(status, headers, body, keepAlive), false);
        QVERIFY(p.complete);
        QCOMPARE(p.status, status);
        QCOMPARE(p.body, body);
        QCOMPARE(p.keepAlive, keepAlive);
        QCOMPARE(relay::headerValue(p.headers, "x-request-id"), QByteArray("req-1"));
        QCOMPARE(relay::headerValue(p.headers, "x-tenantrelay-upstream"), QByteArray("openai"));
    }

    void reasonPhrases()
    {
        QCOMPARE(relay::httpReasonPhrase(200), QByteArray("OK"));
        QCOMPARE(relay::httpReasonPhrase(404), QByteArray("Not Found"));
        QCOMPARE(relay::httpReasonPhrase(429), QByteArray("Too Many Requests"));
        QCOMPARE(relay::httpReasonPhrase(431), QByteArray("Request Header Fields Too Large"));
        QCOMPARE(relay::httpReasonPhrase(529), QByteArray("Site Overloaded"));
        QVERIFY(!relay::httpReasonPhrase(599).isEmpty());
        QVERIFY(relay::buildHttpResponse(429, {}, {}, true)
                    .startsWith("HTTP/1.1 429 Too Many Requests\r\n"));
    }

    void headerLines()
    {
        QByteArray out("HTTP/1.1 200 OK\r\n");
        {
            relay::ByteWriter writer(out, 0);
            relay::writeHeaderLines(writer,
                                    {{"content-type", "application/json"}, {"x-empty", ""}});
        }
        QCOMPARE(out,
                 QByteArray("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-empty: \r\n"));
        {
            relay::ByteWriter writer(out, 64);
            relay::writeHeaderLines(writer, {});
        }
        QCOMPARE(out.size(),
                 qsizetype(
                     strlen("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-empty: \r\n")));
    }

    // The writer appends after what the array held, grows past the room it was given, and
    // leaves the array exactly as long as what was written.
    void byteWriter_data()
    {
        QTest::addColumn<int>("room");
        QTest::newRow("no room") << 0;
        QTest::newRow("too little") << 5;
        QTest::newRow("exact") << 4 + 1 + 4 + 2 + 5 + 3 + 600 + 4 + 5 + 11;
        QTest::newRow("plenty") << 4096;
    }
    void byteWriter()
    {
        QFETCH(int, room);
        QByteArray out("head");
        const QByteArray big(600, 'x');
        {
            relay::ByteWriter writer(out, room);
            writer.put("-one");
            writer.put(' ');
            writer.putNumber(1234);
            writer.putNumber(255, 16);
            writer.put(QByteArrayView());
            writer.putUtf8(u"host.");
            writer.putNumber(-42);
            writer.put(big);
            writer.putUtf8(u"caf\u00e9"); // not ASCII: as UTF-8
            writer.putUtf8(u"");
            writer.put("\r\n");
            writer.putUtf8(u"\u00fcbersetzer");
        }
        const QByteArray expected = "head-one 1234ffhost.-42" + big + "caf\xc3\xa9\r\n" +
                                    QStringLiteral("\u00fcbersetzer").toUtf8();
        QCOMPARE(out, expected);
        QCOMPARE(out.size(), expected.size());
        QCOMPARE(out.constData()[out.size()], '\0');
    }

    // req_ and 24 lowercase hex digits, leading zeros kept; no two alike.
    void requestIds()
    {
        const QRegularExpression shape(QStringLiteral("^req_[0-9a-f]{24}$"));
        QSet<QByteArray> seen;
        bool leadingZero = false;
        for (int i = 0; i < 20000; ++i) {
            const QByteArray id = relay::newRequestId();
            QVERIFY2(shape.match(QString::fromLatin1(id)).hasMatch(), id.constData());
            seen.insert(id);
            leadingZero = leadingZero || id.at(4) == '0' || id.at(20) == '0';
        }
        QCOMPARE(seen.size(), 20000);
        QVERIFY(leadingZero); // 1 in 8 ids has one; missing in 20,000 means they are dropped
    }

    void encodeChunk()
    {
        QCOMPARE(relay::encodeChunk("hello"), QByteArray("5\r\nhello\r\n"));
        QCOMPARE(relay::encodeChunk(QByteArray(300, 'x')),
                 "12c\r\n" + QByteArray(300, 'x') + "\r\n");
        // An empty chunk would end the stream early: it must encode to nothing.
        QVERIFY(relay::encodeChunk("").isEmpty());
        QCOMPARE(relay::kLastChunk, QByteArrayView("0\r\n\r\n"));
    }

    void chunkedStream()
    {
        const QList<QByteArray> events = {"data: {\"a\":1}\n\n", QByteArray(5000, 'z'),
                                          "data: [DONE]\n\n"};
        QByteArray raw =
            relay::buildHttpStreamHead(200, {{"content-type", "text/event-stream"}}, true);
        QVERIFY(raw.endsWith("\r\n\r\n"));
        QVERIFY(raw.contains("transfer-encoding: chunked\r\n"));
        QVERIFY(!raw.contains("content-length"));
        for (const QByteArray &e : events)
            raw += relay::encodeChunk(e);
        raw += relay::encodeChunk("");
        raw += relay::kLastChunk;
        const Parsed p = parseResponse(raw, false);
        QVERIFY(p.complete);
        QVERIFY(p.keepAlive);
        QCOMPARE(p.status, 200);
        QCOMPARE(relay::headerValue(p.headers, "content-type"), QByteArray("text/event-stream"));
        QCOMPARE(p.body, events.join());
    }

    void unchunkedStreamEndsAtClose()
    {
        QByteArray raw = relay::buildHttpStreamHead(200, {}, false);
        QVERIFY(raw.contains("connection: close\r\n"));
        QVERIFY(!raw.contains("transfer-encoding"));
        raw += "data: 1\n\n";
        const Parsed p = parseResponse(raw, true);
        QVERIFY(p.complete);
        QVERIFY(!p.keepAlive);
        QCOMPARE(p.body, QByteArray("data: 1\n\n"));
    }

    void apiErrors_data()
    {
        QTest::addColumn<ApiError>("error");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("code");
        const QString invalid = QStringLiteral("invalid_request_error");
        const QString server = QStringLiteral("server_error");
        QTest::newRow("401") << ApiError::invalidApiKey("Incorrect API key provided.") << 401
                             << invalid << "invalid_api_key";
        QTest::newRow("404") << ApiError::modelNotFound("gpt-9") << 404 << invalid
                             << "model_not_found";
        QTest::newRow("400") << ApiError::badRequest("'messages' must be a non-empty array.") << 400
                             << invalid << invalid;
        QTest::newRow("413") << ApiError::tooLarge() << 413 << invalid << "request_too_large";
        QTest::newRow("431") << ApiError::headersTooLarge() << 431 << invalid
                             << "request_header_fields_too_large";
        QTest::newRow("408") << ApiError::requestTimeout() << 408 << invalid << "request_timeout";
        QTest::newRow("502") << ApiError::upstreamError("openai answered 500") << 502 << server
                             << "upstream_error";
        QTest::newRow("503") << ApiError::overloaded("no upstream slot within 30 s", 1) << 503
                             << server << "server_overloaded";
        QTest::newRow("parser 400")
            << ApiError::fromParserStatus(400, "invalid method") << 400 << invalid << invalid;
        QTest::newRow("parser 413")
            << ApiError::fromParserStatus(413, "x") << 413 << invalid << "request_too_large";
        QTest::newRow("parser 431") << ApiError::fromParserStatus(431, "x") << 431 << invalid
                                    << "request_header_fields_too_large";
        QTest::newRow("parser 408")
            << ApiError::fromParserStatus(408, "x") << 408 << invalid << "request_timeout";
    }
    void apiErrors()
    {
        QFETCH(ApiError, error);
        QFETCH(int, status);
        QFETCH(QString, type);
        QFETCH(QString, code);
        QCOMPARE(error.status, status);
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(error.body(), &parseError);
        QCOMPARE(parseError.error, QJsonParseError::NoError);
        QVERIFY(doc.isObject());
        QCOMPARE(doc.object().keys(), QStringList{QStringLiteral("error")});
        const QJsonObject e = doc.object().value(QLatin1String("error")).toObject();
        QCOMPARE(e.keys(), (QStringList{"code", "message", "param", "type"}));
        QCOMPARE(e.value(QLatin1String("type")).toString(), type);
        QCOMPARE(e.value(QLatin1String("code")).toString(), code);
        QVERIFY(e.value(QLatin1String("param")).isNull());
        QVERIFY(e.value(QLatin1String("message")).isString());
        QVERIFY(!e.value(QLatin1String("message")).toString().isEmpty());
    }

    void modelNotFoundNamesTheModel()
    {
        const QJsonObject e = QJsonDocument::fromJson(ApiError::modelNotFound("gpt-9").body())
                                  .object()
                                  .value(QLatin1String("error"))
                                  .toObject();
        QVERIFY(e.value(QLatin1String("message")).toString().contains(QLatin1String("gpt-9")));
    }

    void overloadedCarriesRetryAfter()
    {
        const ApiError e = ApiError::overloaded("busy", 7);
        QCOMPARE(relay::headerValue(e.extraHeaders, "retry-after"), QByteArray("7"));
    }

    void errorBodyWithAwkwardMessage()
    {
        const QByteArray message =
            "upstream said \"no\"\n\tline2 \\ \x01\x1f h\xc3\xa9 \xe4\xb8\x96";
        const QJsonObject e = QJsonDocument::fromJson(ApiError::upstreamError(message).body())
                                  .object()
                                  .value(QLatin1String("error"))
                                  .toObject();
        QCOMPARE(e.value(QLatin1String("message")).toString(), QString::fromUtf8(message));
    }

    void jsonQuoteEscapes()
    {
        QCOMPARE(relay::jsonQuote("plain"), QByteArray("\"plain\""));
        QCOMPARE(relay::jsonQuote("a\"b"), QByteArray("\"a\\\"b\""));
        QCOMPARE(relay::jsonQuote("a\\b"), QByteArray("\"a\\\\b\""));
        QCOMPARE(relay::jsonQuote("\n\r\t"), QByteArray("\"\\n\\r\\t\""));
        QCOMPARE(relay::jsonQuote(QByteArrayView("\x00\x01\x1f", 3)),
                 QByteArray("\"\\u0000\\u0001\\u001f\""));
        QCOMPARE(relay::jsonQuote(""), QByteArray("\"\""));
        // Multi-byte UTF-8 passes through untouched.
        QCOMPARE(relay::jsonQuote("\xe4\xb8\x96"), QByteArray("\"\xe4\xb8\x96\""));
    }

    void jsonQuoteRoundTripsEveryAsciiByte()
    {
        QByteArray all;
        for (int c = 0; c < 0x80; ++c)
            all += char(c);
        const QByteArray doc = "[" + relay::jsonQuote(all) + "]";
        QJsonParseError parseError;
        const QJsonDocument parsed = QJsonDocument::fromJson(doc, &parseError);
        QCOMPARE(parseError.error, QJsonParseError::NoError);
        QCOMPARE(parsed.array().at(0).toString(), QString::fromLatin1(all));
    }
};

QTEST_GUILESS_MAIN(TestHttpMessage)
#include "tst_httpmessage.moc"
