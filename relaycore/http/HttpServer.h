#pragma once

#include "HttpHandler.h"
#include "ServerConfig.h"

#include <QHostAddress>
#include <QObject>
#include <QSslConfiguration>
#include <QThread>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace relay {

class Clock;
class HttpAcceptor;
class HttpWorker;
class TlsCredentials;

// The relay's HTTP server: an acceptor on its own thread hands each accepted connection to one
// of N worker threads in turn, each with its own event loop, so neither a busy GUI thread nor a
// busy worker delays accepting. Stops accepting while the open-connection cap is reached.
// Created, started and stopped on one thread; connectionCount() may be read from any thread.
class HttpServer : public QObject
{
    Q_OBJECT
public:
    HttpServer(const ServerConfig &config, HttpHandlerFactory factory, Clock &clock,
               QObject *parent = nullptr);
    ~HttpServer() override;

    // Binds and starts the threads. The port may be 0 (any free port; see serverPort()).
    bool start(QString *error);
    // Stops taking new connections; open ones carry on.
    void stopAccepting();
    // Shutting down: answers say "connection: close", idle connections are closed.
    void beginDrain() { m_draining.store(true); }
    bool isDraining() const { return m_draining.load(std::memory_order_relaxed); }
    // Closes every connection and joins the worker threads.
    void stopWorkers();

    quint16 serverPort() const { return m_port; }
    QHostAddress serverAddress() const { return m_config.host; }
    int workerCount() const { return int(m_workers.size()); }
    HttpWorker *worker(int i) const { return m_workers[size_t(i)]; }
    int connectionCount() const { return m_openConnections.load(); }
    const ServerConfig &config() const { return m_config; }

    // TLS (config().tlsEnabled()): re-reads the certificate and key files; connections accepted
    // from then on use them. On failure the previous ones stay and `error` says why. Any thread.
    bool reloadTls(QString *error);
    // The TLS configuration for a new connection; nullptr for plain HTTP. Any thread.
    std::shared_ptr<const QSslConfiguration> tlsConfiguration() const;

    // Request-body bytes buffered by every connection (limited to maxBufferedBodyBytes).
    std::atomic<qint64> *bodyPool() { return &m_bufferedBodyBytes; }

    // Any thread: a connection went away.
    void connectionClosed();

private:
    friend class HttpAcceptor;
    // On the acceptor thread.
    void accepted(HttpAcceptor *acceptor, qintptr socketDescriptor);

    ServerConfig m_config;
    HttpHandlerFactory m_factory;
    Clock &m_clock;
    std::vector<QThread *> m_threads;
    std::vector<HttpWorker *> m_workers;
    QThread *m_acceptorThread = nullptr;
    HttpAcceptor *m_acceptor = nullptr; // replaced under m_acceptorMutex
    std::mutex m_acceptorMutex;
    quint16 m_port = 0;
    std::atomic<int> m_openConnections{0};
    std::atomic<bool> m_draining{false};
    std::atomic<qint64> m_bufferedBodyBytes{0};
    size_t m_next = 0;                     // acceptor thread only
    std::shared_ptr<TlsCredentials> m_tls; // set before the threads start, then read-only
};

// Raises this process's open-file limit to the hard limit; returns the new soft limit.
qint64 raiseOpenFileLimit();

} // namespace relay
