#include "AdminService.h"

#include "Database.h"
#include "store/RelayState.h"

#include "store/AuditLog.h"
#include "store/ConfigLoader.h"
#include "store/SqlExec.h"
#include "store/UsageWriter.h"
#include "tenants/AddressAllowList.h"
#include "tenants/ApiKey.h"
#include "tenants/DirectorySnapshot.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QUrl>

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace relay {

struct KeyedTable
{
    QString table;
    QString keyColumn;
    QStringList columns;     // the value columns, in the order callers pass values
    QStringList jsonColumns; // columns holding JSON text, decoded in audit details
    QString noun;            // "route": the audit actions "route.set" and "route.remove"
    QString missing;         // the message when the key has no row; %1 = the key
};

namespace {

const KeyedTable kRoutes{QStringLiteral("routes"),    QStringLiteral("model"),
                         {QStringLiteral("targets")}, {QStringLiteral("targets")},
                         QStringLiteral("route"),     QStringLiteral("no route for model '%1'")};
const KeyedTable kAliases{QStringLiteral("aliases"), QStringLiteral("alias"),
                          {QStringLiteral("model")}, {},
                          QStringLiteral("alias"),   QStringLiteral("no alias '%1'")};
const KeyedTable kPrices{QStringLiteral("prices"),
                         QStringLiteral("model"),
                         {QStringLiteral("input"), QStringLiteral("output"),
                          QStringLiteral("cache_read"), QStringLiteral("cache_write")},
                         {},
                         QStringLiteral("price"),
                         QStringLiteral("no price for model '%1'")};

constexpr int kMaxNameLength = 200;
constexpr int kMaxConnections = 10000;
constexpr int kMaxTimeoutMs = 86'400'000;
// Tenant limits: the rate limiter's buckets hold at most 10^12 tokens.
constexpr qint64 kMaxRate = 1'000'000'000'000;
constexpr qint64 kMaxConcurrency = 1'000'000;
constexpr int kMaxWeight = 1000;
constexpr qint64 kMaxQueueTimeoutMs = 3'600'000;
constexpr double kMaxBudgetUsd = 1e9;
constexpr int kMaxThreshold = 1000;
constexpr int kMaxUrlLength = 2048;
constexpr int kMaxRetentionDays = 36500;
const QString kWebhookSetting = QStringLiteral("webhook_url");
const QString kRetentionSetting = QStringLiteral("usage_retention_days");

// `field`: the JSON name of the field at fault (the admin API's `param`), if one is.
AdminResult invalid(const QString &error, const QString &field = QString())
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

bool hasControlChars(const QString &text)
{
    for (const QChar c : text)
        if (c.category() == QChar::Other_Control)
            return true;
    return false;
}

// Model names travel in comma-separated lists and "UPSTREAM:MODEL" targets, so no commas and
// no blanks; colons are fine (e.g. "llama3:8b").
bool isValidModel(const QString &model)
{
    if (model.isEmpty() || model.size() > kMaxNameLength)
        return false;
    for (const QChar c : model)
        if (c.isSpace() || c == QLatin1Char(',') || c.category() == QChar::Other_Control)
            return false;
    return true;
}

AdminResult checkModel(const QString &model, const char *field = "model")
{
    if (!isValidModel(model))
        return invalid(QStringLiteral("invalid model name '%1'").arg(model), QLatin1String(field));
    return {};
}

// A removable number in [min, max]; `what` names it in the message, `field` is its JSON name.
AdminResult checkRange(const std::optional<LimitValue> &value, qint64 min, qint64 max,
                       const QString &what, const char *field)
{
    if (value && value->has_value() && (**value < min || **value > max))
        return invalid(QStringLiteral("%1 must be between %2 and %3").arg(what).arg(min).arg(max),
                       QLatin1String(field));
    return {};
}

// A webhook: an http or https URL with a host, without credentials or blanks. An empty URL
// (none) is fine: it removes the webhook.
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

AdminResult checkThresholds(AlertThresholds *thresholds)
{
    if (!*thresholds)
        return {};
    QList<int> &list = **thresholds;
    for (const int t : list)
        if (t < 1 || t > kMaxThreshold)
            return invalid(QStringLiteral("alert thresholds are whole percents of the budget, "
                                          "between 1 and %1")
                               .arg(kMaxThreshold),
                           QStringLiteral("alert_thresholds"));
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    return {};
}

AdminResult normalizeTenant(TenantChanges &c)
{
    if (c.name && (c.name->size() > kMaxNameLength || hasControlChars(*c.name)))
        return invalid(QStringLiteral("a tenant name is at most %1 characters on one line")
                           .arg(kMaxNameLength),
                       QStringLiteral("name"));
    if (c.tier && !tierFromName(*c.tier))
        return invalid(QStringLiteral("unknown tier '%1' (use dedicated, guaranteed or "
                                      "best-effort)")
                           .arg(*c.tier),
                       QStringLiteral("tier"));
    for (const AdminResult &r :
         {checkRange(c.rpm, 1, kMaxRate, QStringLiteral("rpm"), "rpm"),
          checkRange(c.tpm, 1, kMaxRate, QStringLiteral("tpm"), "tpm"),
          checkRange(c.concurrency, 1, kMaxConcurrency, QStringLiteral("concurrency"),
                     "concurrency"),
          checkRange(c.reserved, 0, kMaxConnections, QStringLiteral("reserved slots"), "reserved"),
          checkRange(c.weight ? std::optional<LimitValue>(*c.weight) : std::nullopt, 1, kMaxWeight,
                     QStringLiteral("weight"), "weight"),
          checkRange(c.queueTimeoutMs, 1, kMaxQueueTimeoutMs, QStringLiteral("queue timeout (ms)"),
                     "queue_timeout_ms")}) {
        if (!r.ok)
            return r;
    }
    if (c.budgetUsd && c.budgetUsd->has_value() &&
        (!std::isfinite(**c.budgetUsd) || **c.budgetUsd < 0 || **c.budgetUsd > kMaxBudgetUsd))
        return invalid(QStringLiteral("a budget is USD per month, between 0 and %1")
                           .arg(kMaxBudgetUsd, 0, 'f', 0),
                       QStringLiteral("budget_usd"));
    if (c.alertThresholds) {
        if (const AdminResult r = checkThresholds(&*c.alertThresholds); !r.ok)
            return r;
    }
    if (c.webhookUrl) {
        if (const AdminResult r = checkWebhookUrl(&*c.webhookUrl); !r.ok)
            return r;
    }
    if (c.allowIps && c.allowIps->has_value()) {
        QString error;
        const std::optional<AddressAllowList> blocks =
            AddressAllowList::parse(**c.allowIps, &error);
        if (!blocks)
            return invalid(QStringLiteral("allowed addresses: %1").arg(error),
                           QStringLiteral("allow_ips"));
        if (blocks->isEmpty())
            return invalid(QStringLiteral("give at least one address block, or none for every "
                                          "address"),
                           QStringLiteral("allow_ips"));
        **c.allowIps = blocks->entries();
    }
    if (c.models && c.models->has_value()) {
        QStringList &models = **c.models;
        for (QString &m : models) {
            m = m.trimmed();
            if (const AdminResult r = checkModel(m, "models"); !r.ok)
                return r;
        }
        models.removeDuplicates();
        if (models.isEmpty())
            return invalid(QStringLiteral("give at least one model, or none for all models"),
                           QStringLiteral("models"));
    }
    return {};
}

AdminResult normalizeUpstream(UpstreamChanges &c)
{
    if (c.baseUrl) {
        QString url = c.baseUrl->trimmed();
        while (url.endsWith(QLatin1Char('/')))
            url.chop(1);
        // Said without the URL: whatever is before the '@' may be a password.
        if (url.contains(QLatin1Char('@')))
            return invalid(QStringLiteral("the base URL must not hold credentials; give the key "
                                          "with --api-key-env or --api-key-stdin"),
                           QStringLiteral("base_url"));
        UpstreamConfig config;
        config.baseUrl = url;
        QString error;
        if (!config.parseBaseUrl(&error))
            return invalid(error, QStringLiteral("base_url"));
        const QUrl parsed(url);
        if (parsed.hasQuery() || parsed.hasFragment())
            return invalid(
                QStringLiteral("the base URL must not have a query or fragment: %1").arg(url),
                QStringLiteral("base_url"));
        *c.baseUrl = url;
    }
    if (c.kind && *c.kind != QLatin1String("openai") && *c.kind != QLatin1String("anthropic"))
        return invalid(
            QStringLiteral("unsupported upstream kind '%1' (supported: openai, anthropic)")
                .arg(*c.kind),
            QStringLiteral("kind"));
    if (c.slowMs && *c.slowMs && (**c.slowMs < 1 || **c.slowMs > 600'000))
        return invalid(QStringLiteral("--slow-ms must be 1 to 600000 (or none)"),
                       QStringLiteral("slow_ms"));
    if (c.apiKeyEnv && c.apiKey)
        return invalid(QStringLiteral("give the upstream key either from an environment "
                                      "variable or stored, not both"));
    static const QRegularExpression envName(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]{0,127}$"));
    if (c.apiKeyEnv && !envName.match(*c.apiKeyEnv).hasMatch())
        return invalid(QStringLiteral("invalid environment variable name '%1'").arg(*c.apiKeyEnv),
                       QStringLiteral("api_key_env"));
    if (c.apiKey) {
        *c.apiKey = c.apiKey->trimmed();
        // A key goes into an HTTP header; a blank or control character would break or inject.
        bool clean = !c.apiKey->isEmpty();
        for (const QChar ch : *c.apiKey)
            clean = clean && ch.unicode() > 0x20 && ch.unicode() < 0x7f;
        if (!clean)
            return invalid(QStringLiteral("the upstream key is empty or holds blanks or "
                                          "non-ASCII characters"),
                           QStringLiteral("api_key"));
    }
    if (c.maxConnections && (*c.maxConnections < 1 || *c.maxConnections > kMaxConnections))
        return invalid(
            QStringLiteral("max connections must be between 1 and %1").arg(kMaxConnections),
            QStringLiteral("max_connections"));
    if (c.timeoutMs && (*c.timeoutMs < 1 || *c.timeoutMs > kMaxTimeoutMs))
        return invalid(QStringLiteral("timeout must be between 1 and %1 ms").arg(kMaxTimeoutMs),
                       QStringLiteral("timeout_ms"));
    return {};
}

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

ModelAllowList modelsFromColumn(const QVariant &v)
{
    if (v.isNull())
        return std::nullopt;
    QStringList out;
    for (const auto &item : QJsonDocument::fromJson(v.toString().toUtf8()).array())
        out.append(item.toString());
    return out;
}

QJsonValue limitJson(const LimitValue &value)
{
    return value ? QJsonValue(*value) : QJsonValue();
}

QVariant limitColumn(const LimitValue &value)
{
    return value ? QVariant(*value) : QVariant();
}

LimitValue limitFromColumn(const QVariant &v)
{
    return v.isNull() ? LimitValue() : LimitValue(v.toLongLong());
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

AlertThresholds thresholdsFromColumn(const QVariant &v)
{
    if (v.isNull())
        return std::nullopt;
    return ConfigLoader::thresholdsFromText(v.toString());
}

QVariant textColumn(const QString &text)
{
    return text.isEmpty() ? QVariant() : QVariant(text);
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

// The audit view of an upstream: whether a key is stored, never the key.
QJsonObject upstreamJson(const UpstreamRecord &u)
{
    return QJsonObject{
        {QStringLiteral("kind"), u.kind},
        {QStringLiteral("base_url"), u.baseUrl},
        {QStringLiteral("api_key_env"),
         u.apiKeyEnv.isEmpty() ? QJsonValue() : QJsonValue(u.apiKeyEnv)},
        {QStringLiteral("api_key_stored"), u.hasStoredKey},
        {QStringLiteral("max_connections"), u.maxConnections},
        {QStringLiteral("timeout_ms"), u.timeoutMs},
        {QStringLiteral("slow_ms"), u.slowMs ? QJsonValue(double(*u.slowMs)) : QJsonValue()},
        {QStringLiteral("enabled"), u.enabled},
    };
}

QJsonObject beforeAfter(const QJsonValue &before, const QJsonValue &after)
{
    return QJsonObject{{QStringLiteral("before"), before}, {QStringLiteral("after"), after}};
}

const QString kTenantColumns =
    QStringLiteral("id, name, models, enabled, created_at, tier, rpm, tpm, concurrency, "
                   "reserved, weight, queue_timeout_ms, budget_usd, soft_budget, "
                   "alert_thresholds, webhook_url, allow_ips");

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

const QString kUpstreamColumns =
    QStringLiteral("name, kind, base_url, api_key_env, "
                   "(api_key IS NOT NULL AND api_key <> ''), max_connections, timeout_ms, enabled, "
                   "slow_ms");

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

const QString kKeyColumns =
    QStringLiteral("prefix, tenant_id, created_at, last_used, revoked, label, expires_at");

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

// A new key's label and end, checked: a label is one line of at most 200 characters.
AdminResult readKeyOptions(const KeyOptions &options, qint64 nowMs, QString *label,
                           std::optional<qint64> *expiresMs)
{
    *label = options.label.trimmed();
    if (label->size() > kMaxNameLength || hasControlChars(*label))
        return invalid(
            QStringLiteral("a key label is at most %1 characters on one line").arg(kMaxNameLength));
    expiresMs->reset();
    if (options.expires.trimmed().isEmpty())
        return {};
    QString error;
    *expiresMs = ApiKey::parseExpiry(options.expires, nowMs, &error);
    if (!*expiresMs)
        return invalid(error);
    return {};
}

// The audit view of a new key: never the key, only how it is named and when it ends.
QJsonObject newKeyJson(const QString &prefix, const QString &label,
                       const std::optional<qint64> &expiresMs)
{
    QJsonObject key{{QStringLiteral("prefix"), prefix}, {QStringLiteral("revoked"), false}};
    if (!label.isEmpty())
        key.insert(QStringLiteral("label"), label);
    if (expiresMs)
        key.insert(QStringLiteral("expires_at"), double(*expiresMs));
    return key;
}

// The upstream named by a route target: everything before the first colon.
QString targetUpstream(const QString &target)
{
    return target.section(QLatin1Char(':'), 0, 0);
}

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

AdminService::AdminService(QSqlDatabase db, Clock &clock, QString actor)
    : m_db(std::move(db)), m_clock(clock), m_actor(std::move(actor))
{
}

QString AdminService::osUser()
{
    const QString user = qEnvironmentVariable("USER");
    if (!user.isEmpty())
        return user;
    if (const passwd *pw = ::getpwuid(::geteuid()); pw && pw->pw_name)
        return QString::fromLocal8Bit(pw->pw_name);
    return QStringLiteral("uid %1").arg(::geteuid());
}

bool AdminService::isValidId(const QString &id)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    return pattern.match(id).hasMatch();
}

AdminResult AdminService::checkTenant(const TenantChanges &changes)
{
    TenantChanges copy = changes;
    return normalizeTenant(copy);
}

AdminResult AdminService::checkUpstream(const UpstreamChanges &changes)
{
    UpstreamChanges copy = changes;
    return normalizeUpstream(copy);
}

bool AdminService::parseThresholds(const QString &text, AlertThresholds *thresholds, QString *error)
{
    const QString trimmed = text.trimmed();
    if (trimmed == QLatin1String("default")) {
        *thresholds = std::nullopt;
        return true;
    }
    QList<int> percents;
    if (trimmed != QLatin1String("none")) {
        for (const QString &part : trimmed.split(QLatin1Char(','))) {
            bool ok = false;
            percents.append(part.trimmed().toInt(&ok));
            if (!ok) {
                *error = QStringLiteral("alert thresholds are whole percents such as 50,80,100, "
                                        "or none or default, not '%1'")
                             .arg(trimmed);
                return false;
            }
        }
    }
    *thresholds = percents;
    return true;
}

qint64 AdminService::configVersion()
{
    return ConfigLoader::configVersion(m_db);
}

AdminResult AdminService::write(const std::function<AdminResult(AuditRecord &)> &change)
{
    QSqlQuery q(m_db);
    QString error;
    // IMMEDIATE takes the write lock up front, so the busy timeout applies if the relay's usage
    // writer holds it, instead of failing when a read would have to turn into a write.
    if (!sql::run(q, QStringLiteral("BEGIN IMMEDIATE"), {}, &error))
        return dbFailure(error);
    AuditRecord audit;
    AdminResult result = change(audit);
    if (result.ok) {
        audit.timeMs = now();
        audit.actor = m_actor;
        if (AuditLog::append(m_db, audit, &error) &&
            sql::run(q,
                     QStringLiteral("UPDATE config_state SET version = version + 1 WHERE id = 1"),
                     {}, &error) &&
            sql::run(q, QStringLiteral("COMMIT"), {}, &error))
            return result;
        result = dbFailure(error);
    }
    sql::run(q, QStringLiteral("ROLLBACK"));
    return result;
}

// ---- tenants ----

AdminValue<TenantRecord> AdminService::loadTenant(const QString &id)
{
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q, QStringLiteral("SELECT %1 FROM tenants WHERE id = ?").arg(kTenantColumns),
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
    if (!sql::run(q, QStringLiteral("SELECT %1 FROM tenants ORDER BY id").arg(kTenantColumns), {},
                  &error))
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

// ---- keys ----

AdminValue<QString> AdminService::insertKey(const QString &tenantId, const QString &label,
                                            const std::optional<qint64> &expiresMs)
{
    QSqlQuery q(m_db);
    QString error;
    // The prefix is how a key is named in listings and revoked, so keep it unique.
    QString key;
    do {
        key = ApiKey::generate();
        if (!sql::run(q, QStringLiteral("SELECT 1 FROM api_keys WHERE prefix = ?"),
                      {ApiKey::prefix(key)}, &error))
            return dbFailure(error);
    } while (q.next());
    if (!sql::run(
            q,
            QStringLiteral("INSERT INTO api_keys (hash, prefix, tenant_id, created_at, label, "
                           "expires_at) VALUES (?, ?, ?, ?, ?, ?)"),
            {QString::fromLatin1(ApiKey::hash(key.toUtf8())), ApiKey::prefix(key), tenantId, now(),
             textColumn(label), expiresMs ? QVariant(*expiresMs) : QVariant()},
            &error))
        return dbFailure(error);
    return key;
}

AdminValue<QStringList> AdminService::activeKeyPrefixes(const QString &tenantId)
{
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q,
                  QStringLiteral("SELECT prefix FROM api_keys WHERE tenant_id = ? AND revoked = 0 "
                                 "ORDER BY created_at, prefix"),
                  {tenantId}, &error))
        return dbFailure(error);
    QStringList prefixes;
    while (q.next())
        prefixes.append(q.value(0).toString());
    return prefixes;
}

AdminValue<QString> AdminService::issueKey(const QString &tenantId, const KeyOptions &options)
{
    QString label;
    std::optional<qint64> expiresMs;
    if (const AdminResult r = readKeyOptions(options, now(), &label, &expiresMs); !r.ok)
        return r;
    QString key;
    const AdminResult r = write([&](AuditRecord &audit) -> AdminResult {
        if (const AdminValue<TenantRecord> t = loadTenant(tenantId); !t.ok)
            return t;
        const AdminValue<QString> issued = insertKey(tenantId, label, expiresMs);
        if (!issued.ok)
            return issued;
        key = issued.value;
        const QString prefix = ApiKey::prefix(key);
        audit = {0,      {},       QStringLiteral("key.issue"),
                 prefix, tenantId, beforeAfter(QJsonValue(), newKeyJson(prefix, label, expiresMs))};
        return {};
    });
    if (!r.ok)
        return r;
    return key;
}

AdminValue<QString> AdminService::rotateKey(const QString &tenantId, const KeyOptions &options)
{
    QString label;
    std::optional<qint64> expiresMs;
    if (const AdminResult r = readKeyOptions(options, now(), &label, &expiresMs); !r.ok)
        return r;
    QString key;
    const AdminResult r = write([&](AuditRecord &audit) -> AdminResult {
        if (const AdminValue<TenantRecord> t = loadTenant(tenantId); !t.ok)
            return t;
        const AdminValue<QStringList> before = activeKeyPrefixes(tenantId);
        if (!before.ok)
            return before;
        const AdminValue<QString> issued = insertKey(tenantId, label, expiresMs);
        if (!issued.ok)
            return issued;
        key = issued.value;
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q,
                      QStringLiteral("UPDATE api_keys SET revoked = 1 "
                                     "WHERE tenant_id = ? AND prefix <> ? AND revoked = 0"),
                      {tenantId, ApiKey::prefix(key)}, &error))
            return dbFailure(error);
        const QString activeKeys = QStringLiteral("active_keys");
        audit = {0,
                 {},
                 QStringLiteral("key.rotate"),
                 tenantId,
                 tenantId,
                 beforeAfter(QJsonObject{{activeKeys, QJsonArray::fromStringList(before.value)}},
                             QJsonObject{{activeKeys, QJsonArray{ApiKey::prefix(key)}},
                                         {QStringLiteral("new_key"),
                                          newKeyJson(ApiKey::prefix(key), label, expiresMs)}})};
        return {};
    });
    if (!r.ok)
        return r;
    return key;
}

AdminResult AdminService::revokeKey(const QString &prefix)
{
    if (prefix.size() != ApiKey::kPrefixLength || !prefix.startsWith(QLatin1String("sk-tr-")))
        return invalid(QStringLiteral("a key prefix is the first %1 characters of a key "
                                      "(sk-tr-XXXXXX)")
                           .arg(ApiKey::kPrefixLength));
    return write([&](AuditRecord &audit) -> AdminResult {
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q, QStringLiteral("SELECT tenant_id, revoked FROM api_keys WHERE prefix = ?"),
                      {prefix}, &error))
            return dbFailure(error);
        if (!q.next())
            return notFound(QStringLiteral("no key with prefix '%1'").arg(prefix));
        const QString tenantId = q.value(0).toString();
        if (q.value(1).toBool())
            return conflict(QStringLiteral("key '%1' is already revoked").arg(prefix));
        if (!sql::run(q, QStringLiteral("UPDATE api_keys SET revoked = 1 WHERE prefix = ?"),
                      {prefix}, &error))
            return dbFailure(error);
        const QString revoked = QStringLiteral("revoked");
        audit = {0,
                 {},
                 QStringLiteral("key.revoke"),
                 prefix,
                 tenantId,
                 beforeAfter(QJsonObject{{revoked, false}}, QJsonObject{{revoked, true}})};
        return {};
    });
}

