#pragma once

#include "store/AdminTypes.h"
#include "store/LogPages.h"
#include "store/RelayState.h"
#include "store/UsageHistory.h"
#include "store/UsageReport.h"
#include "tenants/DirectorySnapshot.h"

#include <vector>

namespace relay {

// What the console's budget panel draws: spend per UTC day of the relay's current month (day 1
// first, up to today) and each tenant's spend over the last 24 hours of that month.
struct SpendOverview
{
    qint64 monthStartMs = 0;
    QList<double> daily;
    QHash<QString, double> lastDay;
};

// What the console's upstream panel shows of failover: the pinned upstream (empty when none) and
// when and why each circuit last changed.
struct FailoverState
{
    QString pinnedUpstream;
    QHash<QString, RelayState::CircuitChange> circuitChanges;
};

// A page of the request log or the audit log, newest first, as the console shows it.
struct LogPageQuery
{
    enum class Log { Requests, Audit };
    Log log = Log::Requests;
    LogFilter filter; // tenant, text (the table's text column contains), kind; `where` unused
    QString cursor;   // from a previous page's `next`; empty = the newest rows
    int limit = 100;
};
struct LogPage
{
    QList<QVariantList> rows; // each in the columns of LogPages::requests() / audit()
    QString next;             // the cursor of the following (older) page; empty at the end
};

// The admin operations of interface.md §2, whoever carries them out: AdminService on a database
// file in this process, or a client of a relay's admin API (§5) elsewhere. A front end (the
// CLI's commands) holds this and never knows which it has; both answer with the same records
// and the same error texts.
class AdminInterface
{
public:
    virtual ~AdminInterface() = default;

    // Tenants. addTenant issues the tenant's first key and returns it: the only time it is seen.
    virtual AdminValue<QString> addTenant(const QString &id, const TenantChanges &settings) = 0;
    virtual AdminResult setTenant(const QString &id, const TenantChanges &changes) = 0;
    virtual AdminResult removeTenant(const QString &id) = 0;
    virtual AdminValue<QList<TenantRecord>> listTenants() = 0;
    virtual AdminValue<TenantDetails> tenant(const QString &id) = 0;

    virtual AdminValue<QString> issueKey(const QString &tenantId,
                                         const KeyOptions &options = {}) = 0;
    virtual AdminValue<QString> rotateKey(const QString &tenantId,
                                          const KeyOptions &options = {}) = 0;
    virtual AdminResult revokeKey(const QString &prefix) = 0;
    virtual AdminValue<QList<KeyRecord>> listKeys(const QString &tenantId = QString()) = 0;

    virtual AdminResult addUpstream(const QString &name, const UpstreamChanges &settings) = 0;
    virtual AdminResult setUpstream(const QString &name, const UpstreamChanges &changes) = 0;
    virtual AdminResult removeUpstream(const QString &name) = 0;
    virtual AdminValue<QList<UpstreamRecord>> listUpstreams() = 0;
    virtual AdminResult pinUpstream(const QString &name) = 0;
    virtual AdminValue<QString> unpinUpstream() = 0;

    virtual AdminResult setRoute(const QString &model, const QStringList &targets) = 0;
    virtual AdminResult removeRoute(const QString &model) = 0;
    virtual AdminValue<QList<RouteRecord>> listRoutes() = 0;

    virtual AdminResult setAlias(const QString &alias, const QString &model) = 0;
    virtual AdminResult removeAlias(const QString &alias) = 0;
    virtual AdminValue<QList<AliasRecord>> listAliases() = 0;

    virtual AdminResult setPrice(const QString &model, double input, double output,
                                 std::optional<double> cacheRead = std::nullopt,
                                 std::optional<double> cacheWrite = std::nullopt) = 0;
    virtual AdminResult removePrice(const QString &model) = 0;
    virtual AdminValue<QList<PriceRecord>> listPrices() = 0;

    virtual AdminResult setSetting(const QString &key, const QString &value) = 0;
    virtual AdminValue<QList<SettingRecord>> listSettings() = 0;

    virtual AdminValue<QList<AlertRecord>> listAlerts(const QString &tenantId = QString()) = 0;
    virtual AdminResult acknowledgeAlert(qint64 id) = 0;

    virtual AdminValue<QList<UsageReportRow>> usageReport(const UsageQuery &query) = 0;
    virtual AdminValue<QList<CostReportRow>>
    costReport(const std::optional<QDate> &since, const std::vector<PriceConfig> &altPrices) = 0;
    virtual AdminValue<QList<AuditRecord>> auditLog(const QString &tenantId = QString()) = 0;
    // Only where the database file is at hand.
    virtual AdminResult backup(const QString &file) = 0;

    // What the console reads besides the commands' records.
    virtual AdminValue<FailoverState> failoverState() = 0;
    virtual AdminValue<SpendOverview> spendOverview(const QString &tenantId) = 0;
    virtual AdminValue<LogPage> logPage(const LogPageQuery &query) = 0;
    // The chart series of GET /admin/v1/history (UsageHistory::build).
    virtual AdminValue<QList<HistorySeries>> history(UsageHistory::Window window) = 0;
};

} // namespace relay
