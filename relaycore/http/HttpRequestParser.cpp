#include "HttpRequestParser.h"

#include <QScopeGuard>

#include <http_parser.h>

#include <climits>
#include <cstring>
#include <utility>

namespace relay {

struct HttpRequestParserCallbacks
{
    static HttpRequestParser *self(http_parser *p)
    {
        return static_cast<HttpRequestParser *>(p->data);
    }

    // The head's size as sent on the wire (request line, separators, line ends, every header):
    // bytes from the head's start to `end`, a position in the input being parsed.
    static bool countHeaderBytes(HttpRequestParser *s, const char *end)
    {
        s->m_lastHeadEnd = end;
        if (s->headBytesTo(end) > s->m_limits.maxHeaderBytes) {
            s->fail(431, "request headers are larger than 32 KiB");
            return false;
        }
        return true;
    }

    static int onMessageBegin(http_parser *p)
    {
        auto *s = self(p);
        s->m_current = HttpRequest();
        s->m_inHeaders = true;
        s->m_inMessage = true;
        ++s->m_begun;
        s->m_headBytes = 0;
        s->m_header.clear();
        // The head starts at the byte being parsed: feed() learns where when the parser pauses.
        s->m_pause = HttpRequestParser::Pause::MessageBegin;
        http_parser_pause(p, 1);
        return 0;
    }
    static int onUrl(http_parser *p, const char *at, size_t len)
    {
        auto *s = self(p);
        if (!countHeaderBytes(s, at + len))
            return -1;
        s->m_current.target.append(at, qsizetype(len));
        return 0;
    }
    // Fields after the head are a chunked body's trailers: not the request's headers (the key
    // and the limits were decided on the head), and not counted against the head's limit;
    // http-parser bounds them (80 KiB).
    static int onHeaderField(http_parser *p, const char *at, size_t len)
    {
        auto *s = self(p);
        if (!s->m_inHeaders)
            return 0;
        if (!countHeaderBytes(s, at + len))
            return -1;
        s->m_header.addField(at, len, s->m_current.headers);
        return 0;
    }
    static int onHeaderValue(http_parser *p, const char *at, size_t len)
    {
        auto *s = self(p);
        if (!s->m_inHeaders)
            return 0;
        if (!countHeaderBytes(s, at + len))
            return -1;
        s->m_header.addValue(at, len);
        return 0;
    }
    // The head's last byte is the one being parsed, but the callback is not told where it is:
    // the parser pauses here, and feed() measures the whole head from where the parse stopped
    // (the same count however the input was cut) before headComplete() goes on.
    static int onHeadersComplete(http_parser *p)
    {
        self(p)->m_pause = HttpRequestParser::Pause::HeadEnd;
        http_parser_pause(p, 1);
        return 0;
    }
    static bool headComplete(http_parser *p, const char *headEnd)
    {
        auto *s = self(p);
        if (!countHeaderBytes(s, headEnd))
            return false;
        s->m_header.finish(s->m_current.headers);
        s->m_inHeaders = false;
        HttpRequest &r = s->m_current;
        const char *method = http_method_str(static_cast<http_method>(p->method));
        r.method = QByteArray::fromRawData(method, qsizetype(strlen(method))); // a static table
        r.versionMinor = p->http_minor;
        const qsizetype q = r.target.indexOf('?');
        r.path = q < 0 ? r.target : r.target.left(q);
        if (p->http_major != 1 || p->http_minor > 1) {
            s->fail(505, "only HTTP/1.0 and HTTP/1.1 are supported");
            return false;
        }
        // Only the chunked coding is understood; any other would be passed on undecoded.
        int codings = 0;
        for (const auto &h : r.headers) {
            if (h.first != "transfer-encoding")
                continue;
            if (++codings > 1 || h.second.trimmed().toLower() != "chunked") {
                s->fail(501, "only the chunked transfer coding is supported");
                return false;
            }
        }
        // Refuse an announced oversize body before reading it.
        if ((p->flags & F_CONTENTLENGTH) && qint64(p->content_length) > s->m_limits.maxBodyBytes) {
            s->fail(413, "request body is larger than the relay accepts");
            return false;
        }
        const bool hasBody =
            (p->flags & F_CHUNKED) || (p->content_length > 0 && p->content_length != ULLONG_MAX);
        if (hasBody && s->m_headCheck) {
            if (const int status = s->m_headCheck(r)) {
                s->fail(status, "refused before its body");
                return false;
            }
        }
        if (s->m_limits.bodyPool)
            r.bodyReservation =
                std::make_shared<BodyReservation>(s->m_limits.bodyPool, s->m_limits.bodyPoolLimit);
        if (r.header("expect").toLower() == "100-continue" && p->content_length > 0 &&
            p->content_length != ULLONG_MAX)
            s->m_wantsContinue = true;
        return true;
    }
    static int onBody(http_parser *p, const char *at, size_t len)
    {
        auto *s = self(p);
        if (s->m_current.body.size() + qint64(len) > s->m_limits.maxBodyBytes) {
            s->m_current.body.clear();
            s->fail(413, "request body is larger than the relay accepts");
            return -1;
        }
        if (s->m_current.bodyReservation && !s->m_current.bodyReservation->grow(qint64(len))) {
            s->m_current.body.clear();
            s->fail(503, "The relay is holding too many request bodies. Please try again.");
            return -1;
        }
        s->m_current.body.append(at, qsizetype(len));
        return 0;
    }
    static int onMessageComplete(http_parser *p)
    {
        auto *s = self(p);
        s->m_wantsContinue = false; // the body came without waiting
        s->m_current.keepAlive = http_should_keep_alive(p) != 0;
        s->m_ready.push_back(std::move(s->m_current));
        s->m_current = HttpRequest();
        s->m_inMessage = false;
        return 0;
    }

