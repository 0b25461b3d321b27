#pragma once

#include <QObject>
#include <QString>

class QTimer;

namespace relay {

class Database;
class RelayContext;

// Keeps the relay's directory in step with the database: polls the config version that every
// admin write bumps (about once a second) and publishes a fresh snapshot when it moved.
// Lives on its own thread with its own read connection.
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
    qint64 loadedVersion() const { return m_version; }

Q_SIGNALS:
    void reloaded(qint64 version);
    void reloadFailed(const QString &error);

private:
    QString m_dbPath;
    RelayContext &m_context;
    int m_pollIntervalMs;
    std::unique_ptr<Database> m_db;
    QTimer *m_timer = nullptr;
    qint64 m_version = -1;
};

} // namespace relay
