// Hostile clients against the real relay on loopback, over raw POSIX sockets so that the tests
// control every byte, every half-close and every unread buffer (interface.md §4 "Server
// limits"). Time moves only with the manual clock; the relay's deadline sweep runs when the
// test asks for it.
#include "RelayHarness.h"

#include "core/Clock.h"
#include "upstream/UpstreamSlots.h"

#include <QJsonDocument>
#include <QTest>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

using namespace relay;
using namespace relay::test;

namespace {

// One client connection as a plain socket; the test thread may block on it, the relay runs on
// its own threads.
class RawClient
{
public:
    explicit RawClient(quint16 port, int receiveBuffer = 0)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (receiveBuffer > 0)
            ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m_connected = ::connect(m_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
    }
    ~RawClient() { close(); }
    RawClient(const RawClient &) = delete;
    RawClient &operator=(const RawClient &) = delete;

    bool connected() const { return m_connected; }
    int fd() const { return m_fd; }
    void close()
    {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }
    void shutdownWrite() { ::shutdown(m_fd, SHUT_WR); }

    // Writes everything (blocking); false on an error such as a reset (errno kept in error()).
    bool send(const QByteArray &bytes)
    {
        qsizetype off = 0;
        while (off < bytes.size()) {
            const ssize_t n =
                ::send(m_fd, bytes.constData() + off, size_t(bytes.size() - off), MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                m_error = errno;
                return false;
            }
            off += n;
        }
        return true;
    }

    // Reads what arrives within `timeoutMs` (until the relay closes, or `until` is in it).
    QByteArray read(int timeoutMs, const QByteArray &until = {})
    {
        QElapsedTimer timer;
        timer.start();
        while (!m_eof && timer.elapsed() < timeoutMs &&
               (until.isEmpty() || !m_in.contains(until))) {
            pollfd p{m_fd, POLLIN, 0};
            if (::poll(&p, 1, int(qMax<qint64>(1, timeoutMs - timer.elapsed()))) <= 0)
                continue;
            char buf[65536];
            const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN)
                    continue;
                m_error = errno;
                m_eof = true;
            } else if (n == 0) {
                m_eof = true;
            } else {
                m_in.append(buf, n);
            }
        }
        return m_in;
    }
    // Reads until the relay closes the connection; true if it closed cleanly (no reset).
    bool readToClose(int timeoutMs = 5000)
    {
        read(timeoutMs);
        return m_eof && m_error == 0;
    }
    bool closed() const { return m_eof; }
    // True when nothing more arrives within `ms`.
    bool quiet(int ms)
    {
        const qsizetype before = m_in.size();
        read(ms);
        return m_in.size() == before && !m_eof;
    }
    int error() const { return m_error; }
    const QByteArray &received() const { return m_in; }
    // The first final answer's status (interim 100 Continue answers skipped).
    int status() const
    {
        QByteArray in = m_in;
        while (in.startsWith("HTTP/1.1 100 Continue\r\n\r\n"))
            in = in.mid(25);
        return in.startsWith("HTTP/1.") ? in.mid(9, 3).toInt() : 0;
    }
    // The error code of the first answer's OpenAI error body.
    QString errorCode() const
    {
        const qsizetype at = m_in.indexOf("\r\n\r\n");
        const QJsonObject body =
            QJsonDocument::fromJson(m_in.mid(at + 4, m_in.indexOf('}', at) + 2 - at - 4)).object();
        return body["error"].toObject()["code"].toString();
    }
    // Bytes waiting unread in this side's receive buffer.
    int unread() const
    {
        int n = 0;
        ::ioctl(m_fd, FIONREAD, &n);
        return n;
    }

private:
    int m_fd = -1;
    bool m_connected = false;
    bool m_eof = false;
    int m_error = 0;
    QByteArray m_in;
};

QByteArray postHead(const QByteArray &path, qint64 length, const QString &key = {},
                    const QByteArray &extra = {})
{
    QByteArray head =
        "POST " + path + " HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n";
    if (!key.isEmpty())
        head += "Authorization: Bearer " + key.toUtf8() + "\r\n";
    return head + extra + "Content-Length: " + QByteArray::number(length) + "\r\n\r\n";
}

