#pragma once

#include "HeaderAccumulator.h"

#include "HttpMessage.h"
#include <span>
#include <vector>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>

struct http_parser;

namespace relay {

// Incremental HTTP/1.1 request parser over nodejs http-parser. Feed it bytes as they arrive;
// complete requests (pipelined ones too) queue up in order. Enforces the header and body
// limits and reports the HTTP status to answer when the input is refused.
class HttpRequestParser
{
public:
    struct Limits
    {
        qint64 maxBodyBytes = 8 * 1024 * 1024;
        // The request line and headers as sent on the wire, line ends included.
        qint64 maxHeaderBytes = 32 * 1024;
        // Body bytes buffered relay-wide (shared by every connection's parser); nullptr = no
        // shared pool. Beyond the pool's limit a request is refused with 503.
        std::atomic<qint64> *bodyPool = nullptr;
        qint64 bodyPoolLimit = 256 * 1024 * 1024;
    };
    // Called when a request's headers are complete and a body follows, before any of the body
    // is read; returns 0 to go on, or the status with which the request is refused (its answer
    // is the caller's to give; the parser stops).
    using HeadCheck = std::function<int(const HttpRequest &head)>;

    HttpRequestParser();
    explicit HttpRequestParser(Limits limits);
    ~HttpRequestParser();
    HttpRequestParser(const HttpRequestParser &) = delete;
    HttpRequestParser &operator=(const HttpRequestParser &) = delete;

    void setHeadCheck(HeadCheck check) { m_headCheck = std::move(check); }
    // Keeps only the headers of these lower-case names in the requests (and those the parser
    // reads itself: transfer-encoding, expect); the rest are parsed, counted against the head
    // limit and dropped without a copy. The names are string literals: the headers kept share
    // their bytes. Empty (the default): every header is kept.
    void keepOnlyHeaders(std::span<const QByteArrayView> names);

    // Returns false once the input is refused; errorStatus() then says how (400, 408, 413,
    // 431, 501, 503, 505, or the head check's status).
    bool feed(const char *data, qsizetype size);
    bool feed(QByteArrayView bytes) { return feed(bytes.data(), bytes.size()); }

    bool hasRequest() const { return !m_ready.empty(); }
    qsizetype queued() const { return qsizetype(m_ready.size()); }
    HttpRequest takeRequest();
    // Drops the requests parsed and the one being read (the connection is closing).
    void discard()
    {
        m_current = HttpRequest();
        m_ready.clear();
    }

    bool failed() const { return m_errorStatus != 0; }
    int errorStatus() const { return m_errorStatus; }
    QByteArray errorCode() const;
    QByteArray errorMessage() const { return m_errorMessage; }
    // After a 413: the refused request's method, target and headers (its body is not kept),
    // so that the refusal can be put on its tenant's account.
    const HttpRequest &refusedRequest() const { return m_current; }
    // A request has begun but its headers are not complete (the header timeout runs).
    bool inHeaders() const { return m_inHeaders; }
    // Part of a request has arrived.
    bool inMessage() const { return m_inMessage; }
    // Requests begun so far (their first byte seen; bare line ends between requests are not).
    quint64 messagesBegun() const { return m_begun; }
    // True once per request that sent "Expect: 100-continue" and waits for it before its body.
    bool takeContinueRequest()
    {
        const bool wanted = m_wantsContinue;
        m_wantsContinue = false;
        return wanted;
    }

private:
    friend struct HttpRequestParserCallbacks;
    void fail(int status, const char *message);
    // Bytes of the current head up to `end` (in the input being parsed).
    qint64 headBytesTo(const char *end) const;

    std::unique_ptr<http_parser> m_parser;
    Limits m_limits;
    HttpRequest m_current;
    HeaderAccumulator m_header;
    std::vector<QByteArrayView> m_keptHeaders;
    bool m_inHeaders = false;
    bool m_inMessage = false;
    bool m_wantsContinue = false;
    quint64 m_begun = 0;
    qint64 m_headBytes = 0;              // of the current head, in earlier pieces of input
    const char *m_headStart = nullptr;   // where the current head starts in this piece
    const char *m_feedBegin = nullptr;   // the piece of input being parsed
    const char *m_lastHeadEnd = nullptr; // the end of the head's last token in this piece
    enum class Pause { None, MessageBegin, HeadEnd };
    Pause m_pause = Pause::None; // why http-parser paused, in a callback
    HeadCheck m_headCheck;
    std::deque<HttpRequest> m_ready;
    int m_errorStatus = 0;
    QByteArray m_errorMessage;
};

} // namespace relay
