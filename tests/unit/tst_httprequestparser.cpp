#include "http/HttpRequestParser.h"

#include <QTest>

using relay::HttpRequest;
using relay::HttpRequestParser;

namespace {

QByteArray post(const QByteArray &path, const QByteArray &body, const QByteArray &extra = {})
{
    return "POST " + path + " HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n" +
           extra + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

QByteArray chunked(const QList<QByteArray> &chunks)
{
    QByteArray out = "POST /v1/embeddings HTTP/1.1\r\nHost: relay\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n";
    for (const QByteArray &c : chunks)
        out += QByteArray::number(c.size(), 16) + "\r\n" + c + "\r\n";
    return out + "0\r\n\r\n";
}

// Feeds `raw` in pieces of `step` bytes until the parser refuses it; false if it did.
bool feedInPieces(HttpRequestParser &p, const QByteArray &raw, qsizetype step)
{
    for (qsizetype i = 0; i < raw.size(); i += step)
        if (!p.feed(raw.mid(i, step)))
            return false;
    return true;
}

// How the parser refused its input ("413 request_too_large"), and whether a request got out.
QByteArray refusal(const HttpRequestParser &p)
{
    return QByteArray::number(p.errorStatus()) + ' ' + p.errorCode() +
           (p.hasRequest() ? " with a request" : "");
}

HttpRequestParser::Limits bodyLimit(qint64 maxBody)
{
    HttpRequestParser::Limits limits;
    limits.maxBodyBytes = maxBody;
    return limits;
}

} // namespace

class TestHttpRequestParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void goodGet()
    {
        HttpRequestParser p;
        QVERIFY(p.feed("GET /v1/models?limit=5 HTTP/1.1\r\nHost: relay\r\n"
                       "Authorization: Bearer sk-tr-abc\r\n\r\n"));
        QVERIFY(!p.failed());
        QCOMPARE(p.queued(), 1);
        const HttpRequest r = p.takeRequest();
        QCOMPARE(r.method, QByteArray("GET"));
        QCOMPARE(r.target, QByteArray("/v1/models?limit=5"));
        QCOMPARE(r.path, QByteArray("/v1/models"));
        QCOMPARE(r.header("authorization"), QByteArray("Bearer sk-tr-abc"));
        QCOMPARE(r.header("host"), QByteArray("relay"));
        QVERIFY(r.body.isEmpty());
        QCOMPARE(r.versionMinor, 1);
        QVERIFY(r.keepAlive);
        QVERIFY(!p.hasRequest());
    }

