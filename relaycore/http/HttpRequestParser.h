#pragma once

#include "HeaderAccumulator.h"
#include "HttpMessage.h"

#include <deque>
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
        qint64 maxHeaderBytes = 32 * 1024;
    };

    HttpRequestParser();
    explicit HttpRequestParser(Limits limits);
    ~HttpRequestParser();
    HttpRequestParser(const HttpRequestParser &) = delete;
    HttpRequestParser &operator=(const HttpRequestParser &) = delete;

    // Returns false once the input is refused; errorStatus() then says how (400, 413, 431).
    bool feed(const char *data, qsizetype size);
    bool feed(QByteArrayView bytes) { return feed(bytes.data(), bytes.size()); }

    bool hasRequest() const { return !m_ready.empty(); }
    qsizetype queued() const { return qsizetype(m_ready.size()); }
    HttpRequest takeRequest();

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

    std::unique_ptr<http_parser> m_parser;
    Limits m_limits;
    HttpRequest m_current;
    HeaderAccumulator m_header;
    bool m_inHeaders = false;
    bool m_inMessage = false;
    bool m_wantsContinue = false;
    qint64 m_headerBytes = 0;
    std::deque<HttpRequest> m_ready;
    int m_errorStatus = 0;
    QByteArray m_errorMessage;
};

} // namespace relay
