#include "HttpMessage.h"

#include <http_parser.h>

#include <charconv>
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

namespace {

// The status line's "HTTP/1.1 NNN Reason\r\n".
void appendStatusLine(QByteArray &out, int status)
{
    char line[48] = "HTTP/1.1 ";
    char *at = std::to_chars(line + 9, line + 20, status).ptr;
    *at++ = ' ';
    out.append(line, at - line);
    out += httpReasonPhrase(status);
    out += "\r\n";
}

void appendHead(QByteArray &out, int status, const HttpHeaders &headers)
{
    appendStatusLine(out, status);
    appendHeaderLines(out, headers);
}

// The head's size with its headers: for growing the buffer once.
qsizetype headSize(const HttpHeaders &headers)
{
    qsizetype size = 64 + 48; // status line, content-length and connection lines
    for (const auto &h : headers)
        size += h.first.size() + h.second.size() + 4;
    return size;
}

} // namespace

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
    char line[64] = "content-length: ";
    char *at = std::to_chars(line + 16, line + 40, bodySize).ptr;
    out.append(line, at - line);
    out += keepAlive ? QByteArrayView("\r\n\r\n") : QByteArrayView("\r\nconnection: close\r\n\r\n");
}

void appendHttpResponse(QByteArray &out, int status, const HttpHeaders &headers,
                        QByteArrayView body, bool keepAlive)
{
    out.reserve(out.size() + headSize(headers) + body.size());
    appendFullHead(out, status, headers, body.size(), keepAlive);
    out += body;
}

QByteArray buildHttpResponse(int status, const HttpHeaders &headers, const QByteArray &body,
                             bool keepAlive)
{
    QByteArray out;
    appendHttpResponse(out, status, headers, body, keepAlive);
    return out;
}

QByteArray buildHttpResponseHead(int status, const HttpHeaders &headers, qsizetype bodySize,
                                 bool keepAlive)
{
    QByteArray out;
    out.reserve(headSize(headers));
    appendFullHead(out, status, headers, bodySize, keepAlive);
    return out;
}

QByteArray buildHttpStreamHead(int status, const HttpHeaders &headers, bool chunked)
{
    QByteArray out;
    out.reserve(headSize(headers));
    appendHead(out, status, headers);
    out += chunked ? "transfer-encoding: chunked\r\n\r\n" : "connection: close\r\n\r\n";
    return out;
}

void appendChunk(QByteArray &out, QByteArrayView payload)
{
    if (payload.isEmpty())
        return;
    char line[24];
    char *at = std::to_chars(line, line + 20, payload.size(), 16).ptr;
    *at++ = '\r';
    *at++ = '\n';
    out.reserve(out.size() + (at - line) + payload.size() + 2);
    out.append(line, at - line);
    out += payload;
    out += "\r\n";
}

QByteArray encodeChunk(QByteArrayView payload)
{
    QByteArray out;
    appendChunk(out, payload);
    return out;
}

} // namespace relay
