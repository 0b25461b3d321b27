#pragma once

#include <QList>
#include <QPair>
#include <QSqlDatabase>
#include <QString>
#include <QStringList>
#include <QVariantList>

namespace relay {

// A large log table read one page at a time, newest first, with keyset paging
// (WHERE (ts, id) < (the last row shown) ORDER BY ts DESC, id DESC LIMIT n): a page costs the
// same at row 10 or row 10 million, and rows written meanwhile never shift the pages. The
// console's request and audit logs, their CSV export and the admin API's request and audit logs
// read through here; nothing else builds these queries.
struct LogTable
{
    QString table;
    QStringList columns;   // SQL columns ("expression AS name" too), as selected
    QStringList orderKeys; // the keyset, newest first: {"ts", "id"} or {"id"}; all selected
    QString tenantColumn;  // the exact tenant filter
    QString textColumn;    // the "contains" filter
    // Named row kinds (a filter by name → its SQL condition); "" = every row.
    QList<QPair<QString, QString>> kinds;

    // The column names as a CSV header or a JSON object names them ("… AS name" → name).
    QStringList columnNames() const;
};

struct LogFilter
{
    QString tenant; // exact, empty = every tenant
    QString text;   // contained in the table's text column, empty = no filter
    QString kind;   // one of the table's kinds by name, empty = every row
    // Further conditions with their values (the request log's status code, say).
    QString where;
    QVariantList values;
};

// Which way a read goes: newest first (the console's logs) or oldest first (the audit as the
// CLI lists it). The cursor is the last row shown either way.
enum class LogOrder { NewestFirst, OldestFirst };

namespace LogPages {

// The request log (usage rows) and the audit log as the console shows them.
const LogTable &requests();
const LogTable &audit();

// Up to `limit` rows from after `cursor` (empty = the newest, or the oldest), each as its
// selected columns. False with *error for an unknown kind or a database failure.
bool read(QSqlDatabase &db, const LogTable &table, const LogFilter &filter,
          const QVariantList &cursor, int limit, QList<QVariantList> *rows, QString *error,
          LogOrder order = LogOrder::NewestFirst);

// read() for a page of an API: up to `limit` rows and, when more follow, the cursor of the
// next page in *next (left empty on the last page).
bool readPage(QSqlDatabase &db, const LogTable &table, const LogFilter &filter,
              const QVariantList &cursor, int limit, QList<QVariantList> *rows, QVariantList *next,
              QString *error, LogOrder order = LogOrder::NewestFirst);

// The keyset values of a row read by read(): the cursor of the page after it.
QVariantList cursorOf(const LogTable &table, const QVariantList &row);

} // namespace LogPages

} // namespace relay
