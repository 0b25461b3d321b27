#pragma once

#include "TempDir.h"
#include "TestHttpClient.h"

#include "core/Clock.h"
#include "relay/Engine.h"
#include "sim/Simulator.h"
#include "store/AdminService.h"
#include "store/Database.h"

#include <memory>

namespace relay::test {

// A real relay engine on loopback (port 0) over a temporary database, with a simulated
// provider as its upstream, and the admin service to configure both the way the CLI does.
class RelayHarness
{
public:
    RelayHarness();
    ~RelayHarness();

    // Starts the simulator (if not yet started) and the engine.
    bool start(EngineOptions options = {});
    void stopEngine();

    // Adds the simulator as an OpenAI-compatible upstream named `name`.
    void addSimUpstream(const QString &name, Simulator &sim, int maxConnections = 8,
                        const QString &apiKeyEnv = QStringLiteral("TR_TEST_UPSTREAM_KEY"));
    // Adds the simulator as an upstream of kind anthropic (its Messages API) named `name`.
    void addSimAnthropicUpstream(const QString &name, Simulator &sim, int maxConnections = 8,
                                 const QString &apiKeyEnv = QStringLiteral("TR_TEST_UPSTREAM_KEY"));
    // Adds a tenant and returns its first key.
    QString addTenant(const QString &id, const std::optional<QStringList> &models = std::nullopt);
    QString addTenant(const QString &id, const TenantChanges &settings);
    // Changes a tenant the way `tenant set` does.
    void setTenant(const QString &id, const TenantChanges &changes);
    // Makes the running engine see the admin changes now (what its poll does on its own).
    void reload() { m_engine->reloadConfig(); }
    // Runs every check that is due on the engine's clock now, and returns when they are done:
    // deadlines, retries, the config poll, circuit checks, alerts (Engine::sweepNow).
    void sweep() { m_engine->sweepNow(); }
    // Moves the ManualClock the engine was started with by `ms`, then sweeps: in tests, time
    // moves only this way, never by waiting.
    void advance(qint64 ms);
    // Waits until `connections` client connections are open, then lets each worker take in what
    // has already reached it (two turns of its event loop): a fixed point from which to move the
    // clock, e.g. for a request whose deadline starts at its first byte.
    bool settle(int connections);

    quint16 port() const { return m_engine->port(); }
    Engine &engine() { return *m_engine; }
    Simulator &sim() { return *m_sim; }
    AdminService &admin() { return *m_admin; }
    QSqlDatabase &db() { return m_db.db(); }
    const QString &dbPath() const { return m_temp.path(); }

    // Chat completion request body.
    static QByteArray chatBody(const QString &model, const QString &content, bool stream = false,
                               const QString &extra = QString());
    // Usage rows as JSON objects (column → value), oldest first, after flushing the writer.
    QList<QVariantMap> usageRows();
    // Every row of a SELECT, column name → value.
    static QList<QVariantMap> queryRows(QSqlDatabase &db, const QString &select);
    // How many epoll instances this process holds (/proc/self/fd): one per relay worker on its
    // epoll dispatcher, none on Qt's own.
    static int epollInstances();
    // For suites run on both dispatchers: rows "epoll dispatcher" and "Qt's dispatcher" of a
    // bool column "epoll", to give from initTestCase_data(); the test's relay reads it
    // (QFETCH_GLOBAL) into ServerConfig::epollDispatcher.
    static void addDispatcherRows();

private:
    TempDb m_temp;
    Database m_db;
    std::unique_ptr<AdminService> m_admin;
    std::unique_ptr<Simulator> m_sim;
    std::unique_ptr<Engine> m_engine;
    ManualClock *m_manualClock = nullptr;
};

} // namespace relay::test
