#include "OneShotHttpServer.h"

namespace relay::test {

OneShotHttpServer::OneShotHttpServer(Answer answer, QObject *parent)
    : QObject(parent), m_answer(std::move(answer))
{
    connect(&m_server, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *s = m_server.nextPendingConnection())
            connect(s, &QTcpSocket::readyRead, this, [this, s] { onRead(s); });
    });
}

bool OneShotHttpServer::listen(quint16 port)
{
    return m_server.listen(QHostAddress::LocalHost, port);
}

void OneShotHttpServer::onRead(QTcpSocket *socket)
{
    QByteArray &buffer = m_buffers[socket];
    buffer += socket->readAll();
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0)
        return;
    qsizetype length = 0;
    for (const QByteArray &line : buffer.left(end).split('\n'))
        if (line.toLower().startsWith("content-length:"))
            length = line.mid(15).trimmed().toLongLong();
    if (buffer.size() < end + 4 + length)
        return;
    const QByteArray head = buffer.left(end);
    const QByteArray body = buffer.mid(end + 4, length);
    m_buffers.remove(socket);
    socket->write(m_answer(head, body));
    socket->disconnectFromHost();
}

} // namespace relay::test
