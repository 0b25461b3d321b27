#include "Engine.h"

#include "ConfigWatcher.h"
#include "StateRecorder.h"
#include "admin/AdminFront.h"
#include "core/Clock.h"
#include "http/HttpServer.h"
#include "http/HttpWorker.h"
#include "proxy/ProxyHandler.h"
#include "proxy/RelayContext.h"
#include "relay/AlertService.h"
#include "relay/StatsJson.h"
#include "store/Database.h"
#include "store/ResponseOriginStore.h"
#include "store/UsageWriter.h"
#include "upstream/UpstreamSlots.h"

#include <QJsonDocument>
#include <QThread>
#include <QTimer>

namespace relay {

namespace {

// Moves `object` to `thread`, starts the thread and runs `open` there, waiting for it.
bool startOnThread(QThread *thread, QObject *object, const std::function<bool()> &open)
{
    object->moveToThread(thread);
    thread->start();
    bool opened = false;
    QMetaObject::invokeMethod(
        object, [&] { opened = open(); }, Qt::BlockingQueuedConnection);
    return opened;
}

// Runs `last` (which deletes the object) on the object's thread, then ends the thread.
void stopOnThread(QThread *&thread, QObject *object, const std::function<void()> &last)
{
    if (!thread)
        return;
    if (object)
        QMetaObject::invokeMethod(object, last, Qt::BlockingQueuedConnection);
    thread->quit();
    thread->wait();
    delete thread;
    thread = nullptr;
}

} // namespace

Engine::Engine(EngineOptions options, QObject *parent)
    : QObject(parent), m_options(std::move(options)),
      m_clock(m_options.clock ? *m_options.clock : Clock::system())
{
    qRegisterMetaType<relay::EngineStatsSnapshot>();
    qRegisterMetaType<relay::AlertSnapshot>();
    // Each alert to the admin API's event stream as well.
    connect(this, &Engine::alertRaised, this, [this](const AlertSnapshot &alert) {
        if (m_feed)
            m_feed->publish("alert", QJsonDocument(alert.toJson()).toJson(QJsonDocument::Compact));
    });
}

Engine::~Engine()
{
    stopNow();
}

bool Engine::start(QString *error)
{
    if (m_running)
        return true;
    m_startedMs = m_clock.monotonicMs();
    m_otherRelay.reset();
    QList<ResponseOriginRecord> origins;
    {
        // One relay per database: claimed atomically before anything else touches it.
        Database claimDb;
        if (!claimDb.open(m_options.dbPath, error))
            return false;
        if (!RelayState::claim(claimDb.db(), m_clock.wallMs(), error)) {
            m_otherRelay = RelayState::liveRelay(claimDb.db(), m_clock.wallMs());
            return false;
        }
        // The responses of the last 30 days continue on the upstreams that created them. Read
        // once here: the request path only ever reads memory.
        QString readError;
        origins = ResponseOriginStore::loadRecent(claimDb.db(), m_clock.wallMs(),
                                                  ResponseOrigins::kMaxEntries, &readError);
        if (!readError.isEmpty())
            qWarning("relay: could not read the response origins (continuations of earlier "
                     "responses go to their chain's first upstream): %s",
                     qPrintable(readError));
    }
    m_writer = std::make_unique<UsageWriter>(m_options.dbPath, m_options.usageFlushMs, m_clock);
    if (!m_writer->startWriter(error)) {
        m_writer.reset();
        return false;
    }
    m_context = std::make_unique<RelayContext>(m_clock, m_writer.get());
    m_context->responseOrigins().restore(origins);
    origins.clear();
    m_context->adminToken = m_options.adminToken;
    m_context->setPaused(m_paused);

    m_watcherThread = new QThread(this);
    m_watcherThread->setObjectName(QStringLiteral("relay-config"));
    m_watcher = new ConfigWatcher(m_options.dbPath, *m_context, m_options.configPollMs);
    const bool watching = startOnThread(m_watcherThread, m_watcher, [this, error] {
        if (!m_watcher->open(error))
            return false;
        m_watcher->startPolling();
        return true;
    });
    bool recording = false;
    if (watching) {
        m_stateThread = new QThread(this);
        m_stateThread->setObjectName(QStringLiteral("relay-state"));
        m_recorder = new StateRecorder(m_options.dbPath, *m_context, m_options.stateRecordMs);
        recording = startOnThread(m_stateThread, m_recorder, [this, error] {
            if (!m_recorder->open(error))
                return false;
            m_recorder->start();
            return true;
        });
    }
    if (!watching || !recording || !startAlerts(error) || !startAdmin(error)) {
        stopNow();
        return false;
    }

    RelayContext *context = m_context.get();
    const qint64 idleMs = m_options.upstreamIdleMs;
    std::shared_ptr<AdminGate> gate;
    if (m_admin) {
        gate = std::make_shared<AdminGate>(m_options.adminToken, m_options.adminReadOnlyToken,
                                           m_clock);
        m_feed = std::make_shared<AdminFeed>();
    }
    m_server = new HttpServer(
        m_options.server,
        [context, idleMs, gate, admin = m_admin,
         feed = m_feed](HttpWorker *) -> std::unique_ptr<HttpHandler> {
            auto relay = std::make_unique<ProxyHandler>(*context, idleMs);
            return std::make_unique<AdminFrontHandler>(std::move(relay), gate, admin, feed);
        },
        m_clock, this);
    if (!m_server->start(error)) {
        stopNow();
        return false;
    }
    QMetaObject::invokeMethod(m_recorder, [recorder = m_recorder, listen = listenAddress()] {
        recorder->setListenAddress(listen);
    });
    m_statsTimer = new QTimer(this);
    m_statsTimer->setInterval(m_options.statsIntervalMs);
    connect(m_statsTimer, &QTimer::timeout, this, [this] {
        const EngineStatsSnapshot snapshot = stats();
        if (m_feed)
            publishStats(snapshot);
        Q_EMIT statsUpdated(snapshot);
    });
    if (m_feed)
        publishStats(stats());
    m_statsTimer->start();
    m_running = true;
    return true;
}

bool Engine::startAlerts(QString *error)
{
    AlertOptions options;
    options.checkIntervalMs = m_options.alertCheckMs;
    options.webhook = {m_options.webhookAttempts, m_options.webhookRetryBaseMs,
                       m_options.webhookTimeoutMs};
    m_alertThread = new QThread(this);
    m_alertThread->setObjectName(QStringLiteral("relay-alerts"));
    m_alerts = new AlertService(m_options.dbPath, *m_context, options);
    // Queued to this thread: the console hears of alerts on its own thread.
    connect(m_alerts, &AlertService::alertRaised, this, &Engine::alertRaised);
    connect(m_alerts, &AlertService::deliveryChanged, this, &Engine::alertDeliveryChanged);
    QString alertError;
    const bool opened = startOnThread(m_alertThread, m_alerts, [&] {
        if (!m_alerts->open(&alertError))
            return false;
        m_alerts->startChecking();
        return true;
    });
    if (!opened && error)
        *error = QStringLiteral("cannot load budgets: %1").arg(alertError);
    return opened;
}

void Engine::publishStats(const EngineStatsSnapshot &snapshot)
{
    for (const CircuitSnapshot &circuit : snapshot.circuits) {
        const auto known = m_circuitStates.constFind(circuit.upstream);
        if (known != m_circuitStates.cend() && *known != circuit.state)
            m_feed->publish("circuit",
                            QJsonDocument(circuitJson(circuit)).toJson(QJsonDocument::Compact));
        m_circuitStates.insert(circuit.upstream, circuit.state);
    }
    m_feed->publishStats(QJsonDocument(statsJson(snapshot)).toJson(QJsonDocument::Compact));
}

bool Engine::startAdmin(QString *error)
{
    if (m_options.adminToken.isEmpty())
        return true;
    AdminApi::Hooks hooks;
    // Every write takes effect in the relay at once, not at the next poll.
    hooks.configChanged = [this] {
        QMetaObject::invokeMethod(
            m_watcher, [this] { m_watcher->poll(true); }, Qt::BlockingQueuedConnection);
    };
    // Pausing from the admin API is the console's pause: the engine's flag, its signal, stats.
    // The request path reads the context's flag, set here at once; the engine's own state (its
    // signal, the window) follows on its thread.
    RelayContext *context = m_context.get();
    hooks.setPaused = [this, context](bool paused) {
        context->setPaused(paused);
        QMetaObject::invokeMethod(
            this, [this, paused] { setPaused(paused); }, Qt::QueuedConnection);
    };
    m_adminThread = new QThread(this);
    m_adminThread->setObjectName(QStringLiteral("relay-admin"));
    m_admin = new AdminHost(m_options.dbPath, m_clock, std::move(hooks));
    QString openError;
    const bool opened =
        startOnThread(m_adminThread, m_admin, [&] { return m_admin->open(&openError); });
    if (!opened && error)
        *error = QStringLiteral("cannot start the admin API: %1").arg(openError);
    return opened;
}

quint16 Engine::port() const
{
    return m_server ? m_server->serverPort() : 0;
}

int Engine::workerCount() const
{
    return m_server ? m_server->workerCount() : 0;
}

QString Engine::listenAddress() const
{
    if (!m_server)
        return {};
    return m_server->serverAddress().toString() + QLatin1Char(':') +
           QString::number(m_server->serverPort());
}

QString Engine::baseUrl() const
{
    return (m_options.server.tlsEnabled() ? QStringLiteral("https://")
                                          : QStringLiteral("http://")) +
           listenAddress() + QStringLiteral("/v1");
}

bool Engine::reloadTls(QString *error)
{
    if (!m_server) {
        if (error)
            *error = QStringLiteral("the relay is not running");
        return false;
    }
    return m_server->reloadTls(error);
}

EngineStatsSnapshot Engine::stats()
{
    EngineStatsSnapshot s;
    if (!m_context)
        return s;
    s.listenAddress = listenAddress();
    s.workers = m_server ? m_server->workerCount() : 0;
    s.uptimeMs = m_clock.monotonicMs() - m_startedMs;
    s.requests = m_context->counters().requests.load();
    s.inFlight = m_context->counters().inFlight.load();
    s.upstreamErrors = m_context->counters().upstreamErrors.load();
    s.clientConnections = m_server ? m_server->connectionCount() : 0;
    s.configVersion = m_context->config()->directory->version;
    s.usageRowsWritten = m_writer ? m_writer->rowsWritten() : 0;
    s.paused = m_paused;

    const qint64 now = m_clock.monotonicMs();
    const double seconds = m_lastStatsMs ? qMax<qint64>(1, now - m_lastStatsMs) / 1000.0 : 1.0;
    m_lastStatsMs = now;
    auto flowSnapshot = [&](const QString &key, const QString &name, const FlowMetrics &m) {
        FlowBaseline &base = m_baselines[key];
        const LatencyHistogram::Counts latency = m.latency.counts();
        const LatencyHistogram::Counts wait = m.queueWait.counts();
        const LatencyHistogram::Counts latencyWindow = latency - base.latency;
        const LatencyHistogram::Counts waitWindow = wait - base.queueWait;
        FlowSnapshot f;
        f.name = name;
        f.requests = m.requests.load(std::memory_order_relaxed);
        f.requestsPerSec = double(f.requests - base.requests) / seconds;
        f.errors = m.errors.load(std::memory_order_relaxed);
        f.rateLimited = m.rateLimited.load(std::memory_order_relaxed);
        f.overloaded = m.overloaded.load(std::memory_order_relaxed);
        f.inFlight = m.inFlight.load(std::memory_order_relaxed);
        f.latencyP50Ms = latencyWindow.percentileMs(0.50);
        f.latencyP95Ms = latencyWindow.percentileMs(0.95);
        f.latencyP99Ms = latencyWindow.percentileMs(0.99);
        f.queueWaitP50Ms = waitWindow.percentileMs(0.50);
        f.queueWaitP95Ms = waitWindow.percentileMs(0.95);
        base = {f.requests, latency, wait};
        return f;
    };
    const auto config = m_context->config();
    const PoolFigures figures = m_context->poolFigures();
    for (const auto &[id, metrics] : m_context->metrics().tenants()) {
        FlowSnapshot f = flowSnapshot(QStringLiteral("t:") + id, id, *metrics);
        f.queued = figures.queuedByTenant.value(id);
        s.tenants.append(f);
    }
    for (const UpstreamConfig &u : config->directory->upstreams) {
        FlowSnapshot f = flowSnapshot(QStringLiteral("u:") + u.name, u.name,
                                      *m_context->metrics().upstream(u.name));
        const SlotPoolSnapshot pool = figures.pools.value(u.name);
        f.inFlight = pool.inFlight;
        f.queued = pool.waiting;
        f.poolSize = pool.maxConnections;
        s.upstreams.append(f);
        if (const auto circuit = config->circuitFor(u.name))
            s.circuits.append(circuit->snapshot());
    }
    s.pinnedUpstream = config->directory->pinnedUpstream;
    s.budgets = m_context->budgets().snapshots();
    return s;
}

void Engine::reloadConfig()
{
    if (!m_watcher)
        return;
    QMetaObject::invokeMethod(
        m_watcher, [this] { m_watcher->poll(true); }, Qt::BlockingQueuedConnection);
}

void Engine::sweepNow()
{
    if (!m_running)
        return;
    QMetaObject::invokeMethod(
        m_watcher,
        [this] {
            m_watcher->tick();
            m_watcher->checkCircuits();
        },
        Qt::BlockingQueuedConnection);
    for (int i = 0; m_server && i < m_server->workerCount(); ++i) {
        HttpWorker *worker = m_server->worker(i);
        QMetaObject::invokeMethod(
            worker, [worker] { worker->sweepNow(); }, Qt::BlockingQueuedConnection);
    }
    QMetaObject::invokeMethod(
        m_recorder, [this] { m_recorder->recordState(); }, Qt::BlockingQueuedConnection);
    QMetaObject::invokeMethod(
        m_alerts, [this] { m_alerts->check(); }, Qt::BlockingQueuedConnection);
}

qint64 Engine::callsInFlight() const
{
    return m_context ? m_context->counters().inFlight.load() : 0;
}

qint64 Engine::requestsAnswered() const
{
    return m_context ? m_context->counters().requests.load() : 0;
}

void Engine::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    if (m_context)
        m_context->setPaused(paused);
    Q_EMIT pausedChanged(paused);
}