AdminValue<QList<KeyRecord>> AdminService::listKeys(const QString &tenantId)
{
    if (!tenantId.isEmpty()) {
        if (const AdminValue<TenantRecord> t = loadTenant(tenantId); !t.ok)
            return t;
    }
    QSqlQuery q(m_db);
    QString error;
    const QString where = tenantId.isEmpty() ? QString() : QStringLiteral(" WHERE tenant_id = ?");
    if (!sql::run(q,
                  QStringLiteral("SELECT %1 FROM api_keys%2 ORDER BY tenant_id, created_at, prefix")
                      .arg(kKeyColumns, where),
                  tenantId.isEmpty() ? QVariantList{} : QVariantList{tenantId}, &error))
        return dbFailure(error);
    QList<KeyRecord> keys;
    while (q.next())
        keys.append(keyFromRow(q));
    return keys;
}

// ---- upstreams ----

AdminValue<UpstreamRecord> AdminService::loadUpstream(const QString &name)
{
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q,
                  QStringLiteral("SELECT %1 FROM upstreams WHERE name = ?").arg(kUpstreamColumns),
                  {name}, &error))
        return dbFailure(error);
    if (!q.next())
        return notFound(QStringLiteral("no upstream '%1'").arg(name));
    return upstreamFromRow(q);
}

