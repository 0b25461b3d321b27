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

// The same without copying: the bytes must stay as they are until the statement is reset (the
// usage writer's rows, bound and stepped while the batch holds them). Bytes only: a QString goes
// through bindText, whose toUtf8() is the one conversion every reader of the database sees (a
// lone surrogate becomes '?'), where SQLite's own UTF-16 conversion would store something else.
inline void bindTextUncopied(sqlite3_stmt *st, int i, const QByteArray &v)
{
    if (v.isNull())
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v.constData(), int(v.size()), SQLITE_STATIC);
}

// For NOT NULL key columns: a null string as ''.
inline void bindKeyText(sqlite3_stmt *st, int i, const QString &v)
{
    bindText(st, i, v.isNull() ? QStringLiteral("") : v);
}

} // namespace relay::sqlite
