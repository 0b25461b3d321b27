#pragma once

#include <QObject>
#include <QString>

#include <memory>

class QTimer;

namespace relay {

class CircuitProber;
class Database;
class RelayContext;

// Keeps the relay's directory in step with the database: polls the config version that every
// admin write bumps and publishes a fresh snapshot when it moved. The poll is a one-row read
// and nothing else runs on its thread, so no write elsewhere (usage, the relay's own state, an
// admin command holding the write lock) can hold it up: a change is live within one interval.
// The interval is measured on the relay's clock, so a test's manual clock drives it too.
// Its CircuitProber (network only, never blocking) checks open upstreams on the same thread.
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
    // Polls if an interval has passed on the clock since the last poll.
    void tick();
    // Starts the circuit checks that are due on the relay's clock.
    void checkCircuits();
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
    qint64 m_lastPollMs = 0; // on the relay's clock
    CircuitProber *m_prober = nullptr;
};

} // namespace relay