AdminResult AdminService::addUpstream(const QString &name, const UpstreamChanges &settings)
{
    if (!isValidId(name))
        return invalid(
            QStringLiteral("invalid upstream name '%1' (use 1-64 of A-Z a-z 0-9 . _ -)").arg(name));
    UpstreamChanges s = settings;
    if (!s.baseUrl)
        return invalid(QStringLiteral("an upstream needs a base URL"));
    if (const AdminResult r = normalizeUpstream(s); !r.ok)
        return r;
    UpstreamRecord u;
    u.name = name;
    u.kind = s.kind.value_or(QStringLiteral("openai"));
    u.baseUrl = *s.baseUrl;
    u.apiKeyEnv = s.apiKeyEnv.value_or(QString());
    u.hasStoredKey = s.apiKey.has_value();
    u.maxConnections = s.maxConnections.value_or(u.maxConnections);
    u.timeoutMs = s.timeoutMs.value_or(u.timeoutMs);
    u.slowMs = s.slowMs.value_or(std::nullopt);
    u.enabled = s.enabled.value_or(true);

    return write([&](AuditRecord &audit) -> AdminResult {
        const AdminValue<UpstreamRecord> existing = loadUpstream(name);
        if (existing.ok)
            return conflict(QStringLiteral("upstream '%1' already exists").arg(name));
        if (existing.kind != AdminErrorKind::NotFound)
            return existing;
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(
                q,
                QStringLiteral(
                    "INSERT INTO upstreams (name, position, kind, base_url, api_key_env, "
                    "api_key, max_connections, timeout_ms, enabled, created_at, slow_ms) VALUES "
                    "(?, (SELECT COALESCE(MAX(position), 0) + 1 FROM upstreams), "
                    "?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {name, u.kind, u.baseUrl,
                 u.apiKeyEnv.isEmpty() ? QVariant() : QVariant(u.apiKeyEnv),
                 s.apiKey ? QVariant(*s.apiKey) : QVariant(), u.maxConnections, u.timeoutMs,
                 u.enabled ? 1 : 0, now(), u.slowMs ? QVariant(*u.slowMs) : QVariant()},
                &error))
            return dbFailure(error);
        audit = {0,    {}, QStringLiteral("upstream.add"),
                 name, {}, beforeAfter(QJsonValue(), upstreamJson(u))};
        return {};
    });
}

