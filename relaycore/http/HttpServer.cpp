#include "HttpServer.h"

#include "HttpWorker.h"
#include "TlsCredentials.h"
#include "core/EpollEventDispatcher.h"

#include <QTcpServer>
#include <QTimer>

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

// The listening socket, on the acceptor thread.
class HttpAcceptor : public QTcpServer
{
public:
    explicit HttpAcceptor(HttpServer *server) : m_server(server)
    {
        connect(this, &QTcpServer::acceptError, this, [this] { backOff(); });
    }

    void pauseIfAtCap(int open)
    {
        if (open >= m_server->m_config.maxClientConnections && !m_paused) {
            m_paused = true;
            // QTcpServer goes on accepting what is queued after a pause, unless it believes its
            // queue of pending connections is full: no more than the cap are taken.
            setMaxPendingConnections(0);
            pauseAccepting();
            // A connection may have closed between the count and the pause, seeing nothing
            // paused and so waking nobody.
            resumeIfBelowCap();
        }
    }
    // accept() failed (out of file descriptors, most likely): Qt would retry at once and spin,
    // so wait a little before trying again.
    void backOff()
    {
        if (m_backingOff)
            return;
        m_backingOff = true;
        pauseAccepting();
        QTimer::singleShot(100, this, [this] {
            m_backingOff = false;
            if (!m_paused)
                resumeAccepting();
            else
                resumeIfBelowCap();
        });
    }
    void resumeIfBelowCap()
    {
        if (m_paused && !m_backingOff && isListening() &&
            m_server->m_openConnections.load() < m_server->m_config.maxClientConnections) {
            m_paused = false;
            setMaxPendingConnections(kMaxPending);
            resumeAccepting();
        }
    }
    bool paused() const { return m_paused.load(); }

    static constexpr int kMaxPending = 1024;

protected:
    void incomingConnection(qintptr socketDescriptor) override
    {
        m_server->accepted(this, socketDescriptor);
    }

private:
    HttpServer *m_server;
    std::atomic<bool> m_paused{false};
    bool m_backingOff = false;
};

HttpServer::HttpServer(const ServerConfig &config, HttpHandlerFactory factory, Clock &clock,
                       QObject *parent)
    : QObject(parent), m_config(config), m_factory(std::move(factory)), m_clock(clock)
{
    if (m_config.workers <= 0)
        m_config.workers = qMax(1, QThread::idealThreadCount());
}

HttpServer::~HttpServer()
{
    stopAccepting();
    stopWorkers();
}

