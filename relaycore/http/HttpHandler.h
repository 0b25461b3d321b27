#pragma once

#include <QtGlobal>

#include <functional>
#include <memory>

namespace relay {

class HttpExchange;
class HttpWorker;

// Answers requests on one worker thread; the server makes one handler per worker.
class HttpHandler
{
public:
    virtual ~HttpHandler() = default;
    virtual void handle(HttpExchange *exchange) = 0;
    // Called on the worker thread about four times a second, for the handler's own deadlines.
    virtual void sweep(qint64 nowMs) { (void)nowMs; }
};

using HttpHandlerFactory = std::function<std::unique_ptr<HttpHandler>(HttpWorker *worker)>;

} // namespace relay
