#pragma once

#include "core/Headers.h"

#include <QByteArray>
#include <QList>
#include <QPair>

#include <atomic>
#include <memory>

namespace relay {

QByteArray headerValue(const HttpHeaders &headers, QByteArrayView lowerName);

// Request-body bytes the relay holds in memory, counted against one relay-wide pool
// (interface.md §4: at most 256 MiB of bodies buffered). Shared by the copies of a request;
// the bytes go back to the pool when the last copy is gone.
class BodyReservation
{
public:
    BodyReservation(std::atomic<qint64> *pool, qint64 limit) : m_pool(pool), m_limit(limit) {}
    ~BodyReservation()
    {
        if (m_pool)
            m_pool->fetch_sub(m_bytes, std::memory_order_relaxed);
    }
    BodyReservation(const BodyReservation &) = delete;
    BodyReservation &operator=(const BodyReservation &) = delete;
    // false (and nothing taken) when the pool cannot hold `bytes` more.
    bool grow(qint64 bytes)
    {
        if (!m_pool)
            return true;
        const qint64 before = m_pool->fetch_add(bytes, std::memory_order_relaxed);
        if (before + bytes > m_limit) {
            m_pool->fetch_sub(bytes, std::memory_order_relaxed);
            return false;
        }
        m_bytes += bytes;
        return true;
    }
    qint64 bytes() const { return m_bytes; }

private:
    std::atomic<qint64> *m_pool;
    qint64 m_limit;
    qint64 m_bytes = 0;
};

// One parsed HTTP/1.x request.
struct HttpRequest
{
    QByteArray method;
    QByteArray target; // path and query as sent
    QByteArray path;   // without the query
    HttpHeaders headers;
    QByteArray body;
    int versionMinor = 1;
    bool keepAlive = true;
    // The body's share of the relay-wide pool (none when the parser has no pool).
    std::shared_ptr<BodyReservation> bodyReservation;
    // The hash of the tenant key the request carries, kept by the first check of the key (the
    // check before the body and the one after it see the same key: it is hashed once).
    mutable QByteArray keyHash;

    QByteArray header(QByteArrayView lowerName) const { return headerValue(headers, lowerName); }
};

// Serialises a complete response (status line, headers, Content-Length, body) so that it can be
// written with one system call.
QByteArray buildHttpResponse(int status, const HttpHeaders &headers, const QByteArray &body,
                             bool keepAlive);
// The same appended to `out` (grown once).
void appendHttpResponse(QByteArray &out, int status, const HttpHeaders &headers,
                        QByteArrayView body, bool keepAlive);
// The same response's status line and headers only: the answer to a HEAD request.
QByteArray buildHttpResponseHead(int status, const HttpHeaders &headers, qsizetype bodySize,
                                 bool keepAlive);
// Status line and headers of a streamed response; chunked when `chunked`, else the body ends
// when the connection closes (HTTP/1.0 clients).
QByteArray buildHttpStreamHead(int status, const HttpHeaders &headers, bool chunked);
// One chunk in chunked transfer coding; an empty payload gives nothing (use kLastChunk to end).
QByteArray encodeChunk(QByteArrayView payload);
// The same appended to `out`.
void appendChunk(QByteArray &out, QByteArrayView payload);
inline constexpr QByteArrayView kLastChunk = "0\r\n\r\n";

QByteArray httpReasonPhrase(int status);
class ByteWriter;
// Writes "name: value\r\n" for each header.
void writeHeaderLines(ByteWriter &out, const HttpHeaders &headers);

} // namespace relay
