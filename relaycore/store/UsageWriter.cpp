#include "UsageWriter.h"

#include "Database.h"
#include "SqliteBind.h"
#include "UsageRollup.h"

#include <QElapsedTimer>
#include <QSqlDriver>
#include <QVariant>

#include <sqlite3.h>

#include <array>
#include <optional>
#include <vector>

namespace relay {

using sqlite::bindText;
using sqlite::bindTextUncopied;

namespace {

const char kInsertHead[] =
    "INSERT INTO usage (ts, request_id, tenant_id, key_prefix, outcome, endpoint, "
    "requested_model, served_model, upstream, status, prompt_tokens, completion_tokens, cost_usd, "
    "priced, latency_ms, ttfb_ms, streamed, estimated, error, cache_read_tokens, "
    "cache_write_tokens) VALUES ";
const char kInsertRow[] = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
constexpr int kInsertColumns = 21;

// The insert of `rows` rows in one statement.
QByteArray insertSqlFor(int rows)
{
    QByteArray sql(kInsertHead);
    for (int i = 0; i < rows; ++i) {
        if (i)
            sql += ',';
        sql += kInsertRow;
    }
    return sql;
}
// Retention deletes in slices of this many rows, for at most kExpireSliceMs between batches.
constexpr int kExpireRows = 2000;
constexpr qint64 kExpireSliceMs = 20;
constexpr qint64 kRetentionIntervalMs = 3'600'000;
constexpr qint64 kDayMs = 86'400'000;
const char kExpireSql[] =
    "DELETE FROM usage WHERE id IN (SELECT id FROM usage WHERE ts < ?1 LIMIT ?2)";
const char kRetentionSql[] = "SELECT value FROM settings WHERE key = 'usage_retention_days'";
const char kNewestSql[] = "SELECT MAX(ts) FROM usage";
const char kLastUsedSql[] = "UPDATE api_keys SET last_used = ?1 WHERE prefix = ?2 AND (last_used "
                            "IS NULL OR last_used < ?1)";

// The UTF-8 of the rows' text columns while a batch is written. A value equal to the one the same
// column had in the row before is converted once (a batch is mostly the same few tenants, keys,
// models and upstreams), and each stays alive until release(), so the rows bind it uncopied.
// The bytes are QString::toUtf8()'s, as every other writer of these columns stores them.
class UsageTexts
{
public:
    enum Column { Tenant, KeyPrefix, RequestedModel, ServedModel, Upstream, Columns };