AdminResult AdminService::setUpstream(const QString &name, const UpstreamChanges &changes)
{
    UpstreamChanges c = changes;
    if (c.isEmpty())
        return AdminResult::nothingToChange();
    if (const AdminResult r = normalizeUpstream(c); !r.ok)
        return r;
    return write([&](AuditRecord &audit) -> AdminResult {
        const AdminValue<UpstreamRecord> before = loadUpstream(name);
        if (!before.ok)
            return before;
        UpstreamRecord u = before.value;
        u.kind = c.kind.value_or(u.kind);
        u.baseUrl = c.baseUrl.value_or(u.baseUrl);
        u.maxConnections = c.maxConnections.value_or(u.maxConnections);
        u.timeoutMs = c.timeoutMs.value_or(u.timeoutMs);
        u.enabled = c.enabled.value_or(u.enabled);
        u.slowMs = c.slowMs.value_or(u.slowMs);
        QString statement = QStringLiteral("UPDATE upstreams SET kind = ?, base_url = ?, "
                                           "api_key_env = ?, max_connections = ?, "
                                           "timeout_ms = ?, enabled = ?, slow_ms = ?");
        // One key source at a time: naming a variable forgets a stored key and vice versa.
        QVariantList values;
        if (c.apiKeyEnv) {
            u.apiKeyEnv = *c.apiKeyEnv;
            u.hasStoredKey = false;
            statement += QStringLiteral(", api_key = NULL");
        } else if (c.apiKey) {
            u.apiKeyEnv.clear();
            u.hasStoredKey = true;
            statement += QStringLiteral(", api_key = ?");
        }
        values << u.kind << u.baseUrl
               << (u.apiKeyEnv.isEmpty() ? QVariant() : QVariant(u.apiKeyEnv)) << u.maxConnections
               << u.timeoutMs << (u.enabled ? 1 : 0)
               << (u.slowMs ? QVariant(*u.slowMs) : QVariant());
        if (c.apiKey && !c.apiKeyEnv)
            values << *c.apiKey;
        values << name;
        statement += QStringLiteral(" WHERE name = ?");
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q, statement, values, &error))
            return dbFailure(error);
        audit = {0,    {}, QStringLiteral("upstream.set"),
                 name, {}, beforeAfter(upstreamJson(before.value), upstreamJson(u))};
        return {};
    });
}

