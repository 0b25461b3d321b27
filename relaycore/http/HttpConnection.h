#pragma once

#include "HttpHandler.h"
#include "HttpRequestParser.h"

#include <QHostAddress>
#include <QObject>
#include <QSocketNotifier>

class QSslSocket;

namespace relay {

class HttpExchange;
class HttpWorker;

// One client connection on a worker thread: reads and parses requests (keep-alive and
// pipelining: answered strictly in order, one at a time), enforces the header timeout and
// idle close, and hands each request to the worker's handler as an HttpExchange.
// Owned by its worker; deletes itself once closed and its last exchange has finished.
// Plain HTTP works on the raw descriptor (recv/send and socket notifiers: the hot path). With
// TLS a QSslSocket owns the descriptor and its notifiers, and the same code reads and writes
// through it: the transport is chosen per call (transportRecv/transportSend), not per byte.
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
    // Reads what the kernel holds into m_inbox (thrown away while closing); notes the client's
    // end of input (m_readEof) and resets.
    void pull();
    // One read or write on the transport, with recv/send's results (-1 and errno EAGAIN when
    // nothing can be done now).
    ssize_t transportRecv(char *data, qsizetype size);
    ssize_t transportSend(const char *data, qsizetype size);
    void setReading(bool on);
    // TLS: hands the descriptor to a QSslSocket and starts its server handshake.
    bool startTls();
    // TLS: bytes QSslSocket holds, to be encrypted or sent.
    qint64 tlsQueued() const;
    // The read notifier: the socket has bytes (or an end) to read.
    void onReadable();
    void onReadyRead();
    // The client has shut its sending side.
    void onClientFinished();
    // After the client's end of input: its socket has since been reset (it was closed, not
    // half-closed).
    bool clientReset() const;
    void onDisconnected();
    void onBytesWritten();
    void onWritable();
    // The end of the worker's dispatcher pass in which answer bytes were written (writeBytes).
    static void flushAtPassEnd(void *connection);
    // Sends what waits in m_outbox until the kernel takes no more; false if the client is gone.
    bool flush();
    // Sends from `data` until the kernel takes no more: the number of bytes sent, or -1 when the
    // client is gone.
    qsizetype sendNow(const char *data, qsizetype size);
    // Bytes written and not yet taken by the kernel: the relay's own queue, and (TLS) what
    // QSslSocket holds.
    qint64 bytesToWrite() const;
    qint64 outboxPending() const;
    void closeSocket();
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
    int m_fd = -1;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    QSocketNotifier *m_resetNotifier = nullptr; // after the client's end of input
    QSslSocket *m_tls = nullptr;                // TLS: owns m_fd; no notifiers of our own
    bool m_handshaking = false;                 // TLS: until the handshake has completed
    QByteArray m_outbox; // answers written, not yet taken by the kernel from m_outboxSent on
    qsizetype m_outboxSent = 0;
    bool m_flushAtPassEnd = false; // m_outbox leaves at the end of this pass (writeBytes)
    HttpRequestParser m_parser;
    HttpExchange *m_active = nullptr;
    QHostAddress m_peer;
    HttpEarlyAnswer m_earlyAnswer;
    qint64 m_requestStartMs = 0; // first byte of the request being read
    qint64 m_lastActivityMs = 0;
    qint64 m_lastWriteMs = 0; // the last answer bytes handed over
    qint64 m_lingerDeadlineMs = 0;
    qint64 m_sendProgressMs = 0; // last time the client was seen taking bytes (or owed none)
    quint64 m_ackedBytes = 0;    // bytes of answers the client's side had acknowledged then
    bool m_mayOweBytes = false;  // written since the client was last seen to have everything
    QByteArray m_inbox;          // read from the socket, not yet parsed
    bool m_readEof = false;
    bool m_mayHaveMore = true; // plain: the kernel may hold bytes not read yet
    bool m_probed = false;
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
