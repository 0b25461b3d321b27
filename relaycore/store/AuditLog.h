#pragma once

#include "store/AdminTypes.h"

#include <QSqlDatabase>

namespace relay {

// The audit table: who changed what, when. Admin writes append inside their own transaction;
// the relay appends its own events (actor "relay") the same way. Details never hold a secret.
namespace AuditLog {

bool append(QSqlDatabase &db, const AuditRecord &record, QString *error);
// Oldest first; only the rows of `tenantId` when it is not empty.
bool list(QSqlDatabase &db, const QString &tenantId, QList<AuditRecord> *records, QString *error);

} // namespace AuditLog
} // namespace relay