    // Binds `text` to parameter `i`: a null string as NULL.
    void bind(sqlite3_stmt *st, int i, Column column, const QString &text)
    {
        if (text.isNull()) {
            sqlite3_bind_null(st, i);
            return;
        }
        Last &last = m_last[column];
        // The same tenant's or model's strings are shared copies as a rule: equal data, equal text.
        if (!last.set || (text.constData() != last.text.constData() && text != last.text)) {
            if (last.set)
                m_held.push_back(std::move(last.utf8)); // still bound to an earlier row
            last = {text, text.toUtf8(), true};
        }
        sqlite3_bind_text(st, i, last.utf8.constData(), int(last.utf8.size()), SQLITE_STATIC);
    }
    // After a statement has been stepped: what only its rows used can go.
    void release() { m_held.clear(); }

private:
    struct Last
    {
        QString text;
        QByteArray utf8;
        bool set = false;
    };
    std::array<Last, Columns> m_last;
    std::vector<QByteArray> m_held;
};

// Binds one record to the 21 parameters from `first` on, without copies: the record and `texts`
// stay as they are until the statement has been stepped.
void bindRow(sqlite3_stmt *insert, int first, const UsageRecord &r, UsageTexts &texts)
{
    const int at = first - 1; // parameters count from 1
    sqlite3_bind_int64(insert, at + 1, r.tsMs);
    bindTextUncopied(insert, at + 2, r.requestId);
    texts.bind(insert, at + 3, UsageTexts::Tenant, r.tenantId);
    texts.bind(insert, at + 4, UsageTexts::KeyPrefix, r.keyPrefix);
    sqlite3_bind_text(insert, at + 5, r.rejected ? "rejected" : "served", -1, SQLITE_STATIC);
    bindTextUncopied(insert, at + 6, r.endpoint);
    texts.bind(insert, at + 7, UsageTexts::RequestedModel, r.requestedModel);
    texts.bind(insert, at + 8, UsageTexts::ServedModel, r.servedModel);
    texts.bind(insert, at + 9, UsageTexts::Upstream, r.upstream);
    sqlite3_bind_int(insert, at + 10, r.status);
    sqlite3_bind_int64(insert, at + 11, r.promptTokens);
    sqlite3_bind_int64(insert, at + 12, r.completionTokens);
    sqlite3_bind_double(insert, at + 13, r.costUsd);
    sqlite3_bind_int(insert, at + 14, r.priced ? 1 : 0);
    sqlite3_bind_int64(insert, at + 15, r.latencyMs);
    if (r.ttfbMs < 0)
        sqlite3_bind_null(insert, at + 16);
    else
        sqlite3_bind_int64(insert, at + 16, r.ttfbMs);
    sqlite3_bind_int(insert, at + 17, r.streamed ? 1 : 0);
    sqlite3_bind_int(insert, at + 18, r.estimated ? 1 : 0);
    bindTextUncopied(insert, at + 19, r.error);
    sqlite3_bind_int64(insert, at + 20, r.cacheReadTokens);
    sqlite3_bind_int64(insert, at + 21, r.cacheWriteTokens);
}

// Binds `count` records to a prepared insert of that many rows and runs it.
bool insertRowsWith(sqlite3_stmt *insert, const UsageRecord *rows, int count, UsageTexts &texts)
{
    sqlite3_reset(insert);
    for (int i = 0; i < count; ++i)
        bindRow(insert, 1 + i * kInsertColumns, rows[i], texts);
    const bool ok = sqlite3_step(insert) == SQLITE_DONE;
    sqlite3_reset(insert);
    texts.release();
    return ok;
}

} // namespace

UsageWriter::UsageWriter(QString dbPath, int flushIntervalMs, Clock &clock, QObject *parent)
    : QThread(parent), m_dbPath(std::move(dbPath)), m_flushIntervalMs(flushIntervalMs),
      m_clock(clock)
{
    setObjectName(QStringLiteral("relay-usage-writer"));
}

UsageWriter::~UsageWriter()
{
    stopWriter();
}

bool UsageWriter::startWriter(QString *error)
{
    start();
    std::unique_lock lock(m_mutex);
    m_flushed.wait(lock, [this] { return m_openDone; });
    if (!m_opened && error)
        *error = m_openError;
    return m_opened;
}

void UsageWriter::record(UsageRecord record)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_queue.empty() && m_originQueue.empty())
            m_queueSinceMs = m_clock.monotonicMs();
        m_queue.push_back(std::move(record));
        ++m_enqueued;
    }
}

void UsageWriter::recordOrigin(ResponseOriginRecord origin)
{
    std::lock_guard lock(m_mutex);
    if (m_queue.empty() && m_originQueue.empty())
        m_queueSinceMs = m_clock.monotonicMs();
    m_originQueue.push_back(std::move(origin));
    ++m_enqueued;
}

void UsageWriter::flush()
{
    std::unique_lock lock(m_mutex);
    if (!m_opened || m_stop)
        return;
    const quint64 target = m_enqueued;
    m_wake.notify_one();
    m_flushed.wait(lock, [&] { return m_committed >= target || m_stop; });
}

void UsageWriter::stopWriter()
{
    {
        std::lock_guard lock(m_mutex);
        if (!isRunning())
            return;
        m_stop = true;
    }
    m_wake.notify_one();
    wait();
}

