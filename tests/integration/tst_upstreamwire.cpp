// The relay's own upstream transport on real sockets: an upstream scripted byte by byte on a
// thread of its own (blocking POSIX sockets), so the test decides when it reads, how it
// answers in pieces, when it closes a kept-alive connection and when it resets.
#include "RelayHarness.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

using namespace relay;
using namespace relay::test;

namespace {

// One request as the upstream read it.
struct Received
{
    QByteArray head;
    QByteArray body;
};

// Reads one request (head, then a content-length body) from a blocking socket; false at EOF.
bool readRequest(int fd, Received &out, QByteArray &carry)
{
    out = {};
    char buffer[65536];
    while (!carry.contains("\r\n\r\n")) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0)
            return false;
        carry.append(buffer, n);
    }
    const qsizetype end = carry.indexOf("\r\n\r\n") + 4;
    out.head = carry.left(end);
    carry.remove(0, end);
    qsizetype length = 0;
    for (const QByteArray &line : out.head.split('\n'))
        if (line.toLower().startsWith("content-length:"))
            length = line.mid(15).trimmed().toLongLong();
    while (carry.size() < length) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0)
            return false;
        carry.append(buffer, n);
    }
    out.body = carry.left(length);
    carry.remove(0, length);
    return true;
}

void sendAll(int fd, QByteArrayView bytes)
{
    qsizetype sent = 0;
    while (sent < bytes.size()) {
        const ssize_t n =
            ::send(fd, bytes.data() + sent, size_t(bytes.size() - sent), MSG_NOSIGNAL);
        if (n <= 0)
            return;
        sent += n;
    }
}

QByteArray completionJson(const QByteArray &content)
{
    return R"({"id":"chatcmpl-wire","object":"chat.completion","created":1767225600,)"
           R"("model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant",)"
           R"("content":")" +
           content +
           R"("},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,)"
           R"("total_tokens":18}})";
}

