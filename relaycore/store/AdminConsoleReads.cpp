#include "AdminService.h"

#include "store/UsageHistory.h"

namespace relay {

namespace {

constexpr qint64 kDayMs = 24 * 3600 * 1000;
const QChar kCursorSeparator = QLatin1Char('-');

const LogTable &logTable(LogPageQuery::Log log)
{
    return log == LogPageQuery::Log::Audit ? LogPages::audit() : LogPages::requests();
}

} // namespace

AdminValue<FailoverState> AdminService::failoverState()
{
    const AdminValue<QString> pinned = pinnedUpstream();
    if (!pinned.ok)
        return AdminResult(pinned);
    return FailoverState{pinned.value, RelayState::circuitChanges(m_db)};
}

AdminValue<SpendOverview> AdminService::spendOverview(const QString &tenantId)
{
    SpendOverview overview;
    const qint64 nowMs = now();
    overview.monthStartMs = UsageReport::monthStartMs(nowMs);
    overview.daily = UsageHistory::dailySpend(m_db, nowMs, tenantId);
    QString error;
    if (!UsageReport::spentSince(m_db, qMax(overview.monthStartMs, nowMs - kDayMs),
                                 &overview.lastDay, &error))
        return AdminResult::failure(AdminErrorKind::Database, error);
    return overview;
}

AdminValue<LogPage> AdminService::logPage(const LogPageQuery &query)
{
    const LogTable &table = logTable(query.log);
    // The cursor is the keyset of the page's last row, its values joined: "TS-ID" or "ID".
    QVariantList cursor;
    if (!query.cursor.isEmpty()) {
        const QStringList parts = query.cursor.split(kCursorSeparator);
        if (parts.size() != table.orderKeys.size())
            return AdminResult::failure(AdminErrorKind::Invalid,
                                        QStringLiteral("not a page cursor: %1").arg(query.cursor));
        for (const QString &part : parts)
            cursor << part.toLongLong();
    }
    LogPage page;
    QString error;
    // One row more than asked tells whether an older page follows.
    if (!LogPages::read(m_db, table, query.filter, cursor, query.limit + 1, &page.rows, &error))
        return AdminResult::failure(AdminErrorKind::Database, error);
    if (page.rows.size() > query.limit) {
        page.rows.resize(query.limit);
        QStringList keys;
        for (const QVariant &value : LogPages::cursorOf(table, page.rows.constLast()))
            keys << value.toString();
        page.next = keys.join(kCursorSeparator);
    }
    return page;
}

AdminValue<QList<HistorySeries>> AdminService::history(UsageHistory::Window window)
{
    QList<HistorySeries> series;
    QString error;
    if (!UsageHistory::build(m_db, now(), window, &series, &error))
        return AdminResult::failure(AdminErrorKind::Database, error);
    return series;
}

} // namespace relay