AdminResult AdminService::removeUpstream(const QString &name)
{
    return write([&](AuditRecord &audit) -> AdminResult {
        const AdminValue<UpstreamRecord> before = loadUpstream(name);
        if (!before.ok)
            return before;
        const AdminValue<QList<RouteRecord>> routes = listRoutes();
        if (!routes.ok)
            return routes;
        QStringList users;
        for (const RouteRecord &route : routes.value)
            for (const QString &target : route.targets)
                if (targetUpstream(target) == name && !users.contains(route.model))
                    users.append(route.model);
        if (!users.isEmpty())
            return conflict(QStringLiteral("upstream '%1' is used by the route(s) of %2; change "
                                           "or remove them first")
                                .arg(name, users.join(QStringLiteral(", "))));
        if (const AdminValue<QString> pinned = pinnedUpstream(); !pinned.ok)
            return pinned;
        else if (pinned.value == name)
            return conflict(
                QStringLiteral("upstream '%1' is pinned; run `failover unpin` first").arg(name));
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q, QStringLiteral("DELETE FROM upstreams WHERE name = ?"), {name}, &error))
            return dbFailure(error);
        audit = {0,    {}, QStringLiteral("upstream.remove"),
                 name, {}, beforeAfter(upstreamJson(before.value), QJsonValue())};
        return {};
    });
}

