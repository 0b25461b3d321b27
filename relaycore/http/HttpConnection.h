#pragma once

#include "HttpHandler.h"
#include "HttpRequestParser.h"

#include <QObject>
#include <QTcpSocket>

namespace relay {

class HttpExchange;
class HttpWorker;

// One client connection on a worker thread: reads and parses requests (keep-alive and
// pipelining: answered strictly in order, one at a time), enforces the header timeout and
// idle close, and hands each request to the worker's handler as an HttpExchange.
// Owned by its worker; deletes itself once closed and its last exchange has finished.
class HttpConnection : public QObject
{
    Q_OBJECT
public:
    HttpConnection(qintptr socketDescriptor, HttpWorker *worker);
    ~HttpConnection() override;

    bool isValid() const { return m_valid; }
    void checkTimeouts(qint64 nowMs);
    void closeNow();
    QHostAddress peerAddress() const { return m_peer; }

private:
    friend class HttpExchange;
    void onReadyRead();
    void onDisconnected();
    void onBytesWritten();
    bool clientBacklogged() const;
    void processNext();
    void exchangeFinished(HttpExchange *exchange, bool keepAlive);
    void exchangeAborted(HttpExchange *exchange);
    void writeBytes(QByteArrayView bytes);
    void refuse(int status, const QByteArray &code, const QByteArray &message);
    // Ends the connection once what was written has gone: no more requests are read, what
    // still arrives is thrown away for up to the linger time, then it closes (nginx's
    // lingering close), so that the client reads its answer rather than a reset.
    void closeAfterWrite();
    void shutdownWriteWhenFlushed();
    // Closes a client that has taken nothing of its answer for the send timeout; true if closed.
    bool checkSendTimeout(qint64 nowMs);
    void maybeDestroy();

    HttpWorker *m_worker;
    QTcpSocket m_socket;
    HttpRequestParser m_parser;
    HttpExchange *m_active = nullptr;
    QHostAddress m_peer;
    HttpEarlyAnswer m_earlyAnswer;
    qint64 m_requestStartMs = 0; // first byte of the request being read
    qint64 m_lastActivityMs = 0;
    qint64 m_lingerDeadlineMs = 0;
    qint64 m_sendProgressMs = 0; // last time the client was seen taking bytes (or owed none)
    quint64 m_ackedBytes = 0;    // bytes of answers the client's side had acknowledged then
    bool m_mayOweBytes = false;  // written since the client was last seen to have everything
    bool m_lingering = false;
    bool m_writeShut = false;
    bool m_valid = false;
    bool m_closing = false;
    bool m_gone = false;
    bool m_dispatching = false;
    bool m_waitingForDrain = false;
    bool m_destroyed = false;
};

} // namespace relay
