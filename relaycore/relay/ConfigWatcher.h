#pragma once

#include "upstream/CircuitBreaker.h"

#include <QObject>
#include <QString>

class QTimer;

namespace relay {

class CircuitProber;
class Database;
class RelayContext;

// Keeps the relay's directory in step with the database: polls the config version that every
// admin write bumps (about once a second) and publishes a fresh snapshot when it moved. On the
// same tick it records the relay's own state for other processes (circuit changes, with their
// audit entries, and a heartbeat), and its CircuitProber checks open upstreams.
// Lives on its own thread with its own connection.
class ConfigWatcher : public QObject
{
    Q_OBJECT
public:
    ConfigWatcher(QString dbPath, RelayContext &context, int pollIntervalMs);
    ~ConfigWatcher() override;

    // On the watcher's thread.
    bool open(QString *error);
    void startPolling();
    // Reloads if the version moved (or always, with force). Returns false on a read error.
    bool poll(bool force = false);
    // Writes the circuit changes since the last call and the heartbeat.
    void recordState();
    // Records the address in the heartbeat at once, so another relay refused on this database
    // can name it.
    void setListenAddress(const QString &listen)
    {
        m_listen = listen;
        recordState();
    }
    qint64 loadedVersion() const { return m_version; }

Q_SIGNALS:
    void reloaded(qint64 version);
    void reloadFailed(const QString &error);

private:
    QString m_dbPath;
    QList<CircuitTransition> m_unrecorded; // circuit changes not yet stored
    RelayContext &m_context;
    int m_pollIntervalMs;
    std::unique_ptr<Database> m_db;
    QTimer *m_timer = nullptr;
    qint64 m_version = -1;
    QString m_listen;
    CircuitProber *m_prober = nullptr;
};

} // namespace relay
