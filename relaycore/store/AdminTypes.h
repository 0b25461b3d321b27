#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace relay {

// What went wrong with an admin operation, so a front end can pick its reaction (the CLI maps
// Invalid to a usage error, the rest to a plain failure).
enum class AdminErrorKind {
    None,
    Invalid,  // the request itself is malformed: bad id, bad URL, nothing to change
    NotFound, // the tenant, key, upstream, route, alias or price does not exist
    Conflict, // it exists already, or something else still depends on it
    Database, // the database could not be read or written
    Remote,   // a relay's admin API could not be reached, or refused the call (token, 5xx)
};

// Outcome of an admin operation. Error texts are one line, meant for the user, and never
// contain a secret.
struct AdminResult
{
    bool ok = true;
    AdminErrorKind kind = AdminErrorKind::None;
    QString error;
    // The field at fault, by its JSON name (`rpm`, `base_url`), when one field is: the admin
    // API's `param`. Empty otherwise.
    QString field;

    static AdminResult failure(AdminErrorKind kind, const QString &error,
                               const QString &field = QString())
    {
        return AdminResult{false, kind, error, field};
    }
    // What a change without any field to change answers (`tenant set ID` alone).
    static AdminResult nothingToChange()
    {
        return failure(AdminErrorKind::Invalid, QStringLiteral("nothing to change"));
    }
};

// An admin result that carries a value when ok.
template <typename T> struct AdminValue : AdminResult
{
    T value{};

    AdminValue() = default;
    AdminValue(const AdminResult &result) : AdminResult(result) {}
    AdminValue(T v) : value(std::move(v)) {}
};

// A tenant's allow-list: nullopt = every model.
using ModelAllowList = std::optional<QStringList>;

// A numeric tenant setting that can be removed: nullopt = no limit (rpm, tpm, concurrency) or
// the tier's default (reserved, queue timeout). In TenantChanges, `rpm = LimitValue()` removes
// the limit and `rpm = LimitValue(60)` sets it; leaving `rpm` unset keeps it as it is.
using LimitValue = std::optional<qint64>;

// A monthly budget in USD that can be removed, like LimitValue: nullopt = no budget.
using BudgetValue = std::optional<double>;

// A tenant's alert thresholds (whole percents of its budget, ascending): nullopt = the default
// 50, 80, 100; an empty list = no threshold alerts.
using AlertThresholds = std::optional<QList<int>>;

// The CIDR blocks a tenant's callers must come from (--allow-ips): nullopt = every address.
using AddressBlocks = std::optional<QStringList>;

// Tenant settings for add and set. An unset field is left as it is (or defaulted on add).
struct TenantChanges
{
    std::optional<QString> name;
    std::optional<ModelAllowList> models;
    std::optional<bool> enabled;
    std::optional<QString> tier; // "dedicated", "guaranteed" or "best-effort"
    std::optional<LimitValue> rpm;
    std::optional<LimitValue> tpm;
    std::optional<LimitValue> concurrency;
    std::optional<LimitValue> reserved;       // slots of each serving upstream
    std::optional<int> weight;                // share within the tier, 1..1000
    std::optional<LimitValue> queueTimeoutMs; // longest wait for an upstream slot
    std::optional<BudgetValue> budgetUsd;     // per calendar month (UTC)
    std::optional<bool> softBudget;           // true: over budget is served and alerted
    std::optional<AlertThresholds> alertThresholds;
    std::optional<QString> webhookUrl;     // http(s) URL; empty = none (the global one applies)
    std::optional<AddressBlocks> allowIps; // CIDR blocks (AddressAllowList::parse)

    bool isEmpty() const
    {
        return !name && !models && !enabled && !tier && !rpm && !tpm && !concurrency && !reserved &&
               !weight && !queueTimeoutMs && !budgetUsd && !softBudget && !alertThresholds &&
               !webhookUrl && !allowIps;
    }
};

// Upstream settings for add and set. An unset field is left as it is (or defaulted on add).
// Setting one key source clears the other.
struct UpstreamChanges
{
    std::optional<QString> baseUrl;
    std::optional<QString> kind;
    std::optional<QString> apiKeyEnv; // the name of an environment variable of the relay
    std::optional<QString> apiKey;    // a secret stored in the database; never shown again
    std::optional<int> maxConnections;
    std::optional<int> timeoutMs;
    std::optional<LimitValue> slowMs; // p95 first-byte latency that opens the circuit
    std::optional<bool> enabled;

    bool isEmpty() const
    {
        return !baseUrl && !kind && !apiKeyEnv && !apiKey && !maxConnections && !timeoutMs &&
               !slowMs && !enabled;
    }
};

