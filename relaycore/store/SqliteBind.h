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

// The same without copying: the string must stay as it is until the statement is reset (the
// usage writer's rows, bound and stepped while the batch holds them). A QString goes in as
// UTF-16, which SQLite turns into the database's UTF-8 itself.
inline void bindTextUncopied(sqlite3_stmt *st, int i, const QByteArray &v)
{
    if (v.isNull())
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v.constData(), int(v.size()), SQLITE_STATIC);
}

inline void bindTextUncopied(sqlite3_stmt *st, int i, const QString &v)
{
    if (v.isNull())
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text16(st, i, v.utf16(), int(v.size() * qsizetype(sizeof(char16_t))),
                            SQLITE_STATIC);
}

// For NOT NULL key columns: a null string as ''.
inline void bindKeyText(sqlite3_stmt *st, int i, const QString &v)
{
    bindText(st, i, v.isNull() ? QStringLiteral("") : v);
}

} // namespace relay::sqlite
