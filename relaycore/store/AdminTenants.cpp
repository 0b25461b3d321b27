#include "AdminService.h"

#include "store/AdminRows.h"
#include "store/SqlExec.h"
#include "store/UsageReport.h"
#include "tenants/ApiKey.h"
#include "tenants/DirectorySnapshot.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace relay {

using namespace adminrows;

namespace {

QJsonValue modelsJson(const ModelAllowList &models)
{
    return models ? QJsonValue(QJsonArray::fromStringList(*models)) : QJsonValue();
}

QVariant modelsColumn(const ModelAllowList &models)
{
    if (!models)
        return QVariant();
    return QString::fromUtf8(
        QJsonDocument(QJsonArray::fromStringList(*models)).toJson(QJsonDocument::Compact));
}

QJsonValue limitJson(const LimitValue &value)
{
    return value ? QJsonValue(*value) : QJsonValue();
}

QVariant limitColumn(const LimitValue &value)
{
    return value ? QVariant(*value) : QVariant();
}

QJsonValue thresholdsJson(const AlertThresholds &thresholds)
{
    if (!thresholds)
        return QJsonValue();
    QJsonArray array;
    for (const int t : *thresholds)
        array.append(t);
    return array;
}

// "50,80,100"; '' = no threshold alerts; NULL = the default.
QVariant thresholdsColumn(const AlertThresholds &thresholds)
{
    if (!thresholds)
        return QVariant();
    QString text = QStringLiteral(""); // not a null string: that would be stored as NULL
    for (const int t : *thresholds)
        text += (text.isEmpty() ? QString() : QStringLiteral(",")) + QString::number(t);
    return text;
}

// The audit view of a tenant: its settings as stored (null = no limit or the tier's default),
// nothing derived.
QJsonObject tenantJson(const TenantRecord &t)
{
    return QJsonObject{
        {QStringLiteral("name"), t.name},
        {QStringLiteral("models"), modelsJson(t.models)},
        {QStringLiteral("enabled"), t.enabled},
        {QStringLiteral("tier"), t.tier},
        {QStringLiteral("rpm"), limitJson(t.rpm)},
        {QStringLiteral("tpm"), limitJson(t.tpm)},
        {QStringLiteral("concurrency"), limitJson(t.concurrency)},
        {QStringLiteral("reserved"), limitJson(t.reserved)},
        {QStringLiteral("weight"), t.weight},
        {QStringLiteral("queue_timeout_ms"), limitJson(t.queueTimeoutMs)},
        {QStringLiteral("budget_usd"), t.budgetUsd ? QJsonValue(*t.budgetUsd) : QJsonValue()},
        {QStringLiteral("soft_budget"), t.softBudget},
        {QStringLiteral("alert_thresholds"), thresholdsJson(t.alertThresholds)},
        {QStringLiteral("webhook_url"),
         t.webhookUrl.isEmpty() ? QJsonValue() : QJsonValue(t.webhookUrl)},
        {QStringLiteral("allow_ips"), modelsJson(t.allowIps)}};
}

template <typename T> void assignIfGiven(T &target, const std::optional<T> &value)
{
    if (value)
        target = *value;
}

// Applies the given changes to a tenant. A best-effort tenant uses shared slots only, so
// reserving slots for one is refused rather than silently ignored.
AdminResult applyTenantChanges(const TenantChanges &c, TenantRecord *t)
{
    assignIfGiven(t->name, c.name);
    assignIfGiven(t->models, c.models);
    assignIfGiven(t->enabled, c.enabled);
    assignIfGiven(t->tier, c.tier);
    assignIfGiven(t->rpm, c.rpm);
    assignIfGiven(t->tpm, c.tpm);
    assignIfGiven(t->concurrency, c.concurrency);
    assignIfGiven(t->reserved, c.reserved);
    assignIfGiven(t->weight, c.weight);
    assignIfGiven(t->queueTimeoutMs, c.queueTimeoutMs);
    assignIfGiven(t->budgetUsd, c.budgetUsd);
    assignIfGiven(t->softBudget, c.softBudget);
    assignIfGiven(t->alertThresholds, c.alertThresholds);
    assignIfGiven(t->webhookUrl, c.webhookUrl);
    assignIfGiven(t->allowIps, c.allowIps);
    if (c.reserved && c.reserved->value_or(0) > 0 && tierFromName(t->tier) == Tier::BestEffort)
        return invalid(QStringLiteral("best-effort tenants reserve no slots; give the tenant "
                                      "--tier dedicated or guaranteed to reserve %1")
                           .arg(**c.reserved));
    return {};
}

// The tenant's settings in the column order of the INSERT and UPDATE below, after the id.
QVariantList tenantValues(const TenantRecord &t)
{
    return {t.name,
            modelsColumn(t.models),
            t.enabled ? 1 : 0,
            t.tier,
            limitColumn(t.rpm),
            limitColumn(t.tpm),
            limitColumn(t.concurrency),
            limitColumn(t.reserved),
            t.weight,
            limitColumn(t.queueTimeoutMs),
            t.budgetUsd ? QVariant(*t.budgetUsd) : QVariant(),
            t.softBudget ? 1 : 0,
            thresholdsColumn(t.alertThresholds),
            textColumn(t.webhookUrl),
            t.allowIps ? QVariant(t.allowIps->join(QLatin1Char(','))) : QVariant()};
}

const QStringList kTenantSettingColumns{QStringLiteral("name"),
                                        QStringLiteral("models"),
                                        QStringLiteral("enabled"),
                                        QStringLiteral("tier"),
                                        QStringLiteral("rpm"),
                                        QStringLiteral("tpm"),
                                        QStringLiteral("concurrency"),
                                        QStringLiteral("reserved"),
                                        QStringLiteral("weight"),
                                        QStringLiteral("queue_timeout_ms"),
                                        QStringLiteral("budget_usd"),
                                        QStringLiteral("soft_budget"),
                                        QStringLiteral("alert_thresholds"),
                                        QStringLiteral("webhook_url"),
                                        QStringLiteral("allow_ips")};

} // namespace

