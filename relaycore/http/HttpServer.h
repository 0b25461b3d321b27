#pragma once

#include "HttpHandler.h"
#include "ServerConfig.h"

#include <QTcpServer>
#include <QThread>

#include <atomic>
#include <vector>

namespace relay {

class Clock;
class HttpWorker;

// The acceptor: listens, and hands each accepted connection to one of N worker threads in
// turn, each with its own event loop. Stops accepting while the open-connection cap is reached.
// Lives on the thread that created it; connectionCount() may be read from any thread.
class HttpServer : public QTcpServer
{
    Q_OBJECT
public:
    HttpServer(const ServerConfig &config, HttpHandlerFactory factory, Clock &clock,
               QObject *parent = nullptr);
    ~HttpServer() override;

    // Binds and starts the workers. The port may be 0 (any free port; see serverPort()).
    bool start(QString *error);
    // Stops taking new connections; open ones carry on.
    void stopAccepting();
    // Closes every connection and joins the worker threads.
    void stopWorkers();

    int workerCount() const { return int(m_workers.size()); }
    HttpWorker *worker(int i) const { return m_workers[size_t(i)]; }
    int connectionCount() const { return m_openConnections.load(); }
    const ServerConfig &config() const { return m_config; }

    // Any thread: a connection went away.
    void connectionClosed();

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    void resumeIfBelowCap();

    ServerConfig m_config;
    HttpHandlerFactory m_factory;
    Clock &m_clock;
    std::vector<QThread *> m_threads;
    std::vector<HttpWorker *> m_workers;
    std::atomic<int> m_openConnections{0};
    size_t m_next = 0;
    bool m_accepting = false;
    bool m_paused = false;
};

// Raises this process's open-file limit to the hard limit; returns the new soft limit.
qint64 raiseOpenFileLimit();

} // namespace relay