qint64 UsageWriter::rowsWritten() const
{
    std::lock_guard lock(m_mutex);
    return m_rowsWritten;
}

qint64 UsageWriter::uncommittedSinceMs() const
{
    std::lock_guard lock(m_mutex);
    if (m_batchSinceMs && m_queueSinceMs)
        return qMin(m_batchSinceMs, m_queueSinceMs);
    return m_batchSinceMs ? m_batchSinceMs : m_queueSinceMs;
}

qint64 UsageWriter::pending() const
{
    std::lock_guard lock(m_mutex);
    return qint64(m_queue.size());
}

qint64 UsageWriter::rowsExpired() const
{
    std::lock_guard lock(m_mutex);
    return m_rowsExpired;
}

qint64 UsageWriter::originsExpired() const
{
    std::lock_guard lock(m_mutex);
    return m_originsExpired;
}

qint64 UsageWriter::retentionPasses() const
{
    std::lock_guard lock(m_mutex);
    return m_retentionPasses;
}

std::optional<qint64> UsageWriter::retentionCutoff(sqlite3 *handle, qint64 nowMs)
{
    sqlite3_stmt *newest = nullptr;
    std::optional<qint64> cutoff;
    if (sqlite3_prepare_v2(handle, kNewestSql, -1, &newest, nullptr) == SQLITE_OK &&
        sqlite3_step(newest) == SQLITE_ROW && sqlite3_column_type(newest, 0) != SQLITE_NULL)
        cutoff =
            qMin(nowMs, sqlite3_column_int64(newest, 0)) - qint64(retentionDays(handle)) * kDayMs;
    sqlite3_finalize(newest);
    return cutoff;
}

int UsageWriter::retentionDays(sqlite3 *handle)
{
    sqlite3_stmt *read = nullptr;
    int days = kDefaultRetentionDays;
    if (sqlite3_prepare_v2(handle, kRetentionSql, -1, &read, nullptr) == SQLITE_OK &&
        sqlite3_step(read) == SQLITE_ROW) {
        bool ok = false;
        const int set =
            QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(read, 0)))
                .toInt(&ok);
        if (ok && set > 0)
            days = set;
    }
    sqlite3_finalize(read);
    return days;
}

bool UsageWriter::expireSome(sqlite3 *handle, sqlite3_stmt *expire, qint64 cutoffMs,
                             qint64 *deleted)
{
    QElapsedTimer slice;
    slice.start();
    bool complete = false;
    while (!complete && slice.elapsed() < kExpireSliceMs) {
        sqlite3_reset(expire);
        sqlite3_bind_int64(expire, 1, cutoffMs);
        sqlite3_bind_int(expire, 2, kExpireRows);
        if (sqlite3_step(expire) != SQLITE_DONE) {
            qWarning("usage writer: could not delete old rows: %s", sqlite3_errmsg(handle));
            complete = true; // try again at the next pass
            break;
        }
        const int n = sqlite3_changes(handle);
        *deleted += n;
        complete = n < kExpireRows;
    }
    sqlite3_reset(expire);
    return complete;
}

