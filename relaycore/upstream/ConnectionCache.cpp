#include "ConnectionCache.h"

#include "UpstreamConnection.h"

namespace relay {

namespace {
constexpr int kMaxIdlePerEndpoint = 256;
}

ConnectionCache::ConnectionCache(qint64 idleTimeoutMs, QObject *parent)
    : QObject(parent), m_idleTimeoutMs(idleTimeoutMs)
{
}

ConnectionCache::~ConnectionCache()
{
    for (Idle &idle : m_idle)
        qDeleteAll(idle.connections);
}

ConnectionCache::Idle *ConnectionCache::find(const UpstreamEndpoint &endpoint)
{
    for (Idle &idle : m_idle)
        if (idle.endpoint == endpoint)
            return &idle;
    return nullptr;
}

UpstreamConnection *ConnectionCache::take(const UpstreamEndpoint &endpoint)
{
    Idle *idle = find(endpoint);
    if (!idle)
        return nullptr;
    while (!idle->connections.isEmpty()) {
        UpstreamConnection *c = idle->connections.takeLast();
        c->setClient(nullptr);
        if (c->isOpen() && !c->hasBuffered())
            return c;
        c->deleteLater();
    }
    return nullptr;
}

void ConnectionCache::put(UpstreamConnection *connection, qint64 nowMs)
{
    Idle *idle = find(connection->endpoint());
    if (!idle)
        idle = &m_idle.emplace_back(Idle{connection->endpoint(), {}});
    QList<UpstreamConnection *> &list = idle->connections;
    if (!connection->isOpen() || list.size() >= kMaxIdlePerEndpoint) {
        connection->deleteLater();
        return;
    }
    connection->idleSinceMs = nowMs;
    connection->setClient(this);
    connection->setReading(true);
    list.append(connection);
}

void ConnectionCache::drop(UpstreamConnection *connection)
{
    Idle *idle = find(connection->endpoint());
    if (idle && idle->connections.removeOne(connection)) {
        connection->abort();
        connection->deleteLater();
    }
}

void ConnectionCache::sweep(qint64 nowMs)
{
    for (Idle &idle : m_idle) {
        QList<UpstreamConnection *> &list = idle.connections;
        for (qsizetype i = list.size() - 1; i >= 0; --i) {
            if (nowMs - list[i]->idleSinceMs >= m_idleTimeoutMs) {
                UpstreamConnection *c = list.takeAt(i);
                c->setClient(nullptr);
                c->deleteLater();
            }
        }
    }
}

int ConnectionCache::idleCount() const
{
    int n = 0;
    for (const Idle &idle : m_idle)
        n += int(idle.connections.size());
    return n;
}

} // namespace relay
