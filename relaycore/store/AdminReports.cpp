#include "AdminService.h"

#include "store/AdminRows.h"
#include "store/AuditLog.h"
#include "store/Database.h"

namespace relay {

using namespace adminrows;

AdminValue<QList<UsageReportRow>> AdminService::usageReport(const UsageQuery &query)
{
    QList<UsageReportRow> rows;
    QString error;
    if (!UsageReport::build(m_db, m_clock, query, &rows, &error))
        return dbFailure(error);
    if (!query.tenant.isEmpty() && rows.isEmpty())
        return notFound(QStringLiteral("no tenant '%1'").arg(query.tenant));
    return rows;
}

AdminValue<QList<CostReportRow>> AdminService::costReport(const std::optional<QDate> &since,
                                                          const std::vector<PriceConfig> &altPrices)
{
    QList<CostReportRow> rows;
    QString error;
    if (!UsageReport::costs(m_db, UsageReport::periodStartMs(since, m_clock), altPrices, &rows,
                            &error))
        return dbFailure(error);
    return rows;
}

AdminValue<QList<AuditRecord>> AdminService::auditLog(const QString &tenantId)
{
    QList<AuditRecord> records;
    QString error;
    if (!AuditLog::list(m_db, tenantId, &records, &error))
        return dbFailure(error);
    return records;
}

AdminResult AdminService::backup(const QString &file)
{
    QString error;
    if (!Database::backup(m_db, file, &error))
        return AdminResult::failure(AdminErrorKind::Database, error);
    return {};
}

} // namespace relay