AdminValue<QList<UpstreamRecord>> AdminService::listUpstreams()
{
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(
            q, QStringLiteral("SELECT %1 FROM upstreams ORDER BY position").arg(kUpstreamColumns),
            {}, &error))
        return dbFailure(error);
    QList<UpstreamRecord> upstreams;
    while (q.next())
        upstreams.append(upstreamFromRow(q));
    q.finish();
    // The reserved slots as the relay computes them, after scaling: read from a snapshot of the
    // same tables the relay loads.
    const DirectorySnapshotPtr snapshot = ConfigLoader::load(m_db, &error);
    if (!snapshot)
        return dbFailure(error);
    const QHash<QString, QHash<QString, int>> reservations = snapshot->reservations();
    QStringList names;
    for (const UpstreamRecord &u : upstreams)
        names.append(u.name);
    const QHash<QString, QString> states = RelayState::upstreamStates(m_db, names, now());
    for (UpstreamRecord &u : upstreams) {
        for (const int slots : reservations.value(u.name))
            u.reserved += slots;
        u.state = states.value(u.name, u.state);
    }
    return upstreams;
}

AdminResult AdminService::pinUpstream(const QString &name)
{
    return write([&](AuditRecord &audit) -> AdminResult {
        const AdminValue<UpstreamRecord> upstream = loadUpstream(name);
        if (!upstream.ok)
            return upstream;
        if (!upstream.value.enabled)
            return invalid(
                QStringLiteral("upstream '%1' is disabled; enable it before pinning it").arg(name));
        const AdminValue<QString> before = pinnedUpstream();
        if (!before.ok)
            return before;
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q, QStringLiteral("UPDATE config_state SET pinned_upstream = ? WHERE id = 1"),
                      {name}, &error))
            return dbFailure(error);
        audit = {
            0,
            {},
            QStringLiteral("failover.pin"),
            name,
            {},
            beforeAfter(before.value.isEmpty() ? QJsonValue() : QJsonValue(before.value), name)};
        return {};
    });
}

AdminValue<QString> AdminService::unpinUpstream()
{
    AdminValue<QString> previous;
    const AdminResult result = write([&](AuditRecord &audit) -> AdminResult {
        previous = pinnedUpstream();
        if (!previous.ok)
            return previous;
        if (previous.value.isEmpty())
            return conflict(QStringLiteral("no upstream is pinned"));
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q,
                      QStringLiteral("UPDATE config_state SET pinned_upstream = NULL WHERE id = 1"),
                      {}, &error))
            return dbFailure(error);
        audit = {0,
                 {},
                 QStringLiteral("failover.unpin"),
                 previous.value,
                 {},
                 beforeAfter(previous.value, QJsonValue())};
        return {};
    });
    if (!result.ok)
        return result;
    return previous;
}

AdminValue<QString> AdminService::pinnedUpstream()
{
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q, QStringLiteral("SELECT pinned_upstream FROM config_state WHERE id = 1"), {},
                  &error))
        return dbFailure(error);
    return q.next() ? q.value(0).toString() : QString();
}

// ---- routes, aliases, prices ----

AdminValue<QJsonValue> AdminService::keyedJson(const KeyedTable &table, const QString &key)
{
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q,
                  QStringLiteral("SELECT %1 FROM %2 WHERE %3 = ?")
                      .arg(table.columns.join(QStringLiteral(", ")), table.table, table.keyColumn),
                  {key}, &error))
        return dbFailure(error);
    if (!q.next())
        return QJsonValue();
    QJsonObject row;
    for (int i = 0; i < table.columns.size(); ++i) {
        const QString &column = table.columns.at(i);
        row.insert(column, table.jsonColumns.contains(column)
                               ? QJsonDocument::fromJson(q.value(i).toString().toUtf8()).array()
                               : QJsonValue::fromVariant(q.value(i)));
    }
    return QJsonValue(row);
}

AdminResult AdminService::setKeyed(const KeyedTable &table, const QString &key,
                                   const QVariantList &values,
                                   const std::function<AdminResult()> &check)
{
    return write([&](AuditRecord &audit) -> AdminResult {
        if (check) {
            if (const AdminResult r = check(); !r.ok)
                return r;
        }
        const AdminValue<QJsonValue> before = keyedJson(table, key);
        if (!before.ok)
            return before;
        QStringList updates;
        for (const QString &column : table.columns)
            updates.append(QStringLiteral("%1 = excluded.%1").arg(column));
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q,
                      QStringLiteral("INSERT INTO %1 (%2, %3) VALUES (?%4) "
                                     "ON CONFLICT (%2) DO UPDATE SET %5")
                          .arg(table.table, table.keyColumn,
                               table.columns.join(QStringLiteral(", ")),
                               QStringLiteral(", ?").repeated(table.columns.size()),
                               updates.join(QStringLiteral(", "))),
                      QVariantList{key} + values, &error))
            return dbFailure(error);
        const AdminValue<QJsonValue> after = keyedJson(table, key);
        if (!after.ok)
            return after;
        audit = {0,   {}, table.noun + QStringLiteral(".set"),
                 key, {}, beforeAfter(before.value, after.value)};
        return {};
    });
}