struct TenantRecord
{
    QString id;
    QString name;
    QString tier = QStringLiteral("best-effort");
    std::optional<qint64> rpm;         // nullopt = no limit
    std::optional<qint64> tpm;         // nullopt = no limit
    std::optional<qint64> concurrency; // nullopt = no limit
    std::optional<double> budgetUsd;   // nullopt = no budget
    double spentUsd = 0;               // the current budget period
    bool enabled = true;
    ModelAllowList models;
    qint64 createdMs = 0;
    std::optional<qint64> reserved;       // as set; nullopt = the tier's default
    int weight = 1;                       // share among the tenants of its tier
    std::optional<qint64> queueTimeoutMs; // as set; nullopt = the tier's default
    bool softBudget = false;
    AlertThresholds alertThresholds; // as set; nullopt = the default 50, 80, 100
    QString webhookUrl;              // empty = none (the global webhook_url setting applies)
    AddressBlocks allowIps;          // canonical CIDR blocks; nullopt = every address

    // The thresholds that apply: the default filled in.
    QList<int> effectiveAlertThresholds() const;
    // What applies: the tier's defaults filled in; best-effort tenants reserve nothing.
    qint64 effectiveReserved() const;
    qint64 effectiveQueueTimeoutMs() const;
};

struct KeyRecord
{
    QString prefix;
    QString tenantId;
    QString label; // empty = none
    qint64 createdMs = 0;
    std::optional<qint64> expiresMs; // nullopt = never
    std::optional<qint64> lastUsedMs;
    bool revoked = false;
};

// What `key issue` / `key rotate` give a new key (interface.md §2).
struct KeyOptions
{
    QString label;   // names the key in listings; empty = none
    QString expires; // "YYYY-MM-DD" (00:00 UTC) or "Nd" (ApiKey::parseExpiry); empty = never
};

struct TenantDetails
{
    TenantRecord tenant;
    QList<KeyRecord> keys;
};

// An upstream as listed; the stored secret itself is never read back out of the database.
struct UpstreamRecord
{
    QString name;
    QString kind;
    QString baseUrl;
    QString apiKeyEnv;         // empty = none
    bool hasStoredKey = false; // a key was given with --api-key-stdin
    int maxConnections = 8;
    int timeoutMs = 60000;
    std::optional<qint64> slowMs; // nullopt = latency does not open the circuit
    int reserved = 0;
    bool enabled = true;
    // closed | open | half-open as the running relay recorded it; unknown when none runs.
    QString state = QStringLiteral("unknown");
};

struct RouteRecord
{
    QString model;
    QStringList targets; // "UPSTREAM:MODEL", in fallback order
};

struct AliasRecord
{
    QString alias;
    QString model;
};

struct PriceRecord
{
    QString model;
    double input = 0;  // USD per million prompt tokens
    double output = 0; // USD per million completion tokens
    // USD per million prompt-cache tokens; unset = 0.1× (read) and 1.25× (write) the input price.
    std::optional<double> cacheRead;
    std::optional<double> cacheWrite;
};

struct AuditRecord
{
    qint64 timeMs = 0;
    QString actor;
    QString action;
    QString target;
    QString tenantId;    // empty when the action concerns no tenant
    QJsonObject details; // {"before": ..., "after": ...}
};

// One settings entry (settings set/list). value: as stored; null when not set, then
// defaultValue applies (null when there is no default).
struct SettingRecord
{
    QString key;
    QString value;
    QString defaultValue;

    QString effectiveValue() const { return value.isNull() ? defaultValue : value; }
};

// A budget alert as the relay raised it (the alerts table).
struct AlertRecord
{
    qint64 id = 0;
    qint64 timeMs = 0;
    QString tenantId;
    QString kind; // threshold | forecast
    int threshold = 0;
    double spentUsd = 0;
    double budgetUsd = 0;
    bool acknowledged = false;
    QString delivery; // none | pending | delivered | failed: REASON
};

// One tenant's traffic on one model: its cost, and its cost under an alternative price list.
struct CostReportRow
{
    QString tenant;
    QString model;
    qint64 requests = 0;
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
    double costUsd = 0;
    std::optional<double> altCostUsd; // nullopt: the alternative list has no price for it

    std::optional<double> deltaUsd() const
    {
        return altCostUsd ? std::optional<double>(*altCostUsd - costUsd) : std::nullopt;
    }
};

struct UsageReportRow
{
    QString tenant;
    qint64 requests = 0;
    qint64 rejected = 0;
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
    double costUsd = 0;
    qint64 errors = 0;
    std::optional<qint64> p50Ms; // nullopt when no request was served
    std::optional<qint64> p95Ms;
};

} // namespace relay
