// HTTPS on the relay's listener (serve --tls-cert/--tls-key): the real engine on loopback with a
// certificate made in the test by Debian's openssl, clients that trust only that certificate,
// the simulated provider behind it; and the real `tenantrelay serve` for startup errors and
// SIGHUP reloads.
#include "RelayHarness.h"
#include "TestCertificate.h"

#include "core/Clock.h"
#include "http/TlsCredentials.h"
#include "upstream/UpstreamSlots.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QSslCertificate>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <csignal>
#include <unistd.h>

using namespace relay;
using namespace relay::test;

namespace {

// Bytes the kernel holds for a client socket that it has not read.
int unread(qintptr fd)
{
    int n = 0;
    ::ioctl(int(fd), FIONREAD, &n);
    return n;
}

} // namespace

class TestTls : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    TestCertificate m_certA;
    TestCertificate m_certB;
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
        options.server.workers = 1; // every client below on the same worker thread
        options.server.tlsCertFile = m_certA.cert;
        options.server.tlsKeyFile = m_certA.key;
        return h->start(options);
    }
    void tls(TestHttpClient &client) { client.useTls(m_certA.certificate()); }
    QByteArray chat(const QString &content = QStringLiteral("hi"), bool stream = false)
    {
        return RelayHarness::chatBody(QStringLiteral("gpt-4o"), content, stream);
    }
    static QString relayBinary() { return qEnvironmentVariable("TENANTRELAY_BIN"); }
    struct Run
    {
        int code = -1;
        QString err;
    };
    Run serve(const QStringList &tlsArgs)
    {
        QProcess p;
        p.start(relayBinary(),
                QStringList{"--db", m_dir.filePath("cli.db"), "serve", "--listen", "127.0.0.1:0"} +
                    tlsArgs);
        if (!p.waitForFinished(30'000)) {
            p.kill();
            p.waitForFinished();
            return {};
        }
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                QString::fromUtf8(p.readAllStandardError())};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_certA = makeTestCertificate(m_dir.path(), QStringLiteral("relay-a"));
        m_certB = makeTestCertificate(m_dir.path(), QStringLiteral("relay-b"), true);
        QVERIFY(!m_certA.certificate().isNull());
        QVERIFY(!m_certB.certificate().isNull());
    }

    void cleanup() { h.reset(); }

    void chatCompletionOverHttps()
    {
        QVERIFY(startRelay());
        QVERIFY(h->engine().baseUrl().startsWith(QStringLiteral("https://")));
        TestHttpClient client(h->port());
        tls(client);
        client.send("POST", "/v1/chat/completions", chat(), TestHttpClient::bearer(key));
        QVERIFY(client.waitDone());
        QVERIFY(client.socket().isEncrypted());
        QCOMPARE(client.socket().peerCertificate(), m_certA.certificate());
        const TestResponse &r = client.response();
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-tenantrelay-upstream"), QByteArray("sim"));
        QVERIFY(!r.json()["choices"].toArray().first()["message"]["content"].toString().isEmpty());
        const auto rows = h->usageRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].value(QStringLiteral("status")).toInt(), 200);
    }

    void streamingAnswerOverHttps()
    {
        QVERIFY(startRelay());
        h->sim().setChunkIntervalMs(50);
        h->sim().setCompletionTokens(8);
        TestHttpClient client(h->port());
        tls(client);
        client.send("POST", "/v1/chat/completions", chat(QStringLiteral("stream me"), true),
                    TestHttpClient::bearer(key));
        QVERIFY(client.waitFirstBody());
        QVERIFY(!client.response().complete); // the first event before the provider has finished
        QVERIFY(client.waitDone());
        const TestResponse &r = client.response();
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("content-type").startsWith("text/event-stream"));
        QVERIFY(r.bodyPieces.size() > 3);
        const auto data = r.sseData();
        QCOMPARE(data.last(), QByteArray("[DONE]"));
        QString text;
        for (const QByteArray &d : data) {
            const QJsonObject chunk = QJsonDocument::fromJson(d).object();
            for (const auto &c : chunk.value(QStringLiteral("choices")).toArray())
                text += c.toObject()["delta"].toObject()["content"].toString();
        }
        QCOMPARE(text, Simulator::completionText(8));
        QCOMPARE(h->usageRows().value(0).value(QStringLiteral("completion_tokens")).toInt(), 8);
    }

    void keepAliveAndPipeliningOverHttps()
    {
        QVERIFY(startRelay());
        TestHttpClient client(h->port());
        tls(client);
        client.send("POST", "/v1/chat/completions", chat(), TestHttpClient::bearer(key));
        QVERIFY(client.waitDone());
        QCOMPARE(client.response().status, 200);
        const quint16 localPort = client.socket().localPort();
        client.resetResponse();
        client.send("POST", "/v1/chat/completions", chat(QStringLiteral("again")),
                    TestHttpClient::bearer(key));
        QVERIFY(client.waitDone());
        QCOMPARE(client.response().status, 200);
        QCOMPARE(client.socket().localPort(), localPort); // the same connection
        QCOMPARE(h->engine().stats().clientConnections, 1);
        // Two requests in one write: two answers, in order, on the same connection.
        const QByteArray one = "GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n";
        const qsizetype before = client.raw().size();
        client.sendRaw(one + one);
        QTRY_COMPARE(client.raw().mid(before).count("HTTP/1.1 200"), 2);
        QCOMPARE(client.socket().state(), QAbstractSocket::ConnectedState);
    }

    void oversizeBodyGets413OverHttps()
    {
        ServerConfig server;
        server.maxBodyBytes = 1024;
        QVERIFY(startRelay(server));
        TestHttpClient client(h->port());
        tls(client);
        client.send("POST", "/v1/chat/completions", chat(QString(8000, QLatin1Char('x'))),
                    TestHttpClient::bearer(key));
        QVERIFY(client.waitDone());
        // The answer arrives whole before the relay ends the connection.
        QCOMPARE(client.response().status, 413);
        QVERIFY(!client.response().errorField("message").isEmpty());
        QVERIFY(client.waitClosed());
    }

    void plainHttpClientOnTheTlsPortGetsNoAnswer()
    {
        QVERIFY(startRelay());
        TestHttpClient plain(h->port());
        plain.send("GET", "/healthz");
        QVERIFY(plain.waitClosed());
        QCOMPARE(plain.response().status, 0);
        QVERIFY(!plain.raw().contains("HTTP/1.1"));
        QVERIFY(h->settle(0));
        // The relay goes on serving HTTPS.
        TestHttpClient client(h->port());
        tls(client);
        client.send("GET", "/healthz");
        QVERIFY(client.waitDone());
        QCOMPARE(client.response().status, 200);
    }

    void handshakeThatNeverCompletesIsClosedAfterTheHeaderTimeout()
    {
        QVERIFY(startRelay());
        // One connects and says nothing, another sends the first bytes of a handshake and stops.
        QTcpSocket silent;
        silent.connectToHost(QHostAddress::LocalHost, h->port());
        QVERIFY(silent.waitForConnected(5000));
        QTcpSocket partial;
        partial.connectToHost(QHostAddress::LocalHost, h->port());
        QVERIFY(partial.waitForConnected(5000));
        partial.write(QByteArray::fromHex("16030100c8010000c40303"));
        QVERIFY(partial.waitForBytesWritten(5000));
        QVERIFY(h->settle(2));
        // Meanwhile a client on the same (only) worker is served.
        TestHttpClient client(h->port());
        tls(client);
        client.send("POST", "/v1/chat/completions", chat(), TestHttpClient::bearer(key));
        QVERIFY(client.waitDone());
        QCOMPARE(client.response().status, 200);
        h->advance(9'000);
        QTest::qWait(50);
        QCOMPARE(silent.state(), QAbstractSocket::ConnectedState);
        QCOMPARE(partial.state(), QAbstractSocket::ConnectedState);
        h->advance(1'500);
        QTRY_COMPARE(silent.state(), QAbstractSocket::UnconnectedState);
        QTRY_COMPARE(partial.state(), QAbstractSocket::UnconnectedState);
        // The served client's connection is idle, not handshaking: it stays (60 s).
        QCOMPARE(client.socket().state(), QAbstractSocket::ConnectedState);
        QVERIFY(h->settle(1));
    }

    void incompleteHeadersOverHttpsGet408()
    {
        QVERIFY(startRelay());
        TestHttpClient client(h->port());
        tls(client);
        client.sendRaw("GET /healthz HTTP/1.1\r\nhost: x\r\n");
        QVERIFY(h->settle(1));
        h->advance(9'000);
        QCOMPARE(client.response().status, 0);
        h->advance(1'500);
        QVERIFY(client.waitClosed());
        QCOMPARE(client.response().status, 408);
        QCOMPARE(client.response().errorField("code"), QStringLiteral("request_timeout"));
    }

    void clientThatReadsNothingOverHttpsIsClosedAfterTheSendTimeout()
    {
        QVERIFY(startRelay());
        h->sim().setCompletionTokens(200'000);
        // A small receive window, set before connecting, and a client that reads nothing.
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int window = 4096;
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &window, sizeof window);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(h->port());
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
        QSslSocket socket;
        QSslConfiguration config = QSslConfiguration::defaultConfiguration();
        config.setCaCertificates({m_certA.certificate()});
        config.setPeerVerifyMode(QSslSocket::VerifyPeer);
        socket.setSslConfiguration(config);
        socket.setPeerVerifyName(QStringLiteral("127.0.0.1"));
        socket.setReadBufferSize(4096);
        QVERIFY(socket.setSocketDescriptor(fd));
        socket.startClientEncryption();
        QVERIFY2(socket.waitForEncrypted(5000), qPrintable(socket.errorString()));
        const QByteArray body = chat(QStringLiteral("flood"), true);
        socket.write("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer " +
                     key.toUtf8() + "\r\ncontent-type: application/json\r\ncontent-length: " +
                     QByteArray::number(body.size()) + "\r\n\r\n" + body);
        auto slots = h->engine().upstreamSlots(QStringLiteral("sim"));
        QTRY_COMPARE(slots->inFlight(), 1);
        // The relay fills this client's window and its own buffers, and stops there.
        QTRY_VERIFY(unread(fd) > 0);
        int stable = 0;
        for (int last = -1; stable < 3; QTest::qWait(50))
            stable = std::exchange(last, unread(fd)) == unread(fd) ? stable + 1 : 0;
        h->sweep();
        clock->advance(59'000);
        h->sweep();
        QCOMPARE(slots->inFlight(), 1); // not yet
        for (int i = 0; i < 32 && slots->inFlight() > 0; ++i) {
            clock->advance(2'000);
            h->sweep();
            QTest::qWait(10);
        }
        QTRY_COMPARE(slots->inFlight(), 0);
        QTRY_COMPARE(h->sim().stats().cancelledByClient, 1);
        QList<QVariantMap> rows;
        QTRY_VERIFY((rows = h->usageRows()).size() == 1);
        QCOMPARE(rows[0].value(QStringLiteral("status")).toInt(), 499);
        QVERIFY(rows[0].value(QStringLiteral("completion_tokens")).toLongLong() > 0);
    }

    void credentialsAreCheckedWhenRead()
    {
        QString error;
        QVERIFY(TlsCredentials::read(m_certA.cert, m_certA.key, &error));
        QVERIFY(!TlsCredentials::read(m_certA.cert, m_certB.key, &error));
        QVERIFY2(error.contains(QStringLiteral("does not belong")), qPrintable(error));
        // Nothing changes when the new files are bad.
        TlsCredentials credentials(m_certA.cert, m_certB.key);
        QVERIFY(!credentials.load(&error));
        QVERIFY(!credentials.configuration());
    }

    void badCertificateOrKeyStopsServeWithOneLine_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("says");
        const QString dir = m_dir.path() + QLatin1Char('/');
        QFile::copy(m_certA.key, dir + "locked.key.plain");
        QProcess::execute(QStringLiteral("openssl"),
                          {"pkey", "-in", m_certA.key, "-aes256", "-passout", "pass:secret", "-out",
                           dir + "locked.key"});
        QTest::newRow("cert without key")
            << QStringList{"--tls-cert", m_certA.cert} << 2 << "go together";
        QTest::newRow("key without cert")
            << QStringList{"--tls-key", m_certA.key} << 2 << "go together";
        QTest::newRow("missing file")
            << QStringList{"--tls-cert", dir + "nope.crt", "--tls-key", m_certA.key} << 1
            << "cannot read the TLS certificate file";
        QTest::newRow("not a certificate")
            << QStringList{"--tls-cert", m_certA.key, "--tls-key", m_certA.key} << 1
            << "is not a PEM certificate";
        QTest::newRow("not a key")
            << QStringList{"--tls-cert", m_certA.cert, "--tls-key", m_certA.cert} << 1
            << "is not a PEM private key";
        QTest::newRow("key of another certificate")
            << QStringList{"--tls-cert", m_certA.cert, "--tls-key", m_certB.key} << 1
            << "does not belong to the certificate";
        QTest::newRow("key with a passphrase")
            << QStringList{"--tls-cert", m_certA.cert, "--tls-key", dir + "locked.key"} << 1
            << "protected by a passphrase";
    }

    void badCertificateOrKeyStopsServeWithOneLine()
    {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, says);
        const Run run = serve(args);
        QCOMPARE(run.code, code);
        QVERIFY2(run.err.contains(says), qPrintable(run.err));
        if (code == 1)
            QCOMPARE(run.err.count(QLatin1Char('\n')), 1);
    }

    void serveHelpExplainsTls()
    {
        QProcess p;
        p.start(relayBinary(), {"serve", "--help"});
        QVERIFY(p.waitForFinished(30'000));
        QCOMPARE(p.exitCode(), 0);
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        QVERIFY(out.contains(QStringLiteral("--tls-cert FILE")));
        QVERIFY(out.contains(QStringLiteral("--tls-key FILE")));
        QVERIFY(out.contains(QStringLiteral("SIGHUP")));
    }

    // `serve` as a real process: SIGHUP re-reads the files; a new connection gets the new
    // certificate, an open one carries on; bad new files leave the last good ones in use.
    void sighupReloadsTheCertificateForNewConnections()
    {
        const QString cert = m_dir.filePath("live.crt");
        const QString keyFile = m_dir.filePath("live.key");
        QFile::remove(cert);
        QFile::remove(keyFile);
        QVERIFY(QFile::copy(m_certA.cert, cert));
        QVERIFY(QFile::copy(m_certA.key, keyFile));
        QProcess relay;
        relay.start(relayBinary(),
                    {"--db", m_dir.filePath("hup.db"), "serve", "--listen", "127.0.0.1:0",
                     "--workers", "1", "--tls-cert", cert, "--tls-key", keyFile});
        QVERIFY(relay.waitForStarted());
        QString err;
        auto readErr = [&] {
            relay.waitForReadyRead(100);
            err += QString::fromUtf8(relay.readAllStandardError());
        };
        const QRegularExpression listening(
            QStringLiteral("listening on https://127\\.0\\.0\\.1:(\\d+)/v1 "));
        QRegularExpressionMatch m;
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         readErr();
                         m = listening.match(err);
                         return m.hasMatch() || relay.state() == QProcess::NotRunning;
                     },
                     60'000) &&
                     m.hasMatch(),
                 qPrintable(err));
        const quint16 port = quint16(m.captured(1).toUInt());
        auto healthz = [port](const QSslCertificate &trusted) {
            auto client = std::make_unique<TestHttpClient>(port);
            client->useTls(trusted);
            client->send("GET", "/healthz");
            client->waitDone();
            return client;
        };
        auto first = healthz(m_certA.certificate());
        QCOMPARE(first->response().status, 200);
        QCOMPARE(first->socket().peerCertificate(), m_certA.certificate());

        QVERIFY(QFile::remove(cert) && QFile::copy(m_certB.cert, cert));
        QVERIFY(QFile::remove(keyFile) && QFile::copy(m_certB.key, keyFile));
        ::kill(pid_t(relay.processId()), SIGHUP);
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         readErr();
                         return err.contains(QStringLiteral("TLS certificate reloaded"));
                     },
                     10'000),
                 qPrintable(err));
        auto second = healthz(m_certB.certificate());
        QCOMPARE(second->response().status, 200);
        QCOMPARE(second->socket().peerCertificate(), m_certB.certificate());
        // The connection opened before the reload carries on with its certificate.
        first->resetResponse();
        first->send("GET", "/healthz");
        QVERIFY(first->waitDone());
        QCOMPARE(first->response().status, 200);

        // A bad certificate: one line, and the last good one stays in use.
        QVERIFY(QFile::remove(cert) && QFile::copy(m_certA.cert, cert)); // not the key's
        ::kill(pid_t(relay.processId()), SIGHUP);
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         readErr();
                         return err.contains(QStringLiteral("not reloaded"));
                     },
                     10'000),
                 qPrintable(err));
        QVERIFY(err.contains(QStringLiteral("does not belong to the certificate")));
        auto third = healthz(m_certB.certificate());
        QCOMPARE(third->response().status, 200);
        QCOMPARE(third->socket().peerCertificate(), m_certB.certificate());
        QCOMPARE(relay.state(), QProcess::Running);

        relay.terminate();
        QVERIFY(relay.waitForFinished(30'000));
        QCOMPARE(relay.exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestTls)
#include "tst_tls.moc"
