#include "AdminJson.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <functional>
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

std::optional<qint64> timeMs(const QJsonValue &value)
{
    const QDateTime when = QDateTime::fromString(value.toString(), Qt::ISODateWithMs);
    return when.isValid() ? std::optional<qint64>(when.toMSecsSinceEpoch()) : std::nullopt;
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

std::optional<qint64> fromTime(const QJsonValue &value)
{
    return timeMs(value);
}

// How one kind of value is written as JSON and read back; `in` is false for a value of another
// type. Each record below is one table of (field name, member, codec), read both ways.
struct Text
{
    static QJsonValue out(const QString &v) { return v; }
    static bool in(const QJsonValue &j, QString *v)
    {
        return j.isString() && (*v = j.toString(), true);
    }
};
struct TextOrNull // empty = null
{
    static QJsonValue out(const QString &v) { return textOrNull(v); }
    static bool in(const QJsonValue &j, QString *v)
    {
        *v = j.toString();
        return j.isString() || j.isNull();
    }
};
struct Bool
{
    static QJsonValue out(bool v) { return v; }
    static bool in(const QJsonValue &j, bool *v) { return j.isBool() && (*v = j.toBool(), true); }
};
struct Count
{
    template <typename Int> static QJsonValue out(Int v) { return QJsonValue(qint64(v)); }
    template <typename Int> static bool in(const QJsonValue &j, Int *v)
    {
        return j.isDouble() && (*v = Int(j.toInteger()), true);
    }
};
struct OptionalCount // null = none
{
    static QJsonValue out(const std::optional<qint64> &v) { return optionalNumber(v); }
    static bool in(const QJsonValue &j, std::optional<qint64> *v)
    {
        *v = j.isDouble() ? std::optional<qint64>(j.toInteger()) : std::nullopt;
        return j.isDouble() || j.isNull();
    }
};
struct Real
{
    static QJsonValue out(double v) { return v; }
    static bool in(const QJsonValue &j, double *v)
    {
        return j.isDouble() && (*v = j.toDouble(), true);
    }
};
struct OptionalReal // null = none
{
    static QJsonValue out(const std::optional<double> &v) { return number(v); }
    static bool in(const QJsonValue &j, std::optional<double> *v)
    {
        *v = j.isDouble() ? std::optional<double>(j.toDouble()) : std::nullopt;
        return j.isDouble() || j.isNull();
    }
};
struct Money
{
    static QJsonValue out(double v) { return money(v); }
    static bool in(const QJsonValue &j, double *v) { return Real::in(j, v); }
};
struct OptionalMoney
{
    static QJsonValue out(const std::optional<double> &v)
    {
        return v ? QJsonValue(money(*v)) : QJsonValue();
    }
    static bool in(const QJsonValue &j, std::optional<double> *v) { return OptionalReal::in(j, v); }
};
struct Time
{
    static QJsonValue out(qint64 ms) { return time(ms); }
    static bool in(const QJsonValue &j, qint64 *ms)
    {
        const std::optional<qint64> t = fromTime(j);
        return t && (*ms = *t, true);
    }
};
struct OptionalTime // null = never
{
    static QJsonValue out(const std::optional<qint64> &ms) { return time(ms); }
    static bool in(const QJsonValue &j, std::optional<qint64> *ms)
    {
        *ms = fromTime(j);
        return j.isNull() || ms->has_value();
    }
};
struct Strings
{
    static QJsonValue out(const QStringList &v) { return QJsonArray::fromStringList(v); }
    static bool in(const QJsonValue &j, QStringList *v)
    {
        v->clear();
        for (const QJsonValue item : j.toArray()) {
            if (!item.isString())
                return false;
            v->append(item.toString());
        }
        return j.isArray();
    }
};
struct Models // null = all models
{
    static QJsonValue out(const ModelAllowList &v) { return v ? Strings::out(*v) : QJsonValue(); }
    static bool in(const QJsonValue &j, ModelAllowList *v)
    {
        if (j.isNull()) {
            v->reset();
            return true;
        }
        QStringList list;
        if (!Strings::in(j, &list))
            return false;
        *v = list;
        return true;
    }
};
struct Object
{
    static QJsonValue out(const QJsonObject &v) { return v; }
    static bool in(const QJsonValue &j, QJsonObject *v)
    {
        return j.isObject() && (*v = j.toObject(), true);
    }
};

// One field of a record. `read` is empty for a field that is worked out from the others.
template <typename Record> struct Field
{
    const char *name;
    std::function<QJsonValue(const Record &)> write;
    std::function<bool(const QJsonValue &, Record &)> read;
};

template <typename Codec, typename Record, typename T>
Field<Record> field(const char *name, T Record::*member)
{
    return {name, [member](const Record &r) { return Codec::out(r.*member); },
            [member](const QJsonValue &j, Record &r) { return Codec::in(j, &(r.*member)); }};
}

template <typename Record>
QJsonObject write(const QList<Field<Record>> &fields, const Record &record)
{
    QJsonObject object;
    for (const Field<Record> &f : fields)
        object.insert(QLatin1String(f.name), f.write(record));
    return object;
}

template <typename Record>
bool read(const QList<Field<Record>> &fields, const QJsonObject &object, Record *record,
          QString *error)
{
    for (const Field<Record> &f : fields) {
        if (f.read && !f.read(object.value(QLatin1String(f.name)), *record)) {
            *error = QStringLiteral("the answer's '%1' is missing or not valid")
                         .arg(QLatin1String(f.name));
            return false;
        }
    }
    return true;
}

const QList<Field<TenantRecord>> &tenantFields()
{
    using R = TenantRecord;
    static const QList<Field<R>> fields{
        field<Text>("id", &R::id),
        field<Text>("name", &R::name),
        field<Text>("tier", &R::tier),
        field<OptionalCount>("rpm", &R::rpm),
        field<OptionalCount>("tpm", &R::tpm),
        field<OptionalCount>("concurrency", &R::concurrency),
        field<OptionalReal>("budget_usd", &R::budgetUsd),
        field<Money>("spent_usd", &R::spentUsd),
        field<Bool>("enabled", &R::enabled),
        field<Models>("models", &R::models),
    };
    return fields;
}

const QList<Field<KeyRecord>> &keyFields()
{
    using R = KeyRecord;
    static const QList<Field<R>> fields{
        field<Text>("prefix", &R::prefix),
        field<Text>("tenant", &R::tenantId),
        field<TextOrNull>("label", &R::label),
        field<Time>("created", &R::createdMs),
        field<OptionalTime>("expires", &R::expiresMs),
        field<OptionalTime>("last_used", &R::lastUsedMs),
        field<Bool>("revoked", &R::revoked),
    };
    return fields;
}

const QList<Field<UpstreamRecord>> &upstreamFields()
{
    using R = UpstreamRecord;
    static const QList<Field<R>> fields{
        field<Text>("name", &R::name),
        field<Text>("kind", &R::kind),
        field<Text>("base_url", &R::baseUrl),
        field<Count>("max_connections", &R::maxConnections),
        field<Count>("reserved", &R::reserved),
        field<Bool>("enabled", &R::enabled),
        field<Text>("state", &R::state),
        field<Count>("timeout_ms", &R::timeoutMs),
        field<OptionalCount>("slow_ms", &R::slowMs),
        field<TextOrNull>("api_key_env", &R::apiKeyEnv),
        field<Bool>("api_key_stored", &R::hasStoredKey),
    };
    return fields;
}

const QList<Field<RouteRecord>> &routeFields()
{
    static const QList<Field<RouteRecord>> fields{
        field<Text>("model", &RouteRecord::model),
        field<Strings>("targets", &RouteRecord::targets),
    };
    return fields;
}

const QList<Field<AliasRecord>> &aliasFields()
{
    static const QList<Field<AliasRecord>> fields{
        field<Text>("alias", &AliasRecord::alias),
        field<Text>("model", &AliasRecord::model),
    };
    return fields;
}

const QList<Field<PriceRecord>> &priceFields()
{
    using R = PriceRecord;
    static const QList<Field<R>> fields{
        field<Text>("model", &R::model),
        field<Real>("input", &R::input),
        field<Real>("output", &R::output),
        field<OptionalReal>("cache_read", &R::cacheRead),
        field<OptionalReal>("cache_write", &R::cacheWrite),
    };
    return fields;
}

const QList<Field<UsageReportRow>> &usageFields()
{
    using R = UsageReportRow;
    static const QList<Field<R>> fields{
        field<Text>("tenant", &R::tenant),
        field<Count>("requests", &R::requests),
        field<Count>("rejected", &R::rejected),
        field<Count>("prompt_tokens", &R::promptTokens),
        field<Count>("completion_tokens", &R::completionTokens),
        field<Money>("cost_usd", &R::costUsd),
        field<Count>("errors", &R::errors),
        field<OptionalCount>("p50_ms", &R::p50Ms),
        field<OptionalCount>("p95_ms", &R::p95Ms),
    };
    return fields;
}

const QList<Field<AuditRecord>> &auditFields()
{
    using R = AuditRecord;
    static const QList<Field<R>> fields{
        field<Time>("time", &R::timeMs),           field<Text>("actor", &R::actor),
        field<Text>("action", &R::action),         field<Text>("target", &R::target),
        field<TextOrNull>("tenant", &R::tenantId), field<Object>("details", &R::details),
    };
    return fields;
}

const QList<Field<SettingRecord>> &settingFields()
{
    using R = SettingRecord;
    // value: what applies, a number where it is one; default: true when that is the default
    // (the setting is not set).
    static const QList<Field<R>> fields{
        field<Text>("key", &R::key),
        {"value",
         [](const R &s) {
             const QString value = s.effectiveValue();
             bool isNumber = false;
             const qint64 asNumber = value.toLongLong(&isNumber);
             return value.isNull() ? QJsonValue()
                    : isNumber     ? QJsonValue(asNumber)
                                   : QJsonValue(value);
         },
         [](const QJsonValue &j, R &s) {
             s.value = j.isDouble() ? QString::number(j.toInteger()) : j.toString();
             if (j.isNull())
                 s.value = QString();
             return j.isDouble() || j.isString() || j.isNull();
         }},
        {"default", [](const R &s) { return QJsonValue(s.value.isNull()); },
         [](const QJsonValue &j, R &s) {
             if (j.toBool())
                 std::swap(s.value, s.defaultValue);
             return j.isBool();
         }},
    };
    return fields;
}

const QList<Field<AlertRecord>> &alertFields()
{
    using R = AlertRecord;
    static const QList<Field<R>> fields{
        field<Count>("id", &R::id),
        field<Time>("time", &R::timeMs),
        field<Text>("tenant", &R::tenantId),
        field<Text>("kind", &R::kind),
        field<Count>("threshold", &R::threshold),
        field<Money>("spent_usd", &R::spentUsd),
        field<Money>("budget_usd", &R::budgetUsd),
        field<Bool>("acknowledged", &R::acknowledged),
        field<Text>("delivery", &R::delivery),
    };
    return fields;
}

const QList<Field<CostReportRow>> &costFields()
{
    using R = CostReportRow;
    static const QList<Field<R>> fields{
        field<Text>("tenant", &R::tenant),
        field<Text>("model", &R::model),
        field<Count>("requests", &R::requests),
        field<Count>("prompt_tokens", &R::promptTokens),
        field<Count>("completion_tokens", &R::completionTokens),
        field<Money>("cost_usd", &R::costUsd),
        field<OptionalMoney>("alt_cost_usd", &R::altCostUsd),
        {"delta_usd", [](const R &r) { return OptionalMoney::out(r.deltaUsd()); }, {}},
    };
    return fields;
}

// The tenant settings that follow a default rather than a value set on the tenant: `tenant
// show` marks them, so its JSON names them for a client that prints the same.
const char *const kDefaults = "defaults";

} // namespace