void UsageWriter::run()
{
    Database database;
    QString error;
    const bool ok = database.open(m_dbPath, &error);
    {
        std::lock_guard lock(m_mutex);
        m_opened = ok;
        m_openError = error;
        m_openDone = true;
    }
    m_flushed.notify_all();
    if (!ok)
        return;
    sqlite3 *handle = sqlite::handleOf(database.db());
    Statements statements;
    sqlite3_stmt *expire = nullptr;
    sqlite3_stmt *expireOrigins = nullptr;
    sqlite3_prepare_v2(handle, insertSql(), -1, &statements.insert, nullptr);
    if (m_rowsPerInsert > 1) {
        statements.rowsPerInsert = m_rowsPerInsert;
        sqlite3_prepare_v2(handle, insertSqlFor(m_rowsPerInsert).constData(), -1,
                           &statements.multiInsert, nullptr);
    }
    sqlite3_prepare_v2(handle, kLastUsedSql, -1, &statements.lastUsed, nullptr);
    sqlite3_prepare_v2(handle, UsageRollup::upsertSql(), -1, &statements.rollup, nullptr);
    sqlite3_prepare_v2(handle, ResponseOriginStore::upsertSql(), -1, &statements.origin, nullptr);
    sqlite3_prepare_v2(handle, kExpireSql, -1, &expire, nullptr);
    sqlite3_prepare_v2(handle, ResponseOriginStore::expireSql(), -1, &expireOrigins, nullptr);

    std::vector<UsageRecord> batch;
    std::vector<ResponseOriginRecord> origins;
    int failures = 0;
    qint64 nextRetentionMs = m_clock.wallMs(); // a pass right at start
    // The retention pass under way: its usage part, then its origins part, each with its
    // cutoff. (Not std::optionals: GCC's -O2 maybe-uninitialized warning misfires on them here.)
    bool expiring = false;
    qint64 expireBefore = 0;
    bool expiringOrigins = false;
    qint64 originsBefore = 0;
    for (;;) {
        bool stopping;
        quint64 taken;
        {
            std::unique_lock lock(m_mutex);
            // After a failed commit, wait longer before the next attempt (the database may be
            // locked by another program, or the disk full).
            const int waitMs =
                failures ? qMin(5000, m_flushIntervalMs << qMin(failures, 6)) : m_flushIntervalMs;
            m_wake.wait_for(lock, std::chrono::milliseconds(waitMs),
                            [this, failures] { return m_stop && failures == 0; });
            batch.swap(m_queue);
            origins.swap(m_originQueue);
            if (!batch.empty() || !origins.empty())
                m_batchSinceMs = m_queueSinceMs;
            m_queueSinceMs = 0;
            taken = m_enqueued;
            stopping = m_stop;
        }
        if ((!batch.empty() || !origins.empty()) &&
            !writeBatch(handle, statements, batch, origins)) {
            ++failures;
            qWarning("usage writer: could not write %zu usage rows and %zu response origins "
                     "(attempt %d): %s",
                     batch.size(), origins.size(), failures, sqlite3_errmsg(handle));
            if (stopping && failures >= 5) {
                qWarning("usage writer: giving up at shutdown; %zu usage rows and %zu response "
                         "origins are lost",
                         batch.size(), origins.size());
                break;
            }
            // Keep the rows for the next attempt rather than lose them.
            std::lock_guard lock(m_mutex);
            m_queue.insert(m_queue.begin(), std::make_move_iterator(batch.begin()),
                           std::make_move_iterator(batch.end()));
            m_originQueue.insert(m_originQueue.begin(), std::make_move_iterator(origins.begin()),
                                 std::make_move_iterator(origins.end()));
            m_queueSinceMs = m_batchSinceMs;
            m_batchSinceMs = 0;
            batch.clear();
            origins.clear();
            continue;
        }
        failures = 0;
        {
            std::lock_guard lock(m_mutex);
            m_rowsWritten += qint64(batch.size());
            m_committed = taken;
            m_batchSinceMs = 0;
        }
        batch.clear();
        origins.clear();
        m_flushed.notify_all();
        if (stopping) {
            std::lock_guard lock(m_mutex);
            if (m_queue.empty() && m_originQueue.empty())
                break;
            continue;
        }
        const qint64 now = m_clock.wallMs();
        if (!expiring && !expiringOrigins && now >= nextRetentionMs) {
            const std::optional<qint64> cutoff = retentionCutoff(handle, now);
            nextRetentionMs = now + kRetentionIntervalMs;
            expiring = cutoff.has_value(); // false: no usage rows at all
            expireBefore = cutoff.value_or(0);
            expiringOrigins = true;
            originsBefore = now - ResponseOriginStore::kKeepMs;
        }
        if (expiring) {
            qint64 deleted = 0;
            expiring = !expireSome(handle, expire, expireBefore, &deleted);
            std::lock_guard lock(m_mutex);
            m_rowsExpired += deleted;
        } else if (expiringOrigins) {
            qint64 deleted = 0;
            expiringOrigins = !expireSome(handle, expireOrigins, originsBefore, &deleted);
            std::lock_guard lock(m_mutex);
            m_originsExpired += deleted;
            if (!expiringOrigins)
                ++m_retentionPasses;
        }
    }
    {
        std::lock_guard lock(m_mutex);
        m_committed = m_enqueued; // nothing more will be written: release any flush() waiter
    }
    m_flushed.notify_all();
    sqlite3_finalize(statements.insert);
    sqlite3_finalize(statements.multiInsert);
    sqlite3_finalize(statements.lastUsed);
    sqlite3_finalize(statements.rollup);
    sqlite3_finalize(statements.origin);
    sqlite3_finalize(expire);
    sqlite3_finalize(expireOrigins);
}

