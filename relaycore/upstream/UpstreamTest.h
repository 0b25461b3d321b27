#pragma once

#include "UpstreamCall.h"
#include "tenants/DirectorySnapshot.h"

#include <QObject>
#include <QStringList>

#include <functional>
#include <memory>

namespace relay {

class Clock;
class ConnectionCache;

// GET of the provider's models list with the upstream's own key (an OpenAI or Anthropic
// upstream alike): the circuit's idle check and "Test connection".
UpstreamRequest modelsListRequest(const UpstreamConfig &upstream, qint64 timeoutMs);

// What asking an upstream for its models list found: the models, or the error (its HTTP
// status and message, keys masked).
struct UpstreamTestResult
{
    bool ok = false;
    int status = 0; // the provider's HTTP status; 0 when it never answered
    QStringList models;
    QString error;
    qint64 latencyMs = 0;
};

// "Test connection": GET the provider's models list with the upstream's own key, the way the
// relay would reach it (same connection code, TLS, timeouts). Lives on the caller's thread;
// reports once, then may be deleted.
class UpstreamTest : public QObject
{
    Q_OBJECT
public:
    using Done = std::function<void(const UpstreamTestResult &)>;

    UpstreamTest(const UpstreamConfig &upstream, Clock &clock, Done done,
                 QObject *parent = nullptr);
    ~UpstreamTest() override;
    void setDone(Done done) { m_done = std::move(done); }
    void start();

private:
    class Listener;
    void finish(UpstreamTestResult result);

    UpstreamConfig m_upstream;
    Clock &m_clock;
    Done m_done;
    std::unique_ptr<ConnectionCache> m_cache;
    DeadlineQueue *m_deadlines; // the call's connect and first-byte deadlines
    std::unique_ptr<Listener> m_listener;
    std::unique_ptr<UpstreamCall> m_call;
    qint64 m_startMs = 0;
    bool m_finished = false;
};

} // namespace relay
