#include "LogPages.h"

#include "SqlExec.h"

#include <QSqlQuery>

namespace relay {

QStringList LogTable::columnNames() const
{
    QStringList names;
    for (const QString &column : columns)
        names.append(column.section(QStringLiteral(" AS "), -1));
    return names;
}

namespace LogPages {

namespace {

// "(ts, id) < (?, ?)" for a keyset read newest first, ">" oldest first.
QString keysetCondition(const QStringList &keys, LogOrder order)
{
    const QString comparison =
        order == LogOrder::NewestFirst ? QStringLiteral("<") : QStringLiteral(">");
    if (keys.size() == 1)
        return QStringLiteral("%1 %2 ?").arg(keys.first(), comparison);
    QStringList marks;
    for (qsizetype i = 0; i < keys.size(); ++i)
        marks << QStringLiteral("?");
    return QStringLiteral("(%1) %2 (%3)")
        .arg(keys.join(QStringLiteral(", ")), comparison, marks.join(QStringLiteral(", ")));
}

} // namespace

const LogTable &requests()
{
    static const LogTable table{
        QStringLiteral("usage"),
        {QStringLiteral("id"), QStringLiteral("ts"), QStringLiteral("tenant_id"),
         QStringLiteral("key_prefix"),
         QStringLiteral("CASE WHEN endpoint IN ('messages', 'count_tokens') "
                        "THEN 'Anthropic' ELSE 'OpenAI' END AS dialect"),
         QStringLiteral("endpoint"), QStringLiteral("outcome"), QStringLiteral("requested_model"),
         QStringLiteral("upstream"), QStringLiteral("status"), QStringLiteral("prompt_tokens"),
         QStringLiteral("completion_tokens"), QStringLiteral("cost_usd"),
         QStringLiteral("latency_ms"), QStringLiteral("error")},
        {QStringLiteral("ts"), QStringLiteral("id")},
        QStringLiteral("tenant_id"),
        QStringLiteral("requested_model"),
        // `status >= 400` where it holds, so that SQLite can use the partial index on errors.
        {{QStringLiteral("errors"), QStringLiteral("status >= 400")},
         {QStringLiteral("refused"), QStringLiteral("outcome = 'rejected'")},
         {QStringLiteral("served"), QStringLiteral("outcome = 'served'")},
         {QStringLiteral("anthropic"), QStringLiteral("endpoint IN ('messages', 'count_tokens')")},
         {QStringLiteral("openai"),
          QStringLiteral("endpoint NOT IN ('messages', 'count_tokens')")}}};
    return table;
}

const LogTable &audit()
{
    static const LogTable table{QStringLiteral("audit"),
                                {QStringLiteral("id"), QStringLiteral("ts"),
                                 QStringLiteral("actor"), QStringLiteral("action"),
                                 QStringLiteral("target"), QStringLiteral("tenant_id"),
                                 QStringLiteral("details")},
                                {QStringLiteral("id")},
                                QStringLiteral("tenant_id"),
                                QStringLiteral("action"),
                                {{QStringLiteral("relay"), QStringLiteral("actor = 'relay'")},
                                 {QStringLiteral("admin"), QStringLiteral("actor <> 'relay'")}}};
    return table;
}

bool read(QSqlDatabase &db, const LogTable &table, const LogFilter &filter,
          const QVariantList &cursor, int limit, QList<QVariantList> *rows, QString *error,
          LogOrder order)
{
    QStringList conditions;
    QVariantList values;
    if (!filter.tenant.isEmpty()) {
        conditions << table.tenantColumn + QStringLiteral(" = ?");
        values << filter.tenant;
    }
    if (!filter.text.isEmpty()) {
        conditions << QStringLiteral("instr(%1, ?) > 0").arg(table.textColumn);
        values << filter.text;
    }
    if (!filter.kind.isEmpty()) {
        QString kindCondition;
        for (const auto &[name, condition] : table.kinds)
            if (name == filter.kind)
                kindCondition = condition;
        if (kindCondition.isEmpty()) {
            *error = QStringLiteral("unknown kind of %1 row '%2'").arg(table.table, filter.kind);
            return false;
        }
        conditions << kindCondition;
    }
    if (!filter.where.isEmpty()) {
        conditions << filter.where;
        values << filter.values;
    }
    if (!cursor.isEmpty()) {
        conditions << keysetCondition(table.orderKeys, order);
        values << cursor;
    }
    QStringList orderBy;
    for (const QString &key : table.orderKeys)
        orderBy << key + (order == LogOrder::NewestFirst ? QStringLiteral(" DESC") : QString());
    const QString statement =
        QStringLiteral("SELECT %1 FROM %2%3 ORDER BY %4 LIMIT %5")
            .arg(table.columns.join(QStringLiteral(", ")), table.table,
                 conditions.isEmpty()
                     ? QString()
                     : QStringLiteral(" WHERE ") + conditions.join(QStringLiteral(" AND ")),
                 orderBy.join(QStringLiteral(", ")))
            .arg(limit);
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (!sql::run(q, statement, values, error))
        return false;
    const qsizetype width = table.columns.size();
    while (q.next()) {
        QVariantList row;
        row.reserve(width);
        for (int c = 0; c < width; ++c)
            row << q.value(c);
        rows->append(row);
    }
    return true;
}

bool readPage(QSqlDatabase &db, const LogTable &table, const LogFilter &filter,
              const QVariantList &cursor, int limit, QList<QVariantList> *rows, QVariantList *next,
              QString *error, LogOrder order)
{
    // One row more than asked says whether another page follows.
    rows->clear();
    next->clear();
    if (!read(db, table, filter, cursor, limit + 1, rows, error, order))
        return false;
    if (rows->size() > limit) {
        rows->resize(limit);
        *next = cursorOf(table, rows->constLast());
    }
    return true;
}

QVariantList cursorOf(const LogTable &table, const QVariantList &row)
{
    QVariantList cursor;
    const QStringList names = table.columnNames();
    for (const QString &key : table.orderKeys)
        cursor << row.value(names.indexOf(key));
    return cursor;
}

} // namespace LogPages

} // namespace relay