QByteArray chatRequest(const QString &key, const QByteArray &body)
{
    return postHead("/v1/chat/completions", body.size(), key) + body;
}

} // namespace

class TestHostile : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<RelayHarness> h;
    std::unique_ptr<ManualClock> clock;
    QString key;

    bool startRelay(ServerConfig server = {})
    {
        h = std::make_unique<RelayHarness>();
        clock = std::make_unique<ManualClock>();
        h->addSimUpstream(QStringLiteral("sim"), h->sim());
        key = h->addTenant(QStringLiteral("prod"), QStringList{QStringLiteral("gpt-4o")});
        EngineOptions options;
        options.clock = clock.get();
        options.server = server;
        QFETCH_GLOBAL(bool, epoll);
        options.server.epollDispatcher = epoll;
        return h->start(options) && (RelayHarness::epollInstances() > 0) == epoll;
    }
    void sweep() { h->engine().sweepNow(); }
    QByteArray chat(const QString &content = QStringLiteral("hi"), bool stream = false)
    {
        return RelayHarness::chatBody(QStringLiteral("gpt-4o"), content, stream);
    }

private Q_SLOTS:
    // Every test on both of the workers' dispatchers (see tst_proxy).
    void initTestCase_data() { RelayHarness::addDispatcherRows(); }
    void cleanup() { h.reset(); }

    // 1. The header timer starts at the request's first byte even when the whole header block
    // comes in one read; a body that follows later is not a header timeout.
    void bodyAfterCompleteHeadersIsServed()
    {
        QVERIFY(startRelay());
        const QByteArray body = chat();
        RawClient c(h->port());
        QVERIFY(c.send(postHead("/v1/chat/completions", body.size(), key)));
        QVERIFY(c.quiet(100)); // nothing answered before the body
        QVERIFY(h->settle(1)); // the relay has read the headers before the clock moves
        sweep();
        clock->advance(300);
        sweep();
        QVERIFY(c.send(body));
        c.read(5000, "\r\n\r\n");
        QCOMPARE(c.status(), 200);
    }

    void expectContinueBodyIsServed()
    {
        QVERIFY(startRelay());
        const QByteArray body = chat();
        RawClient c(h->port());
        QVERIFY(
            c.send(postHead("/v1/chat/completions", body.size(), key, "Expect: 100-continue\r\n")));
        QVERIFY(c.read(5000, "\r\n\r\n").startsWith("HTTP/1.1 100 Continue\r\n\r\n"));
        sweep();
        clock->advance(2'000);
        sweep();
        QVERIFY(c.send(body));
        c.read(5000, "HTTP/1.1 200");
        QVERIFY(c.received().contains("HTTP/1.1 200"));
    }

    void headersMustCompleteWithinTenSecondsOfTheFirstByte()
    {
        QVERIFY(startRelay());
        RawClient c(h->port());
        QVERIFY(c.send("GET /healthz HTTP/1.1\r\n"));
        QVERIFY(c.quiet(100));
        QVERIFY(h->settle(1)); // the relay has read the first byte before the clock moves
        sweep();
        clock->advance(6'000);
        QVERIFY(c.send("Host: relay\r\n")); // slowloris: a header now and then
        QVERIFY(h->settle(1));
        clock->advance(4'100);
        sweep();
        QVERIFY(c.readToClose());
        QCOMPARE(c.status(), 408);
        QCOMPARE(c.errorCode(), QStringLiteral("request_timeout"));
    }

    void slowBodyGets408AfterTheIdleTimeout()
    {
        QVERIFY(startRelay());
        RawClient c(h->port());
        QVERIFY(c.send(postHead("/v1/chat/completions", 1000, key) + "{\"model\":"));
        QVERIFY(h->settle(1)); // read before the clock moves, however loaded the machine
        clock->advance(30'000);
        QVERIFY(c.send("\"gpt-4o\""));
        QVERIFY(h->settle(1));
        QVERIFY(c.quiet(100));
        clock->advance(31'000);
        sweep();
        QVERIFY(c.readToClose());
        QCOMPARE(c.status(), 408);
    }

    // 2. No key: answered 401 from the headers, the body is never buffered.
    void keylessRequestRefusedBeforeItsBody()
    {
        QVERIFY(startRelay());
        RawClient c(h->port());
        const qint64 size = 4 * 1024 * 1024;
        QVERIFY(c.send(postHead("/v1/chat/completions", size)));
        c.read(5000, "}}");
        QVERIFY2(c.status() == 401,
                 qPrintable(QString::number(c.error()) + QString::fromLatin1(c.received())));
        QCOMPARE(c.errorCode(), QStringLiteral("invalid_api_key"));
        // It sends its body anyway: read and thrown away, then a clean close (7. lingering).
        QVERIFY(c.send(QByteArray(size, 'x')));
        QVERIFY(c.readToClose());
        QCOMPARE(h->usageRows().size(), 0);
    }

    void bodiesBeyondTheRelayWidePoolGet503()
    {
        ServerConfig server;
        server.maxBufferedBodyBytes = 1024 * 1024;
        QVERIFY(startRelay(server));
        const QByteArray body = RelayHarness::chatBody(QStringLiteral("gpt-4o"),
                                                       QString(2 * 1024 * 1024, QLatin1Char('a')));
        RawClient c(h->port());
        c.send(chatRequest(key, body));
        c.read(5000, "}}");
        QCOMPARE(c.status(), 503);
        QCOMPARE(c.errorCode(), QStringLiteral("server_overloaded"));
        QVERIFY(c.received().contains("\r\nretry-after: 1\r\n"));
        // Within the pool, the same relay serves bodies as before.
        RawClient d(h->port());
        d.send(chatRequest(key, chat(QString(1000, QLatin1Char('b')))));
        d.read(5000, "}");
        QVERIFY2(d.status() == 200, d.received().constData());
    }

    // 3. Model names: bounded, given once, escapes decoded once for the check and the upstream.
    void longModelNameIs400AndNotStored()
    {
        QVERIFY(startRelay());
        const QString model(300, QLatin1Char('m'));
        RawClient c(h->port());
        c.send(chatRequest(key, RelayHarness::chatBody(model, QStringLiteral("hi"))));
        c.read(5000, "}}");
        QCOMPARE(c.status(), 400);
        QCOMPARE(c.errorCode(), QStringLiteral("invalid_request_error"));
        QList<QVariantMap> rows;
        QTRY_VERIFY((rows = h->usageRows()).size() == 1);
        QVERIFY(rows[0].value(QStringLiteral("requested_model")).toString().size() <= 256);
        QCOMPARE(h->sim().stats().requests, 0);
    }

    void duplicateModelIs400()
    {
        QVERIFY(startRelay());
        h->sim().clearReceived();
        for (
            const QByteArray &body :
            {QByteArray(
                 R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"model":"o1"})"),
             QByteArray(
                 R"({"model":"o1","mo\u0064el":"gpt-4o","messages":[{"role":"user","content":"x"}]})")}) {
            RawClient c(h->port());
            c.send(chatRequest(key, body));
            c.read(5000, "}}");
            QCOMPARE(c.status(), 400);
        }
        QCOMPARE(h->sim().received().size(), 0);
    }

    void escapedModelNameIsCheckedAndSentDecoded()
    {
        QVERIFY(startRelay());
        h->sim().clearReceived();
        RawClient c(h->port());
        c.send(chatRequest(
            key, R"({"model":"gpt\u002d4o","messages":[{"role":"user","content":"x"}]})"));
        c.read(5000, "}");
        QCOMPARE(c.status(), 200);
        const auto received = h->sim().received();
        QCOMPARE(received.size(), 1);
        QCOMPARE(QJsonDocument::fromJson(received[0].body)["model"].toString(),
                 QStringLiteral("gpt-4o"));
        // A name the tenant may not use stays refused however it is spelled.
        RawClient d(h->port());
        d.send(
            chatRequest(key, R"({"model":"\u006f1","messages":[{"role":"user","content":"x"}]})"));
        d.read(5000, "}}");
        QCOMPARE(d.status(), 404);
    }

    // 4. A client that reads nothing of its stream for the send timeout is closed: the upstream
    // call is cancelled, its slot freed and the tokens so far metered.
    void clientThatReadsNothingIsClosedAfterTheSendTimeout()
    {
        QVERIFY(startRelay());
        h->sim().setCompletionTokens(200'000);
        RawClient c(h->port(), 4096);
        QVERIFY(c.send(chatRequest(key, chat(QStringLiteral("flood"), true))));
        QTRY_COMPARE(h->engine().upstreamSlots(QStringLiteral("sim"))->inFlight(), 1);
        // The relay fills this client's window and then its own buffer, and stops there (waited
        // for up to 30 s: under ASan on a loaded machine the first bytes took 7 s to come).
        QTRY_VERIFY_WITH_TIMEOUT(c.unread() > 0, 30'000);
        int stable = 0;
        for (int last = -1; stable < 3; QTest::qWait(50))
            stable = std::exchange(last, c.unread()) == c.unread() ? stable + 1 : 0;
        auto slots = h->engine().upstreamSlots(QStringLiteral("sim"));
        sweep();
        clock->advance(59'000);
        sweep();
        QCOMPARE(slots->inFlight(), 1); // not yet
        // On a loaded machine the relay may still have been filling its buffer when the client
        // looked stable, which starts the 60 s again from then: keep moving the clock (never
        // more than another 60 s of silence) until the relay closes the client.
        for (int i = 0; i < 32 && slots->inFlight() > 0; ++i) {
            clock->advance(2'000);
            sweep();
            QTest::qWait(10);
        }
        QTRY_COMPARE(h->engine().upstreamSlots(QStringLiteral("sim"))->inFlight(), 0);
        QTRY_COMPARE(h->sim().stats().cancelledByClient, 1);
        QList<QVariantMap> rows;
        QTRY_VERIFY((rows = h->usageRows()).size() == 1);
        QCOMPARE(rows[0].value(QStringLiteral("status")).toInt(), 499);
        QVERIFY(rows[0].value(QStringLiteral("completion_tokens")).toLongLong() > 0);
    }

    // 5. Half-close after the request: the answer still comes.
    void halfClosedClientGetsItsAnswer()
    {
        QVERIFY(startRelay());
        RawClient c(h->port());
        QVERIFY(c.send(chatRequest(key, chat())));
        c.shutdownWrite();
        QVERIFY(c.readToClose());
        QCOMPARE(c.status(), 200);
        QVERIFY(c.received().contains("chat.completion"));
        QList<QVariantMap> rows;
        QTRY_VERIFY((rows = h->usageRows()).size() == 1);
        QCOMPARE(rows[0].value(QStringLiteral("status")).toInt(), 200);
    }

    void halfClosedStreamingClientGetsItsStream()
    {
        QVERIFY(startRelay());
        RawClient c(h->port());
        QVERIFY(c.send(chatRequest(key, chat(QStringLiteral("hi"), true))));
        c.shutdownWrite();
        QVERIFY(c.readToClose());
        QCOMPARE(c.status(), 200);
        QVERIFY(c.received().contains("data: [DONE]"));
    }

    // 6. Bare line ends between requests do not keep a connection alive.
    void bareLineEndsAreNotActivity()
    {
        QVERIFY(startRelay());
        RawClient c(h->port());
        QVERIFY(c.send("GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n"));
        c.read(5000, "{\"status\":\"ok\"}");
        QCOMPARE(c.status(), 200);
        for (const qint64 step : {20'000, 20'000, 15'000}) { // a line end now and then
            clock->advance(step);
            QVERIFY(c.send("\r\n"));
            QVERIFY(c.quiet(100));
            QVERIFY(h->settle(1)); // the relay has read it before the clock moves
        }
        clock->advance(6'000); // 61 s after the last request
        sweep();
        QVERIFY2(c.readToClose(2000), qPrintable(QString::number(c.error())));
    }

    // 7. Lingering close: an answer given before the body is read reaches the client, which
    // goes on writing its whole body.
    void oversizeBodyWrittenInFullStillGets413()
    {
        QVERIFY(startRelay());
        const qint64 size = 9 * 1024 * 1024;
        RawClient c(h->port());
        QVERIFY(c.send(postHead("/v1/chat/completions", size, key)));
        QVERIFY(c.send(QByteArray(size, 'x')));
        QVERIFY(c.readToClose());
        QCOMPARE(c.status(), 413);
        QCOMPARE(c.errorCode(), QStringLiteral("request_too_large"));
    }

    void lingeringEndsAfterFiveSeconds()
    {
        QVERIFY(startRelay());
        RawClient c(h->port());
        QVERIFY(c.send(postHead("/v1/chat/completions", 9 * 1024 * 1024, key)));
        c.read(5000, "}}");
        QCOMPARE(c.status(), 413);
        QVERIFY(c.send(QByteArray(64 * 1024, 'x'))); // still sending, never closing
        QVERIFY(h->settle(1));
        clock->advance(4'000);
        sweep();
        QCOMPARE(h->engine().stats().clientConnections, 1);
        clock->advance(1'500);
        sweep();
        QCOMPARE(h->engine().stats().clientConnections, 0);
    }

    // 8. Protocol corners.
    void headAnswerHasNoBody()
    {
        QVERIFY(startRelay());
        RawClient c(h->port());
        QVERIFY(c.send("HEAD /v1/models HTTP/1.1\r\nHost: relay\r\n\r\n"
                       "GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n"));
        const QByteArray in = c.read(5000, "{\"status\":\"ok\"}");
        const qsizetype headEnd = in.indexOf("\r\n\r\n");
        QVERIFY(headEnd > 0);
        QVERIFY2(in.mid(headEnd + 4).startsWith("HTTP/1.1 200"), in.constData());
    }

    void otherHttpVersionsGet505()
    {
        QVERIFY(startRelay());
        for (const QByteArray version : {"HTTP/2.0", "HTTP/9.9", "HTTP/1.2"}) {
            RawClient c(h->port());
            QVERIFY(c.send("GET /healthz " + version + "\r\nHost: relay\r\n\r\n"));
            QVERIFY(c.readToClose());
            QCOMPARE(c.status(), 505);
            QCOMPARE(c.errorCode(), QStringLiteral("http_version_not_supported"));
        }
    }

    void transferCodingsOtherThanChunkedGet501()
    {
        QVERIFY(startRelay());
        for (const QByteArray coding : {"gzip, chunked", "gzip"}) {
            RawClient c(h->port());
            QVERIFY(c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\n"
                           "Authorization: Bearer " +
                           key.toUtf8() + "\r\nTransfer-Encoding: " + coding +
                           "\r\n\r\n5\r\nhello\r\n0\r\n\r\n"));
            QVERIFY(c.readToClose());
            QCOMPARE(c.status(), 501);
        }
    }

    void manyTinyHeadersGet431()
    {
        QVERIFY(startRelay());
        QByteArray request = "GET /healthz HTTP/1.1\r\n";
        for (int i = 0; i < 10'000; ++i)
            request += "a:b\r\n";
        RawClient c(h->port());
        c.send(request + "\r\n");
        QVERIFY2(c.readToClose(),
                 qPrintable(QString::number(c.error()) + QString::fromLatin1(c.received())));
        QCOMPARE(c.status(), 431);
    }

    // 9. The connection cap: accepting stops at it and resumes below it.
    void connectionCapStopsAndResumesAccepting()
    {
        rlimit lowered{};
        QCOMPARE(getrlimit(RLIMIT_NOFILE, &lowered), 0);
        const rlim_t hard = lowered.rlim_max;
        lowered.rlim_cur = qMin<rlim_t>(1024, hard);
        QCOMPARE(setrlimit(RLIMIT_NOFILE, &lowered), 0);
        QVERIFY(startRelay());
        rlimit raised{};
        getrlimit(RLIMIT_NOFILE, &raised);
        QCOMPARE(raised.rlim_cur, hard); // raised to the hard limit at start
        if (hard < 9000)
            QSKIP("the open-file hard limit is too low for 4,100 connections in one process");

        std::vector<std::unique_ptr<RawClient>> clients;
        for (int i = 0; i < 4'100; ++i)
            clients.push_back(std::make_unique<RawClient>(h->port()));
        QTRY_COMPARE_WITH_TIMEOUT(h->engine().stats().clientConnections, 4'096, 20'000);
        // The open ones are served; the last are held by the kernel, not accepted.
        QVERIFY(clients.front()->send("GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n"));
        clients.front()->read(5000, "{\"status\":\"ok\"}");
        QCOMPARE(clients.front()->status(), 200);
        RawClient &waiting = *clients.back();
        QVERIFY(waiting.send("GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n"));
        QVERIFY(waiting.quiet(300));
        QCOMPARE(h->engine().stats().clientConnections, 4'096);
        // One closes: the relay accepts again.
        for (int i = 0; i < 4; ++i)
            clients[size_t(i)]->close();
        waiting.read(10'000, "{\"status\":\"ok\"}");
        QCOMPARE(waiting.status(), 200);
        clients.clear();
        QTRY_COMPARE_WITH_TIMEOUT(h->engine().stats().clientConnections, 0, 20'000);
    }

    // 10. Floods and malformed bodies.
    void pipelinedFloodIsAnsweredInOrder()
    {
        QVERIFY(startRelay());
        QByteArray flood;
        const int n = 2'000;
        for (int i = 0; i < n; ++i)
            flood += "GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n";
        flood += "GET /nothing-here HTTP/1.1\r\nHost: relay\r\n\r\n";
        RawClient c(h->port());
        QVERIFY(c.send(flood));
        const QByteArray in = c.read(20'000, "unknown_url");
        QCOMPARE(in.count("HTTP/1.1 200 OK"), n);
        QVERIFY(in.lastIndexOf("HTTP/1.1 200 OK") < in.indexOf("HTTP/1.1 404"));
    }

    void deeplyNestedJsonIs400()
    {
        QVERIFY(startRelay());
        RawClient c(h->port());
        c.send(chatRequest(key, QByteArray(100'000, '[')));
        c.read(5000, "}}");
        QCOMPARE(c.status(), 400);
        RawClient d(h->port());
        d.send(chatRequest(key, "{\"model\":\"gpt-4o\",\"x\":" + QByteArray(100'000, '[') +
                                    QByteArray(100'000, ']') + "}"));
        d.read(5000, "}}");
        QCOMPARE(d.status(), 400);
    }

    void hugeJsonIs413()
    {
        QVERIFY(startRelay());
        RawClient c(h->port());
        QByteArray body = "{\"model\":\"gpt-4o\",\"messages\":[";
        while (body.size() < 9 * 1024 * 1024)
            body += "{\"role\":\"user\",\"content\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},";
        body += "{\"role\":\"user\",\"content\":\"x\"}]}";
        // Chunked: the size is not announced, the parser finds out while reading.
        QByteArray request = "POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\n"
                             "Authorization: Bearer " +
                             key.toUtf8() + "\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (qsizetype i = 0; i < body.size(); i += 65536) {
            const QByteArray piece = body.mid(i, 65536);
            request += QByteArray::number(piece.size(), 16) + "\r\n" + piece + "\r\n";
        }
        request += "0\r\n\r\n";
        c.send(request);
        QVERIFY(c.readToClose());
        QCOMPARE(c.status(), 413);
    }
};

QTEST_GUILESS_MAIN(TestHostile)
#include "tst_hostile.moc"
