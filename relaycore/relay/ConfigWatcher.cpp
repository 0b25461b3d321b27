#include "ConfigWatcher.h"

#include "CircuitProber.h"
#include "core/Clock.h"
#include "proxy/RelayContext.h"
#include "store/ConfigLoader.h"
#include "store/Database.h"

#include <QTimer>

namespace relay {

ConfigWatcher::ConfigWatcher(QString dbPath, RelayContext &context, int pollIntervalMs)
    : m_dbPath(std::move(dbPath)), m_context(context), m_pollIntervalMs(qMax(1, pollIntervalMs))
{
}

ConfigWatcher::~ConfigWatcher() = default;

bool ConfigWatcher::open(QString *error)
{
    m_db = std::make_unique<Database>();
    if (!m_db->open(m_dbPath, error))
        return false;
    if (!poll(true)) {
        if (error)
            *error = QStringLiteral("cannot read the configuration from %1").arg(m_dbPath);
        return false;
    }
    return true;
}

void ConfigWatcher::startPolling()
{
    m_timer = new QTimer(this);
    m_timer->setTimerType(Qt::PreciseTimer);
    m_timer->setInterval(m_pollIntervalMs);
    connect(m_timer, &QTimer::timeout, this, &ConfigWatcher::tick);
    m_timer->start();
    m_prober = new CircuitProber(m_context, this);
    m_prober->start();
}

void ConfigWatcher::checkCircuits()
{
    if (m_prober)
        m_prober->tick();
}

void ConfigWatcher::tick()
{
    // A tenth of slack: a timer that fires a little early still polls on its tick.
    if (m_context.clock().monotonicMs() - m_lastPollMs >= m_pollIntervalMs - m_pollIntervalMs / 10)
        poll();
}

bool ConfigWatcher::poll(bool force)
{
    m_lastPollMs = m_context.clock().monotonicMs();
    const qint64 version = ConfigLoader::configVersion(m_db->db());
    if (version < 0) {
        m_context.setConfigReadable(false);
        Q_EMIT reloadFailed(QStringLiteral("cannot read the config version"));
        return false;
    }
    if (!force && version == m_version) {
        m_context.setConfigReadable(true);
        return true;
    }
    QString error;
    DirectorySnapshotPtr snapshot = ConfigLoader::load(m_db->db(), &error);
    m_context.setConfigReadable(bool(snapshot));
    if (!snapshot) {
        Q_EMIT reloadFailed(error);
        return false;
    }
    m_version = snapshot->version;
    m_context.publish(std::move(snapshot));
    Q_EMIT reloaded(m_version);
    return true;
}

} // namespace relay
