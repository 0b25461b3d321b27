#include "AdminJson.h"

#include "tenants/AddressAllowList.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <limits>

namespace relay::AdminJson {

QJsonValue time(std::optional<qint64> ms)
{
    // In UTC spec (not a UTC time zone), so that ISO dates end in "Z" rather than "+00:00".
    return ms ? QJsonValue(QDateTime::fromMSecsSinceEpoch(*ms).toUTC().toString(Qt::ISODateWithMs))
              : QJsonValue();
}

QJsonValue number(std::optional<double> value)
{
    return value ? QJsonValue(*value) : QJsonValue();
}

double money(double usd)
{
    return std::round(usd * 1e9) / 1e9;
}

namespace {

QJsonValue optionalNumber(const std::optional<qint64> &value)
{
    return value ? QJsonValue(double(*value)) : QJsonValue();
}

QJsonValue textOrNull(const QString &text)
{
    return text.isEmpty() ? QJsonValue() : QJsonValue(text);
}

} // namespace

// ---- tenants and keys ----

QJsonObject toJson(const TenantRecord &t)
{
    return QJsonObject{
        {QStringLiteral("id"), t.id},
        {QStringLiteral("name"), t.name},
        {QStringLiteral("tier"), t.tier},
        {QStringLiteral("rpm"), optionalNumber(t.rpm)},
        {QStringLiteral("tpm"), optionalNumber(t.tpm)},
        {QStringLiteral("concurrency"), optionalNumber(t.concurrency)},
        {QStringLiteral("budget_usd"), number(t.budgetUsd)},
        {QStringLiteral("spent_usd"), money(t.spentUsd)},
        {QStringLiteral("enabled"), t.enabled},
        {QStringLiteral("models"),
         t.models ? QJsonValue(QJsonArray::fromStringList(*t.models)) : QJsonValue()},
    };
}

QJsonObject toJson(const TenantDetails &details)
{
    const TenantRecord &tenant = details.tenant;
    QJsonObject object = toJson(tenant);
    object.insert(QStringLiteral("reserved"), tenant.effectiveReserved());
    object.insert(QStringLiteral("weight"), tenant.weight);
    object.insert(QStringLiteral("queue_timeout_ms"), tenant.effectiveQueueTimeoutMs());
    object.insert(QStringLiteral("soft_budget"), tenant.softBudget);
    QJsonArray thresholds;
    for (const int t : tenant.effectiveAlertThresholds())
        thresholds.append(t);
    object.insert(QStringLiteral("alert_thresholds"), thresholds);
    object.insert(QStringLiteral("webhook_url"), textOrNull(tenant.webhookUrl));
    object.insert(QStringLiteral("allow_ips"),
                  tenant.allowIps ? QJsonValue(QJsonArray::fromStringList(*tenant.allowIps))
                                  : QJsonValue());
    object.insert(QStringLiteral("created"), time(tenant.createdMs));
    QJsonArray keys;
    for (const KeyRecord &key : details.keys) {
        QJsonObject k = toJson(key);
        k.remove(QStringLiteral("tenant"));
        keys.append(k);
    }
    object.insert(QStringLiteral("keys"), keys);
    return object;
}

QJsonObject toJson(const KeyRecord &k)
{
    return QJsonObject{
        {QStringLiteral("prefix"), k.prefix},
        {QStringLiteral("tenant"), k.tenantId},
        {QStringLiteral("label"), textOrNull(k.label)},
        {QStringLiteral("created"), time(k.createdMs)},
        {QStringLiteral("expires"), time(k.expiresMs)},
        {QStringLiteral("last_used"), time(k.lastUsedMs)},
        {QStringLiteral("revoked"), k.revoked},
    };
}

// ---- upstreams, routes, aliases, prices ----

QJsonObject toJson(const UpstreamRecord &u)
{
    return QJsonObject{
        {QStringLiteral("name"), u.name},
        {QStringLiteral("kind"), u.kind},
        {QStringLiteral("base_url"), u.baseUrl},
        {QStringLiteral("max_connections"), u.maxConnections},
        {QStringLiteral("reserved"), u.reserved},
        {QStringLiteral("enabled"), u.enabled},
        {QStringLiteral("state"), u.state},
        {QStringLiteral("timeout_ms"), u.timeoutMs},
        {QStringLiteral("slow_ms"), optionalNumber(u.slowMs)},
        {QStringLiteral("api_key_env"), textOrNull(u.apiKeyEnv)},
        {QStringLiteral("api_key_stored"), u.hasStoredKey},
    };
}

QJsonObject toJson(const RouteRecord &r)
{
    return QJsonObject{{QStringLiteral("model"), r.model},
                       {QStringLiteral("targets"), QJsonArray::fromStringList(r.targets)}};
}

QJsonObject toJson(const AliasRecord &a)
{
    return QJsonObject{{QStringLiteral("alias"), a.alias}, {QStringLiteral("model"), a.model}};
}

QJsonObject toJson(const PriceRecord &p)
{
    return QJsonObject{{QStringLiteral("model"), p.model},
                       {QStringLiteral("input"), p.input},
                       {QStringLiteral("output"), p.output},
                       {QStringLiteral("cache_read"), number(p.cacheRead)},
                       {QStringLiteral("cache_write"), number(p.cacheWrite)}};
}

// ---- usage and audit ----

QJsonObject toJson(const UsageReportRow &r)
{
    return QJsonObject{
        {QStringLiteral("tenant"), r.tenant},
        {QStringLiteral("requests"), r.requests},
        {QStringLiteral("rejected"), r.rejected},
        {QStringLiteral("prompt_tokens"), r.promptTokens},
        {QStringLiteral("completion_tokens"), r.completionTokens},
        {QStringLiteral("cost_usd"), money(r.costUsd)},
        {QStringLiteral("errors"), r.errors},
        {QStringLiteral("p50_ms"), optionalNumber(r.p50Ms)},
        {QStringLiteral("p95_ms"), optionalNumber(r.p95Ms)},
    };
}

QJsonObject toJson(const AuditRecord &r)
{
    return QJsonObject{
        {QStringLiteral("time"), time(r.timeMs)},
        {QStringLiteral("actor"), r.actor},
        {QStringLiteral("action"), r.action},
        {QStringLiteral("target"), r.target},
        {QStringLiteral("tenant"), textOrNull(r.tenantId)},
        {QStringLiteral("details"), r.details},
    };
}

QJsonObject toJson(const RequestLogRow &row)
{
    const UsageRecord &r = row.usage;
    return QJsonObject{
        {QStringLiteral("id"), row.id},
        {QStringLiteral("time"), time(r.tsMs)},
        {QStringLiteral("tenant"), r.tenantId},
        {QStringLiteral("key_prefix"), r.keyPrefix},
        {QStringLiteral("dialect"), row.dialect()},
        {QStringLiteral("endpoint"), QString::fromUtf8(r.endpoint)},
        {QStringLiteral("requested_model"), textOrNull(r.requestedModel)},
        {QStringLiteral("served_model"), textOrNull(r.servedModel)},
        {QStringLiteral("upstream"), textOrNull(r.upstream)},
        {QStringLiteral("status"), r.status},
        {QStringLiteral("prompt_tokens"), r.promptTokens},
        {QStringLiteral("completion_tokens"), r.completionTokens},
        {QStringLiteral("cost_usd"), money(r.costUsd)},
        {QStringLiteral("latency_ms"), r.latencyMs},
        {QStringLiteral("ttfb_ms"), r.ttfbMs < 0 ? QJsonValue() : QJsonValue(r.ttfbMs)},
        {QStringLiteral("streamed"), r.streamed},
        {QStringLiteral("estimated"), r.estimated},
        {QStringLiteral("error"), textOrNull(QString::fromUtf8(r.error))},
    };
}

// ---- settings, alerts, cost comparison ----

QJsonObject toJson(const SettingRecord &s)
{
    const QString value = s.effectiveValue();
    bool isNumber = false;
    const qint64 asNumber = value.toLongLong(&isNumber);
    return QJsonObject{{QStringLiteral("key"), s.key},
                       {QStringLiteral("value"), value.isNull() ? QJsonValue()
                                                 : isNumber     ? QJsonValue(asNumber)
                                                                : QJsonValue(value)}};
}

QJsonObject toJson(const AlertRecord &a)
{
    return QJsonObject{
        {QStringLiteral("id"), a.id},
        {QStringLiteral("time"), time(a.timeMs)},
        {QStringLiteral("tenant"), a.tenantId},
        {QStringLiteral("kind"), a.kind},
        {QStringLiteral("threshold"), a.threshold},
        {QStringLiteral("spent_usd"), money(a.spentUsd)},
        {QStringLiteral("budget_usd"), money(a.budgetUsd)},
        {QStringLiteral("acknowledged"), a.acknowledged},
        {QStringLiteral("delivery"), a.delivery},
    };
}

QJsonObject toJson(const CostReportRow &r)
{
    const auto optionalMoney = [](std::optional<double> usd) {
        return usd ? QJsonValue(money(*usd)) : QJsonValue();
    };
    return QJsonObject{
        {QStringLiteral("tenant"), r.tenant},
        {QStringLiteral("model"), r.model},
        {QStringLiteral("requests"), r.requests},
        {QStringLiteral("prompt_tokens"), r.promptTokens},
        {QStringLiteral("completion_tokens"), r.completionTokens},
        {QStringLiteral("cost_usd"), money(r.costUsd)},
        {QStringLiteral("alt_cost_usd"), optionalMoney(r.altCostUsd)},
        {QStringLiteral("delta_usd"), optionalMoney(r.deltaUsd())},
    };
}

// ---- bodies ----

namespace {

// Reads the fields of one body, each at most once, and names the first one that is wrong.
class BodyReader
{
public:
    BodyReader(const QJsonObject &body, QString *error, QString *field)
        : m_body(body), m_error(error), m_field(field)
    {
        m_error->clear();
        if (m_field)
            m_field->clear();
    }

