// The facade of the admin service: construction, the checks shared by the CLI, the admin API and
// the console, and the audited write. Each concern's calls are in their own file: AdminTenants,
// AdminKeys, AdminUpstreams, AdminRouting, AdminSettings and AdminReports.

#include "AdminService.h"

#include "store/AdminRows.h"
#include "store/AuditLog.h"
#include "store/ConfigLoader.h"
#include "store/SqlExec.h"
#include "tenants/AddressAllowList.h"
#include "tenants/DirectorySnapshot.h"

#include <QRegularExpression>
#include <QUrl>

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace relay {

using namespace adminrows;

namespace {

constexpr int kMaxConnections = 10000;
constexpr int kMaxTimeoutMs = 86'400'000;
// Tenant limits: the rate limiter's buckets hold at most 10^12 tokens.
constexpr qint64 kMaxRate = 1'000'000'000'000;
constexpr qint64 kMaxConcurrency = 1'000'000;
constexpr int kMaxWeight = 1000;
constexpr qint64 kMaxQueueTimeoutMs = 3'600'000;
constexpr double kMaxBudgetUsd = 1e9;
constexpr int kMaxThreshold = 1000;

// A removable number in [min, max]; `what` names it in the message, `field` is its JSON name.
AdminResult checkRange(const std::optional<LimitValue> &value, qint64 min, qint64 max,
                       const QString &what, const char *field)
{
    if (value && value->has_value() && (**value < min || **value > max))
        return invalid(QStringLiteral("%1 must be between %2 and %3").arg(what).arg(min).arg(max),
                       QLatin1String(field));
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

} // namespace

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

AdminResult AdminService::normalizeTenant(TenantChanges &c)
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

AdminResult AdminService::normalizeUpstream(UpstreamChanges &c)
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

} // namespace relay
