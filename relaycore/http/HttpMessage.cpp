#include "HttpMessage.h"

#include <http_parser.h>

namespace relay {

QByteArray headerValue(const HttpHeaders &headers, QByteArrayView lowerName)
{
    for (const auto &h : headers)
        if (h.first == lowerName)
            return h.second;
    return {};
}

QByteArray httpReasonPhrase(int status)
{
    if (status == 529)
        return QByteArrayLiteral("Site Overloaded");
    const char *s = http_status_str(static_cast<http_status>(status));
    if (!s || QByteArrayView(s) == "<unknown>")
        return QByteArrayLiteral("Status");
    return QByteArray(s);
}

static void appendHead(QByteArray &out, int status, const HttpHeaders &headers)
{
    out += "HTTP/1.1 ";
    out += QByteArray::number(status);
    out += ' ';
    out += httpReasonPhrase(status);
    out += "\r\n";
    for (const auto &h : headers) {
        out += h.first;
        out += ": ";
        out += h.second;
        out += "\r\n";
    }
}

static void appendFullHead(QByteArray &out, int status, const HttpHeaders &headers,
                           qsizetype bodySize, bool keepAlive)
{
    appendHead(out, status, headers);
    out += "content-length: ";
    out += QByteArray::number(bodySize);
    out += keepAlive ? "\r\n\r\n" : "\r\nconnection: close\r\n\r\n";
}

QByteArray buildHttpResponse(int status, const HttpHeaders &headers, const QByteArray &body,
                             bool keepAlive)
{
    QByteArray out;
    out.reserve(256 + body.size());
    appendFullHead(out, status, headers, body.size(), keepAlive);
    out += body;
    return out;
}

QByteArray buildHttpResponseHead(int status, const HttpHeaders &headers, qsizetype bodySize,
                                 bool keepAlive)
{
    QByteArray out;
    out.reserve(256);
    appendFullHead(out, status, headers, bodySize, keepAlive);
    return out;
}

QByteArray buildHttpStreamHead(int status, const HttpHeaders &headers, bool chunked)
{
    QByteArray out;
    out.reserve(256);
    appendHead(out, status, headers);
    out += chunked ? "transfer-encoding: chunked\r\n\r\n" : "connection: close\r\n\r\n";
    return out;
}

QByteArray encodeChunk(QByteArrayView payload)
{
    if (payload.isEmpty())
        return {};
    QByteArray out;
    out.reserve(payload.size() + 12);
    out += QByteArray::number(payload.size(), 16);
    out += "\r\n";
    out += payload;
    out += "\r\n";
    return out;
}

} // namespace relay
