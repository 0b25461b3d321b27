#include "AuditLog.h"

#include "store/SqlExec.h"

#include <QJsonDocument>

namespace relay::AuditLog {

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
    while (q.next()) {
        AuditRecord r;
        r.timeMs = q.value(0).toLongLong();
        r.actor = q.value(1).toString();
        r.action = q.value(2).toString();
        r.target = q.value(3).toString();
        r.tenantId = q.value(4).toString();
        r.details = QJsonDocument::fromJson(q.value(5).toString().toUtf8()).object();
        records->append(r);
    }
    return true;
}

} // namespace relay::AuditLog
