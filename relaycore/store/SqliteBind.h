#pragma once

#include <QByteArray>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QString>
#include <QVariant>

#include <sqlite3.h>

namespace relay::sqlite {

// The SQLite handle under a QtSql connection (the usage writer's and the rollups' fast path).
inline sqlite3 *handleOf(QSqlDatabase &db)
{
    return *static_cast<sqlite3 **>(db.driver()->handle().data());
}

// Binds text through the sqlite3 handle (the usage writer's fast path): a null string as NULL.
inline void bindText(sqlite3_stmt *st, int i, const QByteArray &v)
{
    if (v.isNull())
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v.constData(), int(v.size()), SQLITE_TRANSIENT);
}

inline void bindText(sqlite3_stmt *st, int i, const QString &v)
{
    if (v.isNull())
        sqlite3_bind_null(st, i);
    else
        bindText(st, i, v.toUtf8());
}

// For NOT NULL key columns: a null string as ''.
inline void bindKeyText(sqlite3_stmt *st, int i, const QString &v)
{
    bindText(st, i, v.isNull() ? QStringLiteral("") : v);
}

} // namespace relay::sqlite
