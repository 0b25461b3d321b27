#pragma once

#include "HttpMessage.h"

#include <QHostAddress>

#include <functional>
#include <memory>

namespace relay {

class HttpConnection;
class HttpExchange;
class PostBox;

// Hears what happens to the client of an exchange while its answer is under way: one pointer
// set by the handler, instead of signal connections made and broken per request.
class HttpExchangeObserver
{
public:
    virtual ~HttpExchangeObserver() = default;
    // The client closed its connection before the response was complete.
    virtual void clientGone() = 0;
    // The client has caught up with what it was sent.
    virtual void clientDrained() = 0;
    // The exchange is being deleted (it finished a while ago): forget it.
    virtual void exchangeGone() = 0;
};

// An exchange that may have gone by the time it is used: handed to another thread (the admin
// host) and back, or kept across worker passes (an event stream's subscriber).
class HttpExchangeRef
{
public:
    HttpExchangeRef() = default;
    // On the exchange's thread.
    explicit HttpExchangeRef(HttpExchange *exchange);
    // On the exchange's thread: the exchange, or nullptr once it has gone.
    HttpExchange *get() const { return m_alive.expired() ? nullptr : m_exchange; }
    // Any thread: runs `work` on the exchange's thread (where get() tells whether the exchange
    // is still there); false, and dropped, when that thread's worker has gone.
    bool post(std::function<void()> work) const;

private:
    HttpExchange *m_exchange = nullptr;
    std::weak_ptr<const bool> m_alive;
    std::shared_ptr<PostBox> m_postBox; // the exchange's worker's
};

// One request and its response on a client connection. Owned by its connection; lives on the
// connection's worker thread. The handler completes every exchange exactly once — respond(),
// or beginStream() … endStream() — even after the client has gone (writes are then dropped),
// because the connection waits for that before it goes away. A plain object: once finished it
// is deleted with the worker's next pass (or with its connection), not at once, so that the
// code that finished it can still read it; its observer hears exchangeGone() then.
class HttpExchange
{
public:
    HttpExchange(HttpConnection *connection, HttpRequest request, qint64 receivedMs);
    ~HttpExchange();
    HttpExchange(const HttpExchange &) = delete;
    HttpExchange &operator=(const HttpExchange &) = delete;

    const HttpRequest &request() const { return m_request; }
    // Monotonic time the request was complete.
    qint64 receivedMs() const { return m_receivedMs; }
    QHostAddress peerAddress() const;

    void respond(int status, const HttpHeaders &headers, const QByteArray &body);
    void beginStream(int status, const HttpHeaders &headers);
    void writeStream(QByteArrayView data);
    void endStream();

    // Drops the connection without completing the response (the simulator's resets and cut
    // streams); the exchange counts as finished.
    void abortConnection();

    bool isClientGone() const { return m_clientGone; }
    // The server is shutting down: the connection closes after this answer.
    bool isDraining() const;
    bool isFinished() const { return m_finished; }
    bool isStreaming() const { return m_streaming; }
    bool isHead() const { return m_request.method == "HEAD"; }
    // Bytes written to the client socket but not yet sent.
    qint64 pendingClientBytes() const;
    // The client is taking too long to read what it was sent: a streaming handler should pause
    // its source until its observer's clientDrained().
    bool isClientBacklogged() const;
    // Who hears clientGone(), clientDrained() and exchangeGone() (nullptr: nobody).
    void setObserver(HttpExchangeObserver *observer) { m_observer = observer; }

private:
    friend class HttpConnection;
    friend class HttpExchangeRef;
    const std::shared_ptr<PostBox> &workerPostBox() const;
    void markClientGone();
    void notifyClientDrained()
    {
        if (m_observer)
            m_observer->clientDrained();
    }
    void finish(bool keepAlive);

    HttpConnection *m_connection;
    HttpExchangeObserver *m_observer = nullptr;
    HttpRequest m_request;
    qint64 m_receivedMs;
    bool m_streaming = false;
    bool m_answerStarted = false; // a byte of the answer has been written
    bool m_chunked = true;
    bool m_finished = false;
    bool m_clientGone = false;
    std::shared_ptr<const bool> m_alive; // made for the first HttpExchangeRef
};

} // namespace relay
