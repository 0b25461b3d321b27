#include "RequestLog.h"

#include "LogPages.h"

#include <QRegularExpression>

namespace relay {

QString RequestLogRow::dialect() const
{
    return usage.endpoint == "messages" || usage.endpoint == "count_tokens"
               ? QStringLiteral("anthropic")
               : QStringLiteral("openai");
}

namespace RequestLog {

namespace {

// The columns of a row as the admin API answers it (the console's table shows fewer).
const LogTable &apiTable()
{
    static const LogTable table = [] {
        LogTable t = LogPages::requests();
        t.columns = {QStringLiteral("id"),
                     QStringLiteral("ts"),
                     QStringLiteral("tenant_id"),
                     QStringLiteral("key_prefix"),
                     QStringLiteral("endpoint"),
                     QStringLiteral("outcome"),
                     QStringLiteral("requested_model"),
                     QStringLiteral("served_model"),
                     QStringLiteral("upstream"),
                     QStringLiteral("status"),
                     QStringLiteral("prompt_tokens"),
                     QStringLiteral("completion_tokens"),
                     QStringLiteral("cost_usd"),
                     QStringLiteral("latency_ms"),
                     QStringLiteral("ttfb_ms"),
                     QStringLiteral("streamed"),
                     QStringLiteral("estimated"),
                     QStringLiteral("error")};
        return t;
    }();
    return table;
}

// The status filter as the log's kind or a condition; false when it is not one. Every error
// condition repeats `status >= 400` so that SQLite can use the partial index on errors.
bool statusFilter(const QString &status, LogFilter *filter)
{
    if (status.isEmpty())
        return true;
    for (const auto &kind : LogPages::requests().kinds) {
        if (kind.first == status) {
            filter->kind = status;
            return true;
        }
    }
    static const QRegularExpression classPattern(QStringLiteral("^([1-5])xx$"));
    if (const QRegularExpressionMatch match = classPattern.match(status); match.hasMatch()) {
        const int low = match.captured(1).toInt() * 100;
        filter->where = low >= 400 ? QStringLiteral("status >= 400 AND status >= ? AND status < ?")
                                   : QStringLiteral("status >= ? AND status < ?");
        filter->values = {low, low + 100};
        return true;
    }
    static const QRegularExpression codePattern(QStringLiteral("^[1-5][0-9][0-9]$"));
    if (codePattern.match(status).hasMatch()) {
        const int code = status.toInt();
        filter->where = code >= 400 ? QStringLiteral("status >= 400 AND status = ?")
                                    : QStringLiteral("status = ?");
        filter->values = {code};
        return true;
    }
    return false;
}

// "TIME-ID" ⇄ the keyset (time, id).
bool parseCursor(const QString &text, QVariantList *cursor)
{
    const qsizetype dash = text.indexOf(QLatin1Char('-'));
    if (dash <= 0)
        return false;
    bool okTime = false, okId = false;
    const qint64 timeMs = text.left(dash).toLongLong(&okTime);
    const qint64 id = text.mid(dash + 1).toLongLong(&okId);
    if (!okTime || !okId || timeMs < 0 || id < 0)
        return false;
    *cursor = {timeMs, id};
    return true;
}

RequestLogRow rowOf(const QVariantList &v)
{
    RequestLogRow row;
    row.id = v.value(0).toLongLong();
    UsageRecord &u = row.usage;
    u.tsMs = v.value(1).toLongLong();
    u.tenantId = v.value(2).toString();
    u.keyPrefix = v.value(3).toString();
    u.endpoint = v.value(4).toByteArray();
    row.outcome = v.value(5).toString();
    u.rejected = row.outcome == QLatin1String("rejected");
    u.requestedModel = v.value(6).toString();
    u.servedModel = v.value(7).toString();
    u.upstream = v.value(8).toString();
    u.status = v.value(9).toInt();
    u.promptTokens = v.value(10).toLongLong();
    u.completionTokens = v.value(11).toLongLong();
    u.costUsd = v.value(12).toDouble();
    u.latencyMs = v.value(13).toLongLong();
    u.ttfbMs = v.value(14).isNull() ? -1 : v.value(14).toLongLong();
    u.streamed = v.value(15).toBool();
    u.estimated = v.value(16).toBool();
    u.error = v.value(17).toByteArray();
    return row;
}

} // namespace

bool validStatus(const QString &status)
{
    LogFilter filter;
    return statusFilter(status, &filter);
}

bool read(QSqlDatabase &db, const RequestLogQuery &query, RequestLogPage *page, QString *error,
          QString *field)
{
    const auto refuse = [&](const QString &message, const char *name) {
        *error = message;
        if (field)
            *field = QLatin1String(name);
        return false;
    };
    LogFilter filter;
    filter.tenant = query.tenant;
    filter.text = query.model;
    if (!statusFilter(query.status, &filter))
        return refuse(QStringLiteral("status must be a code (404), 4xx, 5xx, errors, refused, "
                                     "served, anthropic or openai"),
                      "status");
    QVariantList cursor;
    if (!query.before.isEmpty() && !parseCursor(query.before, &cursor))
        return refuse(QStringLiteral("before must be a cursor from a page's next"), "before");
    QList<QVariantList> rows;
    QVariantList next;
    if (!LogPages::readPage(db, apiTable(), filter, cursor, query.limit, &rows, &next, error))
        return refuse(*error, "");
    page->rows.clear();
    for (const QVariantList &row : std::as_const(rows))
        page->rows.append(rowOf(row));
    // The keyset (ts, id) as "TIME-ID".
    page->next = next.isEmpty() ? QString()
                                : QStringLiteral("%1-%2")
                                      .arg(next.value(0).toLongLong())
                                      .arg(next.value(1).toLongLong());
    return true;
}

} // namespace RequestLog

} // namespace relay