const char *UsageWriter::insertSql()
{
    static const QByteArray sql = insertSqlFor(1);
    return sql.constData();
}

bool UsageWriter::insertRows(sqlite3_stmt *insert, const UsageRecord *rows, int count)
{
    UsageTexts texts;
    return insertRowsWith(insert, rows, count, texts);
}

bool UsageWriter::insertRow(sqlite3_stmt *insert, const UsageRecord &record)
{
    return insertRows(insert, &record, 1);
}

bool UsageWriter::writeBatch(sqlite3 *handle, const Statements &statements,
                             const std::vector<UsageRecord> &batch,
                             const std::vector<ResponseOriginRecord> &origins)
{
    // All or nothing: a batch that is not committed whole is retried whole, never written twice.
    if (sqlite3_exec(handle, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
        return false;
    QHash<QString, qint64> keysUsed;
    UsageRollup rollup;
    UsageTexts texts;
    // Whole groups through the multi-row insert, the rest one by one.
    const size_t grouped =
        statements.multiInsert ? batch.size() - batch.size() % size_t(statements.rowsPerInsert) : 0;
    for (size_t i = 0; i < batch.size();) {
        const bool group = i < grouped;
        const int count = group ? statements.rowsPerInsert : 1;
        if (!insertRowsWith(group ? statements.multiInsert : statements.insert, &batch[i], count,
                            texts)) {
            sqlite3_exec(handle, "ROLLBACK", nullptr, nullptr, nullptr);
            return false;
        }
        i += size_t(count);
    }
    for (const UsageRecord &r : batch) {
        if (!r.keyPrefix.isEmpty())
            keysUsed[r.keyPrefix] = qMax(keysUsed.value(r.keyPrefix), r.tsMs);
        rollup.add(r);
    }
    if (!rollup.writeWith(statements.rollup)) {
        sqlite3_exec(handle, "ROLLBACK", nullptr, nullptr, nullptr);
        return false;
    }
    for (const ResponseOriginRecord &o : origins) {
        if (!ResponseOriginStore::upsert(statements.origin, o)) {
            sqlite3_exec(handle, "ROLLBACK", nullptr, nullptr, nullptr);
            return false;
        }
    }
    for (auto it = keysUsed.cbegin(); it != keysUsed.cend(); ++it) {
        sqlite3_reset(statements.lastUsed);
        sqlite3_bind_int64(statements.lastUsed, 1, it.value());
        bindText(statements.lastUsed, 2, it.key());
        sqlite3_step(statements.lastUsed);
    }
    sqlite3_reset(statements.lastUsed);
    if (sqlite3_exec(handle, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
        sqlite3_exec(handle, "ROLLBACK", nullptr, nullptr, nullptr);
        return false;
    }
    return true;
}

} // namespace relay
