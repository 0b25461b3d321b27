#include "HttpConnection.h"

#include "ApiError.h"
#include "HttpExchange.h"
#include "HttpWorker.h"
#include "core/Clock.h"
#include "core/DirectNotifier.h"
#include "core/EpollEventDispatcher.h"
#include "core/RequestId.h"

#include <QSslSocket>

#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace relay {

namespace {
// The relay reads at most this much from the kernel ahead of the parser; beyond it the client's
// TCP window closes, so a client that floods the relay pays for it, not the relay's memory.
constexpr qint64 kReadBufferBytes = 64 * 1024;
// Answers not yet taken by the client, above which the relay stops producing more for it.
constexpr qint64 kWriteHighWater = 1024 * 1024;
constexpr qint64 kWriteLowWater = 256 * 1024;
// TCP_CLOSE of the kernel's TCP states (tcp_info.tcpi_state): the connection is reset or done.
constexpr int kTcpClosed = 7;
// TLS: QSslSocket takes whatever it is given, so it is given this much at a time; the rest waits
// in the connection's own queue, where backpressure counts it.
constexpr qint64 kTlsWindow = 64 * 1024;

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
    if (HttpHandler *handler = worker->handler())
        m_parser.keepOnlyHeaders(handler->requestHeadersRead());
    m_parser.setHeadCheck([this](const HttpRequest &head) {
        HttpHandler *handler = m_worker->handler();
        if (!handler)
            return 0;
        m_earlyAnswer = handler->headersComplete(head, m_peer);
        return m_earlyAnswer.status;
    });
    // The connection does its own socket I/O: QTcpSocket closes a socket whose client has shut
    // its sending side, and a client that half-closes after its request still gets its answer.
    m_fd = int(socketDescriptor);
    sockaddr_storage peer{};
    socklen_t peerLen = sizeof peer;
    m_valid = ::getpeername(m_fd, reinterpret_cast<sockaddr *>(&peer), &peerLen) == 0;
    if (!m_valid) {
        ::close(m_fd);
        m_fd = -1;
        return;
    }
    m_peer.setAddress(reinterpret_cast<const sockaddr *>(&peer));
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
    m_lastActivityMs = m_worker->clock().monotonicMs();
    m_sendProgressMs = m_lastActivityMs;
    m_lastWriteMs = m_lastActivityMs;
    if (worker->config().tlsEnabled()) {
        m_valid = startTls();
        return;
    }
    m_readNotifier =
        DirectNotifier::create<&HttpConnection::onReadable>(m_fd, QSocketNotifier::Read, this);
    m_writeNotifier =
        DirectNotifier::create<&HttpConnection::onWritable>(m_fd, QSocketNotifier::Write, this);
    m_writeNotifier->setEnabled(false);
}

void HttpConnection::onReadable()
{
    m_mayHaveMore = true;
    onReadyRead();
}