    bool failed() const { return !m_error->isEmpty(); }

    // Fields a GET answers that a write ignores.
    void ignore(std::initializer_list<const char *> names)
    {
        for (const char *name : names)
            m_known.insert(QLatin1String(name));
    }

    // Each `read` below leaves `out` unset when the field is absent.
    void text(const char *name, std::optional<QString> *out, bool nullIsEmpty = false)
    {
        const QJsonValue v = take(name);
        if (v.isUndefined())
            return;
        if (v.isNull() && nullIsEmpty)
            *out = QString();
        else if (v.isString())
            *out = v.toString();
        else
            fail(name, "a string");
    }
    void boolean(const char *name, std::optional<bool> *out)
    {
        const QJsonValue v = take(name);
        if (v.isUndefined())
            return;
        if (v.isBool())
            *out = v.toBool();
        else
            fail(name, "true or false");
    }
    template <typename Int> void integer(const char *name, std::optional<Int> *out)
    {
        const QJsonValue v = take(name);
        if (v.isUndefined())
            return;
        // Out of Int's range: the nearest end, which the admin service's range check refuses.
        if (const std::optional<qint64> n = wholeNumber(name, v))
            *out = Int(std::clamp<qint64>(*n, std::numeric_limits<Int>::min(),
                                          std::numeric_limits<Int>::max()));
    }
    // null = none.
    void limit(const char *name, std::optional<LimitValue> *out)
    {
        const QJsonValue v = take(name);
        if (v.isUndefined())
            return;
        if (v.isNull())
            *out = LimitValue();
        else if (const std::optional<qint64> n = wholeNumber(name, v))
            *out = LimitValue(*n);
    }
    void budget(const char *name, std::optional<BudgetValue> *out)
    {
        const QJsonValue v = take(name);
        if (v.isUndefined())
            return;
        if (v.isNull())
            *out = BudgetValue();
        else if (v.isDouble())
            *out = BudgetValue(v.toDouble());
        else
            fail(name, "a number of USD or null");
    }
    void stringList(const char *name, std::optional<ModelAllowList> *out)
    {
        const QJsonValue v = take(name);
        if (v.isUndefined())
            return;
        if (v.isNull()) {
            *out = ModelAllowList();
            return;
        }
        QStringList list;
        for (const QJsonValue item : v.toArray()) {
            if (!item.isString())
                return fail(name, "an array of strings or null");
            list.append(item.toString());
        }
        if (!v.isArray())
            return fail(name, "an array of strings or null");
        *out = ModelAllowList(list);
    }
    // null = none; "default" = the default thresholds.
    void thresholds(const char *name, std::optional<AlertThresholds> *out)
    {
        const QJsonValue v = take(name);
        if (v.isUndefined())
            return;
        if (v.isNull()) {
            *out = AlertThresholds(QList<int>());
            return;
        }
        if (v.toString() == QLatin1String("default")) {
            *out = AlertThresholds();
            return;
        }
        if (!v.isArray())
            return fail(name, "an array of whole percents, null or \"default\"");
        QList<int> list;
        for (const QJsonValue item : v.toArray()) {
            const std::optional<qint64> n = wholeNumber(name, item);
            if (!n)
                return;
            list.append(int(std::clamp<qint64>(*n, -1, 1'000'000)));
        }
        *out = AlertThresholds(list);
    }

