#pragma once

#include <QHash>
#include <QObject>
#include <QTcpServer>
#include <QTcpSocket>

#include <functional>

namespace relay::test {

// A tiny HTTP server on loopback for what the simulator is not (a webhook endpoint, an upstream
// with canned answers): each connection carries one request (head and content-length body),
// answered with the bytes `answer` returns for it, then closed. Lives on the test thread.
class OneShotHttpServer : public QObject
{
public:
    using Answer = std::function<QByteArray(const QByteArray &head, const QByteArray &body)>;

    explicit OneShotHttpServer(Answer answer, QObject *parent = nullptr);
    bool listen(quint16 port = 0);
    quint16 port() const { return m_server.serverPort(); }

private:
    void onRead(QTcpSocket *socket);

    Answer m_answer;
    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

} // namespace relay::test