void Engine::flushUsage()
{
    if (m_writer)
        m_writer->flush();
}

std::shared_ptr<UpstreamSlots> Engine::upstreamSlots(const QString &name) const
{
    if (!m_context)
        return nullptr;
    return m_context->config()->slotsFor(name);
}

void Engine::shutdown()
{
    if (!m_running || m_drainTimer)
        return;
    if (m_server) {
        m_server->stopAccepting();
        m_server->beginDrain();
    }
    m_drainDeadline = m_clock.monotonicMs() + m_options.shutdownGraceMs;
    m_drainTimer = new QTimer(this);
    m_drainTimer->setInterval(20);
    connect(m_drainTimer, &QTimer::timeout, this, [this] {
        if (m_context->counters().inFlight.load() > 0 && m_clock.monotonicMs() < m_drainDeadline)
            return;
        finishShutdown();
    });
    m_drainTimer->start();
}

void Engine::finishShutdown()
{
    stopNow();
    Q_EMIT stopped();
}

void Engine::stopNow()
{
    if (m_drainTimer) {
        m_drainTimer->stop();
        m_drainTimer->deleteLater();
        m_drainTimer = nullptr;
    }
    if (m_statsTimer) {
        m_statsTimer->stop();
        delete m_statsTimer;
        m_statsTimer = nullptr;
    }
    if (m_server) {
        m_server->stopAccepting();
        m_server->stopWorkers(); // ends what is still open; those requests are metered
        delete m_server;
        m_server = nullptr;
    }
    m_feed.reset();
    m_circuitStates.clear();
    // Before the config watcher: an admin write asks it to reload.
    stopOnThread(m_adminThread, m_admin, [this] { delete m_admin; });
    m_admin = nullptr;
    stopOnThread(m_watcherThread, m_watcher, [this] { delete m_watcher; });
    m_watcher = nullptr;
    stopOnThread(m_stateThread, m_recorder, [this] { delete m_recorder; });
    m_recorder = nullptr;
    // The last requests' alerts are stored now; their webhooks resume at the next start.
    stopOnThread(m_alertThread, m_alerts, [this] {
        m_alerts->check();
        delete m_alerts;
    });
    m_alerts = nullptr;
    if (m_writer)
        m_writer->stopWriter(); // commits every record handed to it
    m_running = false;
}

} // namespace relay