    static const http_parser_settings &settings()
    {
        static const http_parser_settings st = [] {
            http_parser_settings x;
            http_parser_settings_init(&x);
            x.on_message_begin = onMessageBegin;
            x.on_url = onUrl;
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

HttpRequestParser::HttpRequestParser(Limits limits)
    : m_parser(std::make_unique<http_parser>()), m_limits(limits)
{
    http_parser_init(m_parser.get(), HTTP_REQUEST);
    m_parser->data = this;
}

HttpRequestParser::HttpRequestParser() : HttpRequestParser(Limits{}) {}

HttpRequestParser::~HttpRequestParser() = default;

bool HttpRequestParser::feed(const char *data, qsizetype size)
{
    // A header name or value cut by the end of this piece is kept past it.
    const auto keep = qScopeGuard([this] { m_header.keepPending(); });
    if (m_errorStatus)
        return false;
    if (size <= 0)
        return true;
    m_feedBegin = data;
    m_lastHeadEnd = data;
    // A head that began in an earlier piece goes on from this one's first byte.
    m_headStart = m_inHeaders ? data : nullptr;
    size_t parsed = 0;
    // The parser pauses where a message begins and where its head ends, so that the head is
    // measured from its first byte to its last, the same however the input was cut. (An empty
    // piece would mean the end of input to http-parser: never passed on.)
    while (parsed < size_t(size)) {
        parsed += http_parser_execute(m_parser.get(), &HttpRequestParserCallbacks::settings(),
                                      data + parsed, size_t(size) - parsed);
        if (m_errorStatus)
            return false;
        if (HTTP_PARSER_ERRNO(m_parser.get()) != HPE_PAUSED)
            break;
        http_parser_pause(m_parser.get(), 0);
        const Pause pause = std::exchange(m_pause, Pause::None);
        if (pause == Pause::MessageBegin) {
            // After the method's first byte, which the parser has taken.
            m_headStart = data + parsed - 1;
        } else if (pause == Pause::HeadEnd) {
            // At the head's last byte (its final line feed), which the parser reads again when
            // it goes on.
            if (!HttpRequestParserCallbacks::headComplete(m_parser.get(), data + parsed + 1))
                return false;
        }
    }
    if (m_inHeaders) {
        m_headBytes = headBytesTo(data + parsed);
        m_headStart = nullptr;
        if (m_headBytes > m_limits.maxHeaderBytes) {
            fail(431, "request headers are larger than 32 KiB");
            return false;
        }
    }
    const auto err = HTTP_PARSER_ERRNO(m_parser.get());
    if (err != HPE_OK || parsed != size_t(size)) {
        if (err == HPE_HEADER_OVERFLOW)
            fail(431, "request headers are larger than 32 KiB");
        else if (err == HPE_INVALID_TRANSFER_ENCODING)
            fail(501, "only the chunked transfer coding is supported");
        else
            fail(400, http_errno_description(err));
        return false;
    }
    return true;
}

void HttpRequestParser::keepOnlyHeaders(std::span<const QByteArrayView> names)
{
    m_keptHeaders.clear();
    if (!names.empty()) {
        m_keptHeaders.reserve(names.size() + 2);
        m_keptHeaders.assign(names.begin(), names.end());
        m_keptHeaders.push_back("transfer-encoding");
        m_keptHeaders.push_back("expect");
    }
    m_header.keepOnly(m_keptHeaders);
}

HttpRequest HttpRequestParser::takeRequest()
{
    HttpRequest r = std::move(m_ready.front());
    m_ready.pop_front();
    return r;
}

QByteArray HttpRequestParser::errorCode() const
{
    switch (m_errorStatus) {
    case 413:
        return QByteArrayLiteral("request_too_large");
    case 431:
        return QByteArrayLiteral("request_header_fields_too_large");
    case 501:
        return QByteArrayLiteral("not_implemented");
    case 503:
        return QByteArrayLiteral("server_overloaded");
    case 505:
        return QByteArrayLiteral("http_version_not_supported");
    default:
        return QByteArrayLiteral("invalid_request_error");
    }
}

qint64 HttpRequestParser::headBytesTo(const char *end) const
{
    const char *start = m_headStart ? m_headStart : end;
    return m_headBytes + qMax<qint64>(0, end - start);
}

void HttpRequestParser::fail(int status, const char *message)
{
    if (m_errorStatus)
        return;
    m_errorStatus = status;
    m_errorMessage = message;
}

} // namespace relay