    // After the reads: an unknown field is an error.
    bool finish()
    {
        if (failed())
            return false;
        for (auto it = m_body.begin(); it != m_body.end(); ++it) {
            if (!m_known.contains(it.key())) {
                *m_error = QStringLiteral("unknown field '%1'").arg(it.key());
                if (m_field)
                    *m_field = it.key();
                return false;
            }
        }
        return true;
    }

private:
    QJsonValue take(const char *name)
    {
        const QString key = QLatin1String(name);
        m_known.insert(key);
        if (failed())
            return QJsonValue(QJsonValue::Undefined);
        return m_body.value(key);
    }
    std::optional<qint64> wholeNumber(const char *name, const QJsonValue &v)
    {
        const double d = v.toDouble(std::nan(""));
        // Exact in a double and in a qint64.
        if (!v.isDouble() || std::floor(d) != d || std::fabs(d) > 9.0e15) {
            fail(name, "a whole number");
            return std::nullopt;
        }
        return qint64(d);
    }
    void fail(const char *name, const char *what)
    {
        if (failed())
            return;
        *m_error = QStringLiteral("%1 must be %2").arg(QLatin1String(name), QLatin1String(what));
        if (m_field)
            *m_field = QLatin1String(name);
    }

    const QJsonObject &m_body;
    QString *m_error;
    QString *m_field;
    QSet<QString> m_known;
};

} // namespace

bool tenantChanges(const QJsonObject &body, TenantChanges *c, QString *error, QString *field)
{
    BodyReader r(body, error, field);
    r.ignore({"id", "spent_usd", "created", "keys"});
    r.text("name", &c->name, true);
    r.stringList("models", &c->models);
    r.boolean("enabled", &c->enabled);
    r.text("tier", &c->tier);
    r.limit("rpm", &c->rpm);
    r.limit("tpm", &c->tpm);
    r.limit("concurrency", &c->concurrency);
    r.limit("reserved", &c->reserved);
    r.integer("weight", &c->weight);
    r.limit("queue_timeout_ms", &c->queueTimeoutMs);
    r.budget("budget_usd", &c->budgetUsd);
    r.boolean("soft_budget", &c->softBudget);
    r.thresholds("alert_thresholds", &c->alertThresholds);
    r.text("webhook_url", &c->webhookUrl, true);
    r.stringList("allow_ips", &c->allowIps);
    if (!r.finish())
        return false;
    // Checked here as the CLI checks --allow-ips, so that the answer names the field.
    QString blockError;
    if (c->allowIps && c->allowIps->has_value() &&
        !AddressAllowList::parse(**c->allowIps, &blockError)) {
        *error = QStringLiteral("allow_ips: %1").arg(blockError);
        if (field)
            *field = QStringLiteral("allow_ips");
        return false;
    }
    return true;
}

bool keyOptions(const QJsonObject &body, KeyOptions *options, bool *rotate, QString *error,
                QString *field)
{
    BodyReader r(body, error, field);
    std::optional<QString> label, expires;
    std::optional<bool> rotateField;
    r.text("label", &label, true);
    r.text("expires", &expires, true);
    r.boolean("rotate", &rotateField);
    if (!r.finish())
        return false;
    options->label = label.value_or(QString());
    options->expires = expires.value_or(QString());
    *rotate = rotateField.value_or(false);
    return true;
}

bool upstreamChanges(const QJsonObject &body, UpstreamChanges *c, QString *error, QString *field)
{
    BodyReader r(body, error, field);
    r.ignore({"name", "reserved", "state", "api_key_stored"});
    r.text("base_url", &c->baseUrl);
    r.text("kind", &c->kind);
    // null leaves the key source as it is: a GET answers null when the key is stored.
    if (!body.value(QStringLiteral("api_key_env")).isNull())
        r.text("api_key_env", &c->apiKeyEnv);
    else
        r.ignore({"api_key_env"});
    r.text("api_key", &c->apiKey);
    r.integer("max_connections", &c->maxConnections);
    r.integer("timeout_ms", &c->timeoutMs);
    r.limit("slow_ms", &c->slowMs);
    r.boolean("enabled", &c->enabled);
    return r.finish();
}

} // namespace relay::AdminJson
