#pragma once

#include "upstream/UpstreamCall.h"

#include <QObject>

#include <memory>

class QTimer;

namespace relay {

class ConnectionCache;
class RelayContext;
struct UpstreamConfig;

// Checks upstreams whose circuit is open and idle with a GET of their models list; a failed
// check extends the cooldown (interface.md §4 "Failover"). Lives on one thread (the config
// watcher's), with its own upstream connections.
class CircuitProber : public QObject
{
    Q_OBJECT
public:
    explicit CircuitProber(RelayContext &context, QObject *parent = nullptr);
    ~CircuitProber() override;

    void start(int intervalMs = 500);
    // Starts the checks that are due; returns how many started.
    int tick();

private:
    class Check;
    void finished(Check *check, bool ok, const QString &reason);

    RelayContext &m_context;
    std::unique_ptr<ConnectionCache> m_cache;
    DeadlineQueue *m_deadlines; // the checks' connect and first-byte deadlines
    QTimer *m_timer = nullptr;
    QList<Check *> m_checks;
};

} // namespace relay
