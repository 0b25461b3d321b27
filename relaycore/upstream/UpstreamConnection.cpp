#include "UpstreamConnection.h"

#include "core/DirectNotifier.h"
#include "core/EpollEventDispatcher.h"

#include <QSocketNotifier>
#include <QSslSocket>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace relay {

namespace {
// Read at most this much per read(); bytes beyond it stay in the kernel until the next one.
constexpr qsizetype kReadChunk = 64 * 1024;

// The thread's read buffer: what read() returns is consumed before the next read() on any
// connection of the thread, so one buffer serves them all (and an idle connection holds none).
char *threadReadBuffer()
{
    thread_local std::unique_ptr<char[]> buffer(new char[kReadChunk]);
    return buffer.get();
}
} // namespace

UpstreamConnection::UpstreamConnection(const UpstreamEndpoint &endpoint, QObject *parent)
    : QObject(parent), m_endpoint(endpoint)
{
}

UpstreamConnection::~UpstreamConnection()
{
    abort(); // the notifiers, children, go after it
}

void UpstreamConnection::open()
{
    if (m_endpoint.tls) {
        m_tls = std::make_unique<QSslSocket>();
        QSslSocket *ssl = m_tls.get();
        // Bounded, so that pausing a stream for a slow client pushes back on the upstream.
        ssl->setReadBufferSize(256 * 1024);
        connect(ssl, &QSslSocket::encrypted, this, [this] {
            m_ready = true;
            if (m_client)
                m_client->connectionReady(this);
        });
        connect(ssl, &QSslSocket::readyRead, this, [this] {
            if (m_client)
                m_client->connectionReadable(this);
        });
        connect(ssl, &QSslSocket::disconnected, this, [this] {
            m_ended = true;
            if (!m_ready)
                return onConnectError();
            if (m_client)
                m_client->connectionReadable(this);
        });
        connect(ssl, &QSslSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
            if (e == QAbstractSocket::RemoteHostClosedError)
                return; // disconnected() follows
            if (!m_ready)
                return onConnectError();
            if (m_tls->state() == QAbstractSocket::UnconnectedState) {
                m_broken = true;
                m_error = m_tls->errorString();
                if (m_client)
                    m_client->connectionReadable(this);
            }
        });
        ssl->connectToHostEncrypted(m_endpoint.host, m_endpoint.port);
        ssl->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        return;
    }
    // Qt looks the name up and connects; the connected descriptor is then the relay's own.
    m_connecting = std::make_unique<QTcpSocket>();
    connect(m_connecting.get(), &QTcpSocket::connected, this, &UpstreamConnection::onConnected);
    connect(m_connecting.get(), &QTcpSocket::errorOccurred, this,
            &UpstreamConnection::onConnectError);
    m_connecting->connectToHost(m_endpoint.host, m_endpoint.port);
}

