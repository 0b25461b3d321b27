#pragma once

#include <QSqlQuery>
#include <QString>
#include <QVariantList>

namespace relay::sql {

// Prepares `statement`, binds `values` in order and runs it. On failure *error (if given) gets
// the driver's message, which never repeats the bound values — some of them are secrets.
bool run(QSqlQuery &query, const QString &statement, const QVariantList &values = {},
         QString *error = nullptr);

} // namespace relay::sql
