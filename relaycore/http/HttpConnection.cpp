#include "HttpConnection.h"

#include "ApiError.h"
#include "HttpExchange.h"
#include "HttpWorker.h"
#include "core/Clock.h"
#include "core/RequestId.h"

#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

namespace relay {

namespace {
// Qt reads at most this much from the kernel ahead of the parser; beyond it the client's TCP
// window closes, so a client that floods the relay pays for it, not the relay's memory.
constexpr qint64 kReadBufferBytes = 64 * 1024;
// Answers not yet taken by the client, above which the relay stops producing more for it.
constexpr qint64 kWriteHighWater = 1024 * 1024;
constexpr qint64 kWriteLowWater = 256 * 1024;

struct SendState
{
    qint64 unacked = 0; // in the kernel, not yet acknowledged by the client's side
    quint64 acked = 0;  // acknowledged since the connection began
};

SendState sendState(qintptr fd)
{
    SendState state;
    int outq = 0;
    if (::ioctl(int(fd), SIOCOUTQ, &outq) == 0)
        state.unacked = outq;
    tcp_info info{};
    socklen_t len = sizeof info;
    if (::getsockopt(int(fd), IPPROTO_TCP, TCP_INFO, &info, &len) == 0 &&
        len >= socklen_t(offsetof(tcp_info, tcpi_bytes_acked) + sizeof info.tcpi_bytes_acked))
        state.acked = info.tcpi_bytes_acked;
    return state;
}
} // namespace

HttpConnection::HttpConnection(qintptr socketDescriptor, HttpWorker *worker)
    : QObject(worker), m_worker(worker),
      m_parser({worker->config().maxBodyBytes, worker->config().maxHeaderBytes, worker->bodyPool(),
                worker->config().maxBufferedBodyBytes})
{
    m_parser.setHeadCheck([this](const HttpRequest &head) {
        HttpHandler *handler = m_worker->handler();
        if (!handler)
            return 0;
        m_earlyAnswer = handler->headersComplete(head, m_peer);
        return m_earlyAnswer.status;
    });
    m_valid = m_socket.setSocketDescriptor(socketDescriptor);
    if (!m_valid)
        return;
    m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_socket.setReadBufferSize(kReadBufferBytes);
    m_peer = m_socket.peerAddress();
    m_lastActivityMs = m_worker->clock().monotonicMs();
    m_sendProgressMs = m_lastActivityMs;
    connect(&m_socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(&m_socket, &QTcpSocket::disconnected, this, &HttpConnection::onDisconnected);
    connect(&m_socket, &QTcpSocket::bytesWritten, this, &HttpConnection::onBytesWritten);
}

bool HttpConnection::clientBacklogged() const
{
    return m_socket.bytesToWrite() > kWriteHighWater;
}

void HttpConnection::onBytesWritten()
{
    if (m_lingering) {
        shutdownWriteWhenFlushed();
        return;
    }
    if (m_socket.bytesToWrite() > kWriteLowWater)
        return;
    if (m_active)
        m_active->notifyClientDrained();
    if (m_waitingForDrain) {
        m_waitingForDrain = false;
        QMetaObject::invokeMethod(this, &HttpConnection::processNext, Qt::QueuedConnection);
    }
}

HttpConnection::~HttpConnection()
{
    m_socket.disconnect(this);
    m_socket.abort();
}

void HttpConnection::onReadyRead()
{
    if (m_closing || m_gone) {
        m_socket.readAll(); // lingering: thrown away
        return;
    }
    // One request at a time: while one is being answered, or parsed ones wait, or the client
    // is not taking its answers, the rest stays in the socket (and then in the client's TCP
    // window) rather than in the relay's memory.
    if (m_active || m_parser.hasRequest() || clientBacklogged())
        return;
    const QByteArray data = m_socket.readAll();
    if (data.isEmpty())
        return;
    const qint64 now = m_worker->clock().monotonicMs();
    const bool wasInMessage = m_parser.inMessage();
    const quint64 begun = m_parser.messagesBegun();
    m_parser.feed(data);
    // The header timer starts at a request's first byte, whether or not its headers complete
    // in this same read. Bare line ends between requests are not activity.
    if (m_parser.messagesBegun() != begun)
        m_requestStartMs = now;
    if (wasInMessage || m_parser.messagesBegun() != begun)
        m_lastActivityMs = now;
    if (m_parser.takeContinueRequest())
        writeBytes("HTTP/1.1 100 Continue\r\n\r\n");
    processNext();
}

void HttpConnection::processNext()
{
    if (m_dispatching || m_active || m_closing || m_gone)
        return;
    m_dispatching = true;
    while (!m_active && !m_closing && !m_gone) {
        if (clientBacklogged()) {
            m_waitingForDrain = true; // onBytesWritten resumes
            break;
        }
        if (m_parser.hasRequest()) {
            auto *exchange =
                new HttpExchange(this, m_parser.takeRequest(), m_worker->clock().monotonicMs());
            m_active = exchange;
            m_worker->handler()->handle(exchange);
            continue;
        }
        if (m_parser.failed())
            refuse(m_parser.errorStatus(), m_parser.errorCode(), m_parser.errorMessage());
        break;
    }
    m_dispatching = false;
    if (!m_active && !m_closing && !m_gone && !m_waitingForDrain && !m_parser.hasRequest() &&
        m_socket.bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &HttpConnection::onReadyRead, Qt::QueuedConnection);
}

void HttpConnection::exchangeFinished(HttpExchange *exchange, bool keepAlive)
{
    if (m_active == exchange)
        m_active = nullptr;
    exchange->deleteLater();
    m_lastActivityMs = m_worker->clock().monotonicMs();
    // A request begun behind this one was not read meanwhile: its time starts again.
    if (m_parser.inMessage())
        m_requestStartMs = m_lastActivityMs;
    if (m_gone) {
        maybeDestroy();
        return;
    }
    if (!keepAlive) {
        closeAfterWrite();
        return;
    }
    if (m_dispatching)
        return;
    // Finished from an upstream event: continue with pipelined requests from a fresh stack.
    if (m_parser.hasRequest() || m_parser.failed() || m_socket.bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &HttpConnection::processNext, Qt::QueuedConnection);
}

void HttpConnection::exchangeAborted(HttpExchange *exchange)
{
    if (m_active == exchange)
        m_active = nullptr;
    exchange->deleteLater();
    closeNow();
}

void HttpConnection::writeBytes(QByteArrayView bytes)
{
    if (m_gone || bytes.isEmpty())
        return;
    m_mayOweBytes = true;
    m_socket.write(bytes.data(), bytes.size());
}

void HttpConnection::refuse(int status, const QByteArray &code, const QByteArray &message)
{
    Q_UNUSED(code);
    if (m_earlyAnswer.status != 0 && m_earlyAnswer.status == status) {
        // The handler refused the request from its headers (before its body).
        writeBytes(buildHttpResponse(m_earlyAnswer.status, m_earlyAnswer.headers,
                                     m_earlyAnswer.body, false));
        m_earlyAnswer = {};
        closeAfterWrite();
        return;
    }
    const ApiError error = ApiError::fromParserStatus(status, message);
    QByteArray requestId;
    if (status == 413 && m_worker->handler())
        requestId = m_worker->handler()->refused(m_parser.refusedRequest(), status);
    if (requestId.isEmpty())
        requestId = newRequestId();
    HttpHeaders headers{{"content-type", "application/json"}, {"x-request-id", requestId}};
    headers.append(error.extraHeaders);
    writeBytes(buildHttpResponse(error.status, headers, error.body(), false));
    closeAfterWrite();
}

void HttpConnection::closeAfterWrite()
{
    if (m_closing)
        return;
    m_closing = true;
    if (m_socket.state() == QAbstractSocket::UnconnectedState) {
        onDisconnected();
        return;
    }
    m_lingering = true;
    m_lingerDeadlineMs = m_worker->clock().monotonicMs() + m_worker->config().lingerTimeoutMs;
    m_parser.discard(); // bodies buffered for requests that will not be answered
    m_socket.readAll();
    shutdownWriteWhenFlushed();
}

void HttpConnection::shutdownWriteWhenFlushed()
{
    if (m_writeShut || m_gone || m_socket.bytesToWrite() > 0)
        return;
    // The client sees the end of the answer (FIN) and closes; its close ends the linger.
    m_writeShut = true;
    ::shutdown(int(m_socket.socketDescriptor()), SHUT_WR);
}

void HttpConnection::closeNow()
{
    m_closing = true;
    m_socket.abort();
    onDisconnected();
}

void HttpConnection::onDisconnected()
{
    if (m_gone)
        return;
    m_gone = true;
    m_closing = true;
    if (m_active)
        m_active->markClientGone();
    maybeDestroy();
}

void HttpConnection::maybeDestroy()
{
    if (!m_gone || m_active || m_destroyed)
        return;
    m_destroyed = true;
    m_worker->connectionClosed(this);
    deleteLater();
}

bool HttpConnection::checkSendTimeout(qint64 nowMs)
{
    const qint64 queued = m_socket.bytesToWrite();
    if (queued == 0 && !m_mayOweBytes) {
        m_sendProgressMs = nowMs;
        return false;
    }
    // Progress is the client's side acknowledging bytes (the kernel takes some without it).
    const SendState state = sendState(m_socket.socketDescriptor());
    if (queued == 0 && state.unacked == 0) {
        m_mayOweBytes = false;
        m_ackedBytes = state.acked;
        m_sendProgressMs = nowMs;
        return false;
    }
    if (state.acked != m_ackedBytes) {
        m_ackedBytes = state.acked;
        m_sendProgressMs = nowMs;
        return false;
    }
    if (nowMs - m_sendProgressMs < m_worker->config().sendTimeoutMs)
        return false;
    // Its request ends as if it had gone: the upstream call is cancelled, its slot freed and
    // what it used so far metered.
    closeNow();
    return true;
}

void HttpConnection::checkTimeouts(qint64 nowMs)
{
    if (m_gone)
        return;
    if (m_lingering) {
        if (nowMs >= m_lingerDeadlineMs)
            closeNow();
        return;
    }
    if (checkSendTimeout(nowMs))
        return;
    if (m_closing || m_active)
        return;
    if (m_waitingForDrain || clientBacklogged()) {
        // The relay itself is not reading this client (its answers are not taken): that time
        // is not the client's, so its deadlines start again when reading resumes.
        m_requestStartMs = nowMs;
        m_lastActivityMs = nowMs;
        return;
    }
    const ServerConfig &cfg = m_worker->config();
    if (m_parser.inHeaders()) {
        if (nowMs - m_requestStartMs >= cfg.headerTimeoutMs)
            refuse(408, "request_timeout", "headers not complete in time");
        return;
    }
    // A whole request (body included) gets the idle timeout at most, however it trickles in.
    if (m_parser.inMessage()) {
        if (nowMs - m_requestStartMs >= cfg.idleTimeoutMs)
            refuse(408, "request_timeout", "request not complete in time");
        return;
    }
    if (m_worker->isDraining() || nowMs - m_lastActivityMs >= cfg.idleTimeoutMs)
        closeNow();
}

} // namespace relay