bool HttpServer::start(QString *error)
{
    if (m_config.tlsEnabled()) {
        m_tls = std::make_shared<TlsCredentials>(m_config.tlsCertFile, m_config.tlsKeyFile);
        if (!m_tls->load(error))
            return false;
    }
    // Each client connection may need an upstream connection too, and the database, logs and
    // idle upstream connections need some: keep the cap where accept() cannot run dry.
    const qint64 files = raiseOpenFileLimit();
    if (files > 0) {
        const int fit = int(qMax<qint64>(8, (files - 128) / 2));
        if (m_config.maxClientConnections > fit) {
            qWarning("tenantrelay: the open-file limit (%lld) allows %d client connections, not %d",
                     files, fit, m_config.maxClientConnections);
            m_config.maxClientConnections = fit;
        }
    }
    m_acceptorThread = new QThread;
    m_acceptorThread->setObjectName(QStringLiteral("relay-acceptor"));
    m_acceptor = new HttpAcceptor(this);
    m_acceptor->moveToThread(m_acceptorThread);
    m_acceptorThread->start();
    bool listening = false;
    QString listenError;
    QMetaObject::invokeMethod(
        m_acceptor,
        [&] {
            m_acceptor->setListenBacklogSize(1024);
            m_acceptor->setMaxPendingConnections(HttpAcceptor::kMaxPending);
            listening = m_acceptor->listen(m_config.host, m_config.port);
            if (listening) {
                m_port = m_acceptor->serverPort();
                // Accept nothing until the workers exist.
                m_acceptor->pauseAccepting();
            } else {
                listenError = m_acceptor->errorString();
            }
        },
        Qt::BlockingQueuedConnection);
    if (!listening) {
        if (error)
            *error = QStringLiteral("cannot listen on %1:%2: %3")
                         .arg(m_config.host.toString())
                         .arg(m_config.port)
                         .arg(listenError);
        stopAccepting();
        return false;
    }
    const bool epoll = usesEpollDispatcher(m_config);
    for (int i = 0; i < m_config.workers; ++i) {
        auto *thread = new QThread;
        thread->setObjectName(QStringLiteral("relay-worker-%1").arg(i));
        // Before start(): the thread takes it as its dispatcher and deletes it when it ends.
        if (epoll)
            thread->setEventDispatcher(new EpollEventDispatcher);
        auto *worker = new HttpWorker(i, m_config, m_clock, this);
        worker->moveToThread(thread);
        thread->start();
        const HttpHandlerFactory &factory = m_factory;
        QMetaObject::invokeMethod(
            worker, [worker, &factory] { worker->start(factory); }, Qt::BlockingQueuedConnection);
        m_threads.push_back(thread);
        m_workers.push_back(worker);
    }
    // m_workers is complete before the acceptor reads it; the mutex shows ThreadSanitizer the
    // ordering the blocking call gives (see stopAccepting()).
    {
        std::lock_guard lock(m_acceptorMutex);
    }
    QMetaObject::invokeMethod(
        m_acceptor,
        [this] {
            std::lock_guard lock(m_acceptorMutex);
            m_acceptor->resumeAccepting();
        },
        Qt::BlockingQueuedConnection);
    return true;
}

void HttpServer::stopAccepting()
{
    if (!m_acceptorThread)
        return;
    HttpAcceptor *acceptor;
    {
        std::lock_guard lock(m_acceptorMutex);
        acceptor = m_acceptor;
        m_acceptor = nullptr;
    }
    // The acceptor thread reads m_workers until its acceptor is gone. Releasing and taking
    // m_acceptorMutex around that hand-off orders those reads before stopWorkers() clears the
    // list in a way ThreadSanitizer can see (the blocking call's semaphore and QThread::wait are
    // futexes inside Qt, which it cannot).
    QMetaObject::invokeMethod(
        acceptor,
        [this, acceptor] {
            delete acceptor;
            std::lock_guard lock(m_acceptorMutex);
        },
        Qt::BlockingQueuedConnection);
    {
        std::lock_guard lock(m_acceptorMutex);
    }
    m_acceptorThread->quit();
    m_acceptorThread->wait();
    delete m_acceptorThread;
    m_acceptorThread = nullptr;
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

void HttpServer::accepted(HttpAcceptor *acceptor, qintptr socketDescriptor)
{
    const int open = ++m_openConnections;
    HttpWorker *worker = m_workers[m_next++ % m_workers.size()];
    QMetaObject::invokeMethod(
        worker, [worker, socketDescriptor] { worker->addConnection(socketDescriptor); },
        Qt::QueuedConnection);
    acceptor->pauseIfAtCap(open);
}

bool HttpServer::reloadTls(QString *error)
{
    if (!m_tls) {
        if (error)
            *error = QStringLiteral("the relay does not listen with TLS");
        return false;
    }
    return m_tls->load(error);
}

std::shared_ptr<const QSslConfiguration> HttpServer::tlsConfiguration() const
{
    return m_tls ? m_tls->configuration() : nullptr;
}

void HttpServer::connectionClosed()
{
    const int open = --m_openConnections;
    if (open >= m_config.maxClientConnections)
        return;
    std::lock_guard lock(m_acceptorMutex);
    HttpAcceptor *acceptor = m_acceptor;
    // Only a paused acceptor needs waking.
    if (acceptor && acceptor->paused())
        QMetaObject::invokeMethod(
            acceptor, [acceptor] { acceptor->resumeIfBelowCap(); }, Qt::QueuedConnection);
}

} // namespace relay