// ---- tenants and keys ----

QJsonObject toJson(const TenantRecord &t)
{
    return write(tenantFields(), t);
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
    QStringList defaults;
    if (!tenant.reserved)
        defaults << QStringLiteral("reserved");
    if (!tenant.queueTimeoutMs)
        defaults << QStringLiteral("queue_timeout_ms");
    if (!tenant.alertThresholds)
        defaults << QStringLiteral("alert_thresholds");
    object.insert(QLatin1String(kDefaults), QJsonArray::fromStringList(defaults));
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
    return write(keyFields(), k);
}

// ---- upstreams, routes, aliases, prices ----

QJsonObject toJson(const UpstreamRecord &u)
{
    return write(upstreamFields(), u);
}

QJsonObject toJson(const RouteRecord &r)
{
    return write(routeFields(), r);
}

QJsonObject toJson(const AliasRecord &a)
{
    return write(aliasFields(), a);
}

QJsonObject toJson(const PriceRecord &p)
{
    return write(priceFields(), p);
}

// ---- usage and audit ----

QJsonObject toJson(const UsageReportRow &r)
{
    return write(usageFields(), r);
}

QJsonObject toJson(const AuditRecord &r)
{
    return write(auditFields(), r);
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
        {QStringLiteral("outcome"), row.outcome},
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
    return write(settingFields(), s);
}

