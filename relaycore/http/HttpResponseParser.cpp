#include "HttpResponseParser.h"

#include <QScopeGuard>

#include <http_parser.h>

namespace relay {

struct HttpResponseParserCallbacks
{
    static HttpResponseParser *self(http_parser *p)
    {
        return static_cast<HttpResponseParser *>(p->data);
    }
    static int onMessageBegin(http_parser *p)
    {
        self(p)->m_started = true;
        return 0;
    }
    // Fields after the head are a chunked body's trailers: not the response's headers (which
    // have gone to the client by then), so not kept.
    static int onHeaderField(http_parser *p, const char *at, size_t len)
    {
        auto *s = self(p);
        if (s->m_headComplete)
            return 0;
        return s->m_header.addField(at, len, s->m_headers) ? 0 : -1;
    }
    static int onHeaderValue(http_parser *p, const char *at, size_t len)
    {
        auto *s = self(p);
        if (s->m_headComplete)
            return 0;
        return s->m_header.addValue(at, len) ? 0 : -1;
    }
    static int onHeadersComplete(http_parser *p)
    {
        auto *s = self(p);
        s->m_header.finish(s->m_headers);
        s->m_status = int(p->status_code);
        // An interim 1xx answer has no body (RFC 9110 §15.2), whatever it announces, and its
        // head is not the response's: 1 tells http-parser to skip the body.
        if (s->m_status >= 100 && s->m_status < 200 && s->m_status != 101)
            return 1;
        s->m_headComplete = true;
        return 0;
    }
    static int onBody(http_parser *p, const char *at, size_t len)
    {
        self(p)->m_body.append(at, qsizetype(len));
        return 0;
    }
    static int onMessageComplete(http_parser *p)
    {
        auto *s = self(p);
        // An interim 1xx answer (100 Continue, 103 Early Hints) is not the response: forget it
        // and keep reading for the final one.
        if (s->m_status >= 100 && s->m_status < 200 && s->m_status != 101) {
            s->m_status = 0;
            s->m_headers.clear();
            s->m_headComplete = false;
            s->m_body.clear();
            return 0;
        }
        s->m_complete = true;
        s->m_keepAlive = http_should_keep_alive(p) != 0;
        // One response per request: stop here so stray bytes are not taken as a second message.
        http_parser_pause(p, 1);
        return 0;
    }
    static const http_parser_settings &settings()
    {
        static const http_parser_settings st = [] {
            http_parser_settings x;
            http_parser_settings_init(&x);
            x.on_message_begin = onMessageBegin;
            x.on_header_field = onHeaderField;
            x.on_header_value = onHeaderValue;
            x.on_headers_complete = onHeadersComplete;
            x.on_body = onBody;
            x.on_message_complete = onMessageComplete;
            return x;
        }();
        return st;
    }
};

HttpResponseParser::HttpResponseParser()
    // An upstream's names and values up to 64 KiB each; at most 256 headers are kept.
    : m_parser(std::make_unique<http_parser>()), m_header(64 * 1024, 256)
{
    reset();
}

HttpResponseParser::~HttpResponseParser() = default;

void HttpResponseParser::reset()
{
    http_parser_init(m_parser.get(), HTTP_RESPONSE);
    m_parser->data = this;
    m_status = 0;
    m_headers.clear();
    m_header.clear();
    m_headComplete = false;
    m_complete = false;
    m_keepAlive = false;
    m_started = false;
    m_body.clear();
    m_error.clear();
}

bool HttpResponseParser::feed(const char *data, qsizetype size)
{
    // A header name or value cut by the end of this piece is kept past it.
    const auto keep = qScopeGuard([this] { m_header.keepPending(); });
    if (failed())
        return false;
    if (m_complete || size <= 0)
        return true;
    const size_t parsed = http_parser_execute(
        m_parser.get(), &HttpResponseParserCallbacks::settings(), data, size_t(size));
    const auto err = HTTP_PARSER_ERRNO(m_parser.get());
    if (m_complete) {
        // Bytes after a complete response on a keep-alive connection mean the connection
        // cannot be trusted for reuse.
        if (parsed < size_t(size))
            m_keepAlive = false;
        return true;
    }
    if (err != HPE_OK) {
        m_error = QByteArray("malformed upstream response: ") + http_errno_name(err);
        return false;
    }
    return true;
}

bool HttpResponseParser::feedEof()
{
    if (m_complete)
        return true;
    if (failed() || !m_started)
        return false;
    http_parser_execute(m_parser.get(), &HttpResponseParserCallbacks::settings(), nullptr, 0);
    if (!m_complete && m_error.isEmpty())
        m_error = "upstream closed the connection before the response was complete";
    return m_complete;
}

QByteArray HttpResponseParser::takeBody()
{
    QByteArray out;
    out.swap(m_body);
    return out;
}

} // namespace relay
