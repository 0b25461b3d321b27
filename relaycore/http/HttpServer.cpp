#include "HttpServer.h"

#include "HttpWorker.h"

#include <sys/resource.h>

namespace relay {

qint64 raiseOpenFileLimit()
{
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return -1;
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    return qint64(lim.rlim_cur);
}

HttpServer::HttpServer(const ServerConfig &config, HttpHandlerFactory factory, Clock &clock,
                       QObject *parent)
    : QTcpServer(parent), m_config(config), m_factory(std::move(factory)), m_clock(clock)
{
    if (m_config.workers <= 0)
        m_config.workers = qMax(1, QThread::idealThreadCount());
    setMaxPendingConnections(1024);
}

HttpServer::~HttpServer()
{
    stopAccepting();
    stopWorkers();
}

bool HttpServer::start(QString *error)
{
    raiseOpenFileLimit();
    if (!listen(m_config.host, m_config.port)) {
        if (error)
            *error = QStringLiteral("cannot listen on %1:%2: %3")
                         .arg(m_config.host.toString())
                         .arg(m_config.port)
                         .arg(errorString());
        return false;
    }
    for (int i = 0; i < m_config.workers; ++i) {
        auto *thread = new QThread;
        thread->setObjectName(QStringLiteral("relay-worker-%1").arg(i));
        auto *worker = new HttpWorker(i, m_config, m_clock, this);
        worker->moveToThread(thread);
        thread->start();
        const HttpHandlerFactory &factory = m_factory;
        QMetaObject::invokeMethod(
            worker, [worker, &factory] { worker->start(factory); }, Qt::BlockingQueuedConnection);
        m_threads.push_back(thread);
        m_workers.push_back(worker);
    }
    m_accepting = true;
    return true;
}

void HttpServer::stopAccepting()
{
    m_accepting = false;
    if (isListening())
        close();
}

void HttpServer::stopWorkers()
{
    for (size_t i = 0; i < m_workers.size(); ++i) {
        HttpWorker *worker = m_workers[i];
        QMetaObject::invokeMethod(
            worker, [worker] { delete worker; }, Qt::BlockingQueuedConnection);
        m_threads[i]->quit();
        m_threads[i]->wait();
        delete m_threads[i];
    }
    m_workers.clear();
    m_threads.clear();
}

void HttpServer::incomingConnection(qintptr socketDescriptor)
{
    const int open = ++m_openConnections;
    HttpWorker *worker = m_workers[m_next++ % m_workers.size()];
    QMetaObject::invokeMethod(
        worker, [worker, socketDescriptor] { worker->addConnection(socketDescriptor); },
        Qt::QueuedConnection);
    if (open >= m_config.maxClientConnections && !m_paused) {
        m_paused = true;
        pauseAccepting();
    }
}

void HttpServer::connectionClosed()
{
    const int open = --m_openConnections;
    if (open < m_config.maxClientConnections)
        QMetaObject::invokeMethod(this, &HttpServer::resumeIfBelowCap, Qt::QueuedConnection);
}

void HttpServer::resumeIfBelowCap()
{
    if (m_paused && m_accepting && m_openConnections.load() < m_config.maxClientConnections) {
        m_paused = false;
        resumeAccepting();
    }
}

} // namespace relay