QJsonObject toJson(const AlertRecord &a)
{
    return write(alertFields(), a);
}

QJsonObject toJson(const CostReportRow &r)
{
    return write(costFields(), r);
}

// ---- the other way ----

bool fromJson(const QJsonObject &object, TenantRecord *record, QString *error)
{
    return read(tenantFields(), object, record, error);
}

bool fromJson(const QJsonObject &object, TenantDetails *details, QString *error)
{
    TenantRecord &t = details->tenant;
    if (!fromJson(object, &t, error))
        return false;
    const QStringList defaults = object.value(QLatin1String(kDefaults)).toVariant().toStringList();
    const auto isSet = [&defaults](const char *name) {
        return !defaults.contains(QLatin1String(name));
    };
    const QJsonValue thresholds = object.value(QStringLiteral("alert_thresholds"));
    qint64 reserved = 0;
    qint64 queueTimeout = 0;
    if (!Count::in(object.value(QStringLiteral("reserved")), &reserved) ||
        !Count::in(object.value(QStringLiteral("weight")), &t.weight) ||
        !Count::in(object.value(QStringLiteral("queue_timeout_ms")), &queueTimeout) ||
        !Bool::in(object.value(QStringLiteral("soft_budget")), &t.softBudget) ||
        !TextOrNull::in(object.value(QStringLiteral("webhook_url")), &t.webhookUrl) ||
        !Models::in(object.value(QStringLiteral("allow_ips")), &t.allowIps) ||
        !Time::in(object.value(QStringLiteral("created")), &t.createdMs) || !thresholds.isArray() ||
        !object.value(QLatin1String(kDefaults)).isArray()) {
        *error = QStringLiteral("the answer is not a tenant as `tenant show` shows it");
        return false;
    }
    t.reserved = isSet("reserved") ? std::optional<qint64>(reserved) : std::nullopt;
    t.queueTimeoutMs =
        isSet("queue_timeout_ms") ? std::optional<qint64>(queueTimeout) : std::nullopt;
    if (isSet("alert_thresholds")) {
        QList<int> percents;
        for (const QJsonValue p : thresholds.toArray())
            percents.append(p.toInt());
        t.alertThresholds = percents;
    }
    details->keys.clear();
    for (const QJsonValue key : object.value(QStringLiteral("keys")).toArray()) {
        QJsonObject k = key.toObject();
        k.insert(QStringLiteral("tenant"), t.id);
        KeyRecord record;
        if (!fromJson(k, &record, error))
            return false;
        details->keys.append(record);
    }
    return true;
}

