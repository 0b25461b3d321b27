#include "ResponseOriginStore.h"

#include "SqliteBind.h"

#include <QSqlError>
#include <QSqlQuery>

#include <sqlite3.h>

namespace relay::ResponseOriginStore {

bool storable(const QString &responseId)
{
    // UTF-8 is at most three bytes per UTF-16 unit: count exactly only near the limit.
    if (responseId.isEmpty())
        return false;
    if (responseId.size() * 3 <= kMaxIdBytes)
        return true;
    return responseId.size() <= kMaxIdBytes && responseId.toUtf8().size() <= kMaxIdBytes;
}

const char *upsertSql()
{
    return "INSERT INTO response_origins (tenant_id, response_id, upstream, ts) VALUES (?1, ?2, "
           "?3, ?4) ON CONFLICT (tenant_id, response_id) DO UPDATE SET upstream = "
           "excluded.upstream, ts = excluded.ts";
}

bool upsert(sqlite3_stmt *statement, const ResponseOriginRecord &r)
{
    sqlite3_reset(statement);
    sqlite::bindKeyText(statement, 1, r.tenantId);
    sqlite::bindKeyText(statement, 2, r.responseId);
    sqlite::bindKeyText(statement, 3, r.upstream);
    sqlite3_bind_int64(statement, 4, r.tsMs);
    const bool ok = sqlite3_step(statement) == SQLITE_DONE;
    sqlite3_reset(statement);
    return ok;
}

const char *expireSql()
{
    return "DELETE FROM response_origins WHERE rowid IN (SELECT rowid FROM response_origins "
           "WHERE ts < ?1 LIMIT ?2)";
}

QList<ResponseOriginRecord> loadRecent(QSqlDatabase &db, qint64 nowMs, qsizetype limit,
                                       QString *error)
{
    QList<ResponseOriginRecord> out;
    QSqlQuery q(db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT tenant_id, response_id, upstream, ts FROM response_origins "
                             "WHERE ts >= ? ORDER BY ts DESC LIMIT ?"));
    q.addBindValue(nowMs - kKeepMs);
    q.addBindValue(qint64(limit));
    if (!q.exec()) {
        if (error)
            *error = q.lastError().text();
        return out;
    }
    while (q.next())
        out.append(ResponseOriginRecord{q.value(3).toLongLong(), q.value(0).toString(),
                                        q.value(1).toString(), q.value(2).toString()});
    return out;
}

} // namespace relay::ResponseOriginStore
