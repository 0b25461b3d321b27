#include "HttpWorker.h"

#include "HttpConnection.h"
#include "HttpExchange.h"
#include "HttpServer.h"
#include "core/Clock.h"
#include "core/EpollEventDispatcher.h"
#include "core/PostBox.h"

namespace relay {

namespace {
constexpr int kSweepIntervalMs = 250;
}

HttpWorker::HttpWorker(int index, const ServerConfig &config, Clock &clock, HttpServer *server)
    : m_index(index), m_config(config), m_clock(clock), m_server(server),
      m_postBox(std::make_shared<PostBox>(this))
{
}

HttpWorker::~HttpWorker()
{
    m_postBox->close();
    stop();
    // Last: closing the connections in stop() retires their exchanges, which leaves work for
    // the end of the pass this destructor may run in.
    EpollEventDispatcher::withdrawPassEnd(this);
}

bool HttpWorker::isDraining() const
{
    return m_server->isDraining();
}

std::atomic<qint64> *HttpWorker::bodyPool() const
{
    return m_server->bodyPool();
}

std::shared_ptr<const QSslConfiguration> HttpWorker::tlsConfiguration() const
{
    return m_server->tlsConfiguration();
}

void HttpWorker::start(const HttpHandlerFactory &factory)
{
    m_handler = factory(this);
    m_sweepTimer = new QTimer(this);
    m_sweepTimer->setInterval(kSweepIntervalMs);
    connect(m_sweepTimer, &QTimer::timeout, this, &HttpWorker::sweepNow);
    m_sweepTimer->start();
}

void HttpWorker::stop()
{
    if (m_sweepTimer)
        m_sweepTimer->stop();
    // The handler goes first: it finishes its exchanges and releases upstream slots.
    m_handler.reset();
    const auto connections = m_connections;
    for (HttpConnection *c : connections) {
        c->closeNow();
        delete c;
    }
    m_connections.clear();
    // Connections that closed as the handler went (their last answer ended then) are deleted
    // later; they go now, while the worker they tell is still whole.
    qDeleteAll(findChildren<HttpConnection *>(Qt::FindDirectChildrenOnly));
    deleteRetiredExchanges();
}

void HttpWorker::addConnection(qintptr socketDescriptor)
{
    auto *connection = new HttpConnection(socketDescriptor, this);
    if (!connection->isValid() || !m_handler) {
        delete connection;
        m_server->connectionClosed();
        return;
    }
    m_connections.insert(connection);
}

void HttpWorker::connectionClosed(HttpConnection *connection)
{
    if (m_connections.remove(connection))
        m_server->connectionClosed();
}

void HttpWorker::retireExchange(HttpConnection *connection, HttpExchange *exchange)
{
    m_retiredExchanges.emplace_back(connection, exchange);
    if (m_retirePosted)
        return;
    m_retirePosted = true;
    // At the end of the worker's pass (else with a posted event), with every exchange that
    // ends in the same pass.
    if (!EpollEventDispatcher::atPassEnd(
            [](void *worker) { static_cast<HttpWorker *>(worker)->deleteRetiredExchanges(); },
            this))
        QMetaObject::invokeMethod(this, &HttpWorker::deleteRetiredExchanges, Qt::QueuedConnection);
}

void HttpWorker::deleteExchangesOf(HttpConnection *connection)
{
    std::vector<HttpExchange *> going;
    std::erase_if(m_retiredExchanges, [&](const auto &retired) {
        if (retired.first != connection)
            return false;
        going.push_back(retired.second);
        return true;
    });
    for (HttpExchange *exchange : going)
        delete exchange;
}

void HttpWorker::deleteRetiredExchanges()
{
    m_retirePosted = false;
    std::vector<std::pair<HttpConnection *, HttpExchange *>> going;
    going.swap(m_retiredExchanges);
    for (const auto &retired : going)
        delete retired.second;
}

void HttpWorker::sweepNow()
{
    const qint64 now = m_clock.monotonicMs();
    const auto connections = m_connections;
    for (HttpConnection *c : connections)
        if (m_connections.contains(c))
            c->checkTimeouts(now);
    if (m_handler)
        m_handler->sweep(now);
}

} // namespace relay
