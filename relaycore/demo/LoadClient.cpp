#include "LoadClient.h"

#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace relay {

LoadClient::LoadClient(quint16 port, bool tls, QObject *parent)
    : QObject(parent), m_port(port), m_tls(tls)
{
    // Its own relay on loopback, whose certificate names the server's public address: the
    // connection is encrypted like any client's, without checking that name.
    if (m_tls)
        m_socket.setPeerVerifyMode(QSslSocket::VerifyNone);
    connect(&m_socket, &QTcpSocket::readyRead, this, &LoadClient::onReadyRead);
    connect(&m_socket, &QTcpSocket::disconnected, this, &LoadClient::onClosed);
    connect(&m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError) {
        if (m_socket.state() != QAbstractSocket::ConnectedState)
            onClosed();
    });
}

void LoadClient::send(const QByteArray &request)
{
    if (m_busy)
        return;
    m_busy = true;
    m_parser.reset();
    if (m_socket.state() == QAbstractSocket::UnconnectedState && m_tls)
        m_socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_port);
    else if (m_socket.state() == QAbstractSocket::UnconnectedState)
        m_socket.connectToHost(QHostAddress::LocalHost, m_port);
    // Written while connecting, the bytes wait in the socket's buffer until it connects.
    m_socket.write(request);
}

QByteArray LoadClient::chatRequest(const QByteArray &key, const QByteArray &body)
{
    return "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer " + key +
           "\r\ncontent-type: application/json\r\ncontent-length: " +
           QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

QByteArray LoadClient::chatBody(const QString &model, int promptChars, int maxTokens, bool stream)
{
    static const QString kWords =
        QStringLiteral("Summarise the customer's message and suggest a short, friendly answer. ");
    QString prompt;
    while (prompt.size() < promptChars)
        prompt += kWords;
    prompt.truncate(promptChars);
    QJsonObject body{{QStringLiteral("model"), model},
                     {QStringLiteral("max_tokens"), maxTokens},
                     {QStringLiteral("messages"),
                      QJsonArray{QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                                             {QStringLiteral("content"), prompt}}}}};
    if (stream)
        body.insert(QStringLiteral("stream"), true);
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

void LoadClient::onReadyRead()
{
    const QByteArray data = m_socket.readAll();
    if (!m_busy)
        return;
    if (!m_parser.feed(data.constData(), data.size())) {
        m_socket.abort();
        finish(0);
        return;
    }
    m_parser.takeBody();
    if (!m_parser.messageComplete())
        return;
    const bool keepAlive = m_parser.keepAlive();
    finish(m_parser.status());
    if (!keepAlive)
        m_socket.disconnectFromHost();
}

void LoadClient::onClosed()
{
    if (!m_busy)
        return;
    const bool complete = m_parser.feedEof() && m_parser.messageComplete();
    finish(complete ? m_parser.status() : 0);
}

void LoadClient::finish(int status)
{
    m_busy = false;
    Q_EMIT finished(status);
}

} // namespace relay