QByteArray answer(const QByteArray &body)
{
    return "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " +
           QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

// An upstream on loopback: each accepted connection is handed to `serve` on a thread of its
// own (connections from the relay's several workers are served side by side).
class ScriptedUpstream
{
public:
    using Serve = std::function<void(int fd, int connectionIndex)>;

    explicit ScriptedUpstream(Serve serve) : m_serve(std::move(serve))
    {
        m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const int one = 1;
        ::setsockopt(m_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        ::bind(m_listen, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
        ::listen(m_listen, 16);
        socklen_t len = sizeof addr;
        ::getsockname(m_listen, reinterpret_cast<sockaddr *>(&addr), &len);
        m_port = ntohs(addr.sin_port);
        m_acceptor = std::thread([this] {
            for (int i = 0;; ++i) {
                const int fd = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
                if (fd < 0 || m_stopping)
                    break;
                m_accepted.fetch_add(1);
                std::lock_guard lock(m_mutex);
                const size_t slot = m_fds.size();
                m_fds.push_back(fd);
                m_threads.emplace_back([this, fd, i, slot] {
                    m_serve(fd, i);
                    // The script's end closes the connection (with SO_LINGER 0: a reset).
                    std::lock_guard lock(m_mutex);
                    ::close(fd);
                    m_fds[slot] = -1;
                });
            }
        });
    }
    ~ScriptedUpstream()
    {
        m_stopping = true;
        ::shutdown(m_listen, SHUT_RDWR);
        m_acceptor.join();
        ::close(m_listen);
        {
            // A connection the relay keeps open would hold its script in a read.
            std::lock_guard lock(m_mutex);
            for (const int fd : m_fds)
                if (fd >= 0)
                    ::shutdown(fd, SHUT_RDWR);
        }
        for (std::thread &t : m_threads)
            t.join();
    }
    quint16 port() const { return m_port; }
    int accepted() const { return m_accepted.load(); }

private:
    Serve m_serve;
    int m_listen = -1;
    quint16 m_port = 0;
    std::atomic<bool> m_stopping{false};
    std::atomic<int> m_accepted{0};
    std::mutex m_mutex;
    std::vector<int> m_fds;
    std::vector<std::thread> m_threads;
    std::thread m_acceptor;
};

} // namespace

class TestUpstreamWire : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<RelayHarness> h;
    QString key;

    void startRelay(quint16 upstreamPort)
    {
        h = std::make_unique<RelayHarness>();
        UpstreamChanges u;
        u.kind = QStringLiteral("openai");
        u.baseUrl = QStringLiteral("http://127.0.0.1:%1/v1").arg(upstreamPort);
        u.maxConnections = 4;
        u.apiKeyEnv = QStringLiteral("TR_TEST_UPSTREAM_KEY");
        QVERIFY(h->admin().addUpstream(QStringLiteral("wire"), u).ok);
        key = h->addTenant(QStringLiteral("team"));
        EngineOptions options;
        options.server.maxBodyBytes = 16 * 1024 * 1024;
        QFETCH_GLOBAL(bool, epoll);
        options.server.epollDispatcher = epoll;
        QVERIFY(h->start(options));
        QCOMPARE(RelayHarness::epollInstances() > 0, epoll);
    }

    TestResponse chat(const QByteArray &body, int timeoutMs = 10'000)
    {
        return request(h->port(), "POST", "/v1/chat/completions", body, TestHttpClient::bearer(key),
                       timeoutMs);
    }

private Q_SLOTS:
    // Every test on both of the workers' dispatchers (see tst_proxy).
    void initTestCase_data() { RelayHarness::addDispatcherRows(); }
    void cleanup() { h.reset(); }

    // A request far larger than the socket's buffer, to an upstream that reads nothing for a
    // while: the kernel takes part of it, the rest follows as the upstream drains, and every
    // byte arrives in order.
    void largeRequestReachesASlowReaderWhole()
    {
        std::atomic<qsizetype> receivedLength{-1};
        QByteArray receivedBody;
        std::atomic<bool> done{false};
        ScriptedUpstream upstream([&](int fd, int) {
            ::usleep(400'000); // not reading: the relay's writes fill the socket
            Received r;
            QByteArray carry;
            if (!readRequest(fd, r, carry))
                return;
            receivedBody = r.body;
            receivedLength = r.body.size();
            done = true;
            sendAll(fd, answer(completionJson("received")));
        });
        startRelay(upstream.port());
        const QByteArray content(6 * 1024 * 1024, 'x');
        const QByteArray body =
            RelayHarness::chatBody(QStringLiteral("gpt-4o-mini"), QString::fromLatin1(content));
        const TestResponse r = chat(body, 20'000);
        QCOMPARE(r.status, 200);
        QVERIFY(done.load());
        QVERIFY(receivedLength.load() >= content.size());
        const QJsonObject sent = QJsonDocument::fromJson(receivedBody).object();
        QVERIFY(!sent.isEmpty());
        const QString text = sent.value(QStringLiteral("messages"))
                                 .toArray()
                                 .at(0)
                                 .toObject()
                                 .value(QStringLiteral("content"))
                                 .toString();
        QCOMPARE(text.size(), content.size());
        QVERIFY(text == QString::fromLatin1(content));
        QCOMPARE(h->usageRows().size(), 1);
    }

    // Successive requests share one kept-alive connection to the upstream.
    void keptAliveConnectionIsReused()
    {
        std::atomic<int> served{0};
        ScriptedUpstream upstream([&](int fd, int) {
            Received r;
            QByteArray carry;
            while (readRequest(fd, r, carry)) {
                served.fetch_add(1);
                sendAll(fd, answer(completionJson("again")));
            }
        });
        startRelay(upstream.port());
        for (int i = 0; i < 5; ++i)
            QCOMPARE(chat(RelayHarness::chatBody(QStringLiteral("gpt-4o-mini"), "hi")).status, 200);
        QCOMPARE(served.load(), 5);
        // Requests in turn are served by one worker's one connection, or one per worker.
        QVERIFY2(upstream.accepted() <= 2, qPrintable(QString::number(upstream.accepted())));
        QCOMPARE(h->usageRows().size(), 5);
    }

    // The upstream closes each connection after its answer, as a server with a short
    // keep-alive does: the next request is not lost on the closed one but goes out fresh.
    void upstreamClosingAnIdleConnectionCostsNothing()
    {
        ScriptedUpstream upstream([&](int fd, int) {
            Received r;
            QByteArray carry;
            if (readRequest(fd, r, carry))
                sendAll(fd, answer(completionJson("once")));
            // Closed by the scripted server without a word (no "connection: close").
        });
        startRelay(upstream.port());
        for (int i = 0; i < 4; ++i) {
            const TestResponse r =
                chat(RelayHarness::chatBody(QStringLiteral("gpt-4o-mini"), "hi"));
            QCOMPARE(r.status, 200);
            // Now and then the relay sees the close before the next request, now and then
            // only when it tries the connection: both must end in an answer.
            if (i % 2 == 0)
                QTest::qWait(50);
        }
        QCOMPARE(upstream.accepted(), 4);
        QCOMPARE(h->usageRows().size(), 4);
    }

    // The answer arrives in pieces with pauses between them (head alone, a chunked body split
    // mid-chunk): the relay puts them together and meters the usage inside.
    void answerInPiecesIsPutTogether()
    {
        ScriptedUpstream upstream([&](int fd, int) {
            Received r;
            QByteArray carry;
            if (!readRequest(fd, r, carry))
                return;
            const QByteArray json = completionJson("in pieces");
            sendAll(fd, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                        "transfer-encoding: chunked\r\n\r\n");
            ::usleep(30'000);
            const QByteArray chunked =
                QByteArray::number(json.size(), 16) + "\r\n" + json + "\r\n0\r\n\r\n";
            const qsizetype third = chunked.size() / 3;
            for (int i = 0; i < 3; ++i) {
                sendAll(fd, chunked.mid(i * third, i == 2 ? -1 : third));
                ::usleep(30'000);
            }
        });
        startRelay(upstream.port());
        const TestResponse r = chat(RelayHarness::chatBody(QStringLiteral("gpt-4o-mini"), "hi"));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.json()
                     .value(QStringLiteral("choices"))
                     .toArray()
                     .at(0)
                     .toObject()
                     .value(QStringLiteral("message"))
                     .toObject()
                     .value(QStringLiteral("content"))
                     .toString(),
                 QStringLiteral("in pieces"));
        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("prompt_tokens")).toInt(), 11);
        QCOMPARE(rows[0].value(QStringLiteral("completion_tokens")).toInt(), 7);
    }

    // A reset in the middle of the body: the client gets a 502, never a cut 200, and the
    // attempt is metered.
    void resetMidAnswerIsA502()
    {
        ScriptedUpstream upstream([&](int fd, int) {
            Received r;
            QByteArray carry;
            if (!readRequest(fd, r, carry))
                return;
            const QByteArray json = completionJson("cut short");
            sendAll(fd, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " +
                            QByteArray::number(json.size()) + "\r\n\r\n" + json.left(20));
            ::usleep(30'000);
            const linger reset{1, 0};
            ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        });
        startRelay(upstream.port());
        const TestResponse r = chat(RelayHarness::chatBody(QStringLiteral("gpt-4o-mini"), "hi"));
        QCOMPARE(r.status, 502);
        QCOMPARE(r.errorField("code"), QStringLiteral("upstream_error"));
        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("status")).toInt(), 502);
    }

    // Nothing listens: 502 upstream_error (interface.md §3).
    void refusedConnectionIsA502()
    {
        quint16 closedPort = 0;
        {
            ScriptedUpstream probe([](int, int) {});
            closedPort = probe.port();
        }
        startRelay(closedPort);
        const TestResponse r = chat(RelayHarness::chatBody(QStringLiteral("gpt-4o-mini"), "hi"));
        QCOMPARE(r.status, 502);
        QCOMPARE(r.errorField("code"), QStringLiteral("upstream_error"));
        QCOMPARE(h->usageRows().size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestUpstreamWire)
#include "tst_upstreamwire.moc"
