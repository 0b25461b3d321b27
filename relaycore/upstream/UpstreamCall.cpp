#include "UpstreamCall.h"

#include "ConnectionCache.h"
#include "core/ByteWriter.h"
#include "core/Clock.h"
#include "core/ScratchBuffer.h"
#include "http/HttpMessage.h"

namespace relay {

UpstreamCall::UpstreamCall(ConnectionCache &cache, Clock &clock, DeadlineQueue &deadlines,
                           UpstreamCallListener *listener)
    : m_cache(cache), m_clock(clock), m_deadlines(deadlines), m_listener(listener)
{
    // The headers of an upstream's answer that anything reads (the adapters' content type, the
    // retry policy's delays): the others are dropped as they are parsed. A new reader of an
    // upstream's header adds its name here.
    static constexpr QByteArrayView kRead[] = {"content-type", "retry-after", "retry-after-ms"};
    m_parser.keepOnlyHeaders(kRead);
}

UpstreamCall::~UpstreamCall()
{
    cancel();
}

void UpstreamCall::start(UpstreamRequest request)
{
    if (m_connection)
        cancel();
    ++m_attempt;
    m_deadlines.disarm(m_resume); // buffered bytes of an earlier attempt are not this one's
    m_request = std::move(request);
    m_active = true;
    m_retriedFresh = false;
    m_headReported = false;
    m_readPaused = false;
    m_parser.reset();
    UpstreamConnection *connection = m_cache.take(m_request.endpoint);
    m_reused = connection != nullptr;
    if (!connection)
        connection = new UpstreamConnection(m_request.endpoint);
    attach(connection);
}

void UpstreamCall::attach(UpstreamConnection *connection)
{
    m_connection = connection;
    m_connection->setClient(this);
    m_connection->setReading(true);
    const qint64 now = m_clock.monotonicMs();
    m_sent = false;
    m_gotBytes = false;
    if (m_connection->isReady()) {
        send();
    } else {
        m_connectDeadline = now + m_request.connectTimeoutMs;
        armDeadline(m_connectDeadline);
        m_connection->open();
    }
}

void UpstreamCall::connectionReady(UpstreamConnection *)
{
    send();
}

void UpstreamCall::send()
{
    if (!m_active || m_sent)
        return;
    m_sent = true;
    const qint64 now = m_clock.monotonicMs();
    m_firstByteDeadline = now + m_request.firstByteTimeoutMs;
    m_lastByteMs = now;
    armDeadline(m_firstByteDeadline);
    bool sent;
    { // the buffer is wiped when this block ends, before anything the write may set off
        const UpstreamEndpoint &ep = m_request.endpoint;
        // Built in the worker's reusable buffer (see ScratchBuffer): the connection writes from it
        // and copies only what the kernel does not take at once; wiped after, as it holds the key.
        thread_local QByteArray storage;
        ScratchBuffer buffer(storage);
        QByteArray &head = buffer.bytes();
        {
            qsizetype room = m_request.method.size() + m_request.pathBase.size() +
                             m_request.path.size() + ep.host.size() * 3 +
                             128; // the fixed parts and numbers
            for (const auto &h : m_request.headers)
                room += h.first.size() + h.second.size() + 4;
            ByteWriter out(head, room);
            out.put(m_request.method);
            out.put(' ');
            out.put(m_request.pathBase);
            out.put(m_request.path);
            out.put(" HTTP/1.1\r\nhost: ");
            // An IPv6 literal goes in brackets (RFC 9110 §7.2).
            const bool literal6 = ep.host.contains(QLatin1Char(':'));
            if (literal6)
                out.put('[');
            out.putUtf8(ep.host);
            if (literal6)
                out.put(']');
            if (ep.port != (ep.tls ? 443 : 80)) {
                out.put(':');
                out.putNumber(ep.port);
            }
            out.put("\r\n");
            writeHeaderLines(out, m_request.headers);
            if (m_request.method != "GET" || !m_request.body.isEmpty()) {
                out.put("content-length: ");
                out.putNumber(m_request.body.size());
                out.put("\r\n");
            }
            out.put("\r\n");
        }
        // A connection that broke under the write is read as broken: a reused one is retried
        // fresh.
        sent = m_connection->send(head, m_request.body);
    }
    if (!sent)
        readAvailable();
}

void UpstreamCall::armDeadline(qint64 deadlineMs)
{
    m_deadlines.arm(m_deadline, deadlineMs);
}

void UpstreamCall::disarmDeadline()
{
    m_deadlines.disarm(m_deadline);
    m_deadlines.disarm(m_resume);
}

void UpstreamCall::deadlineReached()
{
    checkTimeouts(m_clock.monotonicMs());
}

void UpstreamCall::pauseReading()
{
    m_readPaused = true;
    if (m_connection)
        m_connection->setReading(false);
}

void UpstreamCall::resumeReading()
{
    if (!m_readPaused)
        return;
    m_readPaused = false;
    m_lastByteMs = m_clock.monotonicMs();
    if (!m_connection)
        return;
    m_connection->setReading(true); // plain: the notifier says when bytes wait
    if (m_connection->hasBuffered())
        m_deadlines.arm(m_resume, m_clock.monotonicMs());
}

void UpstreamCall::connectionReadable(UpstreamConnection *)
{
    readAvailable();
}

void UpstreamCall::connectionFailed(UpstreamConnection *connection)
{
    if (!m_active || connection != m_connection)
        return;
    fail(UpstreamFailure::ConnectFailed,
         "could not connect to the upstream: " + connection->errorString().toUtf8());
}

void UpstreamCall::readAvailable()
{
    const quint64 attempt = m_attempt;
    while (m_active && attempt == m_attempt && !m_readPaused && m_connection) {
        const char *data = nullptr;
        qsizetype size = 0;
        switch (m_connection->read(data, size)) {
        case UpstreamConnection::ReadResult::Data:
            if (!consume(data, size))
                return;
            continue;
        case UpstreamConnection::ReadResult::Nothing:
            return;
        case UpstreamConnection::ReadResult::End:
        case UpstreamConnection::ReadResult::Broken:
            onEnded();
            return;
        }
    }
}

bool UpstreamCall::consume(const char *data, qsizetype size)
{
    const quint64 attempt = m_attempt;
    if (!m_gotBytes)
        m_deadlines.disarm(m_deadline); // the stream's silence is the sweep's
    m_gotBytes = true;
    m_lastByteMs = m_clock.monotonicMs();
    if (!m_parser.feed(data, size)) {
        fail(UpstreamFailure::Malformed, m_parser.error());
        return false;
    }
    if (m_parser.headComplete() && !m_headReported) {
        m_headReported = true;
        m_listener->upstreamHead(m_parser.status(), m_parser.headers());
        if (!m_active || attempt != m_attempt)
            return false;
    }
    if (m_headReported) {
        const QByteArray body = m_parser.takeBody();
        if (!body.isEmpty()) {
            m_listener->upstreamBody(body);
            if (!m_active || attempt != m_attempt)
                return false;
        }
    }
    if (m_parser.messageComplete()) {
        complete();
        return false;
    }
    return true;
}

void UpstreamCall::onEnded()
{
    if (!m_active)
        return;
    const quint64 attempt = m_attempt;
    // A reused keep-alive connection the upstream had already closed: try once on a fresh one.
    if (m_reused && !m_gotBytes && !m_retriedFresh) {
        m_retriedFresh = true;
        m_reused = false;
        detach();
        attach(new UpstreamConnection(m_request.endpoint));
        return;
    }
    if (!m_sent) {
        fail(UpstreamFailure::ConnectFailed, "could not connect to the upstream");
        return;
    }
    if (m_parser.feedEof()) {
        if (m_parser.headComplete() && !m_headReported) {
            m_headReported = true;
            m_listener->upstreamHead(m_parser.status(), m_parser.headers());
            if (!m_active || attempt != m_attempt)
                return;
        }
        const QByteArray body = m_parser.takeBody();
        if (!body.isEmpty()) {
            m_listener->upstreamBody(body);
            if (!m_active || attempt != m_attempt)
                return;
        }
        complete();
        return;
    }
    fail(UpstreamFailure::Reset, "the upstream closed the connection before the response was "
                                 "complete");
}

void UpstreamCall::checkTimeouts(qint64 nowMs)
{
    if (!m_active)
        return;
    if (!m_sent) {
        if (m_connectDeadline && nowMs >= m_connectDeadline)
            fail(UpstreamFailure::ConnectFailed, "connecting to the upstream timed out");
        return;
    }
    if (!m_gotBytes) {
        if (nowMs >= m_firstByteDeadline)
            fail(UpstreamFailure::FirstByteTimeout,
                 "the upstream sent no response within the timeout");
        return;
    }
    // While paused the silence is the client's, not the upstream's.
    if (!m_readPaused && nowMs - m_lastByteMs >= m_request.streamIdleTimeoutMs)
        fail(UpstreamFailure::StreamIdle, "the upstream stream stayed silent too long");
}

void UpstreamCall::fail(UpstreamFailure failure, const QByteArray &message)
{
    if (!m_active)
        return;
    m_active = false;
    disarmDeadline();
    detach(); // a failed connection is never reused
    m_listener->upstreamFailed(failure, message);
}

void UpstreamCall::complete()
{
    m_active = false;
    disarmDeadline();
    UpstreamConnection *connection = m_connection;
    const bool keepAlive = m_parser.keepAlive();
    if (connection) {
        m_connection = nullptr;
        connection->setClient(nullptr);
        if (keepAlive && connection->isOpen() && !connection->hasBuffered())
            m_cache.put(connection, m_clock.monotonicMs());
        else
            connection->deleteLater();
    }
    m_listener->upstreamDone();
}

void UpstreamCall::detach()
{
    if (!m_connection)
        return;
    m_connection->abort();
    // Possibly from inside its own report: the object goes once that has returned.
    m_connection->deleteLater();
    m_connection = nullptr;
}

void UpstreamCall::cancel()
{
    m_active = false;
    disarmDeadline();
    detach();
    // Nothing of the request stays with an object kept for the next one: not its body (a
    // tenant's prompt), not its headers (the provider's key), not the answer's bytes.
    m_request.body.clear();
    m_request.headers.clear();
    m_request.pathBase.clear();
    m_request.path.clear();
    m_parser.reset();
}

} // namespace relay
