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
    for (auto &list : m_idle)
        qDeleteAll(list);
}

UpstreamConnection *ConnectionCache::take(const UpstreamEndpoint &endpoint)
{
    auto it = m_idle.find(endpoint.key());
    if (it == m_idle.end())
        return nullptr;
    while (!it->isEmpty()) {
        UpstreamConnection *c = it->takeLast();
        c->socket()->disconnect(this);
        if (c->isOpen() && c->socket()->bytesAvailable() == 0)
            return c;
        delete c;
    }
    return nullptr;
}

void ConnectionCache::put(UpstreamConnection *connection, qint64 nowMs)
{
    auto &list = m_idle[connection->endpoint().key()];
    if (!connection->isOpen() || list.size() >= kMaxIdlePerEndpoint) {
        connection->deleteLater();
        return;
    }
    connection->idleSinceMs = nowMs;
    connection->setParent(this);
    // An idle connection that the upstream closes, or that receives stray bytes, is useless.
    connect(connection->socket(), &QTcpSocket::disconnected, this,
            [this, connection] { drop(connection); });
    connect(connection->socket(), &QTcpSocket::readyRead, this,
            [this, connection] { drop(connection); });
    list.append(connection);
}

void ConnectionCache::drop(UpstreamConnection *connection)
{
    auto it = m_idle.find(connection->endpoint().key());
    if (it != m_idle.end() && it->removeOne(connection)) {
        connection->socket()->disconnect(this);
        connection->deleteLater();
    }
}

void ConnectionCache::sweep(qint64 nowMs)
{
    for (auto &list : m_idle) {
        for (qsizetype i = list.size() - 1; i >= 0; --i) {
            if (nowMs - list[i]->idleSinceMs >= m_idleTimeoutMs) {
                UpstreamConnection *c = list.takeAt(i);
                c->socket()->disconnect(this);
                c->deleteLater();
            }
        }
    }
}

int ConnectionCache::idleCount() const
{
    int n = 0;
    for (const auto &list : m_idle)
        n += int(list.size());
    return n;
}

} // namespace relay
