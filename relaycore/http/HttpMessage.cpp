#include "HttpMessage.h"

#include <http_parser.h>

#include <cstdio>
#include <cstring>

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
    return QByteArray::fromRawData(s, qsizetype(strlen(s))); // http-parser's static table
}

static void appendHead(QByteArray &out, int status, const HttpHeaders &headers)
{
    out += "HTTP/1.1 ";
    char digits[12];
    const int n = std::snprintf(digits, sizeof digits, "%d ", status);
    out.append(digits, n);
    out += httpReasonPhrase(status);
    out += "\r\n";
    appendHeaderLines(out, headers);
}

void appendHeaderLines(QByteArray &out, const HttpHeaders &headers)
{
    qsizetype size = 0;
    for (const auto &h : headers)
        size += h.first.size() + h.second.size() + 4;
    qsizetype at = out.size();
    out.resize(at + size);
    char *to = out.data();
    const auto put = [&](const char *from, qsizetype n) {
        std::memcpy(to + at, from, size_t(n));
        at += n;
    };
    for (const auto &h : headers) {
        put(h.first.constData(), h.first.size());
        put(": ", 2);
        put(h.second.constData(), h.second.size());
        put("\r\n", 2);
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