AdminResult AdminService::removeKeyed(const KeyedTable &table, const QString &key)
{
    return write([&](AuditRecord &audit) -> AdminResult {
        const AdminValue<QJsonValue> before = keyedJson(table, key);
        if (!before.ok)
            return before;
        if (before.value.isNull())
            return notFound(table.missing.arg(key));
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(
                q, QStringLiteral("DELETE FROM %1 WHERE %2 = ?").arg(table.table, table.keyColumn),
                {key}, &error))
            return dbFailure(error);
        audit = {0,   {}, table.noun + QStringLiteral(".remove"),
                 key, {}, beforeAfter(before.value, QJsonValue())};
        return {};
    });
}

AdminValue<QList<QVariantList>> AdminService::listKeyed(const KeyedTable &table)
{
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q,
                  QStringLiteral("SELECT %1, %2 FROM %3 ORDER BY %1")
                      .arg(table.keyColumn, table.columns.join(QStringLiteral(", ")), table.table),
                  {}, &error))
        return dbFailure(error);
    QList<QVariantList> rows;
    while (q.next()) {
        QVariantList row;
        for (int i = 0; i <= table.columns.size(); ++i)
            row.append(q.value(i));
        rows.append(row);
    }
    return rows;
}

AdminResult AdminService::setRoute(const QString &model, const QStringList &targets)
{
    if (const AdminResult r = checkModel(model); !r.ok)
        return r;
    if (targets.isEmpty())
        return invalid(QStringLiteral("a route needs at least one target"));
    QStringList normalized;
    for (const QString &untrimmed : targets) {
        const QString target = untrimmed.trimmed();
        const qsizetype colon = target.indexOf(QLatin1Char(':'));
        const QString upstream = colon < 0 ? target : target.left(colon);
        const QString upstreamModel = colon < 0 ? model : target.mid(colon + 1);
        if (!isValidId(upstream) || !isValidModel(upstreamModel))
            return invalid(QStringLiteral("invalid route target '%1' (use UPSTREAM or "
                                          "UPSTREAM:MODEL)")
                               .arg(target));
        const QString full = upstream + QLatin1Char(':') + upstreamModel;
        if (normalized.contains(full))
            return invalid(QStringLiteral("route target '%1' is given twice").arg(full));
        normalized.append(full);
    }
    const auto upstreamsExist = [&]() -> AdminResult {
        for (const QString &target : normalized) {
            if (const AdminValue<UpstreamRecord> u = loadUpstream(targetUpstream(target)); !u.ok)
                return u;
        }
        return {};
    };
    return setKeyed(
        kRoutes, model,
        {QString::fromUtf8(
            QJsonDocument(QJsonArray::fromStringList(normalized)).toJson(QJsonDocument::Compact))},
        upstreamsExist);
}

AdminResult AdminService::removeRoute(const QString &model)
{
    return removeKeyed(kRoutes, model);
}

AdminValue<QList<RouteRecord>> AdminService::listRoutes()
{
    const AdminValue<QList<QVariantList>> rows = listKeyed(kRoutes);
    if (!rows.ok)
        return rows;
    QList<RouteRecord> routes;
    for (const QVariantList &row : rows.value) {
        RouteRecord r{row.at(0).toString(), {}};
        for (const auto &item : QJsonDocument::fromJson(row.at(1).toString().toUtf8()).array()) {
            // Rows written by hand may leave the model out; show what the relay will send.
            const QString target = item.toString();
            r.targets.append(
                target.contains(QLatin1Char(':')) ? target : target + QLatin1Char(':') + r.model);
        }
        routes.append(r);
    }
    return routes;
}

AdminResult AdminService::setAlias(const QString &alias, const QString &model)
{
    if (const AdminResult r = checkModel(alias, "alias"); !r.ok)
        return r;
    if (const AdminResult r = checkModel(model); !r.ok)
        return r;
    if (alias == model)
        return invalid(QStringLiteral("an alias cannot point to itself"));
    return setKeyed(kAliases, alias, {model});
}

AdminResult AdminService::removeAlias(const QString &alias)
{
    return removeKeyed(kAliases, alias);
}

AdminValue<QList<AliasRecord>> AdminService::listAliases()
{
    const AdminValue<QList<QVariantList>> rows = listKeyed(kAliases);
    if (!rows.ok)
        return rows;
    QList<AliasRecord> aliases;
    for (const QVariantList &row : rows.value)
        aliases.append({row.at(0).toString(), row.at(1).toString()});
    return aliases;
}

AdminResult AdminService::setPrice(const QString &model, double input, double output,
                                   std::optional<double> cacheRead,
                                   std::optional<double> cacheWrite)
{
    if (const AdminResult r = checkModel(model); !r.ok)
        return r;
    const auto valid = [](double usd) { return std::isfinite(usd) && usd >= 0; };
    if (!valid(input) || !valid(output) || !valid(cacheRead.value_or(0)) ||
        !valid(cacheWrite.value_or(0)))
        return invalid(QStringLiteral("prices are USD per million tokens, zero or more"));
    const auto orNull = [](std::optional<double> usd) {
        return usd ? QVariant(*usd) : QVariant(QMetaType(QMetaType::Double));
    };
    return setKeyed(kPrices, model, {input, output, orNull(cacheRead), orNull(cacheWrite)});
}

