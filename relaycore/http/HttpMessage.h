#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>

namespace relay {

// Header names are kept lower-case; values as received.
using HttpHeaders = QList<QPair<QByteArray, QByteArray>>;

QByteArray headerValue(const HttpHeaders &headers, QByteArrayView lowerName);

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

    QByteArray header(QByteArrayView lowerName) const { return headerValue(headers, lowerName); }
};

// Serialises a complete response (status line, headers, Content-Length, body) so that it can be
// written with one system call.
QByteArray buildHttpResponse(int status, const HttpHeaders &headers, const QByteArray &body,
                             bool keepAlive);
// Status line and headers of a streamed response; chunked when `chunked`, else the body ends
// when the connection closes (HTTP/1.0 clients).
QByteArray buildHttpStreamHead(int status, const HttpHeaders &headers, bool chunked);
// One chunk in chunked transfer coding; an empty payload gives nothing (use kLastChunk to end).
QByteArray encodeChunk(QByteArrayView payload);
inline constexpr QByteArrayView kLastChunk = "0\r\n\r\n";

QByteArray httpReasonPhrase(int status);

} // namespace relay
