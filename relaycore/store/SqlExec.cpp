#include "SqlExec.h"

#include <QSqlError>

namespace relay::sql {

bool run(QSqlQuery &query, const QString &statement, const QVariantList &values, QString *error)
{
    query.setForwardOnly(true);
    bool ok = query.prepare(statement);
    if (ok) {
        for (const QVariant &value : values)
            query.addBindValue(value);
        ok = query.exec();
    }
    if (!ok && error)
        *error = query.lastError().text();
    return ok;
}

} // namespace relay::sql
