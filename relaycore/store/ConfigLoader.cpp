#include "ConfigLoader.h"

#include "store/AdminRows.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>

namespace relay::ConfigLoader {

namespace {

// The relay's view of the rows the admin service reads and writes (AdminRows.h).

TenantConfig tenantConfig(const TenantRecord &r)
{
    TenantConfig t;
    t.id = r.id;
    t.name = r.name;
    t.models = r.models;
    t.enabled = r.enabled;
    t.tier = tierFromName(r.tier).value_or(Tier::BestEffort);
    t.rpm = r.rpm;
    t.tpm = r.tpm;
    t.concurrency = r.concurrency;
    if (r.reserved)
        t.reserved = int(*r.reserved);
    t.weight = r.weight;
    t.queueTimeoutMs = r.queueTimeoutMs;
    t.budgetUsd = r.budgetUsd;
    t.softBudget = r.softBudget;
    if (r.alertThresholds)
        t.alertThresholds = *r.alertThresholds;
    t.webhookUrl = r.webhookUrl;
    // Stored canonical by the admin service; a hand-edited bad list allows nobody rather
    // than everybody.
    if (r.allowIps)
        t.allowIps = AddressAllowList::parse(*r.allowIps)
                         .value_or(*AddressAllowList::parse(
                             QStringList{QStringLiteral("0.0.0.0/32"), QStringLiteral("::/128")}));
    return t;
}

KeyConfig keyConfig(const KeyRecord &r)
{
    return KeyConfig{
        .prefix = r.prefix, .tenantId = r.tenantId, .revoked = r.revoked, .expiresMs = r.expiresMs};
}

// Without the stored key and the position, which only the relay reads.
UpstreamConfig upstreamConfig(const UpstreamRecord &r)
{
    return UpstreamConfig{.name = r.name,
                          .kind = r.kind,
                          .baseUrl = r.baseUrl,
                          .apiKeyEnv = r.apiKeyEnv,
                          .maxConnections = r.maxConnections,
                          .timeoutMs = r.timeoutMs,
                          .slowMs = r.slowMs ? std::optional<int>(int(*r.slowMs)) : std::nullopt,
                          .enabled = r.enabled};
}

} // namespace

QList<int> thresholdsFromText(const QString &text)
{
    QList<int> out;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int v = part.trimmed().toInt(&ok);
        if (ok && v > 0 && !out.contains(v))
            out.append(v);
    }
    std::sort(out.begin(), out.end());
    return out;
}

qint64 configVersion(QSqlDatabase &db)
{
    QSqlQuery q(db);
    if (!q.exec(QStringLiteral("SELECT version FROM config_state WHERE id = 1")) || !q.next())
        return -1;
    return q.value(0).toLongLong();
}

DirectorySnapshotPtr load(QSqlDatabase &db, QString *error)
{
    auto snap = std::make_shared<DirectorySnapshot>();
    // One read transaction so the snapshot is consistent even while an admin command writes.
    if (!db.transaction()) {
        if (error)
            *error = db.lastError().text();
        return nullptr;
    }
    auto fail = [&](const QSqlQuery &q) {
        if (error)
            *error = q.lastError().text();
        db.rollback();
        return nullptr;
    };
    QSqlQuery q(db);
    q.setForwardOnly(true);
    if (!q.exec(QStringLiteral("SELECT version, pinned_upstream FROM config_state WHERE id = 1")))
        return fail(q);
    if (q.next()) {
        snap->version = q.value(0).toLongLong();
        snap->pinnedUpstream = q.value(1).toString();
    }

    if (!q.exec(QStringLiteral("SELECT %1 FROM tenants")
                    .arg(adminrows::kTenantColumns.join(QStringLiteral(", ")))))
        return fail(q);
    while (q.next()) {
        const TenantConfig t = tenantConfig(adminrows::tenantFromRow(q));
        snap->tenants.insert(t.id, t);
    }
    // The columns the admin service never reads come after the shared ones.
    if (!q.exec(QStringLiteral("SELECT %1, hash FROM api_keys")
                    .arg(adminrows::kKeyColumns.join(QStringLiteral(", ")))))
        return fail(q);
    while (q.next())
        snap->keysByHash.insert(q.value(int(adminrows::kKeyColumns.size())).toByteArray(),
                                keyConfig(adminrows::keyFromRow(q)));
    if (!q.exec(QStringLiteral("SELECT %1, api_key, position FROM upstreams ORDER BY position")
                    .arg(adminrows::kUpstreamColumns.join(QStringLiteral(", ")))))
        return fail(q);
    const int apiKey = int(adminrows::kUpstreamColumns.size());
    while (q.next()) {
        UpstreamConfig u = upstreamConfig(adminrows::upstreamFromRow(q));
        u.apiKey = q.value(apiKey).toString();
        u.position = q.value(apiKey + 1).toInt();
        if (!u.parseBaseUrl())
            u.enabled = false; // the CLI validates; a hand-edited bad URL must not crash
        snap->upstreams.push_back(u);
    }
    if (!q.exec(QStringLiteral("SELECT model, targets FROM routes")))
        return fail(q);
    while (q.next()) {
        std::vector<RouteTarget> targets;
        for (const auto &item : QJsonDocument::fromJson(q.value(1).toString().toUtf8()).array()) {
            const QString s = item.toString();
            const qsizetype colon = s.indexOf(QLatin1Char(':'));
            if (colon < 0)
                targets.push_back({s, QString()});
            else
                targets.push_back({s.left(colon), s.mid(colon + 1)});
        }
        snap->routes.insert(q.value(0).toString(), targets);
    }
    if (!q.exec(QStringLiteral("SELECT alias, model FROM aliases")))
        return fail(q);
    while (q.next())
        snap->aliases.insert(q.value(0).toString(), q.value(1).toString());
    if (!q.exec(QStringLiteral(
            "SELECT model, input, output, cache_read, cache_write FROM prices ORDER BY model")))
        return fail(q);
    while (q.next()) {
        const auto optional = [&](int column) {
            return q.isNull(column) ? std::nullopt
                                    : std::optional<double>(q.value(column).toDouble());
        };
        snap->prices.push_back({q.value(0).toString(), q.value(1).toDouble(), q.value(2).toDouble(),
                                optional(3), optional(4)});
    }
    if (!q.exec(QStringLiteral("SELECT key, value FROM settings")))
        return fail(q);
    while (q.next())
        snap->settings.insert(q.value(0).toString(), q.value(1).toString());
    q.finish();
    db.commit();
    return snap;
}

} // namespace relay::ConfigLoader
