#pragma once

#include "tenants/DirectorySnapshot.h"

#include <QSqlDatabase>

namespace relay {

// Reads the admin tables into a DirectorySnapshot. Runs on whichever thread owns the connection.
namespace ConfigLoader {

// The config version every admin write bumps; -1 on error.
qint64 configVersion(QSqlDatabase &db);
// nullptr (and *error set) when the database cannot be read.
DirectorySnapshotPtr load(QSqlDatabase &db, QString *error);
// "50,80,100" → {50, 80, 100}: positive whole percents, ascending, without repeats.
QList<int> thresholdsFromText(const QString &text);

} // namespace ConfigLoader
} // namespace relay
