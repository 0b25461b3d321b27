#include "ConfigWatcher.h"

#include "CircuitProber.h"
#include "RelayContext.h"
#include "core/Clock.h"
#include "store/ConfigLoader.h"
#include "store/Database.h"
#include "store/RelayState.h"

#include <QTimer>

namespace relay {

ConfigWatcher::ConfigWatcher(QString dbPath, RelayContext &context, int pollIntervalMs)
    : m_dbPath(std::move(dbPath)), m_context(context), m_pollIntervalMs(pollIntervalMs)
{
}

ConfigWatcher::~ConfigWatcher()
{
    if (!m_db)
        return;
    // The relay stops: its last changes are kept, and `upstream list` says `unknown` at once.
    recordState();
    QString error;
    RelayState::writeHeartbeat(m_db->db(), 0, m_listen, &error);
}

bool ConfigWatcher::open(QString *error)
{
    m_db = std::make_unique<Database>();
    if (!m_db->open(m_dbPath, error) || !RelayState::resetStates(m_db->db(), error))
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
    m_timer->setInterval(m_pollIntervalMs);
    connect(m_timer, &QTimer::timeout, this, [this] {
        poll();
        recordState();
    });
    m_timer->start();
    m_prober = new CircuitProber(m_context, this);
    m_prober->start();
    recordState();
}

void ConfigWatcher::recordState()
{
    QString error;
    // Kept until stored: a database busy for a moment delays the record, never drops it.
    m_unrecorded += m_context.circuits().takeTransitions();
    if (RelayState::recordTransitions(m_db->db(), m_unrecorded, &error))
        m_unrecorded.clear();
    else
        qWarning("TenantRelay: cannot record upstream state yet (retried at the next poll): %s",
                 qPrintable(error));
    RelayState::writeHeartbeat(m_db->db(), m_context.clock().wallMs(), m_listen, &error);
}

bool ConfigWatcher::poll(bool force)
{
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
