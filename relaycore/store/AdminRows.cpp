#include "AdminRows.h"

#include "store/ConfigLoader.h"
#include "tenants/DirectorySnapshot.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>

namespace relay::adminrows {

namespace {

constexpr int kMaxUrlLength = 2048;

ModelAllowList modelsFromColumn(const QVariant &v)
{
    if (v.isNull())
        return std::nullopt;
    QStringList out;
    for (const auto &item : QJsonDocument::fromJson(v.toString().toUtf8()).array())
        out.append(item.toString());
    return out;
}

LimitValue limitFromColumn(const QVariant &v)
{
    return v.isNull() ? LimitValue() : LimitValue(v.toLongLong());
}

AlertThresholds thresholdsFromColumn(const QVariant &v)
{
    if (v.isNull())
        return std::nullopt;
    return ConfigLoader::thresholdsFromText(v.toString());
}

} // namespace

AdminResult invalid(const QString &error, const QString &field)
{
    return AdminResult::failure(AdminErrorKind::Invalid, error, field);
}

AdminResult notFound(const QString &error)
{
    return AdminResult::failure(AdminErrorKind::NotFound, error);
}

AdminResult conflict(const QString &error)
{
    return AdminResult::failure(AdminErrorKind::Conflict, error);
}

AdminResult dbFailure(const QString &error)
{
    return AdminResult::failure(AdminErrorKind::Database,
                                QStringLiteral("database error: %1").arg(error));
}

QJsonObject beforeAfter(const QJsonValue &before, const QJsonValue &after)
{
    return QJsonObject{{QStringLiteral("before"), before}, {QStringLiteral("after"), after}};
}

bool hasControlChars(const QString &text)
{
    for (const QChar c : text)
        if (c.category() == QChar::Other_Control)
            return true;
    return false;
}

bool isValidModel(const QString &model)
{
    if (model.isEmpty() || model.size() > kMaxNameLength)
        return false;
    for (const QChar c : model)
        if (c.isSpace() || c == QLatin1Char(',') || c.category() == QChar::Other_Control)
            return false;
    return true;
}

AdminResult checkModel(const QString &model, const char *field)
{
    if (!isValidModel(model))
        return invalid(QStringLiteral("invalid model name '%1'").arg(model), QLatin1String(field));
    return {};
}

AdminResult checkWebhookUrl(QString *url)
{
    *url = url->trimmed();
    if (url->isEmpty())
        return {};
    const QUrl parsed(*url, QUrl::StrictMode);
    bool clean = url->size() <= kMaxUrlLength;
    for (const QChar c : *url)
        clean = clean && !c.isSpace() && c.category() != QChar::Other_Control;
    if (!clean || !parsed.isValid() ||
        (parsed.scheme() != QLatin1String("http") && parsed.scheme() != QLatin1String("https")) ||
        parsed.host().isEmpty())
        return invalid(QStringLiteral("a webhook is an http:// or https:// URL with a host, or "
                                      "none"),
                       QStringLiteral("webhook_url"));
    // Said without the URL: whatever is before the '@' may be a password.
    if (!parsed.userInfo().isEmpty())
        return invalid(QStringLiteral("the webhook URL must not hold credentials"),
                       QStringLiteral("webhook_url"));
    return {};
}

QVariant textColumn(const QString &text)
{
    return text.isEmpty() ? QVariant() : QVariant(text);
}

QString targetUpstream(const QString &target)
{
    return target.section(QLatin1Char(':'), 0, 0);
}

const QStringList kTenantColumns =
    QStringLiteral("id, name, models, enabled, created_at, tier, rpm, tpm, concurrency, "
                   "reserved, weight, queue_timeout_ms, budget_usd, soft_budget, "
                   "alert_thresholds, webhook_url, allow_ips")
        .split(QStringLiteral(", "));

TenantRecord tenantFromRow(const QSqlQuery &q)
{
    TenantRecord t;
    t.id = q.value(0).toString();
    t.name = q.value(1).toString();
    t.models = modelsFromColumn(q.value(2));
    t.enabled = q.value(3).toBool();
    t.createdMs = q.value(4).toLongLong();
    // Shown as the relay reads it (ConfigLoader): an unknown tier is best-effort.
    t.tier = tierName(tierFromName(q.value(5).toString()).value_or(Tier::BestEffort));
    t.rpm = limitFromColumn(q.value(6));
    t.tpm = limitFromColumn(q.value(7));
    t.concurrency = limitFromColumn(q.value(8));
    t.reserved = limitFromColumn(q.value(9));
    t.weight = qMax(1, q.value(10).toInt());
    t.queueTimeoutMs = limitFromColumn(q.value(11));
    if (!q.value(12).isNull())
        t.budgetUsd = q.value(12).toDouble();
    t.softBudget = q.value(13).toBool();
    t.alertThresholds = thresholdsFromColumn(q.value(14));
    t.webhookUrl = q.value(15).toString();
    if (!q.value(16).isNull())
        t.allowIps = q.value(16).toString().split(QLatin1Char(','), Qt::SkipEmptyParts);
    return t;
}

const QStringList kUpstreamColumns =
    QStringLiteral("name, kind, base_url, api_key_env, "
                   "(api_key IS NOT NULL AND api_key <> ''), max_connections, timeout_ms, enabled, "
                   "slow_ms")
        .split(QStringLiteral(", "));

UpstreamRecord upstreamFromRow(const QSqlQuery &q)
{
    UpstreamRecord u;
    u.name = q.value(0).toString();
    u.kind = q.value(1).toString();
    u.baseUrl = q.value(2).toString();
    u.apiKeyEnv = q.value(3).toString();
    u.hasStoredKey = q.value(4).toBool();
    u.maxConnections = q.value(5).toInt();
    u.timeoutMs = q.value(6).toInt();
    u.enabled = q.value(7).toBool();
    if (!q.value(8).isNull())
        u.slowMs = q.value(8).toLongLong();
    return u;
}

const QStringList kKeyColumns =
    QStringLiteral("prefix, tenant_id, created_at, last_used, revoked, label, expires_at")
        .split(QStringLiteral(", "));

KeyRecord keyFromRow(const QSqlQuery &q)
{
    KeyRecord k;
    k.prefix = q.value(0).toString();
    k.tenantId = q.value(1).toString();
    k.createdMs = q.value(2).toLongLong();
    if (!q.value(3).isNull())
        k.lastUsedMs = q.value(3).toLongLong();
    k.revoked = q.value(4).toBool();
    k.label = q.value(5).toString();
    if (!q.value(6).isNull())
        k.expiresMs = q.value(6).toLongLong();
    return k;
}

} // namespace relay::adminrows
