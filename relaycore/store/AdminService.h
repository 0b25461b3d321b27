#pragma once

#include "core/Clock.h"
#include "store/AdminInterface.h"
#include "store/AdminTypes.h"
#include "store/UsageReport.h"

#include <QSqlDatabase>

#include <functional>

namespace relay {

// A table keyed by one text column (routes, aliases, prices); see AdminRouting.cpp.
struct KeyedTable;

// The admin API over the TenantRelay database, shared by the CLI and the console. It never
// prints; every call returns a result the front end turns into output.
//
// Every write is one transaction that changes the tables, appends an audit row (actor = the
// OS user unless told otherwise) and bumps config_state.version, which a running relay polls to
// reload its directory snapshot. Used on the thread that owns the connection.
class AdminService : public AdminInterface
{
public:
    explicit AdminService(QSqlDatabase db, Clock &clock = Clock::system(),
                          QString actor = osUser());

    // $USER, else the account name of the effective uid.
    static QString osUser();
    // Tenant ids and upstream names: [A-Za-z0-9._-]{1,64}.
    static bool isValidId(const QString &id);
    // The checks addTenant and setTenant make of their changes, without a database: the CLI,
    // the admin API and the console's dialogs all accept exactly what these accept, with the
    // same messages.
    static AdminResult checkTenant(const TenantChanges &changes);
    static AdminResult checkUpstream(const UpstreamChanges &changes);
    // The check setPrice makes of a model's prices: USD per million tokens, zero or more.
    static AdminResult checkPrices(double input, double output,
                                   std::optional<double> cacheRead = std::nullopt,
                                   std::optional<double> cacheWrite = std::nullopt);
    // The checks issueKey and rotateKey make of a new key's label and expiry, read at nowMs.
    static AdminResult checkKeyOptions(const KeyOptions &options, qint64 nowMs);
    // Alert thresholds as typed (`--alerts 50,80,100`, the tenant dialog): whole percents, comma-
    // separated, in any order; "none" = no threshold alerts, "default" = 50,80,100. The ranges
    // are checkTenant's. False with *error for anything else.
    static bool parseThresholds(const QString &text, AlertThresholds *thresholds, QString *error);

    // The number every admin write bumps; -1 when it cannot be read.
    qint64 configVersion();

    // Tenants. addTenant issues the tenant's first key and returns it: the only time it is seen.
    AdminValue<QString> addTenant(const QString &id, const TenantChanges &settings) override;
    AdminResult setTenant(const QString &id, const TenantChanges &changes) override;
    // Deletes the tenant and its keys; its usage rows stay.
    AdminResult removeTenant(const QString &id) override;
    AdminValue<QList<TenantRecord>> listTenants() override;
    AdminValue<TenantDetails> tenant(const QString &id) override;

    // Keys. issueKey and rotateKey return the new key; rotateKey revokes the tenant's others.
    // options: the new key's label and expiry ("YYYY-MM-DD" or "Nd", ApiKey::parseExpiry, read
    // against this service's clock); Invalid when either is malformed or the expiry is past.
    AdminValue<QString> issueKey(const QString &tenantId, const KeyOptions &options = {}) override;
    AdminValue<QString> rotateKey(const QString &tenantId, const KeyOptions &options = {}) override;
    AdminResult revokeKey(const QString &prefix) override;
    // Every key, or one tenant's (NotFound when that tenant does not exist).
    AdminValue<QList<KeyRecord>> listKeys(const QString &tenantId = QString()) override;

    // Upstreams, listed in the order they were added.
    AdminResult addUpstream(const QString &name, const UpstreamChanges &settings) override;
    AdminResult setUpstream(const QString &name, const UpstreamChanges &changes) override;
    // Conflict while a route still names it.
    AdminResult removeUpstream(const QString &name) override;
    AdminValue<QList<UpstreamRecord>> listUpstreams() override;
    // `failover pin` / `unpin` (interface.md §4): the pinned upstream goes first in every chain
    // that can use it and serves the models without a route. unpin returns the one it unpinned.
    AdminResult pinUpstream(const QString &name) override;
    AdminValue<QString> unpinUpstream() override;
    // Empty when none is pinned.
    AdminValue<QString> pinnedUpstream();
    // The upstream as the relay reaches it, its key included (never shown): what "Test
    // connection" and POST /admin/v1/upstreams/{name}/test ask the provider with.
    AdminValue<UpstreamConfig> upstreamConfig(const QString &name);
    // The same for an upstream as a form or an admin API body describes it, not necessarily
    // saved, checked as addUpstream and setUpstream check it (Invalid names the field): with an
    // empty `savedName`, `settings` alone (a base URL needed); else that saved upstream with
    // `settings` applied, its stored key kept unless they give another key source. Writes
    // nothing.
    AdminValue<UpstreamConfig> upstreamTestConfig(const QString &savedName,
                                                  const UpstreamChanges &settings);