QList<int> TenantRecord::effectiveAlertThresholds() const
{
    return alertThresholds ? *alertThresholds : TenantConfig().alertThresholds;
}

qint64 TenantRecord::effectiveReserved() const
{
    TenantConfig config;
    config.tier = tierFromName(tier).value_or(Tier::BestEffort);
    if (reserved)
        config.reserved = int(*reserved);
    return config.tier == Tier::BestEffort ? 0 : config.reservedSlots();
}

qint64 TenantRecord::effectiveQueueTimeoutMs() const
{
    TenantConfig config;
    config.tier = tierFromName(tier).value_or(Tier::BestEffort);
    config.queueTimeoutMs = queueTimeoutMs;
    return config.queueTimeout();
}

AdminValue<TenantRecord> AdminService::loadTenant(const QString &id)
{
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q,
                  QStringLiteral("SELECT %1 FROM tenants WHERE id = ?")
                      .arg(kTenantColumns.join(QStringLiteral(", "))),
                  {id}, &error))
        return dbFailure(error);
    if (!q.next())
        return notFound(QStringLiteral("no tenant '%1'").arg(id));
    return tenantFromRow(q);
}

AdminValue<QString> AdminService::addTenant(const QString &id, const TenantChanges &settings)
{
    if (!isValidId(id))
        return invalid(
            QStringLiteral("invalid tenant id '%1' (use 1-64 of A-Z a-z 0-9 . _ -)").arg(id));
    TenantChanges s = settings;
    if (const AdminResult r = normalizeTenant(s); !r.ok)
        return r;
    TenantRecord t;
    t.id = id;
    t.createdMs = now();
    if (const AdminResult r = applyTenantChanges(s, &t); !r.ok)
        return r;

    QString key;
    const AdminResult r = write([&](AuditRecord &audit) -> AdminResult {
        const AdminValue<TenantRecord> existing = loadTenant(id);
        if (existing.ok)
            return conflict(QStringLiteral("tenant '%1' already exists").arg(id));
        if (existing.kind != AdminErrorKind::NotFound)
            return existing;
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q,
                      QStringLiteral("INSERT INTO tenants (id, %1, created_at) "
                                     "VALUES (?, COALESCE(?, '')%2, ?)")
                          .arg(kTenantSettingColumns.join(QStringLiteral(", ")),
                               QStringLiteral(", ?").repeated(kTenantSettingColumns.size() - 1)),
                      QVariantList{id} + tenantValues(t) + QVariantList{t.createdMs}, &error))
            return dbFailure(error);
        const AdminValue<QString> issued = insertKey(id, QString(), std::nullopt);
        if (!issued.ok)
            return issued;
        key = issued.value;
        QJsonObject after = tenantJson(t);
        after.insert(QStringLiteral("key_prefix"), ApiKey::prefix(key));
        audit = {0, {}, QStringLiteral("tenant.add"), id, id, beforeAfter(QJsonValue(), after)};
        return {};
    });
    if (!r.ok)
        return r;
    return key;
}

