#include "RelayHarness.h"

#include <QDir>
#include <QFile>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTest>

namespace relay::test {

RelayHarness::RelayHarness()
{
    QString error;
    if (!m_db.open(m_temp.path(), &error))
        qFatal("cannot open the test database: %s", qPrintable(error));
    m_admin = std::make_unique<AdminService>(m_db.db());
    m_sim = std::make_unique<Simulator>();
    qputenv("TR_TEST_UPSTREAM_KEY", "sk-upstream-secret-0123456789");
}

RelayHarness::~RelayHarness()
{
    stopEngine();
    m_sim.reset();
}

bool RelayHarness::start(EngineOptions options)
{
    if (m_sim->port() == 0 && !m_sim->start())
        return false;
    m_manualClock = dynamic_cast<ManualClock *>(options.clock);
    options.dbPath = m_temp.path();
    options.server.port = 0;
    if (options.server.workers == 0)
        options.server.workers = 2;
    m_engine = std::make_unique<Engine>(options);
    QString error;
    if (!m_engine->start(&error)) {
        qWarning("engine did not start: %s", qPrintable(error));
        return false;
    }
    return true;
}

void RelayHarness::advance(qint64 ms)
{
    if (!m_manualClock)
        qFatal("RelayHarness::advance needs the engine started with a ManualClock");
    m_manualClock->advance(ms);
    m_engine->sweepNow();
}

bool RelayHarness::settle(int connections)
{
    if (!QTest::qWaitFor([&] { return m_engine->stats().clientConnections == connections; }))
        return false;
    m_engine->sweepNow();
    m_engine->sweepNow();
    return true;
}

void RelayHarness::stopEngine()
{
    if (m_engine)
        m_engine->stopNow();
}

namespace {

void addUpstream(AdminService &admin, const QString &name, Simulator &sim, int maxConnections,
                 const QString &apiKeyEnv, const QString &kind)
{
    if (sim.port() == 0)
        sim.start();
    UpstreamChanges u;
    u.kind = kind;
    u.baseUrl = kind == QLatin1String("anthropic") ? sim.anthropicBaseUrl() : sim.baseUrl();
    u.maxConnections = maxConnections;
    u.apiKeyEnv = apiKeyEnv;
    const AdminResult r = admin.addUpstream(name, u);
    if (!r.ok)
        qFatal("addUpstream: %s", qPrintable(r.error));
}

} // namespace

void RelayHarness::addSimUpstream(const QString &name, Simulator &sim, int maxConnections,
                                  const QString &apiKeyEnv)
{
    addUpstream(*m_admin, name, sim, maxConnections, apiKeyEnv, QStringLiteral("openai"));
}

void RelayHarness::addSimAnthropicUpstream(const QString &name, Simulator &sim, int maxConnections,
                                           const QString &apiKeyEnv)
{
    addUpstream(*m_admin, name, sim, maxConnections, apiKeyEnv, QStringLiteral("anthropic"));
}

QString RelayHarness::addTenant(const QString &id, const std::optional<QStringList> &models)
{
    TenantChanges t;
    if (models)
        t.models = ModelAllowList(*models);
    return addTenant(id, t);
}

void RelayHarness::setTenant(const QString &id, const TenantChanges &changes)
{
    const AdminResult r = m_admin->setTenant(id, changes);
    if (!r.ok)
        qFatal("setTenant: %s", qPrintable(r.error));
}

QString RelayHarness::addTenant(const QString &id, const TenantChanges &t)
{
    const AdminValue<QString> key = m_admin->addTenant(id, t);
    if (!key.ok)
        qFatal("addTenant: %s", qPrintable(key.error));
    return key.value;
}

QByteArray RelayHarness::chatBody(const QString &model, const QString &content, bool stream,
                                  const QString &extra)
{
    QString body = QStringLiteral(R"({"model":"%1","messages":[{"role":"user","content":"%2"}])")
                       .arg(model, content);
    if (stream)
        body += QStringLiteral(R"(,"stream":true)");
    if (!extra.isEmpty())
        body += QLatin1Char(',') + extra;
    body += QLatin1Char('}');
    return body.toUtf8();
}

QList<QVariantMap> RelayHarness::usageRows()
{
    if (m_engine) {
        // A client can see its answer end a moment before the relay has metered it (the worker
        // writes the last bytes, then records the call): wait for the calls in flight to end,
        // for a while (some tests read rows while a call is meant to hang).
        (void)QTest::qWaitFor([this] { return m_engine->callsInFlight() == 0; }, 2000);
        m_engine->flushUsage();
    }
    return queryRows(m_db.db(), QStringLiteral("SELECT * FROM usage ORDER BY id"));
}

QList<QVariantMap> RelayHarness::queryRows(QSqlDatabase &db, const QString &select)
{
    QList<QVariantMap> rows;
    QSqlQuery q(db);
    q.exec(select);
    while (q.next()) {
        QVariantMap row;
        const QSqlRecord rec = q.record();
        for (int i = 0; i < rec.count(); ++i)
            row.insert(rec.fieldName(i), q.value(i));
        rows.append(row);
    }
    return rows;
}

int RelayHarness::epollInstances()
{
    int count = 0;
    const QDir fds(QStringLiteral("/proc/self/fd"));
    for (const QString &fd : fds.entryList(QDir::Files | QDir::System))
        if (QFile::symLinkTarget(fds.filePath(fd)).endsWith(QLatin1String("[eventpoll]")))
            ++count;
    return count;
}

void RelayHarness::addDispatcherRows()
{
    QTest::addColumn<bool>("epoll");
    QTest::newRow("epoll dispatcher") << true;
    QTest::newRow("Qt's dispatcher") << false;
}

} // namespace relay::test