    // Routes: TARGET is "UPSTREAM" or "UPSTREAM:MODEL"; stored as "UPSTREAM:MODEL", in order.
    AdminResult setRoute(const QString &model, const QStringList &targets) override;
    AdminResult removeRoute(const QString &model) override;
    AdminValue<QList<RouteRecord>> listRoutes() override;

    AdminResult setAlias(const QString &alias, const QString &model) override;
    AdminResult removeAlias(const QString &alias) override;
    AdminValue<QList<AliasRecord>> listAliases() override;

    // Prices in USD per million tokens. Cache prices unset: 0.1× (read) and 1.25× (write) the
    // input price.
    AdminResult setPrice(const QString &model, double input, double output,
                         std::optional<double> cacheRead = std::nullopt,
                         std::optional<double> cacheWrite = std::nullopt) override;
    AdminResult removePrice(const QString &model) override;
    AdminValue<QList<PriceRecord>> listPrices() override;

    // Relay-wide settings: webhook_url (an http(s) URL; "none" removes it) and
    // usage_retention_days (days of raw usage rows kept, 1-36500; default 90). Invalid for an
    // unknown key or a bad value. Listed in key order, with their defaults.
    AdminResult setSetting(const QString &key, const QString &value) override;
    AdminValue<QList<SettingRecord>> listSettings() override;

    // Budget alerts, oldest first (the relay raises them; here they are read and acknowledged).
    // NotFound when a tenant filter names a tenant that neither exists nor has alerts.
    AdminValue<QList<AlertRecord>> listAlerts(const QString &tenantId = QString()) override;
    AdminResult acknowledgeAlert(qint64 id) override;

    // NotFound when a tenant filter names a tenant that neither exists nor ever existed (no
    // usage, no audit history).
    AdminValue<QList<UsageReportRow>> usageReport(const UsageQuery &query) override;
    // Cost per tenant and model since a day (default: this month) and under other prices.
    AdminValue<QList<CostReportRow>> costReport(const std::optional<QDate> &since,
                                                const std::vector<PriceConfig> &altPrices) override;
    AdminValue<QList<AuditRecord>> auditLog(const QString &tenantId = QString()) override;
    // An online, consistent copy of the database into `file` (Database::backup).
    AdminResult backup(const QString &file) override;

    // The console's reads (AdminConsoleReads.cpp).
    AdminValue<FailoverState> failoverState() override;
    AdminValue<SpendOverview> spendOverview(const QString &tenantId) override;
    AdminValue<LogPage> logPage(const LogPageQuery &query) override;
    AdminValue<QList<HistorySeries>> history(UsageHistory::Window window) override;

private:
    // Runs `change` in one IMMEDIATE transaction; when it succeeds, appends the audit row it
    // filled in and bumps the config version in the same transaction, else rolls back.
    AdminResult write(const std::function<AdminResult(AuditRecord &)> &change);
    // checkTenant and checkUpstream, which also put the changes in their stored form (trimmed,
    // sorted, canonical address blocks).
    static AdminResult normalizeTenant(TenantChanges &c);
    static AdminResult normalizeUpstream(UpstreamChanges &c);
    AdminValue<TenantRecord> loadTenant(const QString &id);
    AdminValue<UpstreamRecord> loadUpstream(const QString &name);
    // Inserts a fresh key for the tenant (inside a write) and returns it.
    AdminValue<QString> insertKey(const QString &tenantId, const QString &label,
                                  const std::optional<qint64> &expiresMs);
    AdminValue<QStringList> activeKeyPrefixes(const QString &tenantId);
    // issueKey and rotateKey: checks the options, then, in one write, that the tenant exists, and
    // runs `change`, which inserts the key, fills in the audit row and returns the key.
    using KeyChange = std::function<AdminValue<QString>(
        const QString &label, const std::optional<qint64> &expiresMs, AuditRecord &audit)>;
    AdminValue<QString> writeKey(const QString &tenantId, const KeyOptions &options,
                                 const KeyChange &change);
    // Upserts a row; `check` runs first inside the same transaction and can veto the change.
    AdminResult setKeyed(const KeyedTable &table, const QString &key, const QVariantList &values,
                         const std::function<AdminResult()> &check = {});
    AdminResult removeKeyed(const KeyedTable &table, const QString &key);
    AdminValue<QJsonValue> keyedJson(const KeyedTable &table, const QString &key);
    AdminValue<QList<QVariantList>> listKeyed(const KeyedTable &table);
    qint64 now() const { return m_clock.wallMs(); }

    QSqlDatabase m_db;
    Clock &m_clock;
    QString m_actor;

public:
    // Who the audit log names for this service's writes.
    const QString &actor() const { return m_actor; }
};

} // namespace relay
