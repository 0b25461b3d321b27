#include "HttpConnection.h"

#include "ApiError.h"
#include "HttpExchange.h"
#include "HttpWorker.h"
#include "core/Clock.h"
#include "core/RequestId.h"

namespace relay {

namespace {
// Qt reads at most this much from the kernel ahead of the parser; beyond it the client's TCP
// window closes, so a client that floods the relay pays for it, not the relay's memory.
constexpr qint64 kReadBufferBytes = 64 * 1024;
// Answers not yet taken by the client, above which the relay stops producing more for it.
constexpr qint64 kWriteHighWater = 1024 * 1024;
constexpr qint64 kWriteLowWater = 256 * 1024;
} // namespace

HttpConnection::HttpConnection(qintptr socketDescriptor, HttpWorker *worker)
    : QObject(worker), m_worker(worker),
      m_parser({worker->config().maxBodyBytes, worker->config().maxHeaderBytes})
{
    m_valid = m_socket.setSocketDescriptor(socketDescriptor);
    if (!m_valid)
        return;
    m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_socket.setReadBufferSize(kReadBufferBytes);
    m_peer = m_socket.peerAddress();
    m_lastActivityMs = m_worker->clock().monotonicMs();
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
        m_socket.readAll();
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
    m_lastActivityMs = now;
    const bool wasInHeaders = m_parser.inHeaders();
    m_parser.feed(data);
    if (!wasInHeaders && m_parser.inHeaders())
        m_headerStartMs = now;
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
    if (m_gone)
        return;
    m_socket.write(bytes.data(), bytes.size());
}

void HttpConnection::refuse(int status, const QByteArray &code, const QByteArray &message)
{
    Q_UNUSED(code);
    const ApiError error = ApiError::fromParserStatus(status, message);
    QByteArray requestId;
    if (status == 413 && m_worker->handler())
        requestId = m_worker->handler()->refused(m_parser.refusedRequest(), status);
    if (requestId.isEmpty())
        requestId = newRequestId();
    HttpHeaders headers{{"content-type", "application/json"}, {"x-request-id", requestId}};
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
    m_socket.disconnectFromHost();
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

void HttpConnection::checkTimeouts(qint64 nowMs)
{
    if (m_closing || m_gone || m_active)
        return;
    if (m_waitingForDrain || clientBacklogged()) {
        // The relay itself is not reading this client (its answers are not taken): that time
        // is not the client's, so its deadlines start again when reading resumes.
        m_headerStartMs = nowMs;
        m_lastActivityMs = nowMs;
        return;
    }
    const ServerConfig &cfg = m_worker->config();
    if (m_parser.inHeaders()) {
        if (nowMs - m_headerStartMs >= cfg.headerTimeoutMs)
            refuse(408, "request_timeout", "headers not complete in time");
        return;
    }
    // A whole request (body included) gets the idle timeout at most, however it trickles in.
    if (m_parser.inMessage()) {
        if (nowMs - m_headerStartMs >= cfg.idleTimeoutMs)
            refuse(408, "request_timeout", "request not complete in time");
        return;
    }
    if (m_worker->isDraining() || nowMs - m_lastActivityMs >= cfg.idleTimeoutMs)
        closeNow();
}

} // namespace relay
