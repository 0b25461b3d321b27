#include "HttpExchange.h"

#include "HttpConnection.h"
#include "HttpWorker.h"
#include "core/PostBox.h"
#include "core/ScratchBuffer.h"

namespace relay {

HttpExchange::HttpExchange(HttpConnection *connection, HttpRequest request, qint64 receivedMs)
    : m_connection(connection), m_request(std::move(request)), m_receivedMs(receivedMs)
{
}

HttpExchange::~HttpExchange()
{
    if (m_observer)
        m_observer->exchangeGone();
}

HttpExchangeRef::HttpExchangeRef(HttpExchange *exchange) : m_exchange(exchange)
{
    if (!exchange)
        return;
    if (!exchange->m_alive)
        exchange->m_alive = std::make_shared<const bool>(true);
    m_alive = exchange->m_alive;
    m_postBox = exchange->workerPostBox();
}

bool HttpExchangeRef::post(std::function<void()> work) const
{
    return m_postBox && m_postBox->post(std::move(work));
}

const std::shared_ptr<PostBox> &HttpExchange::workerPostBox() const
{
    return m_connection->m_worker->postBox();
}

bool HttpExchange::isDraining() const
{
    return m_connection->m_worker->isDraining();
}

QHostAddress HttpExchange::peerAddress() const
{
    return m_connection->peerAddress();
}

namespace {

// The worker thread's buffer for the answers its exchanges build (see ScratchBuffer).
QByteArray &answerStorage()
{
    thread_local QByteArray bytes;
    return bytes;
}

} // namespace

void HttpExchange::respond(int status, const HttpHeaders &headers, const QByteArray &body)
{
    if (m_finished)
        return;
    if (m_streaming) {
        endStream();
        return;
    }
    const bool keepAlive = m_request.keepAlive && !isDraining();
    // A HEAD answer is the GET answer's head alone: a body would be read as the next response.
    if (!m_clientGone) {
        if (isHead()) {
            m_connection->writeBytes(
                buildHttpResponseHead(status, headers, body.size(), keepAlive));
        } else {
            ScratchBuffer out(answerStorage());
            appendHttpResponse(out.bytes(), status, headers, body, keepAlive);
            m_connection->writeBytes(out.bytes());
        }
    }
    finish(keepAlive);
}

void HttpExchange::beginStream(int status, const HttpHeaders &headers)
{
    if (m_finished || m_streaming)
        return;
    m_streaming = true;
    m_answerStarted = true;
    // HTTP/1.0 has no chunked coding: the body then ends when the connection closes.
    m_chunked = m_request.versionMinor >= 1;
    if (isHead()) {
        m_chunked = false;
        if (!m_clientGone)
            m_connection->writeBytes(buildHttpResponseHead(status, headers, 0, false));
        return;
    }
    if (!m_clientGone)
        m_connection->writeBytes(buildHttpStreamHead(status, headers, m_chunked));
}

void HttpExchange::writeStream(QByteArrayView data)
{
    if (m_finished || !m_streaming || m_clientGone || data.isEmpty() || isHead())
        return;
    if (m_chunked) {
        ScratchBuffer out(answerStorage());
        appendChunk(out.bytes(), data);
        m_connection->writeBytes(out.bytes());
    } else
        m_connection->writeBytes(data);
}

void HttpExchange::endStream()
{
    if (m_finished)
        return;
    if (!m_streaming) {
        respond(200, {}, {});
        return;
    }
    if (!m_clientGone && m_chunked)
        m_connection->writeBytes(kLastChunk);
    finish(m_chunked && m_request.keepAlive && !isDraining());
}

void HttpExchange::abortConnection()
{
    if (m_finished)
        return;
    m_finished = true;
    m_clientGone = true;
    m_connection->exchangeAborted(this);
}

qint64 HttpExchange::pendingClientBytes() const
{
    return m_clientGone ? 0 : m_connection->bytesToWrite();
}

bool HttpExchange::isClientBacklogged() const
{
    return !m_clientGone && m_connection->clientBacklogged();
}

void HttpExchange::markClientGone()
{
    if (m_clientGone || m_finished)
        return;
    m_clientGone = true;
    if (m_observer)
        m_observer->clientGone();
}

void HttpExchange::finish(bool keepAlive)
{
    m_finished = true;
    m_connection->exchangeFinished(this, keepAlive);
}

} // namespace relay
