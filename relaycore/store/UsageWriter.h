#pragma once

#include "ResponseOriginStore.h"
#include "UsageRecord.h"
#include "core/Clock.h"

#include <QThread>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace relay {

// The one thread that writes usage rows. Any thread hands it records (record() never blocks
// on the database); it commits them in batched transactions on its own SQLite connection,
// binding through the sqlite3 handle, at least every `flushIntervalMs` so that a finished
// request is visible within 1 s and a kill -9 loses at most the last 100 ms. Each batch also
// adds its hourly rollups (usage_hourly) in the same transaction, and the response origins
// handed to it (response_origins: which upstream created a Responses API response).
//
// Retention: at start and then hourly (by `clock`'s wall time) it deletes the raw usage rows
// older than the usage_retention_days setting (default 90; counted back from the newest row
// when that is older than the clock), then the response origins older than 30 days by the
// clock, a few thousand at a time between batches so that writing never waits long. Rollups
// are never deleted.
class UsageWriter : public QThread
{
    Q_OBJECT
public:
    static constexpr int kDefaultRetentionDays = 90;
    // Rows per INSERT statement: above 1, a batch goes in groups of this many through one
    // prepared multi-row insert (the rest row by row). Counted by callgrind on bench/meter-cost
    // (5,000 rows at once): 24,600 instructions per row one by one, 18,800 with 16 rows per
    // statement, 18,300 with 32; the statement's cursors are opened and closed once per group
    // instead of once per row. (Timed, the three were inside each other's noise.)
    static constexpr int kDefaultRowsPerInsert = 32;

    explicit UsageWriter(QString dbPath, int flushIntervalMs = 50, Clock &clock = Clock::system(),
                         QObject *parent = nullptr);
    ~UsageWriter() override;

    // Before startWriter(): rows per INSERT statement (1: one statement per row); for the
    // benchmark that compares them.
    void setRowsPerInsert(int rows) { m_rowsPerInsert = qBound(1, rows, 64); }
    // Opens the connection on the writer thread; false with *error if the database is unusable.
    bool startWriter(QString *error);
    // Any thread.
    void record(UsageRecord record);
    // Any thread; never blocks on the database. Written with the next batch.
    void recordOrigin(ResponseOriginRecord origin);
    // Writes everything queued so far and returns when it is committed (any thread but the
    // writer's).
    void flush();
    // Flushes and ends the thread.
    void stopWriter();

    qint64 rowsWritten() const;
    // Since when (the clock's monotonic ms) the oldest record not yet committed has waited; 0
    // when everything handed over is committed. /healthz reports a writer that cannot commit.
    qint64 uncommittedSinceMs() const;
    qint64 pending() const;
    // Raw rows and response origins deleted by retention so far, and the retention passes
    // completed (both parts).
    qint64 rowsExpired() const;
    qint64 originsExpired() const;
    qint64 retentionPasses() const;

    // The usage row insert, for programs that fill a database as the writer would (bench).
    static const char *insertSql();
    // Binds one record to a prepared insertSql() statement and runs it.
    static bool insertRow(sqlite3_stmt *insert, const UsageRecord &record);
    // Binds `count` records to a prepared insert of that many rows and runs it.
    static bool insertRows(sqlite3_stmt *insert, const UsageRecord *rows, int count);

protected:
    void run() override;

private:
    // One transaction for the whole batch; false (and nothing written) when it failed.
    struct Statements
    {
        sqlite3_stmt *insert = nullptr;
        sqlite3_stmt *multiInsert = nullptr; // rowsPerInsert rows; nullptr: row by row
        int rowsPerInsert = 1;
        sqlite3_stmt *lastUsed = nullptr;
        sqlite3_stmt *rollup = nullptr;
        sqlite3_stmt *origin = nullptr;
    };
    static bool writeBatch(sqlite3 *handle, const Statements &statements,
                           const std::vector<UsageRecord> &batch,
                           const std::vector<ResponseOriginRecord> &origins);
    // One slice of deleting the rows `expire` selects before `cutoffMs`, adding the count to
    // *deleted; true when none are left.
    static bool expireSome(sqlite3 *handle, sqlite3_stmt *expire, qint64 cutoffMs, qint64 *deleted);
    // Rows before this are expired: the retention period back from now, or from the newest row
    // if that is older (a clock set wrong, or far ahead of the rows, never empties the table).
    // nullopt when there are no rows.
    static std::optional<qint64> retentionCutoff(sqlite3 *handle, qint64 nowMs);
    static int retentionDays(sqlite3 *handle);

    const QString m_dbPath;
    const int m_flushIntervalMs;
    int m_rowsPerInsert = kDefaultRowsPerInsert;
    Clock &m_clock;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_flushed;
    std::vector<UsageRecord> m_queue;
    std::vector<ResponseOriginRecord> m_originQueue;
    bool m_stop = false;
    bool m_opened = false;
    QString m_openError;
    bool m_openDone = false;
    quint64 m_enqueued = 0;
    qint64 m_queueSinceMs = 0; // the first record of the queues was handed over then
    qint64 m_batchSinceMs = 0; // the oldest record of the batch being written
    quint64 m_committed = 0;
    qint64 m_rowsWritten = 0;
    qint64 m_rowsExpired = 0;
    qint64 m_originsExpired = 0;
    qint64 m_retentionPasses = 0;
};

} // namespace relay
