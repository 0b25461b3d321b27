#pragma once

#include <QList>
#include <QSqlDatabase>
#include <QString>

struct sqlite3_stmt;

namespace relay {

// Which upstream created a Responses API response for a tenant, as response_origins stores it.
struct ResponseOriginRecord
{
    qint64 tsMs = 0; // wall clock, when the response was created
    QString tenantId;
    QString responseId;
    QString upstream;
};

// The response_origins table (schema 6): rows are added by the usage writer in its batches and
// deleted by its retention pass once older than kKeepMs; a starting relay loads the rest.
namespace ResponseOriginStore {

// A response continues on its upstream for 30 days (interface.md §3).
constexpr qint64 kKeepMs = 30LL * 24 * 3600 * 1000;
// Response ids come from upstream replies: longer ones are neither stored nor remembered.
constexpr qsizetype kMaxIdBytes = 200;

bool storable(const QString &responseId);

// Adds or replaces one row (the writer's prepared statement); true when done.
const char *upsertSql();
bool upsert(sqlite3_stmt *statement, const ResponseOriginRecord &record);
// Deletes up to ?2 rows older than ?1 (a slice of a retention pass).
const char *expireSql();

// The rows younger than kKeepMs at `nowMs`, newest first, at most `limit`; *error on failure.
QList<ResponseOriginRecord> loadRecent(QSqlDatabase &db, qint64 nowMs, qsizetype limit,
                                       QString *error);

} // namespace ResponseOriginStore
} // namespace relay
