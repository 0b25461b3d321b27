#include "HttpMessage.h"

#include "core/ByteWriter.h"

#include <http_parser.h>

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

void writeHeaderLines(ByteWriter &out, const HttpHeaders &headers)
{
    for (const auto &h : headers) {
        out.put(h.first);
        out.put(": ");
        out.put(h.second);
        out.put("\r\n");
    }
}

namespace {

// The status line's "HTTP/1.1 NNN Reason\r\n".
void writeStatusLine(ByteWriter &out, int status)
{
    out.put("HTTP/1.1 ");
    out.putNumber(status);
    out.put(' ');
    out.put(httpReasonPhrase(status));
    out.put("\r\n");
}

void writeHead(ByteWriter &out, int status, const HttpHeaders &headers)
{
    writeStatusLine(out, status);
    writeHeaderLines(out, headers);
}

void writeFullHead(ByteWriter &out, int status, const HttpHeaders &headers, qsizetype bodySize,
                   bool keepAlive)
{
    writeHead(out, status, headers);
    out.put("content-length: ");
    out.putNumber(bodySize);
    out.put(keepAlive ? QByteArrayView("\r\n\r\n")
                      : QByteArrayView("\r\nconnection: close\r\n\r\n"));
}

// The head's size with its headers, at most: for growing the buffer once.
qsizetype headSize(const HttpHeaders &headers)
{
    qsizetype size = 64 + 64; // status line, content-length and connection lines
    for (const auto &h : headers)
        size += h.first.size() + h.second.size() + 4;
    return size;
}

} // namespace

void appendHttpResponse(QByteArray &out, int status, const HttpHeaders &headers,
                        QByteArrayView body, bool keepAlive)
{
    ByteWriter writer(out, headSize(headers) + body.size());
    writeFullHead(writer, status, headers, body.size(), keepAlive);
    writer.put(body);
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
    {
        ByteWriter writer(out, headSize(headers));
        writeFullHead(writer, status, headers, bodySize, keepAlive);
    }
    return out;
}

QByteArray buildHttpStreamHead(int status, const HttpHeaders &headers, bool chunked)
{
    QByteArray out;
    {
        ByteWriter writer(out, headSize(headers) + 16);
        writeHead(writer, status, headers);
        writer.put(chunked ? QByteArrayView("transfer-encoding: chunked\r\n\r\n")
                           : QByteArrayView("connection: close\r\n\r\n"));
    }
    return out;
}

void appendChunk(QByteArray &out, QByteArrayView payload)
{
    if (payload.isEmpty())
        return;
    ByteWriter writer(out, 20 + payload.size());
    writer.putNumber(payload.size(), 16);
    writer.put("\r\n");
    writer.put(payload);
    writer.put("\r\n");
}

QByteArray encodeChunk(QByteArrayView payload)
{
    QByteArray out;
    appendChunk(out, payload);
    return out;
}

} // namespace relay
