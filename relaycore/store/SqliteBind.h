#pragma once

#include <QByteArray>
#include <QString>

#include <sqlite3.h>

namespace relay::sqlite {

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
