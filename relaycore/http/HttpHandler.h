#pragma once

#include <QByteArray>

#include <functional>
#include <memory>

namespace relay {

class HttpExchange;
struct HttpRequest;
class HttpWorker;

// Answers requests on one worker thread; the server makes one handler per worker.
class HttpHandler
{
public:
    virtual ~HttpHandler() = default;
    virtual void handle(HttpExchange *exchange) = 0;
    // The server refuses a request whose headers it has read (413: body too large) before the
    // handler saw it; the handler may account for it. Returns the x-request-id to answer with
    // (empty: the server makes one).
    virtual QByteArray refused(const HttpRequest &request, int status)
    {
        (void)request;
        (void)status;
        return {};
    }
    // Called on the worker thread about four times a second, for the handler's own deadlines.
    virtual void sweep(qint64 nowMs) { (void)nowMs; }
};

using HttpHandlerFactory = std::function<std::unique_ptr<HttpHandler>(HttpWorker *worker)>;

} // namespace relay
