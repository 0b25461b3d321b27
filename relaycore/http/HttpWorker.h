#pragma once

#include "HttpHandler.h"
#include "ServerConfig.h"

#include <QObject>
#include <QSet>
#include <QSslConfiguration>
#include <QTimer>

#include <atomic>
#include <utility>
#include <vector>

namespace relay {

class Clock;
class HttpConnection;
class PostBox;
class HttpExchange;
class HttpServer;

// One worker thread's share of the server: its client connections, its handler (and through
// it its idle upstream connections), and a sweep timer for deadlines. Lives on its own QThread
// with its own event loop; everything here is touched only on that thread, except
// addConnection(), which the acceptor posts to it.
class HttpWorker : public QObject
{
    Q_OBJECT
public:
    HttpWorker(int index, const ServerConfig &config, Clock &clock, HttpServer *server);
    ~HttpWorker() override;

    int index() const { return m_index; }
    Clock &clock() const { return m_clock; }
    const ServerConfig &config() const { return m_config; }
    HttpHandler *handler() const { return m_handler.get(); }
    // Other threads hand work to this worker's thread through it, safely until the worker goes.
    const std::shared_ptr<PostBox> &postBox() const { return m_postBox; }
    bool isDraining() const;
    // Request-body bytes buffered across the whole server.
    std::atomic<qint64> *bodyPool() const;
    // The TLS configuration for a new connection; nullptr for plain HTTP.
    std::shared_ptr<const QSslConfiguration> tlsConfiguration() const;

    // On the worker thread: takes over an accepted socket.
    void addConnection(qintptr socketDescriptor);
    // On the worker thread: creates the handler and starts the sweep timer.
    void start(const HttpHandlerFactory &factory);
    // On the worker thread: closes every connection and drops the handler.
    void stop();
    void sweepNow();

private:
    friend class HttpConnection;
    void connectionClosed(HttpConnection *connection);
    // A finished exchange goes with the worker's next pass (from a fresh stack: the code that
    // finished it may still read it), or with its connection if that goes first. One posted
    // event for every exchange finished in the same pass.
    void retireExchange(HttpConnection *connection, HttpExchange *exchange);
    void deleteExchangesOf(HttpConnection *connection);
    void deleteRetiredExchanges();

    int m_index;
    ServerConfig m_config;
    Clock &m_clock;
    HttpServer *m_server;
    std::unique_ptr<HttpHandler> m_handler;
    QSet<HttpConnection *> m_connections;
    QTimer *m_sweepTimer = nullptr;
    std::shared_ptr<PostBox> m_postBox;
    std::vector<std::pair<HttpConnection *, HttpExchange *>> m_retiredExchanges;
    bool m_retirePosted = false;
};

} // namespace relay
