#include "ResponseFeed.h"

#include <QTest>

using relay::HttpResponseParser;

namespace {

// Feeds `raw` in pieces of `step` bytes and returns the body taken after each feed.
QByteArray feedInPieces(HttpResponseParser &p, const QByteArray &raw, qsizetype step)
{
    QByteArray body;
    for (qsizetype i = 0; i < raw.size(); i += step) {
        if (!p.feed(raw.constData() + i, qMin(step, raw.size() - i)))
            break;
        body += p.takeBody();
    }
    return body;
}

const QList<QByteArray> kEvents = {"data: {\"a\":1}\n\n", "data: {\"b\":\"h\xc3\xa9llo\"}\n\n",
                                   "data: [DONE]\n\n"};

QByteArray chunkedResponse()
{
    QByteArray out = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n";
    for (const QByteArray &e : kEvents)
        out += QByteArray::number(e.size(), 16) + (e.contains("DONE") ? ";ext=1\r\n" : "\r\n") + e +
               "\r\n";
    return out + "0\r\n\r\n";
}

const QByteArray kChunked = chunkedResponse();
const QByteArray kChunkedBody = kEvents.join();

} // namespace

class TestHttpResponseParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void contentLength()
    {
        HttpResponseParser p;
        QVERIFY(relay::test::feed(p,
                                  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                  "X-Request-ID: r1\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"));
        QVERIFY(p.headComplete());
        QCOMPARE(p.status(), 200);
        QCOMPARE(relay::headerValue(p.headers(), "content-type"), QByteArray("application/json"));
        QCOMPARE(relay::headerValue(p.headers(), "x-request-id"), QByteArray("r1"));
        QCOMPARE(p.takeBody(), QByteArray("{\"ok\":true}"));
        QVERIFY(p.takeBody().isEmpty());
        QVERIFY(p.messageComplete());
        QVERIFY(p.keepAlive());
        QVERIFY(!p.failed());
    }

    void headBeforeBody()
    {
        HttpResponseParser p;
        QVERIFY(relay::test::feed(
            p, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Len"));
        QVERIFY(!p.headComplete());
        QCOMPARE(p.status(), 0);
        QVERIFY(relay::test::feed(p, "gth: 4\r\n\r\nab"));
        QVERIFY(p.headComplete());
        QCOMPARE(p.status(), 429);
        QCOMPARE(relay::headerValue(p.headers(), "retry-after"), QByteArray("7"));
        QCOMPARE(p.takeBody(), QByteArray("ab"));
        QVERIFY(!p.messageComplete());
        QVERIFY(relay::test::feed(p, "cd"));
        QCOMPARE(p.takeBody(), QByteArray("cd"));
        QVERIFY(p.messageComplete());
    }

    void chunkedDechunked_data()
    {
        QTest::addColumn<int>("step");
        for (int step : {1, 2, 3, 5, 7, 13, 64, 10000})
            QTest::addRow("step %d", step) << step;
    }
    void chunkedDechunked()
    {
        QFETCH(int, step);
        HttpResponseParser p;
        QCOMPARE(feedInPieces(p, kChunked, step), kChunkedBody);
        QVERIFY(!p.failed());
        QVERIFY(p.messageComplete());
        QVERIFY(p.keepAlive());
        QCOMPARE(relay::headerValue(p.headers(), "content-type"), QByteArray("text/event-stream"));
    }

    void chunkedEverySplitPoint()
    {
        for (qsizetype cut = 1; cut < kChunked.size(); ++cut) {
            HttpResponseParser p;
            QVERIFY(p.feed(kChunked.constData(), cut));
            QByteArray body = p.takeBody();
            QVERIFY(p.feed(kChunked.constData() + cut, kChunked.size() - cut));
            body += p.takeBody();
            QCOMPARE(body, kChunkedBody);
            QVERIFY(p.messageComplete());
        }
    }

    // Header names and values are read in place while they come in one piece: one cut by the
    // end of a piece is kept past it, since the caller reuses its buffer before the next piece.
    void headerPiecesOutliveTheirInput()
    {
        const QByteArray raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "X-Request-Id:   req_1  \r\nContent-Length: 2\r\n\r\n{}";
        for (qsizetype cut = 1; cut < raw.size(); ++cut) {
            HttpResponseParser p;
            QByteArray buffer = raw.left(cut);
            QVERIFY(p.feed(buffer.constData(), buffer.size()));
            buffer.fill('#');
            QByteArray rest = raw.mid(cut);
            QVERIFY(p.feed(rest.constData(), rest.size()));
            rest.fill('#');
            QVERIFY2(p.messageComplete(), qPrintable(QString::number(cut)));
            QCOMPARE(relay::headerValue(p.headers(), "content-type"),
                     QByteArray("application/json"));
            QCOMPARE(relay::headerValue(p.headers(), "x-request-id"), QByteArray("req_1"));
            QCOMPARE(p.headers().size(), 3);
            QCOMPARE(p.takeBody(), QByteArray("{}"));
        }
    }

    void keepsOnlyTheHeadersAskedFor()
    {
        static constexpr QByteArrayView kKeep[] = {"content-type", "retry-after"};
        const QByteArray raw = "HTTP/1.1 429 Too Many Requests\r\nX-Request-Id: r1\r\n"
                               "Content-TYPE: application/json\r\nRetry-After-Ms: 5\r\n"
                               "Retry-After: 2\r\nContent-Length: 2\r\n\r\n{}";
        for (qsizetype step : {qsizetype(1), qsizetype(3), raw.size()}) {
            HttpResponseParser p;
            p.keepOnlyHeaders(kKeep);
            for (qsizetype at = 0; at < raw.size(); at += step)
                QVERIFY(p.feed(raw.constData() + at, qMin(step, raw.size() - at)));
            QVERIFY(p.messageComplete());
            QCOMPARE(p.status(), 429);
            const relay::HttpHeaders expected = {{"content-type", "application/json"},
                                                 {"retry-after", "2"}};
            QCOMPARE(p.headers(), expected);
            QCOMPARE(p.takeBody(), QByteArray("{}"));
        }
    }

    void trailersAreNotHeaders()
    {
        // A chunked body's trailer fields come after the head has gone to the client: they
        // are not the response's headers, however the bytes were cut.
        const QByteArray raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n"
                               "X-Trailer: late\r\nX-Other: later\r\n\r\n";
        for (const qsizetype step : {qsizetype(1), qsizetype(3), raw.size()}) {
            HttpResponseParser p;
            QCOMPARE(feedInPieces(p, raw, int(step)), QByteArray("{}"));
            QVERIFY(p.messageComplete());
            QCOMPARE(p.headers().size(), 2);
            QVERIFY(relay::headerValue(p.headers(), "x-trailer").isEmpty());
            QVERIFY(relay::headerValue(p.headers(), "x-other").isEmpty());
        }
    }

    void bodyUntilEof()
    {
        HttpResponseParser p;
        QVERIFY(relay::test::feed(
            p, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: 1\n\n"));
        QVERIFY(p.headComplete());
        QCOMPARE(p.takeBody(), QByteArray("data: 1\n\n"));
        QVERIFY(!p.messageComplete());
        QVERIFY(relay::test::feed(p, "data: 2\n\n"));
        QCOMPARE(p.takeBody(), QByteArray("data: 2\n\n"));
        QVERIFY(p.feedEof());
        QVERIFY(p.messageComplete());
        QVERIFY(!p.failed());
        QVERIFY(!p.keepAlive());
    }

    void cutResponse_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::newRow("nothing") << QByteArray();
        QTest::newRow("half a head") << QByteArray("HTTP/1.1 200 OK\r\nContent-Le");
        QTest::newRow("short content-length")
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
        QTest::newRow("chunked without last chunk")
            << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        QTest::newRow("inside a chunk")
            << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nhel");
    }
    void cutResponse()
    {
        QFETCH(QByteArray, raw);
        HttpResponseParser p;
        QVERIFY(relay::test::feed(p, raw));
        QVERIFY(!p.feedEof());
        QVERIFY(!p.messageComplete());
        if (!raw.isEmpty()) {
            QVERIFY(p.failed());
            QVERIFY(!p.error().isEmpty());
        }
    }

    void keepAlive_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<bool>("keepAlive");
        QTest::newRow("1.1") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") << true;
        QTest::newRow("1.1 close")
            << QByteArray("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
            << false;
        QTest::newRow("1.0") << QByteArray("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n") << false;
        QTest::newRow("1.0 keep-alive")
            << QByteArray("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n")
            << true;
    }
    void keepAlive()
    {
        QFETCH(QByteArray, raw);
        QFETCH(bool, keepAlive);
        HttpResponseParser p;
        QVERIFY(relay::test::feed(p, raw));
        QVERIFY(p.messageComplete());
        QCOMPARE(p.keepAlive(), keepAlive);
    }

    void strayBytesAfterResponse_data()
    {
        QTest::addColumn<QByteArray>("stray");
        QTest::newRow("one byte") << QByteArray("x");
        QTest::newRow("two bytes") << QByteArray("\r\n");
        QTest::newRow("a second response")
            << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    }
    void strayBytesAfterResponse()
    {
        // Bytes the upstream sent after its response make the connection unfit for reuse, and
        // they never become part of the body.
        QFETCH(QByteArray, stray);
        HttpResponseParser p;
        QVERIFY(relay::test::feed(p, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + stray));
        QVERIFY(p.messageComplete());
        QCOMPARE(p.takeBody(), QByteArray("ok"));
        QVERIFY(!p.keepAlive());
    }

    void interimResponseSkipped()
    {
        // RFC 9110 15.2: a client must accept 1xx responses before the final one, expected or
        // not. The final status and body are what the tenant must get.
        HttpResponseParser p;
        QVERIFY(relay::test::feed(p, "HTTP/1.1 100 Continue\r\n\r\n"
                                     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        QCOMPARE(p.status(), 200);
        QVERIFY(p.messageComplete());
        QCOMPARE(p.takeBody(), QByteArray("ok"));
    }

    void resetForNextResponse()
    {
        HttpResponseParser p;
        QVERIFY(relay::test::feed(
            p, "HTTP/1.1 500 Internal Server Error\r\nX-A: 1\r\nContent-Length: 1\r\n\r\nx"));
        QCOMPARE(p.status(), 500);
        p.reset();
        QVERIFY(!p.headComplete());
        QVERIFY(!p.messageComplete());
        QVERIFY(p.headers().isEmpty());
        QVERIFY(relay::test::feed(p, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nyz"));
        QCOMPARE(p.status(), 201);
        QCOMPARE(p.headers().size(), 1);
        QCOMPARE(p.takeBody(), QByteArray("yz"));
        QVERIFY(p.messageComplete());
    }

    void malformed()
    {
        HttpResponseParser p;
        QVERIFY(!relay::test::feed(p, "SMTP ready\r\n"));
        QVERIFY(p.failed());
        QVERIFY(p.error().startsWith("malformed upstream response"));
        QVERIFY(!relay::test::feed(p, "HTTP/1.1 200 OK\r\n\r\n"));
        QVERIFY(!p.feedEof());
    }
};

QTEST_GUILESS_MAIN(TestHttpResponseParser)
#include "tst_httpresponseparser.moc"
