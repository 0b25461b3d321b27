#pragma once

#include "HeaderAccumulator.h"
#include "HttpMessage.h"

#include <memory>

struct http_parser;

namespace relay {

// Incremental HTTP/1.1 response parser over nodejs http-parser (chunked and length-delimited
// bodies, and bodies that end at EOF). After each feed() the caller takes what arrived:
// the head once, then body bytes (de-chunked), then completion. Nothing is called back from
// inside the parser, so the caller may destroy or reuse its connection freely.
class HttpResponseParser
{
public:
    HttpResponseParser();
    ~HttpResponseParser();
    HttpResponseParser(const HttpResponseParser &) = delete;
    HttpResponseParser &operator=(const HttpResponseParser &) = delete;

    // Ready for the next response on the same connection.
    void reset();
    bool feed(const char *data, qsizetype size);
    // Keeps only the headers of these lower-case names (the list must outlive the parser, and
    // its names, string literals, every header kept: they share their bytes); the rest are
    // parsed and dropped. By default every header is kept.
    void keepOnlyHeaders(std::span<const QByteArrayView> names) { m_header.keepOnly(names); }
    // The connection closed: completes a body that runs to EOF; false if the response was cut.
    bool feedEof();

    bool headComplete() const { return m_headComplete; }
    int status() const { return m_status; }
    const HttpHeaders &headers() const { return m_headers; }
    // Body bytes parsed since the last call.
    QByteArray takeBody();
    bool messageComplete() const { return m_complete; }
    bool keepAlive() const { return m_keepAlive; }
    bool failed() const { return !m_error.isEmpty(); }
    const QByteArray &error() const { return m_error; }

private:
    friend struct HttpResponseParserCallbacks;
    std::unique_ptr<http_parser> m_parser;
    int m_status = 0;
    HttpHeaders m_headers;
    HeaderAccumulator m_header;
    bool m_headComplete = false;
    bool m_complete = false;
    bool m_keepAlive = false;
    bool m_started = false;
    QByteArray m_body;
    QByteArray m_error;
};

} // namespace relay
