#pragma once

#include "UsageRecord.h"

#include <QThread>

#include <condition_variable>
#include <mutex>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace relay {

// The one thread that writes usage rows. Any thread hands it records (record() never blocks
// on the database); it commits them in batched transactions on its own SQLite connection,
// binding through the sqlite3 handle, at least every `flushIntervalMs` so that a finished
// request is visible within 1 s and a kill -9 loses at most the last 100 ms.
class UsageWriter : public QThread
{
    Q_OBJECT
public:
    explicit UsageWriter(QString dbPath, int flushIntervalMs = 50, QObject *parent = nullptr);
    ~UsageWriter() override;

    // Opens the connection on the writer thread; false with *error if the database is unusable.
    bool startWriter(QString *error);
    // Any thread.
    void record(UsageRecord record);
    // Writes everything queued so far and returns when it is committed (any thread but the
    // writer's).
    void flush();
    // Flushes and ends the thread.
    void stopWriter();

    qint64 rowsWritten() const;
    qint64 pending() const;

protected:
    void run() override;

private:
    // One transaction for the whole batch; false (and nothing written) when it failed.
    static bool writeBatch(sqlite3 *handle, sqlite3_stmt *insert, sqlite3_stmt *lastUsed,
                           const std::vector<UsageRecord> &batch);

    const QString m_dbPath;
    const int m_flushIntervalMs;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_flushed;
    std::vector<UsageRecord> m_queue;
    bool m_stop = false;
    bool m_opened = false;
    QString m_openError;
    bool m_openDone = false;
    quint64 m_enqueued = 0;
    quint64 m_committed = 0;
    qint64 m_rowsWritten = 0;
};

} // namespace relay