bool HttpConnection::startTls()
{
    const std::shared_ptr<const QSslConfiguration> configuration = m_worker->tlsConfiguration();
    m_tls = new QSslSocket(this);
    if (!configuration || !m_tls->setSocketDescriptor(m_fd)) {
        delete m_tls;
        m_tls = nullptr;
        ::close(m_fd);
        m_fd = -1;
        return false;
    }
    m_tls->setSslConfiguration(*configuration);
    // As on the plain path: what the relay has not parsed yet stays in the kernel (and then in
    // the client's TCP window), not in memory.
    m_tls->setReadBufferSize(kReadBufferBytes);
    // At once, before any byte can be read as plain HTTP. What fails here (nothing should: the
    // configuration was checked when loaded) fails before any signal is connected.
    m_tls->startServerEncryption();
    if (m_tls->error() != QAbstractSocket::UnknownSocketError ||
        m_tls->state() != QAbstractSocket::ConnectedState) {
        delete m_tls; // closes the descriptor
        m_tls = nullptr;
        m_fd = -1;
        return false;
    }
    m_handshaking = true;
    connect(m_tls, &QSslSocket::encrypted, this, [this] {
        m_handshaking = false;
        m_lastActivityMs = m_worker->clock().monotonicMs();
    });
    connect(m_tls, &QSslSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(m_tls, &QSslSocket::encryptedBytesWritten, this, &HttpConnection::onWritable);
    // A client that closes or shuts its side, a reset, a failed handshake (a plain-HTTP client,
    // say): TLS has no half-close that QSslSocket keeps open, so each ends the connection as a
    // client that has gone.
    connect(m_tls, &QSslSocket::disconnected, this, &HttpConnection::closeNow);
    connect(m_tls, &QSslSocket::errorOccurred, this, &HttpConnection::closeNow);
    return true;
}

qint64 HttpConnection::tlsQueued() const
{
    return m_tls->bytesToWrite() + m_tls->encryptedBytesToWrite();
}

ssize_t HttpConnection::transportRecv(char *data, qsizetype size)
{
    if (!m_tls)
        return ::recv(m_fd, data, size_t(size), MSG_DONTWAIT);
    const qint64 n = m_tls->read(data, size);
    // Nothing decrypted now; the end of input comes as disconnected().
    errno = n == 0 ? EAGAIN : ECONNRESET;
    return n == 0 ? -1 : ssize_t(n);
}

ssize_t HttpConnection::transportSend(const char *data, qsizetype size)
{
    if (!m_tls)
        return ::send(m_fd, data, size_t(size), MSG_NOSIGNAL);
    const qint64 room = kTlsWindow - tlsQueued();
    if (room <= 0) {
        errno = EAGAIN; // encryptedBytesWritten() resumes
        return -1;
    }
    const qint64 n = m_tls->write(data, qMin<qint64>(size, room));
    errno = ECONNRESET;
    return ssize_t(n);
}

void HttpConnection::setReading(bool on)
{
    // TLS: QSslSocket reads on its own, up to its read buffer.
    if (!m_readNotifier)
        return;
    // Bytes may have come while it was off (no notification while disabled).
    if (on && !m_readNotifier->isEnabled())
        m_mayHaveMore = true;
    m_readNotifier->setEnabled(on);
}

qint64 HttpConnection::outboxPending() const
{
    return m_outbox.size() - m_outboxSent;
}

qint64 HttpConnection::bytesToWrite() const
{
    return outboxPending() + (m_tls ? tlsQueued() : 0);
}

bool HttpConnection::clientBacklogged() const
{
    return bytesToWrite() > kWriteHighWater;
}

qsizetype HttpConnection::sendNow(const char *data, qsizetype size)
{
    qsizetype sent = 0;
    while (sent < size) {
        const ssize_t n = transportSend(data + sent, size - sent);
        if (n > 0) {
            sent += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        return -1; // reset, or gone
    }
    return sent;
}

bool HttpConnection::flush()
{
    if (m_fd < 0)
        return false;
    if (outboxPending() > 0) {
        const qsizetype n = sendNow(m_outbox.constData() + m_outboxSent, outboxPending());
        if (n < 0)
            return false;
        m_outboxSent += n;
    }
    if (outboxPending() == 0) {
        m_outbox.clear();
        m_outboxSent = 0;
    } else if (m_outboxSent > kWriteLowWater) {
        m_outbox.remove(0, m_outboxSent);
        m_outboxSent = 0;
    }
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(outboxPending() > 0);
    return true;
}

void HttpConnection::onWritable()
{
    if (m_gone)
        return;
    if (!flush()) {
        closeNow();
        return;
    }
    onBytesWritten();
}

void HttpConnection::flushAtPassEnd(void *connection)
{
    auto *self = static_cast<HttpConnection *>(connection);
    self->m_flushAtPassEnd = false;
    self->onWritable(); // what the kernel does not take waits for the write notifier
}

void HttpConnection::onBytesWritten()
{
    if (m_lingering) {
        shutdownWriteWhenFlushed();
        return;
    }
    if (bytesToWrite() > kWriteLowWater)
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
    closeSocket();
    m_worker->deleteExchangesOf(this);
    delete m_active; // an exchange still unanswered when the worker stops
}

void HttpConnection::closeSocket()
{
    if (m_fd < 0)
        return;
    if (m_flushAtPassEnd) {
        // Written in this pass and closed before its end: the bytes go now, as they would have
        // had they left at once (the kernel sends them before the close).
        m_flushAtPassEnd = false;
        EpollEventDispatcher::withdrawPassEnd(this);
        flush();
    }
    // This may run inside a notifier's own signal: they go later, silenced now.
    for (QSocketNotifier *notifier : {m_readNotifier, m_writeNotifier, m_resetNotifier}) {
        if (!notifier)
            continue;
        notifier->setEnabled(false);
        notifier->deleteLater();
    }
    m_readNotifier = m_writeNotifier = m_resetNotifier = nullptr;
    if (m_tls) {
        // This may run inside one of its signals: it is silenced, closed now, deleted later.
        m_tls->disconnect(this);
        if (m_tls->state() != QAbstractSocket::UnconnectedState)
            m_tls->abort();
        m_tls->deleteLater();
        m_tls = nullptr;
    } else {
        ::close(m_fd);
    }
    m_fd = -1;
}

void HttpConnection::pull()
{
    // The worker's read buffer: bytes are copied out of it at once, so a connection holds only
    // what it has read (an idle one nothing), and no read asks the kernel how much waits first.
    thread_local std::unique_ptr<char[]> buffer(new char[kReadBufferBytes]);
    // Lingering: everything is read and thrown away. Otherwise at most kReadBufferBytes wait.
    while (!m_readEof && !m_gone && (m_closing || m_inbox.size() < kReadBufferBytes)) {
        // Plain: a read that returned less than it asked for emptied the kernel's queue; the
        // read notifier says when more comes, so no read is spent on learning "nothing yet".
        if (!m_tls && !m_mayHaveMore)
            return;
        if (m_closing)
            m_inbox.clear();
        const qsizetype room = kReadBufferBytes - m_inbox.size();
        const ssize_t n = transportRecv(buffer.get(), room);
        if (n > 0) {
            m_inbox.append(buffer.get(), qsizetype(n));
            if (n < room)
                m_mayHaveMore = false;
            continue;
        }
        if (n == 0) {
            // End of input stays readable: no more notifications for it.
            m_readEof = true;
            setReading(false);
            return;
        }
        if (errno == EINTR)
            continue;
        m_mayHaveMore = false;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            closeNow(); // reset
        return;
    }
    if (m_closing)
        m_inbox.clear();
    // Full: the rest waits in the kernel (and then in the client's window) until the parser
    // has taken this.
    if (!m_gone && !m_readEof)
        setReading(false);
}

void HttpConnection::onReadyRead()
{
    if (m_gone || m_handshaking)
        return;
    pull();
    if (m_gone)
        return;
    if (m_closing) {
        // Lingering ends when the client has closed its side.
        if (m_readEof)
            shutdownWriteWhenFlushed();
        return;
    }
    // One request at a time: while one is being answered, or parsed ones wait, or the client
    // is not taking its answers, the rest stays in the socket (and then in the client's TCP
    // window) rather than in the relay's memory.
    if (m_active || m_parser.hasRequest() || clientBacklogged() || m_inbox.isEmpty()) {
        if (m_readEof)
            onClientFinished();
        return;
    }
    const QByteArray data = std::exchange(m_inbox, QByteArray());
    if (!m_readEof)
        setReading(true);
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
    if (m_readEof && !m_gone && !m_closing)
        onClientFinished();
}

void HttpConnection::onClientFinished()
{
    if (m_active && !m_worker->config().answerHalfClosedClients) {
        closeNow();
        return;
    }
    if (m_active) {
        // It has sent its request and shut its side: it may still be reading (a half-close,
        // which gets its answer) or be gone. A closed socket answers an interim response with
        // a reset, which the sweep notices; a half-closed one takes it and waits.
        if (!m_probed && !m_active->m_answerStarted && m_active->request().versionMinor >= 1)
            writeBytes("HTTP/1.1 100 Continue\r\n\r\n");
        if (!m_probed && m_fd >= 0) {
            // A reset shows as an error condition on the socket.
            m_resetNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Exception, this);
            connect(m_resetNotifier, &QSocketNotifier::activated, this, [this] {
                if (!m_gone && clientReset())
                    closeNow();
            });
        }
        m_probed = true;
        return;
    }
    if (m_parser.hasRequest() || m_dispatching)
        return; // answered first; exchangeFinished comes back here
    // Nothing more can arrive: a request begun can never complete.
    closeAfterWrite();
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
    if (!m_active && !m_closing && !m_gone && !m_waitingForDrain && !m_parser.hasRequest())
        QMetaObject::invokeMethod(this, &HttpConnection::onReadyRead, Qt::QueuedConnection);
}

void HttpConnection::exchangeFinished(HttpExchange *exchange, bool keepAlive)
{
    if (m_active == exchange)
        m_active = nullptr;
    m_worker->retireExchange(this, exchange);
    // Idle from when its answer went out (the client may act on it before this runs).
    m_lastActivityMs = m_lastWriteMs;
    // A request begun behind this one was not read meanwhile: its time starts again.
    if (m_parser.inMessage())
        m_requestStartMs = m_lastActivityMs;
    if (m_gone) {
        maybeDestroy();
        return;
    }
    if (!keepAlive || (m_readEof && !m_parser.hasRequest())) {
        closeAfterWrite();
        return;
    }
    if (m_dispatching)
        return;
    // Nothing read ahead of this answer (a keep-alive client usually waits for it before it
    // sends again): the read notifier, still on, brings the next request; no pass is needed.
    if (!m_tls && !m_parser.hasRequest() && !m_parser.failed() && m_inbox.isEmpty() && !m_readEof &&
        m_readNotifier->isEnabled())
        return;
    // Finished from an upstream event: continue with pipelined requests (and what waits in the
    // socket) from a fresh stack.
    QMetaObject::invokeMethod(this, &HttpConnection::processNext, Qt::QueuedConnection);
}

void HttpConnection::exchangeAborted(HttpExchange *exchange)
{
    if (m_active == exchange)
        m_active = nullptr;
    m_worker->retireExchange(this, exchange);
    closeNow();
}

void HttpConnection::writeBytes(QByteArrayView bytes)
{
    if (m_gone || bytes.isEmpty())
        return;
    m_mayOweBytes = true;
    m_lastWriteMs = m_worker->clock().monotonicMs();
    if (m_flushAtPassEnd) { // behind bytes of this pass: they leave together
        m_outbox.append(bytes.data(), bytes.size());
        return;
    }
    qsizetype sent = 0;
    if (outboxPending() == 0) {
        // Nothing waits before it. While the worker's EpollEventDispatcher has more ready
        // sockets to handle in this pass, the bytes wait in the outbox and leave at the pass
        // end with the pass's other writes (atPassEndWhileBusy: at max load on two shared
        // cores, fewer preemptions of the workers and about 10 % less CPU per request; see the
        // README). Otherwise they are sent at once from the caller's bytes (one system call
        // for a whole answer); only what the kernel does not take now is copied to the outbox.
        if (m_fd >= 0 && !m_tls &&
            EpollEventDispatcher::atPassEndWhileBusy(&flushAtPassEnd, this)) {
            m_flushAtPassEnd = true;
            m_outbox.append(bytes.data(), bytes.size());
            return;
        }
        sent = m_fd >= 0 ? sendNow(bytes.data(), bytes.size()) : -1;
        if (sent < 0) {
            // The client is gone (reset); the exchange learns it from a fresh stack.
            QMetaObject::invokeMethod(this, &HttpConnection::closeNow, Qt::QueuedConnection);
            return;
        }
        if (sent == bytes.size())
            return;
    }
    m_outbox.append(bytes.data() + sent, bytes.size() - sent);
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(true);
}

void HttpConnection::refuse(int status, const QByteArray &code, const QByteArray &message)
{
    Q_UNUSED(code);
    if (m_earlyAnswer.status != 0 && m_earlyAnswer.status == status) {
        // The handler refused the request from its headers (before its body).
        m_parser.discard();
        writeBytes(buildHttpResponse(m_earlyAnswer.status, m_earlyAnswer.headers,
                                     m_earlyAnswer.body, false));
        m_earlyAnswer = {};
        closeAfterWrite();
        return;
    }
    const ApiError error = ApiError::fromParserStatus(status, message);
    HttpEarlyAnswer answer;
    if (m_worker->handler()) {
        // The handler answers in its path's dialect, the path known from the request target
        // even when the headers were never complete (431, 408).
        HttpRequest request = m_parser.refusedRequest();
        if (request.path.isEmpty()) {
            const qsizetype query = request.target.indexOf('?');
            request.path = query < 0 ? request.target : request.target.left(query);
        }
        answer = m_worker->handler()->refused(request, error);
    }
    if (answer.status == 0) {
        answer = {error.status,
                  {{"content-type", "application/json"}, {"x-request-id", newRequestId()}},
                  error.body()};
        answer.headers.append(error.extraHeaders);
    }
    // What was buffered goes back to the relay-wide pool before the client hears of it.
    m_parser.discard();
    writeBytes(buildHttpResponse(answer.status, answer.headers, answer.body, false));
    closeAfterWrite();
}

void HttpConnection::closeAfterWrite()
{
    if (m_closing)
        return;
    m_closing = true;
    m_lingering = true;
    m_lingerDeadlineMs = m_worker->clock().monotonicMs() + m_worker->config().lingerTimeoutMs;
    m_parser.discard(); // bodies buffered for requests that will not be answered
    m_inbox.clear();
    pull();
    shutdownWriteWhenFlushed();
}

void HttpConnection::shutdownWriteWhenFlushed()
{
    if (m_gone || bytesToWrite() > 0)
        return;
    // The client sees the end of the answer (FIN) and closes; its close ends the linger.
    if (!m_writeShut) {
        m_writeShut = true;
        ::shutdown(m_fd, SHUT_WR);
    }
    if (m_readEof)
        closeNow();
}

void HttpConnection::closeNow()
{
    m_closing = true;
    closeSocket();
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

bool HttpConnection::clientReset() const
{
    tcp_info info{};
    socklen_t len = sizeof info;
    return ::getsockopt(m_fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 &&
           info.tcpi_state == kTcpClosed;
}

bool HttpConnection::checkSendTimeout(qint64 nowMs)
{
    const qint64 queued = bytesToWrite();
    if (queued == 0 && !m_mayOweBytes) {
        m_sendProgressMs = nowMs;
        return false;
    }
    // Progress is the client's side acknowledging bytes (the kernel takes some without it).
    const SendState state = sendState(m_fd);
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
    if (m_handshaking) {
        // A TLS handshake is the client's first bytes: it gets the header timeout.
        if (m_worker->isDraining() ||
            nowMs - m_lastActivityMs >= m_worker->config().headerTimeoutMs)
            closeNow();
        return;
    }
    if (m_readEof && clientReset()) {
        closeNow();
        return;
    }
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
