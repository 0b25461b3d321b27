#pragma once

#include <QList>
#include <QObject>

#include <vector>

#include "UpstreamConnection.h"

namespace relay {

// A worker thread's idle keep-alive connections to upstreams, closed after 30 s idle or when
// the upstream closes them. Touched only on its worker thread.
class ConnectionCache : public QObject, private UpstreamConnectionClient
{
    Q_OBJECT
public:
    explicit ConnectionCache(qint64 idleTimeoutMs = 30'000, QObject *parent = nullptr);
    ~ConnectionCache() override;

    // An idle open connection to the endpoint, or nullptr. The caller owns it.
    UpstreamConnection *take(const UpstreamEndpoint &endpoint);
    // Keeps a connection whose last response finished cleanly.
    void put(UpstreamConnection *connection, qint64 nowMs);
    void sweep(qint64 nowMs);
    int idleCount() const;

private:
    // UpstreamConnectionClient: an idle connection that the upstream closes, or that receives
    // stray bytes, is useless.
    void connectionReady(UpstreamConnection *) override {}
    void connectionReadable(UpstreamConnection *connection) override { drop(connection); }
    void connectionFailed(UpstreamConnection *connection) override { drop(connection); }
    void drop(UpstreamConnection *connection);

    // The idle connections to one endpoint, the last put away last.
    struct Idle
    {
        UpstreamEndpoint endpoint;
        QList<UpstreamConnection *> connections;
    };
    // The endpoint's entry, or nullptr. A worker talks to a handful of endpoints: a walk that
    // compares scheme and port before the host name costs less than hashing the host name for
    // each take and put.
    Idle *find(const UpstreamEndpoint &endpoint);

    qint64 m_idleTimeoutMs;
    std::vector<Idle> m_idle; // an endpoint's entry stays once made
};

} // namespace relay