void UpstreamConnection::onConnected()
{
    QTcpSocket *socket = m_connecting.get();
    socket->disconnect(this);
    m_fd = ::fcntl(int(socket->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
    // Closes Qt's descriptor only; the connection lives on in m_fd (no shutdown is sent).
    socket->abort();
    m_connecting.release()->deleteLater();
    if (m_fd < 0) {
        m_error = QString::fromLocal8Bit(std::strerror(errno));
        if (m_client)
            m_client->connectionFailed(this);
        return;
    }
    ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    m_readNotifier =
        DirectNotifier::create<&UpstreamConnection::onReadable>(m_fd, QSocketNotifier::Read, this);
    m_readNotifier->setEnabled(m_reading);
    m_writeNotifier =
        DirectNotifier::create<&UpstreamConnection::onWritable>(m_fd, QSocketNotifier::Write, this);
    m_writeNotifier->setEnabled(false);
    m_ready = true;
    if (m_client)
        m_client->connectionReady(this);
}

void UpstreamConnection::onConnectError()
{
    if (m_ready || m_broken)
        return;
    m_broken = true;
    m_error = m_tls          ? m_tls->errorString()
              : m_connecting ? m_connecting->errorString()
                             : QStringLiteral("connection closed");
    if (m_client)
        m_client->connectionFailed(this);
}

bool UpstreamConnection::isOpen() const
{
    if (!m_ready || m_ended || m_broken)
        return false;
    return m_tls ? m_tls->state() == QAbstractSocket::ConnectedState : m_fd >= 0;
}

bool UpstreamConnection::hasBuffered() const
{
    return m_tls && m_tls->bytesAvailable() > 0;
}

bool UpstreamConnection::send(const QByteArray &head, const QByteArray &body)
{
    if (!isOpen())
        return false;
    if (m_tls) {
        m_tls->write(head);
        if (!body.isEmpty())
            m_tls->write(body);
        return m_tls->state() == QAbstractSocket::ConnectedState;
    }
    if (m_sendAtPassEnd || m_pendingSent < m_pending.size()) {
        // Behind an earlier request not yet sent: queued after it.
        if (!m_passEndBody.isEmpty())
            m_pending.append(std::exchange(m_passEndBody, QByteArray()));
        m_pending.append(head.constData(), head.size());
        m_pending.append(body.constData(), body.size());
        return true;
    }
    if (EpollEventDispatcher::atPassEndWhileBusy(&sendAtPassEnd, this)) {
        // Copied: the caller wipes its head (the provider's key) when send() returns.
        m_sendAtPassEnd = true;
        m_pending.append(head.constData(), head.size());
        m_pendingSent = 0;
        m_passEndBody = body;
        return true;
    }
    return writeOrQueue(head, body);
}

bool UpstreamConnection::writeOrQueue(QByteArrayView head, const QByteArray &body)
{
    iovec parts[2] = {{const_cast<char *>(head.data()), size_t(head.size())},
                      {const_cast<char *>(body.constData()), size_t(body.size())}};
    const qsizetype total = head.size() + body.size();
    ssize_t n;
    do {
        n = ::writev(m_fd, parts, body.isEmpty() ? 1 : 2);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        breakWith(errno);
        return false;
    }
    const qsizetype sent = n < 0 ? 0 : qsizetype(n);
    if (sent == total)
        return true;
    clearPending();
    if (sent < head.size()) {
        m_pending.append(head.data() + sent, head.size() - sent);
        m_pending.append(body);
    } else {
        m_pending.append(body.constData() + (sent - head.size()), total - sent);
    }
    m_writeNotifier->setEnabled(true);
    return true;
}

void UpstreamConnection::sendAtPassEnd(void *connection)
{
    auto *self = static_cast<UpstreamConnection *>(connection);
    self->m_sendAtPassEnd = false;
    const QByteArray body = std::exchange(self->m_passEndBody, QByteArray());
    // The head (and any request queued behind it) leaves as send() writes at once; its copy
    // is wiped after, as it holds the provider's key.
    QByteArray head = std::exchange(self->m_pending, QByteArray());
    const qsizetype from = std::exchange(self->m_pendingSent, 0);
    // abort() withdraws this; a break may have been read meanwhile.
    const bool open = self->m_fd >= 0 && !self->m_broken;
    const bool written = open && self->writeOrQueue(QByteArrayView(head).sliced(from), body);
    wipe(head);
    if (open && !written && self->m_client)
        self->m_client->connectionReadable(self); // it reads the break
}

void UpstreamConnection::wipe(QByteArray &bytes)
{
    if (!bytes.isEmpty())
        std::memset(bytes.data(), 0, size_t(bytes.size()));
    bytes.clear();
}

void UpstreamConnection::clearPending()
{
    wipe(m_pending);
    m_pendingSent = 0;
}

bool UpstreamConnection::flushPending()
{
    while (m_pendingSent < m_pending.size()) {
        const ssize_t n = ::send(m_fd, m_pending.constData() + m_pendingSent,
                                 size_t(m_pending.size() - m_pendingSent), MSG_NOSIGNAL);
        if (n > 0) {
            m_pendingSent += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        breakWith(n < 0 ? errno : EPIPE);
        return false;
    }
    clearPending();
    m_writeNotifier->setEnabled(false);
    return true;
}

void UpstreamConnection::onWritable()
{
    if (!flushPending() && m_client)
        m_client->connectionReadable(this); // it reads the break
}

void UpstreamConnection::breakWith(int error)
{
    m_broken = true;
    m_error = QString::fromLocal8Bit(std::strerror(error));
    if (m_readNotifier)
        m_readNotifier->setEnabled(false);
    if (m_writeNotifier)
        m_writeNotifier->setEnabled(false);
}

void UpstreamConnection::onReadable()
{
    m_mayHaveMore = true;
    if (m_client)
        m_client->connectionReadable(this);
    else
        m_readNotifier->setEnabled(false); // nobody would read it: stop the level-triggered wake
}

UpstreamConnection::ReadResult UpstreamConnection::read(const char *&data, qsizetype &size)
{
    char *buffer = threadReadBuffer();
    if (m_tls) {
        const qint64 n = m_tls->read(buffer, kReadChunk);
        if (n > 0) {
            data = buffer;
            size = qsizetype(n);
            return ReadResult::Data;
        }
        if (m_broken || n < 0)
            return ReadResult::Broken;
        return m_ended ? ReadResult::End : ReadResult::Nothing;
    }
    if (m_broken)
        return ReadResult::Broken;
    if (m_ended)
        return ReadResult::End;
    if (!m_mayHaveMore || m_fd < 0)
        return ReadResult::Nothing;
    ssize_t n;
    do {
        n = ::recv(m_fd, buffer, size_t(kReadChunk), MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        // Less than asked for: the kernel held no more (the notifier says when it does).
        m_mayHaveMore = n == kReadChunk;
        data = buffer;
        size = qsizetype(n);
        return ReadResult::Data;
    }
    if (n == 0) {
        m_ended = true;
        m_readNotifier->setEnabled(false);
        return ReadResult::End;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        m_mayHaveMore = false;
        return ReadResult::Nothing;
    }
    breakWith(errno);
    return ReadResult::Broken;
}

void UpstreamConnection::abort()
{
    m_client = nullptr;
    m_broken = true;
    if (m_sendAtPassEnd) { // a request cancelled in the pass it was sent in never leaves
        m_sendAtPassEnd = false;
        m_passEndBody = QByteArray();
        EpollEventDispatcher::withdrawPassEnd(this);
    }
    clearPending();
    if (m_connecting) {
        m_connecting->disconnect(this);
        m_connecting->abort();
    }
    if (m_tls) {
        m_tls->disconnect(this);
        m_tls->abort();
    }
    if (m_fd >= 0) {
        // Unregistered before the descriptor goes, so that a socket reusing its number is
        // never mistaken for this one.
        m_readNotifier->setEnabled(false);
        m_writeNotifier->setEnabled(false);
        ::close(m_fd);
        m_fd = -1;
    }
}

void UpstreamConnection::setReading(bool on)
{
    if (on && !m_reading)
        m_mayHaveMore = true; // bytes may have come while it was off
    m_reading = on;
    if (m_readNotifier)
        m_readNotifier->setEnabled(on && !m_ended && !m_broken);
}

} // namespace relay
