#pragma once

#include "ApiError.h"
#include "HttpMessage.h"

#include <QByteArray>
#include <QHostAddress>

#include <functional>
#include <memory>
#include <span>

namespace relay {

class HttpExchange;
struct HttpRequest;
class HttpWorker;

// An answer given before the request's body has been read.
struct HttpEarlyAnswer
{
    int status = 0; // 0: no answer, the request goes on
    HttpHeaders headers;
    QByteArray body;
};

// Answers requests on one worker thread; the server makes one handler per worker.
class HttpHandler
{
public:
    virtual ~HttpHandler() = default;
    virtual void handle(HttpExchange *exchange) = 0;
    // A request's headers are complete and a body follows, not yet read: the handler may
    // refuse it now (a missing or wrong key), so that no body is buffered for it. The
    // connection then answers and closes.
    virtual HttpEarlyAnswer headersComplete(const HttpRequest &head, const QHostAddress &peer)
    {
        (void)head;
        (void)peer;
        return {};
    }
    // The server refuses a request before the handler saw it (413 body too large, 431, 408,
    // malformed bytes; `request` as far as it was read, its path from the target); the handler
    // may account for it, and returns the answer to send, in the shape its path's clients read
    // (status 0: the server's own, `error` in OpenAI's shape).
    virtual HttpEarlyAnswer refused(const HttpRequest &request, const ApiError &error)
    {
        (void)request;
        (void)error;
        return {};
    }
    // The (lower-case) names of the request headers the handler reads, as string literals (the
    // headers kept share their bytes); the connection keeps only these and drops the rest as
    // they are parsed. Empty (the default): every header.
    virtual std::span<const QByteArrayView> requestHeadersRead() const { return {}; }
    // Called on the worker thread about four times a second, for the handler's own deadlines.
    virtual void sweep(qint64 nowMs) { (void)nowMs; }
};

using HttpHandlerFactory = std::function<std::unique_ptr<HttpHandler>(HttpWorker *worker)>;

} // namespace relay
