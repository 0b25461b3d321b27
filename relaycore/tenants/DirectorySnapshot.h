#pragma once

#include "AddressAllowList.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <vector>

namespace relay {

// A tenant's place in the upstream slot pools (interface.md §4 "Limits").
enum class Tier { Dedicated = 0, Guaranteed = 1, BestEffort = 2 };

QString tierName(Tier tier);
std::optional<Tier> tierFromName(const QString &name);
// Slots of each serving upstream a tier reserves unless --reserved says otherwise.
int defaultReserved(Tier tier);
// How long a request of the tier may wait for a slot before 503.
qint64 defaultQueueTimeoutMs(Tier tier);

struct TenantConfig
{
    QString id;
    QString name;
    std::optional<QStringList> models; // nullopt = every model
    bool enabled = true;
    Tier tier = Tier::BestEffort;
    std::optional<qint64> rpm;               // nullopt = no limit
    std::optional<qint64> tpm;               // nullopt = no limit
    std::optional<qint64> concurrency;       // nullopt = no limit
    std::optional<int> reserved;             // nullopt = the tier's default
    int weight = 1;                          // share among the tenants of its tier
    std::optional<qint64> queueTimeoutMs;    // nullopt = the tier's default
    std::optional<double> budgetUsd;         // per calendar month (UTC); nullopt = no budget
    bool softBudget = false;                 // over budget: served and alerted, never refused
    QList<int> alertThresholds{50, 80, 100}; // whole percents of the budget, ascending
    QString webhookUrl;                      // empty = the global webhook_url setting, if any
    AddressAllowList allowIps;               // callers' addresses; empty = every address

    int reservedSlots() const { return reserved ? *reserved : defaultReserved(tier); }
    qint64 queueTimeout() const
    {
        return queueTimeoutMs ? *queueTimeoutMs : defaultQueueTimeoutMs(tier);
    }
};

struct KeyConfig
{
    QString prefix;
    QString tenantId;
    bool revoked = false;
    std::optional<qint64> expiresMs; // wall-clock ms at which it stops working; nullopt = never

    bool expiredAt(qint64 nowMs) const { return expiresMs && nowMs >= *expiresMs; }
};

struct UpstreamConfig
{
    QString name;
    QString kind = QStringLiteral("openai");
    QString baseUrl; // as entered, without trailing slash
    QString apiKeyEnv;
    QString apiKey; // stored secret (from --api-key-stdin); never logged or shown
    int maxConnections = 8;
    int timeoutMs = 60000;
    std::optional<int> slowMs; // p95 first-byte latency that opens the circuit; nullopt = unused
    bool enabled = true;
    int position = 0;

    // Parsed from baseUrl.
    bool tls = false;
    QString host;
    quint16 port = 0;
    QByteArray basePath; // e.g. "/v1", no trailing slash

    // The secret to send upstream: the environment variable of this process, else the stored key.
    QByteArray resolveApiKey() const;
    // Splits baseUrl into tls/host/port/basePath; false if it is not an http(s) URL.
    bool parseBaseUrl(QString *error = nullptr);
};

struct RouteTarget
{
    QString upstream;
    QString model; // empty = the requested model's own name
};

struct PriceConfig
{
    QString model;
    double inputPerMTok = 0;
    double outputPerMTok = 0;
    // Anthropic's prompt-cache prices; unset: 0.1× (read) and 1.25× (write) the input price.
    std::optional<double> cacheReadPerMTok;
    std::optional<double> cacheWritePerMTok;

    static constexpr double kCacheReadShare = 0.1;
    static constexpr double kCacheWriteShare = 1.25;

    double cacheRead() const { return cacheReadPerMTok.value_or(inputPerMTok * kCacheReadShare); }
    double cacheWrite() const
    {
        return cacheWritePerMTok.value_or(inputPerMTok * kCacheWriteShare);
    }
};

// One target of a request's chain, resolved against the snapshot.
struct ResolvedTarget
{
    const UpstreamConfig *upstream = nullptr;
    QString model; // the name sent upstream
};

struct ModelResolution
{
    QString requested;
    QString model; // after alias
    std::vector<ResolvedTarget> chain;
};

// The tenant directory: everything a worker needs to authenticate and route a request.
// Immutable once published; workers read it without locks and the engine swaps in a new one
// when the database's config version moves.
class DirectorySnapshot
{
public:
    qint64 version = 0;
    QHash<QByteArray, KeyConfig> keysByHash;
    QHash<QString, TenantConfig> tenants;
    std::vector<UpstreamConfig> upstreams; // in the order they were added
    QHash<QString, std::vector<RouteTarget>> routes;
    QHash<QString, QString> aliases;
    std::vector<PriceConfig> prices;  // sorted by model name
    QString pinnedUpstream;           // `failover pin`; empty = the configured chains
    QHash<QString, QString> settings; // the settings table (webhook_url, usage_retention_days)

    const UpstreamConfig *upstream(const QString &name) const;
    // Alias, then route; without a route the first enabled upstream serves the model as named.
    ModelResolution resolve(const QString &requested) const;
    // A tenant's allow-list may name the requested name or the alias target.
    static bool allows(const TenantConfig &tenant, const ModelResolution &resolution);
    // Exact price, else the longest priced prefix (dated variants).
    std::optional<PriceConfig> priceFor(const QString &model) const;
    // What /v1/models lists for this tenant.
    QStringList modelsFor(const TenantConfig &tenant) const;
    // The upstreams that can serve the tenant: those in the chains of the models it may use
    // (every enabled upstream for an unrestricted tenant).
    QStringList upstreamsServing(const TenantConfig &tenant) const;
    // Slots each tenant holds on each upstream after scaling: reservations on one upstream
    // never take its last slot; when they add up to the pool size or more, each is scaled by
    // (pool − 1) / total and rounded down. upstream → tenant → slots (tenants with 0 omitted).
    QHash<QString, QHash<QString, int>> reservations() const;
};

using DirectorySnapshotPtr = std::shared_ptr<const DirectorySnapshot>;

} // namespace relay
