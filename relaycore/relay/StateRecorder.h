#pragma once

#include "upstream/CircuitBreaker.h"

#include <QObject>
#include <QString>

#include <memory>

class QTimer;

namespace relay {

class Database;
class RelayContext;

// Records the relay's own state for other processes, about once a second: circuit changes
// (with their audit entries) and the heartbeat that `upstream list` and a second relay read.
// These are writes, which may wait for the database's write lock; they run here, on a thread
// of their own with their own connection, so that no such wait delays the config watcher's
// poll (and with it every admin change).
class StateRecorder : public QObject
{
    Q_OBJECT
public:
    StateRecorder(QString dbPath, RelayContext &context, int intervalMs);
    // The relay stops: its last changes are kept, and `upstream list` says `unknown` at once.
    ~StateRecorder() override;

    // On the recorder's thread.
    bool open(QString *error);
    void start();
    // Writes the circuit changes since the last call and the heartbeat.
    void recordState();
    // Records the address in the heartbeat at once, so that a second relay refused on this
    // database can name it.
    void setListenAddress(const QString &listen)
    {
        m_listen = listen;
        recordState();
    }

private:
    QString m_dbPath;
    RelayContext &m_context;
    int m_intervalMs;
    std::unique_ptr<Database> m_db;
    QTimer *m_timer = nullptr;
    QString m_listen;
    QList<CircuitTransition> m_unrecorded; // circuit changes not yet stored
};

} // namespace relay