AdminResult AdminService::removePrice(const QString &model)
{
    return removeKeyed(kPrices, model);
}

AdminValue<QList<PriceRecord>> AdminService::listPrices()
{
    const AdminValue<QList<QVariantList>> rows = listKeyed(kPrices);
    if (!rows.ok)
        return rows;
    QList<PriceRecord> prices;
    for (const QVariantList &row : rows.value)
        prices.append({row.at(0).toString(), row.at(1).toDouble(), row.at(2).toDouble(),
                       row.at(3).isNull() ? std::nullopt : std::optional(row.at(3).toDouble()),
                       row.at(4).isNull() ? std::nullopt : std::optional(row.at(4).toDouble())});
    return prices;
}

// ---- settings and alerts ----

AdminResult AdminService::setSetting(const QString &key, const QString &value)
{
    QString stored = value.trimmed();
    if (key == kWebhookSetting) {
        if (stored == QLatin1String("none"))
            stored.clear();
        if (const AdminResult r = checkWebhookUrl(&stored); !r.ok)
            return r;
    } else if (key == kRetentionSetting) {
        bool ok = false;
        const int days = stored.toInt(&ok);
        if (!ok || days < 1 || days > kMaxRetentionDays)
            return invalid(QStringLiteral("%1 is a whole number of days, between 1 and %2")
                               .arg(key)
                               .arg(kMaxRetentionDays));
        stored = QString::number(days);
    } else {
        return invalid(QStringLiteral("unknown setting '%1' (known: %2, %3)")
                           .arg(key, kRetentionSetting, kWebhookSetting));
    }
    return write([&](AuditRecord &audit) -> AdminResult {
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q, QStringLiteral("SELECT value FROM settings WHERE key = ?"), {key}, &error))
            return dbFailure(error);
        const QJsonValue before = q.next() ? QJsonValue(q.value(0).toString()) : QJsonValue();
        q.finish();
        const bool ok =
            stored.isEmpty()
                ? sql::run(q, QStringLiteral("DELETE FROM settings WHERE key = ?"), {key}, &error)
                : sql::run(q,
                           QStringLiteral("INSERT INTO settings (key, value) VALUES (?, ?) "
                                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
                           {key, stored}, &error);
        if (!ok)
            return dbFailure(error);
        audit = {0,   {}, QStringLiteral("settings.set"),
                 key, {}, beforeAfter(before, stored.isEmpty() ? QJsonValue() : stored)};
        return {};
    });
}

AdminValue<QList<SettingRecord>> AdminService::listSettings()
{
    QList<SettingRecord> settings{
        {kRetentionSetting, QString(), QString::number(UsageWriter::kDefaultRetentionDays)},
        {kWebhookSetting, QString(), QString()}};
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q, QStringLiteral("SELECT key, value FROM settings"), {}, &error))
        return dbFailure(error);
    while (q.next())
        for (SettingRecord &setting : settings)
            if (setting.key == q.value(0).toString())
                setting.value = q.value(1).toString();
    return settings;
}

namespace {

const QString kAlertColumns = QStringLiteral("id, ts, tenant_id, kind, threshold, spent_usd, "
                                             "budget_usd, acknowledged, delivery");

AlertRecord alertFromRow(const QSqlQuery &q)
{
    AlertRecord a;
    a.id = q.value(0).toLongLong();
    a.timeMs = q.value(1).toLongLong();
    a.tenantId = q.value(2).toString();
    a.kind = q.value(3).toString();
    a.threshold = q.value(4).toInt();
    a.spentUsd = q.value(5).toDouble();
    a.budgetUsd = q.value(6).toDouble();
    a.acknowledged = q.value(7).toBool();
    a.delivery = q.value(8).toString();
    return a;
}

} // namespace

AdminValue<QList<AlertRecord>> AdminService::listAlerts(const QString &tenantId)
{
    const bool filtered = !tenantId.isEmpty();
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(
            q,
            QStringLiteral("SELECT %1 FROM alerts%2 ORDER BY id")
                .arg(kAlertColumns, filtered ? QStringLiteral(" WHERE tenant_id = ?") : QString()),
            filtered ? QVariantList{tenantId} : QVariantList{}, &error))
        return dbFailure(error);
    QList<AlertRecord> alerts;
    while (q.next())
        alerts.append(alertFromRow(q));
    if (filtered && alerts.isEmpty()) {
        if (const AdminValue<TenantRecord> t = loadTenant(tenantId); !t.ok)
            return t;
    }
    return alerts;
}

AdminResult AdminService::acknowledgeAlert(qint64 id)
{
    return write([&](AuditRecord &audit) -> AdminResult {
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q, QStringLiteral("SELECT %1 FROM alerts WHERE id = ?").arg(kAlertColumns),
                      {id}, &error))
            return dbFailure(error);
        if (!q.next())
            return notFound(QStringLiteral("no alert %1").arg(id));
        const AlertRecord alert = alertFromRow(q);
        q.finish();
        if (alert.acknowledged)
            return conflict(QStringLiteral("alert %1 is already acknowledged").arg(id));
        if (!sql::run(q,
                      QStringLiteral("UPDATE alerts SET acknowledged = 1, acknowledged_at = ? "
                                     "WHERE id = ?"),
                      {now(), id}, &error))
            return dbFailure(error);
        const QString acknowledged = QStringLiteral("acknowledged");
        audit = {0,
                 {},
                 QStringLiteral("alert.ack"),
                 QString::number(id),
                 alert.tenantId,
                 beforeAfter(QJsonObject{{acknowledged, false}},
                             QJsonObject{{acknowledged, true},
                                         {QStringLiteral("kind"), alert.kind},
                                         {QStringLiteral("threshold"), alert.threshold}})};
        return {};
    });
}

// ---- reports ----

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
