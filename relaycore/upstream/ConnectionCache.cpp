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
    auto it = m_idle.find(endpoint);
    if (it == m_idle.end())
        return nullptr;
    while (!it->isEmpty()) {
        UpstreamConnection *c = it->takeLast();
        c->setClient(nullptr);
        if (c->isOpen() && !c->hasBuffered())
            return c;
        c->deleteLater();
    }
    return nullptr;
}

void ConnectionCache::put(UpstreamConnection *connection, qint64 nowMs)
{
    auto &list = m_idle[connection->endpoint()];
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
    auto it = m_idle.find(connection->endpoint());
    if (it != m_idle.end() && it->removeOne(connection)) {
        connection->abort();
        connection->deleteLater();
    }
}

void ConnectionCache::sweep(qint64 nowMs)
{
    for (auto &list : m_idle) {
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
    for (const auto &list : m_idle)
        n += int(list.size());
    return n;
}

} // namespace relay
