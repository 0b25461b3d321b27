#pragma once

#include "budget/AlertSnapshot.h"
#include "budget/BudgetTracker.h"
#include "http/ServerConfig.h"
#include "metrics/FlowMetrics.h"
#include "store/RelayState.h"
#include "upstream/CircuitBreaker.h"

#include <QObject>
#include <QString>

#include <memory>

class QThread;
class QTimer;

namespace relay {

class AdminFeed;
class AdminHost;
class AlertService;
class Clock;
class ConfigWatcher;
class HttpServer;
class StateRecorder;
class RelayContext;
class UpstreamSlots;
class UsageWriter;

struct EngineOptions
{
    QString dbPath;
    ServerConfig server;
    Clock *clock = nullptr; // nullptr = the system clock
    // Admin changes are live within this (interface.md §1 promises 2 s; the poll is a one-row
    // read on a thread of its own).
    int configPollMs = 250;
    int stateRecordMs = 1000; // circuit changes and the heartbeat written for other processes
    int usageFlushMs = 50;
    qint64 shutdownGraceMs = 10'000;
    qint64 upstreamIdleMs = 30'000;
    int statsIntervalMs = 1000;
    // The admin API (interface.md §5) and GET /metrics need it as a bearer token; empty = no
    // admin API, and /metrics for loopback clients only.
    QByteArray adminToken;
    QByteArray adminReadOnlyToken;    // the admin API's token that may only read
    int alertCheckMs = 250;           // spend against alert thresholds and forecast
    int webhookAttempts = 5;          // per alert, the first included
    qint64 webhookRetryBaseMs = 1000; // backoff 1×, 2×, 4×, … this
    int webhookTimeoutMs = 10'000;    // per attempt
};

// Live figures of the running relay, emitted about once a second.
struct EngineStatsSnapshot
{
    QString listenAddress;
    int workers = 0;
    qint64 uptimeMs = 0;
    qint64 requests = 0;
    qint64 inFlight = 0;
    qint64 upstreamErrors = 0;
    int clientConnections = 0;
    qint64 configVersion = 0;
    qint64 usageRowsWritten = 0;
    QList<FlowSnapshot> tenants;     // sorted by id
    QList<FlowSnapshot> upstreams;   // in the order they were added
    QList<CircuitSnapshot> circuits; // each upstream's circuit, in the same order
    QString pinnedUpstream;          // `failover pin`; empty = the configured chains
    bool paused = false;             // new tenant requests refused (Engine::setPaused)
    QList<BudgetSnapshot> budgets;   // every configured tenant's budget period, sorted by id
};

// The relay engine's facade: the HTTP server and its workers, the config watcher, the usage
// writer and the shared relay state, started and torn down in order. The console and `serve`
// talk to the engine only through this class and its snapshot structs.
// Lives on the thread that created it (the GUI or main thread); it never blocks that thread
// on the network, and only briefly on start and stop.
class Engine : public QObject
{
    Q_OBJECT
public:
    explicit Engine(EngineOptions options, QObject *parent = nullptr);
    ~Engine() override;

    bool start(QString *error);
    // Stops accepting, lets requests in flight finish (up to the grace period), flushes usage,
    // then emits stopped().
    void shutdown();
    // Stops at once: open requests are ended, usage is flushed.
    void stopNow();
    bool isRunning() const { return m_running; }
    // Set when start() failed because another process's relay serves the database (one relay
    // per database, so limits and budgets are never counted twice).
    const std::optional<RelayState::LiveRelay> &otherRelay() const { return m_otherRelay; }

    quint16 port() const;
    int workerCount() const;
    QString listenAddress() const;
    // "https://HOST:PORT/v1" or "http://…": where tenants point their SDKs.
    QString baseUrl() const;
    // TLS on the listener: re-reads the certificate and key files (SIGHUP); new connections use
    // them. On failure the previous ones stay and `error` says why.
    bool reloadTls(QString *error);
    // Figures now; rates and percentiles cover the time since the previous call.
    EngineStatsSnapshot stats();
    // Admitted requests not yet answered and metered (any thread).
    qint64 callsInFlight() const;
    // Tenant requests answered since the relay started, refusals included.
    qint64 requestsAnswered() const;
    // "Pause new requests": while paused, every new tenant request is answered 503 relay_paused
    // with Retry-After, and the requests in flight finish; /v1/models, /v1/usage, /healthz and
    // /metrics still answer. Holds across start() and stop; emits pausedChanged on a change.
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    // Re-reads the configuration now (a change made in this process); returns when published.
    void reloadConfig();
    // Runs now, on their own threads, and returns when done: every check that is due on the
    // engine's clock (the config poll, each worker's deadlines and retries, the circuit
    // checks, the budget alert check), then records the relay's state. Their timers run them
    // anyway; a test that moves a manual clock calls this instead of waiting for them.
    void sweepNow();
    // Returns when every usage record finished so far is committed.
    void flushUsage();
    // The slot pool of an upstream (tests and figures); nullptr if unknown.
    std::shared_ptr<UpstreamSlots> upstreamSlots(const QString &name) const;

Q_SIGNALS:
    void statsUpdated(const relay::EngineStatsSnapshot &stats);
    // A budget alert was raised and stored (once per tenant, period, kind and threshold).
    void alertRaised(const relay::AlertSnapshot &alert);
    // A webhook delivery ended: "delivered" or "failed: REASON".
    void alertDeliveryChanged(qint64 alertId, const QString &delivery);
    void pausedChanged(bool paused);
    void stopped();

private:
    void finishShutdown();
    bool startAlerts(QString *error);
    bool startAdmin(QString *error);
    // The snapshot to the admin API's feed, with a `circuit` event for each state change.
    void publishStats(const EngineStatsSnapshot &stats);

    EngineOptions m_options;
    Clock &m_clock;
    std::unique_ptr<UsageWriter> m_writer;
    std::unique_ptr<RelayContext> m_context;
    QThread *m_watcherThread = nullptr;
    ConfigWatcher *m_watcher = nullptr;
    QThread *m_stateThread = nullptr;
    StateRecorder *m_recorder = nullptr;
    QThread *m_alertThread = nullptr;
    AlertService *m_alerts = nullptr;
    QThread *m_adminThread = nullptr;
    AdminHost *m_admin = nullptr;
    std::shared_ptr<AdminFeed> m_feed;            // the admin API's stats and events
    QHash<QString, CircuitState> m_circuitStates; // last published, for `circuit` events
    HttpServer *m_server = nullptr;
    QTimer *m_statsTimer = nullptr;
    QTimer *m_drainTimer = nullptr;
    qint64 m_startedMs = 0;
    qint64 m_drainDeadline = 0;
    struct FlowBaseline
    {
        qint64 requests = 0;
        LatencyHistogram::Counts latency;
        LatencyHistogram::Counts queueWait;
    };
    QHash<QString, FlowBaseline> m_baselines; // "t:" + tenant / "u:" + upstream
    qint64 m_lastStatsMs = 0;
    bool m_running = false;
    bool m_paused = false;
    std::optional<RelayState::LiveRelay> m_otherRelay;
};

} // namespace relay

Q_DECLARE_METATYPE(relay::EngineStatsSnapshot)