    void postWithBody()
    {
        const QByteArray body = R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]})";
        HttpRequestParser p;
        QVERIFY(p.feed(post("/v1/chat/completions", body)));
        QVERIFY(p.hasRequest());
        const HttpRequest r = p.takeRequest();
        QCOMPARE(r.method, QByteArray("POST"));
        QCOMPARE(r.path, QByteArray("/v1/chat/completions"));
        QCOMPARE(r.header("content-type"), QByteArray("application/json"));
        QCOMPARE(r.body, body);
        QVERIFY(r.keepAlive);
    }

    void byteByByte()
    {
        const QByteArray body = "{\"model\":\"m\",\"input\":\"hello\"}";
        const QByteArray raw = post("/v1/embeddings", body);
        HttpRequestParser p;
        for (qsizetype i = 0; i < raw.size(); ++i) {
            QVERIFY2(p.feed(raw.constData() + i, 1), qPrintable(QString::number(i)));
            QCOMPARE(p.hasRequest(), i == raw.size() - 1);
        }
        const HttpRequest r = p.takeRequest();
        QCOMPARE(r.path, QByteArray("/v1/embeddings"));
        QCOMPARE(r.body, body);
    }

    void smallPieces()
    {
        const QByteArray raw = chunked({"{\"model\":", "\"m\",", "\"input\":\"x\"}"});
        for (int step = 2; step <= 7; ++step) {
            HttpRequestParser p;
            QVERIFY(feedInPieces(p, raw, step));
            QCOMPARE(p.queued(), 1);
            QCOMPARE(p.takeRequest().body, QByteArray("{\"model\":\"m\",\"input\":\"x\"}"));
        }
    }

    void pipelined_data()
    {
        QTest::addColumn<int>("count");
        QTest::newRow("two") << 2;
        QTest::newRow("three") << 3;
    }
    void pipelined()
    {
        QFETCH(int, count);
        QByteArray raw;
        for (int i = 0; i < count; ++i) {
            if (i == 1)
                raw += "GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n";
            else
                raw += post("/v1/chat/completions/" + QByteArray::number(i),
                            "body-" + QByteArray::number(i) + QByteArray(i * 10, 'x'));
        }
        HttpRequestParser p;
        QVERIFY(p.feed(raw));
        QCOMPARE(p.queued(), count);
        for (int i = 0; i < count; ++i) {
            const HttpRequest r = p.takeRequest();
            if (i == 1) {
                QCOMPARE(r.method, QByteArray("GET"));
                QCOMPARE(r.path, QByteArray("/healthz"));
                QVERIFY(r.body.isEmpty());
            } else {
                QCOMPARE(r.method, QByteArray("POST"));
                QCOMPARE(r.path, "/v1/chat/completions/" + QByteArray::number(i));
                QCOMPARE(r.body, "body-" + QByteArray::number(i) + QByteArray(i * 10, 'x'));
            }
        }
        QVERIFY(!p.hasRequest());
        QVERIFY(!p.inMessage());
    }

    void pipelinedWithPartialTail()
    {
        HttpRequestParser p;
        QVERIFY(p.feed(post("/a", "one") + "POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\ntw"));
        QCOMPARE(p.queued(), 1);
        QCOMPARE(p.takeRequest().body, QByteArray("one"));
        QVERIFY(p.inMessage());
        QVERIFY(p.feed("o"));
        QCOMPARE(p.takeRequest().body, QByteArray("two"));
    }

    void keepAlive_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<bool>("keepAlive");
        QTest::newRow("1.1 default") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n\r\n") << true;
        QTest::newRow("1.1 close")
            << QByteArray("GET / HTTP/1.1\r\nConnection: close\r\n\r\n") << false;
        QTest::newRow("1.1 Close mixed case")
            << QByteArray("GET / HTTP/1.1\r\nconnection: Close\r\n\r\n") << false;
        QTest::newRow("1.0 default") << QByteArray("GET / HTTP/1.0\r\nHost: a\r\n\r\n") << false;
        QTest::newRow("1.0 keep-alive")
            << QByteArray("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") << true;
    }
    void keepAlive()
    {
        QFETCH(QByteArray, raw);
        QFETCH(bool, keepAlive);
        HttpRequestParser p;
        QVERIFY(p.feed(raw));
        QCOMPARE(p.takeRequest().keepAlive, keepAlive);
    }

    void http10Version()
    {
        HttpRequestParser p;
        QVERIFY(p.feed("GET / HTTP/1.0\r\n\r\n"));
        QCOMPARE(p.takeRequest().versionMinor, 0);
    }

    void bodyAtLimitAccepted()
    {
        HttpRequestParser p(bodyLimit(100));
        QVERIFY(p.feed(post("/v1/embeddings", QByteArray(100, 'a'))));
        QCOMPARE(p.takeRequest().body.size(), 100);
    }

    void announcedBodyTooLarge()
    {
        HttpRequestParser p(bodyLimit(100));
        // Refused from the header alone: the body never has to arrive.
        QVERIFY(!p.feed("POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 101\r\n\r\n"));
        QVERIFY(p.failed());
        QCOMPARE(refusal(p), "413 request_too_large");
        QVERIFY(!p.feed("more"));
    }

    void defaultLimitIs8MiB()
    {
        HttpRequestParser p;
        QVERIFY(!p.feed("POST / HTTP/1.1\r\nContent-Length: 8388609\r\n\r\n"));
        QCOMPARE(p.errorStatus(), 413);
        HttpRequestParser ok;
        QVERIFY(ok.feed("POST / HTTP/1.1\r\nContent-Length: 8388608\r\n\r\n"));
        QVERIFY(ok.inMessage());
    }

    void chunkedBodyDechunked()
    {
        HttpRequestParser p(bodyLimit(100));
        QVERIFY(p.feed(chunked({QByteArray(40, 'a'), QByteArray(40, 'b')})));
        QCOMPARE(p.takeRequest().body, QByteArray(40, 'a') + QByteArray(40, 'b'));
    }

    void chunkedBodyGrowsTooLarge()
    {
        HttpRequestParser p(bodyLimit(100));
        const QByteArray raw =
            chunked({QByteArray(40, 'a'), QByteArray(40, 'b'), QByteArray(40, 'c')});
        QVERIFY(!feedInPieces(p, raw, 16));
        QCOMPARE(refusal(p), "413 request_too_large");
    }

    void headersTooLarge_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::newRow("one huge header")
            << "GET / HTTP/1.1\r\nX-Big: " + QByteArray(33 * 1024, 'h') + "\r\n\r\n";
        QByteArray many = "GET / HTTP/1.1\r\n";
        for (int i = 0; i < 40; ++i)
            many += "X-H" + QByteArray::number(i) + ": " + QByteArray(1000, 'v') + "\r\n";
        QTest::newRow("many headers") << many + "\r\n";
        QTest::newRow("huge target") << "GET /" + QByteArray(33 * 1024, 'p') + " HTTP/1.1\r\n\r\n";
    }
    void headersTooLarge()
    {
        QFETCH(QByteArray, raw);
        HttpRequestParser p;
        QVERIFY(!p.feed(raw));
        QCOMPARE(refusal(p), "431 request_header_fields_too_large");
    }

    void headersTooLargeFedInPieces()
    {
        const QByteArray raw =
            "GET / HTTP/1.1\r\nX-Big: " + QByteArray(40 * 1024, 'h') + "\r\n\r\n";
        HttpRequestParser p;
        QVERIFY(!feedInPieces(p, raw, 100));
        QCOMPARE(refusal(p), "431 request_header_fields_too_large");
    }

    void headerLimitIsPerRequest()
    {
        // Two pipelined requests with 20 KiB of headers each: neither is over 32 KiB.
        const QByteArray one =
            "GET / HTTP/1.1\r\nX-Pad: " + QByteArray(20 * 1024, 'p') + "\r\n\r\n";
        HttpRequestParser p;
        QVERIFY(p.feed(one + one));
        QCOMPARE(p.queued(), 2);
    }

    void garbage_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::newRow("control bytes") << QByteArray("\x01\x02 hello");
        QTest::newRow("unknown method") << QByteArray("FETCH / HTTP/1.1\r\n\r\n");
        // Two framings at once is how requests are smuggled past proxies.
        QTest::newRow("content-length and chunked")
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: 5\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        QTest::newRow("two content-lengths")
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
        QTest::newRow("bad content-length")
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n");
    }
    void garbage()
    {
        QFETCH(QByteArray, raw);
        HttpRequestParser p;
        QVERIFY(!p.feed(raw));
        QCOMPARE(refusal(p), "400 invalid_request_error");
        QVERIFY(!p.errorMessage().isEmpty());
        // Once refused, the connection's input stays refused.
        QVERIFY(!p.feed("GET / HTTP/1.1\r\n\r\n"));
        QVERIFY(!p.hasRequest());
    }

    void states()
    {
        HttpRequestParser p;
        QVERIFY(!p.inHeaders());
        QVERIFY(!p.inMessage());
        QVERIFY(p.feed("POST /v1/chat/completions HTTP/1.1\r\nCont"));
        QVERIFY(p.inHeaders());
        QVERIFY(p.inMessage());
        QVERIFY(p.feed("ent-Length: 4\r\n\r\nab"));
        QVERIFY(!p.inHeaders());
        QVERIFY(p.inMessage());
        QVERIFY(!p.hasRequest());
        QVERIFY(p.feed("cd"));
        QVERIFY(!p.inHeaders());
        QVERIFY(!p.inMessage());
        QVERIFY(p.hasRequest());
        QVERIFY(p.feed("G"));
        QVERIFY(p.inHeaders());
        QVERIFY(p.inMessage());
    }

    void headerNamesLowercased()
    {
        HttpRequestParser p;
        QVERIFY(p.feed("GET / HTTP/1.1\r\nX-Api-KEY: Sk-Value\r\nAUTHORIZATION:   Bearer K  \r\n"
                       "x-request-ID: AbC\r\n\r\n"));
        const HttpRequest r = p.takeRequest();
        QList<QByteArray> names;
        for (const auto &h : r.headers)
            names.append(h.first);
        QCOMPARE(names, (QList<QByteArray>{"x-api-key", "authorization", "x-request-id"}));
        // Values keep their case; surrounding blanks go.
        QCOMPARE(r.header("x-api-key"), QByteArray("Sk-Value"));
        QCOMPARE(r.header("authorization"), QByteArray("Bearer K"));
        QCOMPARE(r.header("x-request-id"), QByteArray("AbC"));
        QVERIFY(r.header("X-Api-KEY").isEmpty());
    }

    // Each header starts from empty buffers: nothing of a longer name or value before it, or of
    // the previous request on the connection, shows through.
    void headersDoNotInheritEarlierBytes()
    {
        HttpRequestParser p;
        const QByteArray longValue(300, 'v');
        QVERIFY(p.feed("GET / HTTP/1.1\r\nX-A-Long-Header-Name: " + longValue +
                       "\r\nX-B:  b \r\nX-Empty:\r\nX-C:\tc\r\n\r\n"));
        const HttpRequest first = p.takeRequest();
        QCOMPARE(first.headers.size(), 4);
        QCOMPARE(first.headers[0], qMakePair(QByteArray("x-a-long-header-name"), longValue));
        QCOMPARE(first.headers[1], qMakePair(QByteArray("x-b"), QByteArray("b")));
        QCOMPARE(first.headers[2], qMakePair(QByteArray("x-empty"), QByteArray("")));
        QCOMPARE(first.headers[3], qMakePair(QByteArray("x-c"), QByteArray("c")));
        QVERIFY(p.feed("GET / HTTP/1.1\r\nX: y\r\n\r\n"));
        const HttpRequest second = p.takeRequest();
        QCOMPARE(second.headers.size(), 1);
        QCOMPARE(second.headers[0], qMakePair(QByteArray("x"), QByteArray("y")));
        // The first request's headers are its own copies: the parser's reuse leaves them be.
        QCOMPARE(first.headers[1].second, QByteArray("b"));
    }

    void headerSplitAcrossFeeds()
    {
        HttpRequestParser p;
        QVERIFY(p.feed("GET / HTTP/1.1\r\nAuthori"));
        QVERIFY(p.feed("zation: Bea"));
        QVERIFY(p.feed("rer sk-tr-1\r\nX-A"));
        QVERIFY(p.feed("pi-Key: two\r\n\r\n"));
        const HttpRequest r = p.takeRequest();
        QCOMPARE(r.header("authorization"), QByteArray("Bearer sk-tr-1"));
        QCOMPARE(r.header("x-api-key"), QByteArray("two"));
    }

    // The parser reads header names and values in place while they come in one piece: a
    // name or value cut by the end of a piece must be kept past it, since the caller reuses
    // its buffer (the connection reads into one per worker) before the next piece comes.
    void headerPiecesOutliveTheirInput()
    {
        const QByteArray raw = "POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\n"
                               "Authorization: Bearer sk-tr-1\r\nX-Long-Header:  a b c  \r\n"
                               "Content-Length: 2\r\n\r\n{}";
        for (qsizetype cut = 1; cut < raw.size(); ++cut) {
            HttpRequestParser p;
            QByteArray buffer = raw.left(cut);
            QVERIFY(p.feed(buffer.constData(), buffer.size()));
            buffer.fill('#'); // the same memory, overwritten before the rest is read
            QByteArray rest = raw.mid(cut);
            QVERIFY(p.feed(rest.constData(), rest.size()));
            rest.fill('#');
            QVERIFY2(p.hasRequest(), qPrintable(QString::number(cut)));
            const HttpRequest r = p.takeRequest();
            QCOMPARE(r.header("host"), QByteArray("relay"));
            QCOMPARE(r.header("authorization"), QByteArray("Bearer sk-tr-1"));
            QCOMPARE(r.header("x-long-header"), QByteArray("a b c"));
            QCOMPARE(r.headers.size(), 4);
            QCOMPARE(r.body, QByteArray("{}"));
        }
    }

    // A handler that reads few headers has the rest dropped as they are parsed; the parser's
    // own (transfer-encoding, expect) still work, and dropped headers still count against the
    // head limit.
    void keepsOnlyTheHeadersTheHandlerReads()
    {
        static constexpr QByteArrayView kRead[] = {"authorization", "anthropic-beta"};
        const QByteArray raw = "POST /v1/messages HTTP/1.1\r\nHost: relay\r\nUser-Agent: sdk\r\n"
                               "AUTHORIZATION: Bearer sk-tr-1\r\nTransfer-Encoding: chunked\r\n"
                               "Expect: 100-continue\r\nAnthropic-Beta: tools\r\n"
                               "X-Stainless-Os: Linux\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
        for (qsizetype step : {qsizetype(1), qsizetype(7), raw.size()}) {
            HttpRequestParser p;
            p.keepOnlyHeaders(kRead);
            QVERIFY(feedInPieces(p, raw, step));
            QVERIFY(p.hasRequest());
            const HttpRequest r = p.takeRequest();
            const relay::HttpHeaders expected = {{"authorization", "Bearer sk-tr-1"},
                                                 {"transfer-encoding", "chunked"},
                                                 {"expect", "100-continue"},
                                                 {"anthropic-beta", "tools"}};
            QCOMPARE(r.headers, expected);
            QCOMPARE(r.body, QByteArray("{}"));
        }
        // 32 KiB of headers nobody reads are still too many.
        HttpRequestParser p;
        p.keepOnlyHeaders(kRead);
        QByteArray big = "GET / HTTP/1.1\r\n";
        while (big.size() < 33 * 1024)
            big += "X-Filler: " + QByteArray(100, 'f') + "\r\n";
        QVERIFY(!p.feed(big + "\r\n"));
        QCOMPARE(p.errorStatus(), 431);
    }

    void headerLimitCountsBytesAsSent()
    {
        // 10,000 one-letter headers: 20 KB of names and values, 50 KB on the wire.
        QByteArray raw = "GET /healthz HTTP/1.1\r\n";
        for (int i = 0; i < 10'000; ++i)
            raw += "a:b\r\n";
        raw += "\r\n";
        for (const qsizetype step : {qsizetype(1), qsizetype(7), raw.size()}) {
            HttpRequestParser p;
            QVERIFY(!feedInPieces(p, raw, step));
            QCOMPARE(refusal(p), QByteArray("431 request_header_fields_too_large"));
        }
    }

    void headLimitIsExactWhateverThePieces_data()
    {
        QTest::addColumn<QByteArray>("head");
        // The head's last bytes come after the last header (or after the target when there is
        // none): " HTTP/1.1", line ends, the blank line; they count as well.
        QTest::newRow("no headers")
            << QByteArray("POST /" + QByteArray(200, 'h') + " HTTP/1.1\r\n\r\n");
        QTest::newRow("headers") << QByteArray("GET /v1/models HTTP/1.1\r\nHost: relay\r\n"
                                               "X-Pad: " +
                                               QByteArray(150, 'p') + "   \r\n\r\n");
        QTest::newRow("bare line feeds")
            << QByteArray("GET /" + QByteArray(100, 'g') + " HTTP/1.1\nHost: relay\n\n");
    }

    void headLimitIsExactWhateverThePieces()
    {
        QFETCH(QByteArray, head);
        for (const qint64 limit : {head.size() - 1, qint64(head.size())}) {
            for (const qsizetype step : {qsizetype(1), qsizetype(5), head.size()}) {
                HttpRequestParser::Limits limits;
                limits.maxHeaderBytes = limit;
                HttpRequestParser p(limits);
                const bool ok = feedInPieces(p, head, step);
                QVERIFY2(ok == (limit == head.size()),
                         qPrintable(QStringLiteral("limit %1, pieces of %2").arg(limit).arg(step)));
                QCOMPARE(p.hasRequest(), ok);
                if (!ok)
                    QCOMPARE(refusal(p), QByteArray("431 request_header_fields_too_large"));
            }
        }
    }

    void trailersAreNotHeaders()
    {
        // A chunked body's trailer fields are not the request's headers, however the bytes
        // were cut, and the next request on the connection is read as before.
        const QByteArray raw = "POST /v1/embeddings HTTP/1.1\r\nHost: relay\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n"
                               "Authorization: Bearer sk-tr-late\r\nX-Pad: " +
                               QByteArray(300, 'p') +
                               "\r\n\r\nGET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n";
        for (const qsizetype step : {qsizetype(1), qsizetype(7), raw.size()}) {
            HttpRequestParser::Limits limits;
            limits.maxHeaderBytes = 256;
            HttpRequestParser p(limits);
            QVERIFY(feedInPieces(p, raw, step));
            QCOMPARE(p.queued(), 2);
            const HttpRequest post = p.takeRequest();
            QCOMPARE(post.body, QByteArray("{}"));
            QCOMPARE(post.headers.size(), 2);
            QVERIFY(post.header("authorization").isEmpty());
            QCOMPARE(p.takeRequest().path, QByteArray("/healthz"));
        }
    }

    void pipelinedHeadsAreCountedEachOnItsOwn()
    {
        // Many small requests in one piece: none comes near the limit on its own.
        QByteArray raw;
        for (int i = 0; i < 2'000; ++i)
            raw += "GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n";
        HttpRequestParser p;
        QVERIFY(p.feed(raw));
        QCOMPARE(p.queued(), 2'000);
        // And after a large body, the next head starts from nothing.
        HttpRequestParser q;
        QVERIFY(q.feed(post("/v1/embeddings", QByteArray(100'000, 'x')) +
                       "GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n"));
        QCOMPARE(q.queued(), 2);
    }

    void otherHttpVersionsAre505_data()
    {
        QTest::addColumn<QByteArray>("version");
        QTest::newRow("2.0") << QByteArray("HTTP/2.0");
        QTest::newRow("9.9") << QByteArray("HTTP/9.9");
        QTest::newRow("1.2") << QByteArray("HTTP/1.2");
    }
    void otherHttpVersionsAre505()
    {
        QFETCH(QByteArray, version);
        HttpRequestParser p;
        QVERIFY(!p.feed("GET /healthz " + version + "\r\nHost: relay\r\n\r\n"));
        QCOMPARE(refusal(p), QByteArray("505 http_version_not_supported"));
        HttpRequestParser ok;
        QVERIFY(ok.feed("GET /healthz HTTP/1.0\r\n\r\n"));
        QVERIFY(ok.hasRequest());
    }

    void transferCodingsOtherThanChunkedAre501()
    {
        for (const QByteArray coding : {"gzip, chunked", "gzip", "chunked, chunked"}) {
            HttpRequestParser p;
            QVERIFY(!p.feed("POST /v1/embeddings HTTP/1.1\r\nHost: relay\r\nTransfer-Encoding: " +
                            coding + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
            QCOMPARE(refusal(p), QByteArray("501 not_implemented"));
        }
        HttpRequestParser twice;
        QVERIFY(!twice.feed("POST /v1/embeddings HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
        QCOMPARE(refusal(twice), QByteArray("501 not_implemented"));
    }

    void headCheckRefusesBeforeTheBody()
    {
        HttpRequestParser p;
        int checked = 0;
        p.setHeadCheck([&](const HttpRequest &head) {
            ++checked;
            return head.header("authorization").isEmpty() ? 401 : 0;
        });
        QVERIFY(!p.feed(post("/v1/embeddings", QByteArray(1000, 'x')).left(120)));
        QCOMPARE(checked, 1);
        QCOMPARE(p.errorStatus(), 401);
        // No body, no check: GET requests go to the handler as before.
        HttpRequestParser q;
        q.setHeadCheck([&](const HttpRequest &) { return 401; });
        QVERIFY(q.feed("GET /v1/models HTTP/1.1\r\n\r\n"));
        QVERIFY(q.hasRequest());
    }

    void bodiesShareTheRelayWidePool()
    {
        std::atomic<qint64> pool{0};
        HttpRequestParser::Limits limits;
        limits.bodyPool = &pool;
        limits.bodyPoolLimit = 150'000;
        HttpRequestParser a(limits);
        HttpRequestParser b(limits);
        QVERIFY(a.feed(post("/v1/embeddings", QByteArray(100'000, 'x'))));
        QCOMPARE(pool.load(), 100'000);
        QVERIFY(!b.feed(post("/v1/embeddings", QByteArray(100'000, 'y'))));
        QCOMPARE(refusal(b), QByteArray("503 server_overloaded"));
        b.discard(); // the refused connection closes
        {
            const HttpRequest r = a.takeRequest();
            QCOMPARE(r.body.size(), 100'000);
        }
        QCOMPARE(pool.load(), 0); // given back with the request
    }
};

QTEST_GUILESS_MAIN(TestHttpRequestParser)
#include "tst_httprequestparser.moc"
