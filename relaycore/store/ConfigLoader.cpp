#include "ConfigLoader.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>

namespace relay::ConfigLoader {

namespace {

std::optional<QStringList> modelsFromJson(const QVariant &v)
{
    if (v.isNull())
        return std::nullopt;
    QStringList out;
    for (const auto &item : QJsonDocument::fromJson(v.toString().toUtf8()).array())
        out.append(item.toString());
    return out;
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

    if (!q.exec(QStringLiteral("SELECT id, name, models, enabled, tier, rpm, tpm, concurrency, "
                               "reserved, weight, queue_timeout_ms, budget_usd, soft_budget, "
                               "alert_thresholds, webhook_url, allow_ips FROM tenants")))
        return fail(q);
    auto optionalInt = [&q](int column) -> std::optional<qint64> {
        if (q.value(column).isNull())
            return std::nullopt;
        return q.value(column).toLongLong();
    };
    while (q.next()) {
        TenantConfig t;
        t.id = q.value(0).toString();
        t.name = q.value(1).toString();
        t.models = modelsFromJson(q.value(2));
        t.enabled = q.value(3).toBool();
        t.tier = tierFromName(q.value(4).toString()).value_or(Tier::BestEffort);
        t.rpm = optionalInt(5);
        t.tpm = optionalInt(6);
        t.concurrency = optionalInt(7);
        if (const auto reserved = optionalInt(8))
            t.reserved = int(*reserved);
        t.weight = qMax(1, q.value(9).toInt());
        t.queueTimeoutMs = optionalInt(10);
        if (!q.value(11).isNull())
            t.budgetUsd = q.value(11).toDouble();
        t.softBudget = q.value(12).toBool();
        if (!q.value(13).isNull())
            t.alertThresholds = thresholdsFromText(q.value(13).toString());
        t.webhookUrl = q.value(14).toString();
        // Stored canonical by the admin service; a hand-edited bad list allows nobody rather
        // than everybody.
        if (!q.value(15).isNull()) {
            const QString blocks = q.value(15).toString();
            t.allowIps = AddressAllowList::parse(blocks).value_or(*AddressAllowList::parse(
                QStringList{QStringLiteral("0.0.0.0/32"), QStringLiteral("::/128")}));
        }
        snap->tenants.insert(t.id, t);
    }
    if (!q.exec(
            QStringLiteral("SELECT hash, prefix, tenant_id, revoked, expires_at FROM api_keys")))
        return fail(q);
    while (q.next()) {
        KeyConfig k;
        k.prefix = q.value(1).toString();
        k.tenantId = q.value(2).toString();
        k.revoked = q.value(3).toBool();
        if (!q.value(4).isNull())
            k.expiresMs = q.value(4).toLongLong();
        snap->keysByHash.insert(q.value(0).toByteArray(), k);
    }
    if (!q.exec(QStringLiteral(
            "SELECT name, kind, base_url, api_key_env, api_key, max_connections, "
            "timeout_ms, enabled, position, slow_ms FROM upstreams ORDER BY position")))
        return fail(q);
    while (q.next()) {
        UpstreamConfig u;
        u.name = q.value(0).toString();
        u.kind = q.value(1).toString();
        u.baseUrl = q.value(2).toString();
        u.apiKeyEnv = q.value(3).toString();
        u.apiKey = q.value(4).toString();
        u.maxConnections = q.value(5).toInt();
        u.timeoutMs = q.value(6).toInt();
        u.enabled = q.value(7).toBool();
        u.position = q.value(8).toInt();
        if (!q.value(9).isNull())
            u.slowMs = q.value(9).toInt();
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
