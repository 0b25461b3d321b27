#pragma once

#include "UsageRecord.h"

#include <QList>
#include <QSqlDatabase>
#include <QString>

namespace relay {

// One request of the request log (interface.md §5, GET /admin/v1/requests): its usage row.
struct RequestLogRow
{
    qint64 id = 0;
    UsageRecord usage;
    QString outcome; // as the usage row holds it: "served", or "rejected" (refused by the relay)

    // "anthropic" for the Messages API (/v1/messages, count_tokens), else "openai".
    QString dialect() const;
};

// Which rows, newest first, and where a page starts.
struct RequestLogQuery
{
    QString tenant; // empty = every tenant
    // empty, a code (404), 4xx, 5xx, or a kind of LogPages::requests(): errors (≥ 400), refused
    // (rejected), served, anthropic or openai (the dialect)
    QString status;
    QString model;  // contained in the requested model, empty = every model
    QString before; // a cursor from a previous page's `next`, empty = the newest rows
    int limit = 100;
};

struct RequestLogPage
{
    QList<RequestLogRow> rows;
    QString next; // the cursor of the following (older) page; empty when this is the last
};

namespace RequestLog {

// Keyset paging over (time, id), so a page costs the same at any depth of a large log and rows
// written while someone pages never shift the pages. False with *error (and *field, the query
// parameter at fault: status or before) for a bad filter or cursor, or a database failure
// (*field empty).
bool read(QSqlDatabase &db, const RequestLogQuery &query, RequestLogPage *page, QString *error,
          QString *field = nullptr);

// True when `status` is a filter read() accepts.
bool validStatus(const QString &status);

} // namespace RequestLog

} // namespace relay
