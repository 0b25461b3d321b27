#include "AuditLog.h"

#include "store/SqlExec.h"

#include <QJsonDocument>

namespace relay::AuditLog {

namespace {

// A row's ts, actor, action, target, tenant_id and details as the record.
AuditRecord recordOf(const QVariantList &v)
{
    AuditRecord r;
    r.timeMs = v.value(0).toLongLong();
    r.actor = v.value(1).toString();
    r.action = v.value(2).toString();
    r.target = v.value(3).toString();
    r.tenantId = v.value(4).toString();
    r.details = QJsonDocument::fromJson(v.value(5).toString().toUtf8()).object();
    return r;
}

} // namespace

bool append(QSqlDatabase &db, const AuditRecord &record, QString *error)
{
    QSqlQuery q(db);
    return sql::run(
        q,
        QStringLiteral("INSERT INTO audit (ts, actor, action, target, tenant_id, "
                       "details) VALUES (?, ?, ?, ?, ?, ?)"),
        {record.timeMs, record.actor, record.action, record.target,
         record.tenantId.isEmpty() ? QVariant() : QVariant(record.tenantId),
         QString::fromUtf8(QJsonDocument(record.details).toJson(QJsonDocument::Compact))},
        error);
}

bool list(QSqlDatabase &db, const QString &tenantId, QList<AuditRecord> *records, QString *error)
{
    QSqlQuery q(db);
    QString statement = QStringLiteral("SELECT ts, actor, action, target, tenant_id, details "
                                       "FROM audit");
    QVariantList values;
    if (!tenantId.isEmpty()) {
        statement += QStringLiteral(" WHERE tenant_id = ?");
        values.append(tenantId);
    }
    statement += QStringLiteral(" ORDER BY ts, id");
    if (!sql::run(q, statement, values, error))
        return false;
    while (q.next())
        records->append(
            recordOf({q.value(0), q.value(1), q.value(2), q.value(3), q.value(4), q.value(5)}));
    return true;
}

bool read(QSqlDatabase &db, const AuditLogQuery &query, AuditLogPage *page, QString *error,
          QString *field)
{
    const auto refuse = [&](const QString &message, const char *name) {
        *error = message;
        if (field)
            *field = QLatin1String(name);
        return false;
    };
    const LogTable &table = LogPages::audit();
    LogFilter filter;
    filter.tenant = query.tenant;
    filter.text = query.action;
    if (!query.kind.isEmpty()) {
        bool known = false;
        for (const auto &kind : table.kinds)
            known = known || kind.first == query.kind;
        if (!known)
            return refuse(QStringLiteral("kind must be relay or admin"), "kind");
        filter.kind = query.kind;
    }
    // The cursor is the id of the last row shown.
    QVariantList cursor;
    if (!query.before.isEmpty()) {
        bool number = false;
        const qint64 id = query.before.toLongLong(&number);
        if (!number || id < 0)
            return refuse(QStringLiteral("before must be a cursor from a page's next"), "before");
        cursor = {id};
    }
    QList<QVariantList> rows;
    QVariantList next;
    if (!LogPages::readPage(db, table, filter, cursor, query.limit, &rows, &next, error,
                            query.order))
        return refuse(*error, "");
    page->rows.clear();
    // The columns are id, then the record's.
    for (const QVariantList &row : std::as_const(rows))
        page->rows.append(recordOf(row.mid(1)));
    page->next = next.isEmpty() ? QString() : QString::number(next.value(0).toLongLong());
    return true;
}

} // namespace relay::AuditLog
