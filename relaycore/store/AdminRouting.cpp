#include "AdminService.h"

#include "store/AdminRows.h"
#include "store/SqlExec.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace relay {

using namespace adminrows;

struct KeyedTable
{
    QString table;
    QString keyColumn;
    QStringList columns;     // the value columns, in the order callers pass values
    QStringList jsonColumns; // columns holding JSON text, decoded in audit details
    QString noun;            // "route": the audit actions "route.set" and "route.remove"
    QString missing;         // the message when the key has no row; %1 = the key
};

namespace {

const KeyedTable kRoutes{QStringLiteral("routes"),    QStringLiteral("model"),
                         {QStringLiteral("targets")}, {QStringLiteral("targets")},
                         QStringLiteral("route"),     QStringLiteral("no route for model '%1'")};
const KeyedTable kAliases{QStringLiteral("aliases"), QStringLiteral("alias"),
                          {QStringLiteral("model")}, {},
                          QStringLiteral("alias"),   QStringLiteral("no alias '%1'")};
const KeyedTable kPrices{QStringLiteral("prices"),
                         QStringLiteral("model"),
                         {QStringLiteral("input"), QStringLiteral("output"),
                          QStringLiteral("cache_read"), QStringLiteral("cache_write")},
                         {},
                         QStringLiteral("price"),
                         QStringLiteral("no price for model '%1'")};

} // namespace

AdminValue<QJsonValue> AdminService::keyedJson(const KeyedTable &table, const QString &key)
{
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q,
                  QStringLiteral("SELECT %1 FROM %2 WHERE %3 = ?")
                      .arg(table.columns.join(QStringLiteral(", ")), table.table, table.keyColumn),
                  {key}, &error))
        return dbFailure(error);
    if (!q.next())
        return QJsonValue();
    QJsonObject row;
    for (int i = 0; i < table.columns.size(); ++i) {
        const QString &column = table.columns.at(i);
        row.insert(column, table.jsonColumns.contains(column)
                               ? QJsonDocument::fromJson(q.value(i).toString().toUtf8()).array()
                               : QJsonValue::fromVariant(q.value(i)));
    }
    return QJsonValue(row);
}

AdminResult AdminService::setKeyed(const KeyedTable &table, const QString &key,
                                   const QVariantList &values,
                                   const std::function<AdminResult()> &check)
{
    return write([&](AuditRecord &audit) -> AdminResult {
        if (check) {
            if (const AdminResult r = check(); !r.ok)
                return r;
        }
        const AdminValue<QJsonValue> before = keyedJson(table, key);
        if (!before.ok)
            return before;
        QStringList updates;
        for (const QString &column : table.columns)
            updates.append(QStringLiteral("%1 = excluded.%1").arg(column));
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q,
                      QStringLiteral("INSERT INTO %1 (%2, %3) VALUES (?%4) "
                                     "ON CONFLICT (%2) DO UPDATE SET %5")
                          .arg(table.table, table.keyColumn,
                               table.columns.join(QStringLiteral(", ")),
                               QStringLiteral(", ?").repeated(table.columns.size()),
                               updates.join(QStringLiteral(", "))),
                      QVariantList{key} + values, &error))
            return dbFailure(error);
        const AdminValue<QJsonValue> after = keyedJson(table, key);
        if (!after.ok)
            return after;
        audit = {0,   {}, table.noun + QStringLiteral(".set"),
                 key, {}, beforeAfter(before.value, after.value)};
        return {};
    });
}

AdminResult AdminService::removeKeyed(const KeyedTable &table, const QString &key)
{
    return write([&](AuditRecord &audit) -> AdminResult {
        const AdminValue<QJsonValue> before = keyedJson(table, key);
        if (!before.ok)
            return before;
        if (before.value.isNull())
            return notFound(table.missing.arg(key));
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(
                q, QStringLiteral("DELETE FROM %1 WHERE %2 = ?").arg(table.table, table.keyColumn),
                {key}, &error))
            return dbFailure(error);
        audit = {0,   {}, table.noun + QStringLiteral(".remove"),
                 key, {}, beforeAfter(before.value, QJsonValue())};
        return {};
    });
}

AdminValue<QList<QVariantList>> AdminService::listKeyed(const KeyedTable &table)
{
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q,
                  QStringLiteral("SELECT %1, %2 FROM %3 ORDER BY %1")
                      .arg(table.keyColumn, table.columns.join(QStringLiteral(", ")), table.table),
                  {}, &error))
        return dbFailure(error);
    QList<QVariantList> rows;
    while (q.next()) {
        QVariantList row;
        for (int i = 0; i <= table.columns.size(); ++i)
            row.append(q.value(i));
        rows.append(row);
    }
    return rows;
}

