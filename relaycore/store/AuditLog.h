#pragma once

#include "store/AdminTypes.h"
#include "store/LogPages.h"

#include <QSqlDatabase>

namespace relay {

// Which audit rows a page of the admin API holds (GET /admin/v1/audit).
struct AuditLogQuery
{
    QString tenant; // empty = every tenant
    QString kind;   // empty, relay (the relay's own events) or admin (every other actor)
    QString action; // contained in the action, empty = every action
    QString before; // a cursor from a previous page's `next`, empty = the first page
    int limit = 100;
    LogOrder order = LogOrder::OldestFirst; // oldest first, as `audit` lists them
};

struct AuditLogPage
{
    QList<AuditRecord> rows;
    QString next; // the cursor of the following page; empty when this is the last
};

// The audit table: who changed what, when. Admin writes append inside their own transaction;
// the relay appends its own events (actor "relay") the same way. Details never hold a secret.
namespace AuditLog {

bool append(QSqlDatabase &db, const AuditRecord &record, QString *error);
// Oldest first; only the rows of `tenantId` when it is not empty.
bool list(QSqlDatabase &db, const QString &tenantId, QList<AuditRecord> *records, QString *error);
// One page, keyset-paged by id (LogPages::audit()), so a page costs the same at any depth and
// rows appended meanwhile never shift the pages. False with *error (and *field, the query
// parameter at fault: kind or before) for a bad filter or cursor, or a database failure
// (*field empty).
bool read(QSqlDatabase &db, const AuditLogQuery &query, AuditLogPage *page, QString *error,
          QString *field = nullptr);

} // namespace AuditLog
} // namespace relay