AdminResult AdminService::setTenant(const QString &id, const TenantChanges &changes)
{
    TenantChanges c = changes;
    if (c.isEmpty())
        return AdminResult::nothingToChange();
    if (const AdminResult r = normalizeTenant(c); !r.ok)
        return r;
    return write([&](AuditRecord &audit) -> AdminResult {
        const AdminValue<TenantRecord> before = loadTenant(id);
        if (!before.ok)
            return before;
        TenantRecord t = before.value;
        if (const AdminResult r = applyTenantChanges(c, &t); !r.ok)
            return r;
        QSqlQuery q(m_db);
        QString error;
        QStringList assignments{QStringLiteral("name = COALESCE(?, '')")};
        for (const QString &column : kTenantSettingColumns.mid(1))
            assignments.append(column + QStringLiteral(" = ?"));
        if (!sql::run(q,
                      QStringLiteral("UPDATE tenants SET %1 WHERE id = ?")
                          .arg(assignments.join(QStringLiteral(", "))),
                      tenantValues(t) + QVariantList{id}, &error))
            return dbFailure(error);
        audit = {0,  {}, QStringLiteral("tenant.set"),
                 id, id, beforeAfter(tenantJson(before.value), tenantJson(t))};
        return {};
    });
}

AdminResult AdminService::removeTenant(const QString &id)
{
    return write([&](AuditRecord &audit) -> AdminResult {
        const AdminValue<TenantRecord> before = loadTenant(id);
        if (!before.ok)
            return before;
        const AdminValue<QStringList> keys = activeKeyPrefixes(id);
        if (!keys.ok)
            return keys;
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q, QStringLiteral("DELETE FROM api_keys WHERE tenant_id = ?"), {id},
                      &error) ||
            !sql::run(q, QStringLiteral("DELETE FROM tenants WHERE id = ?"), {id}, &error))
            return dbFailure(error);
        QJsonObject was = tenantJson(before.value);
        was.insert(QStringLiteral("active_keys"), QJsonArray::fromStringList(keys.value));
        audit = {0, {}, QStringLiteral("tenant.remove"), id, id, beforeAfter(was, QJsonValue())};
        return {};
    });
}

AdminValue<QList<TenantRecord>> AdminService::listTenants()
{
    QString error;
    QHash<QString, double> spent;
    if (!UsageReport::spentSince(m_db, UsageReport::monthStartMs(now()), &spent, &error))
        return dbFailure(error);
    QSqlQuery q(m_db);
    if (!sql::run(q,
                  QStringLiteral("SELECT %1 FROM tenants ORDER BY id")
                      .arg(kTenantColumns.join(QStringLiteral(", "))),
                  {}, &error))
        return dbFailure(error);
    QList<TenantRecord> tenants;
    while (q.next()) {
        TenantRecord t = tenantFromRow(q);
        t.spentUsd = spent.value(t.id);
        tenants.append(t);
    }
    return tenants;
}

AdminValue<TenantDetails> AdminService::tenant(const QString &id)
{
    const AdminValue<TenantRecord> t = loadTenant(id);
    if (!t.ok)
        return t;
    const AdminValue<QList<KeyRecord>> keys = listKeys(id);
    if (!keys.ok)
        return keys;
    QString error;
    QHash<QString, double> spent;
    if (!UsageReport::spentSince(m_db, UsageReport::monthStartMs(now()), &spent, &error))
        return dbFailure(error);
    TenantDetails details{t.value, keys.value};
    details.tenant.spentUsd = spent.value(id);
    return details;
}

} // namespace relay