bool fromJson(const QJsonObject &object, KeyRecord *record, QString *error)
{
    return read(keyFields(), object, record, error);
}

bool fromJson(const QJsonObject &object, UpstreamRecord *record, QString *error)
{
    return read(upstreamFields(), object, record, error);
}

bool fromJson(const QJsonObject &object, RouteRecord *record, QString *error)
{
    return read(routeFields(), object, record, error);
}

bool fromJson(const QJsonObject &object, AliasRecord *record, QString *error)
{
    return read(aliasFields(), object, record, error);
}

bool fromJson(const QJsonObject &object, PriceRecord *record, QString *error)
{
    return read(priceFields(), object, record, error);
}

bool fromJson(const QJsonObject &object, UsageReportRow *record, QString *error)
{
    return read(usageFields(), object, record, error);
}

bool fromJson(const QJsonObject &object, AuditRecord *record, QString *error)
{
    return read(auditFields(), object, record, error);
}

bool fromJson(const QJsonObject &object, SettingRecord *record, QString *error)
{
    return read(settingFields(), object, record, error);
}

bool fromJson(const QJsonObject &object, AlertRecord *record, QString *error)
{
    return read(alertFields(), object, record, error);
}

bool fromJson(const QJsonObject &object, CostReportRow *record, QString *error)
{
    return read(costFields(), object, record, error);
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
    void plainText(const char *name, std::optional<QString> *out) { text(name, out); }
    // null = empty (none).
    void textOrEmpty(const char *name, std::optional<QString> *out) { text(name, out, true); }
    // null = unset, as if absent.
    void textUnlessNull(const char *name, std::optional<QString> *out)
    {
        if (m_body.value(QLatin1String(name)).isNull())
            ignore({name});
        else
            text(name, out);
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

namespace {

// One field of a change body (TenantChanges, UpstreamChanges): read by BodyReader, written for
// a client of the API the way the reader takes it back (undefined = unset).
template <typename Changes> struct ChangeField
{
    const char *name;
    std::function<void(BodyReader &, Changes &)> read;
    std::function<QJsonValue(const Changes &)> write;
};

template <typename Changes, typename T, typename Write>
ChangeField<Changes> change(const char *name, std::optional<T> Changes::*member,
                            void (BodyReader::*read)(const char *, std::optional<T> *), Write write)
{
    return {name, [=](BodyReader &r, Changes &c) { (r.*read)(name, &(c.*member)); },
            [=](const Changes &c) {
                return (c.*member) ? QJsonValue(write(*(c.*member)))
                                   : QJsonValue(QJsonValue::Undefined);
            }};
}

// How each kind of change is sent: what BodyReader's reader of the same kind takes back.
QJsonValue sendText(const QString &v)
{
    return v;
}
QJsonValue sendTextOrNull(const QString &v)
{
    return textOrNull(v);
}
QJsonValue sendBool(bool v)
{
    return v;
}
QJsonValue sendInt(int v)
{
    return v;
}
QJsonValue sendLimit(const LimitValue &v)
{
    return optionalNumber(v);
}
QJsonValue sendBudget(const BudgetValue &v)
{
    return number(v);
}
QJsonValue sendModels(const ModelAllowList &v)
{
    return Models::out(v);
}
QJsonValue sendThresholds(const AlertThresholds &v)
{
    if (!v)
        return QStringLiteral("default");
    QJsonArray percents;
    for (const int p : *v)
        percents.append(p);
    return percents;
}

const QList<ChangeField<TenantChanges>> &tenantChangeFields()
{
    using C = TenantChanges;
    using R = BodyReader;
    static const QList<ChangeField<C>> fields{
        change("name", &C::name, &R::textOrEmpty, sendTextOrNull),
        change("models", &C::models, &R::stringList, sendModels),
        change("enabled", &C::enabled, &R::boolean, sendBool),
        change("tier", &C::tier, &R::plainText, sendText),
        change("rpm", &C::rpm, &R::limit, sendLimit),
        change("tpm", &C::tpm, &R::limit, sendLimit),
        change("concurrency", &C::concurrency, &R::limit, sendLimit),
        change("reserved", &C::reserved, &R::limit, sendLimit),
        change("weight", &C::weight, &R::integer<int>, sendInt),
        change("queue_timeout_ms", &C::queueTimeoutMs, &R::limit, sendLimit),
        change("budget_usd", &C::budgetUsd, &R::budget, sendBudget),
        change("soft_budget", &C::softBudget, &R::boolean, sendBool),
        change("alert_thresholds", &C::alertThresholds, &R::thresholds, sendThresholds),
        change("webhook_url", &C::webhookUrl, &R::textOrEmpty, sendTextOrNull),
        change("allow_ips", &C::allowIps, &R::stringList, sendModels),
    };
    return fields;
}

const QList<ChangeField<UpstreamChanges>> &upstreamChangeFields()
{
    using C = UpstreamChanges;
    using R = BodyReader;
    static const QList<ChangeField<C>> fields{
        change("base_url", &C::baseUrl, &R::plainText, sendText),
        change("kind", &C::kind, &R::plainText, sendText),
        // null leaves the key source as it is: a GET answers null when the key is stored.
        change("api_key_env", &C::apiKeyEnv, &R::textUnlessNull, sendText),
        change("api_key", &C::apiKey, &R::plainText, sendText),
        change("max_connections", &C::maxConnections, &R::integer<int>, sendInt),
        change("timeout_ms", &C::timeoutMs, &R::integer<int>, sendInt),
        change("slow_ms", &C::slowMs, &R::limit, sendLimit),
        change("enabled", &C::enabled, &R::boolean, sendBool),
    };
    return fields;
}

template <typename Changes>
bool readChanges(const QList<ChangeField<Changes>> &fields, BodyReader &reader, Changes *changes)
{
    for (const ChangeField<Changes> &f : fields)
        f.read(reader, *changes);
    return reader.finish();
}

template <typename Changes>
QJsonObject writeChanges(const QList<ChangeField<Changes>> &fields, const Changes &changes)
{
    QJsonObject body;
    for (const ChangeField<Changes> &f : fields) {
        const QJsonValue value = f.write(changes);
        if (!value.isUndefined())
            body.insert(QLatin1String(f.name), value);
    }
    return body;
}

} // namespace

bool tenantChanges(const QJsonObject &body, TenantChanges *c, QString *error, QString *field)
{
    BodyReader r(body, error, field);
    r.ignore({"id", "spent_usd", "created", "keys", kDefaults});
    // The blocks themselves are the admin service's to check (it names allow_ips).
    return readChanges(tenantChangeFields(), r, c);
}

bool keyOptions(const QJsonObject &body, KeyOptions *options, bool *rotate, QString *error,
                QString *field)
{
    BodyReader r(body, error, field);
    std::optional<QString> label, expires;
    std::optional<bool> rotateField;
    r.textOrEmpty("label", &label);
    r.textOrEmpty("expires", &expires);
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
    return readChanges(upstreamChangeFields(), r, c);
}

QJsonObject toJson(const TenantChanges &changes)
{
    return writeChanges(tenantChangeFields(), changes);
}

QJsonObject toJson(const UpstreamChanges &changes)
{
    return writeChanges(upstreamChangeFields(), changes);
}

} // namespace relay::AdminJson