AdminResult AdminService::setRoute(const QString &model, const QStringList &targets)
{
    if (const AdminResult r = checkModel(model); !r.ok)
        return r;
    if (targets.isEmpty())
        return invalid(QStringLiteral("a route needs at least one target"));
    QStringList normalized;
    for (const QString &untrimmed : targets) {
        const QString target = untrimmed.trimmed();
        const qsizetype colon = target.indexOf(QLatin1Char(':'));
        const QString upstream = colon < 0 ? target : target.left(colon);
        const QString upstreamModel = colon < 0 ? model : target.mid(colon + 1);
        if (!isValidId(upstream) || !isValidModel(upstreamModel))
            return invalid(QStringLiteral("invalid route target '%1' (use UPSTREAM or "
                                          "UPSTREAM:MODEL)")
                               .arg(target));
        const QString full = upstream + QLatin1Char(':') + upstreamModel;
        if (normalized.contains(full))
            return invalid(QStringLiteral("route target '%1' is given twice").arg(full));
        normalized.append(full);
    }
    const auto upstreamsExist = [&]() -> AdminResult {
        for (const QString &target : normalized) {
            if (const AdminValue<UpstreamRecord> u = loadUpstream(targetUpstream(target)); !u.ok)
                return u;
        }
        return {};
    };
    return setKeyed(
        kRoutes, model,
        {QString::fromUtf8(
            QJsonDocument(QJsonArray::fromStringList(normalized)).toJson(QJsonDocument::Compact))},
        upstreamsExist);
}

AdminResult AdminService::removeRoute(const QString &model)
{
    return removeKeyed(kRoutes, model);
}

AdminValue<QList<RouteRecord>> AdminService::listRoutes()
{
    const AdminValue<QList<QVariantList>> rows = listKeyed(kRoutes);
    if (!rows.ok)
        return rows;
    QList<RouteRecord> routes;
    for (const QVariantList &row : rows.value) {
        RouteRecord r{row.at(0).toString(), {}};
        for (const auto &item : QJsonDocument::fromJson(row.at(1).toString().toUtf8()).array()) {
            // Rows written by hand may leave the model out; show what the relay will send.
            const QString target = item.toString();
            r.targets.append(
                target.contains(QLatin1Char(':')) ? target : target + QLatin1Char(':') + r.model);
        }
        routes.append(r);
    }
    return routes;
}

AdminResult AdminService::setAlias(const QString &alias, const QString &model)
{
    if (const AdminResult r = checkModel(alias, "alias"); !r.ok)
        return r;
    if (const AdminResult r = checkModel(model); !r.ok)
        return r;
    if (alias == model)
        return invalid(QStringLiteral("an alias cannot point to itself"));
    return setKeyed(kAliases, alias, {model});
}

AdminResult AdminService::removeAlias(const QString &alias)
{
    return removeKeyed(kAliases, alias);
}

AdminValue<QList<AliasRecord>> AdminService::listAliases()
{
    const AdminValue<QList<QVariantList>> rows = listKeyed(kAliases);
    if (!rows.ok)
        return rows;
    QList<AliasRecord> aliases;
    for (const QVariantList &row : rows.value)
        aliases.append({row.at(0).toString(), row.at(1).toString()});
    return aliases;
}

AdminResult AdminService::checkPrices(double input, double output, std::optional<double> cacheRead,
                                      std::optional<double> cacheWrite)
{
    const auto valid = [](double usd) { return std::isfinite(usd) && usd >= 0; };
    if (!valid(input) || !valid(output) || !valid(cacheRead.value_or(0)) ||
        !valid(cacheWrite.value_or(0)))
        return invalid(QStringLiteral("prices are USD per million tokens, zero or more"));
    return {};
}

AdminResult AdminService::setPrice(const QString &model, double input, double output,
                                   std::optional<double> cacheRead,
                                   std::optional<double> cacheWrite)
{
    if (const AdminResult r = checkModel(model); !r.ok)
        return r;
    if (const AdminResult r = checkPrices(input, output, cacheRead, cacheWrite); !r.ok)
        return r;
    const auto orNull = [](std::optional<double> usd) {
        return usd ? QVariant(*usd) : QVariant(QMetaType(QMetaType::Double));
    };
    return setKeyed(kPrices, model, {input, output, orNull(cacheRead), orNull(cacheWrite)});
}

AdminResult AdminService::removePrice(const QString &model)
{
    return removeKeyed(kPrices, model);
}

AdminValue<QList<PriceRecord>> AdminService::listPrices()
{
    const AdminValue<QList<QVariantList>> rows = listKeyed(kPrices);
    if (!rows.ok)
        return rows;
    QList<PriceRecord> prices;
    for (const QVariantList &row : rows.value)
        prices.append({row.at(0).toString(), row.at(1).toDouble(), row.at(2).toDouble(),
                       row.at(3).isNull() ? std::nullopt : std::optional(row.at(3).toDouble()),
                       row.at(4).isNull() ? std::nullopt : std::optional(row.at(4).toDouble())});
    return prices;
}

} // namespace relay
