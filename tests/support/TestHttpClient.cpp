#include "TestHttpClient.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

namespace relay::test {

QJsonObject TestResponse::json() const
{
    return QJsonDocument::fromJson(body).object();
}

QString TestResponse::errorField(const char *field) const
{
    return json()[QStringLiteral("error")].toObject()[QLatin1String(field)].toString();
}

QList<QByteArray> TestResponse::sseData() const
{
    QList<QByteArray> out;
    for (const QByteArray &line : body.split('\n')) {
        if (line.startsWith("data: "))
            out.append(line.mid(6).trimmed());
    }
    return out;
}

TestHttpClient::TestHttpClient(quint16 port, QObject *parent) : QObject(parent), m_port(port)
{
    connect(&m_socket, &QTcpSocket::readyRead, this, &TestHttpClient::onReadyRead);
    connect(&m_socket, &QTcpSocket::disconnected, this, [this] {
        m_response.connectionClosed = true;
        if (!m_response.complete && m_parser.feedEof()) {
            m_response.body += m_parser.takeBody();
            m_response.complete = true;
            m_response.doneMs = m_timer.elapsed();
        }
        Q_EMIT done();
    });
}

void TestHttpClient::useTls(const QSslCertificate &trusted)
{
    m_trusted = trusted;
}

HttpHeaders TestHttpClient::bearer(const QString &key)
{
    return {{"authorization", "Bearer " + key.toUtf8()}, {"content-type", "application/json"}};
}

void TestHttpClient::connectIfNeeded()
{
    if (m_socket.state() != QAbstractSocket::UnconnectedState)
        return;
    if (m_trusted.isNull()) {
        m_socket.connectToHost(QHostAddress::LocalHost, m_port);
        m_socket.waitForConnected(5000);
        return;
    }
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setCaCertificates({m_trusted});
    m_socket.setSslConfiguration(tls);
    m_socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_port);
    m_socket.waitForEncrypted(5000);
}

void TestHttpClient::send(const QByteArray &method, const QByteArray &path, const QByteArray &body,
                          const HttpHeaders &headers)
{
    QByteArray out = method + ' ' + path + " HTTP/1.1\r\nhost: 127.0.0.1\r\n";
    for (const auto &h : headers)
        out += h.first + ": " + h.second + "\r\n";
    if (!body.isEmpty() || method == "POST")
        out += "content-length: " + QByteArray::number(body.size()) + "\r\n";
    out += "\r\n" + body;
    sendRaw(out);
}

void TestHttpClient::sendRaw(const QByteArray &bytes)
{
    connectIfNeeded();
    if (!m_timer.isValid())
        m_timer.start();
    m_socket.write(bytes);
    m_socket.flush();
}

void TestHttpClient::resetResponse()
{
    m_response = TestResponse();
    m_parser.reset();
    m_timer.start();
}

void TestHttpClient::onReadyRead()
{
    const QByteArray data = m_socket.readAll();
    m_raw += data;
    if (m_response.complete || !m_parser.feed(data.constData(), data.size()))
        return;
    if (m_parser.headComplete() && m_response.status == 0) {
        m_response.status = m_parser.status();
        m_response.headers = m_parser.headers();
    }
    const QByteArray piece = m_parser.takeBody();
    if (!piece.isEmpty()) {
        if (m_response.firstBodyMs < 0) {
            m_response.firstBodyMs = m_timer.elapsed();
            Q_EMIT firstBody();
        }
        m_response.body += piece;
        m_response.bodyPieces.append(piece);
    }
    if (!m_parser.messageComplete())
        return;
    m_response.complete = true;
    m_response.doneMs = m_timer.elapsed();
    Q_EMIT done();
}

bool TestHttpClient::waitDone(int timeoutMs)
{
    return QTest::qWaitFor([this] { return m_response.complete || m_response.connectionClosed; },
                           timeoutMs) &&
           m_response.complete;
}

bool TestHttpClient::waitFirstBody(int timeoutMs)
{
    return QTest::qWaitFor([this] { return m_response.firstBodyMs >= 0 || m_response.complete; },
                           timeoutMs);
}

bool TestHttpClient::waitClosed(int timeoutMs)
{
    return QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::UnconnectedState; },
                           timeoutMs);
}

void TestHttpClient::close()
{
    m_socket.abort();
}

TestResponse request(quint16 port, const QByteArray &method, const QByteArray &path,
                     const QByteArray &body, const HttpHeaders &headers, int timeoutMs)
{
    TestHttpClient client(port);
    client.send(method, path, body, headers);
    client.waitDone(timeoutMs);
    return client.response();
}

quint16 closedPort()
{
    QTcpServer server;
    server.listen(QHostAddress::LocalHost);
    const quint16 port = server.serverPort();
    server.close();
    return port;
}

} // namespace relay::test
