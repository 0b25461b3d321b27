#include "RecordOutput.h"

#include "core/Format.h"
#include "tenants/DirectorySnapshot.h"

#include "OutputFormat.h"

namespace relay::app::RecordOutput {

using namespace OutputFormat;

namespace {

QStringList capitals(const QStringList &fields)
{
    QStringList out;
    for (const QString &field : fields)
        out.append(field.toUpper());
    return out;
}

QString count(qint64 value)
{
    return Format::count(value);
}

} // namespace

QString modelsText(const ModelAllowList &models)
{
    return models ? models->join(QLatin1Char(',')) : QStringLiteral("all");
}

// ---- tenants and keys ----

QStringList header(std::type_identity<TenantRecord>)
{
    return capitals({QStringLiteral("id"), QStringLiteral("name"), QStringLiteral("tier"),
                     QStringLiteral("rpm"), QStringLiteral("tpm"), QStringLiteral("concurrency"),
                     QStringLiteral("budget_usd"), QStringLiteral("spent_usd"),
                     QStringLiteral("enabled"), QStringLiteral("models")});
}

QStringList toCells(const TenantRecord &t)
{
    return {t.id,
            t.name.isEmpty() ? QStringLiteral("-") : t.name,
            t.tier,
            textCount(t.rpm),
            textCount(t.tpm),
            textCount(t.concurrency),
            textMoney(t.budgetUsd),
            textMoney(t.spentUsd),
            yesNo(t.enabled),
            modelsText(t.models)};
}

QStringList header(std::type_identity<KeyRecord>)
{
    return capitals({QStringLiteral("prefix"), QStringLiteral("tenant"), QStringLiteral("label"),
                     QStringLiteral("created"), QStringLiteral("expires"),
                     QStringLiteral("last_used"), QStringLiteral("revoked")});
}

QStringList toCells(const KeyRecord &k)
{
    return {k.prefix,
            k.tenantId,
            k.label.isEmpty() ? QStringLiteral("-") : k.label,
            textTime(k.createdMs),
            textTime(k.expiresMs),
            textTime(k.lastUsedMs),
            yesNo(k.revoked)};
}

// ---- upstreams, routes, aliases, prices ----

QStringList header(std::type_identity<UpstreamRecord>)
{
    return capitals({QStringLiteral("name"), QStringLiteral("kind"), QStringLiteral("base_url"),
                     QStringLiteral("max_connections"), QStringLiteral("reserved"),
                     QStringLiteral("enabled"), QStringLiteral("state"),
                     QStringLiteral("timeout_ms"), QStringLiteral("key")});
}

QStringList toCells(const UpstreamRecord &u)
{
    // Where the key comes from, never the key.
    const QString key = !u.apiKeyEnv.isEmpty() ? QStringLiteral("env:") + u.apiKeyEnv
                        : u.hasStoredKey       ? QStringLiteral("stored")
                                               : QStringLiteral("-");
    return {u.name,
            u.kind,
            u.baseUrl,
            count(u.maxConnections),
            count(u.reserved),
            yesNo(u.enabled),
            u.state,
            textMillis(u.timeoutMs),
            key};
}

QStringList header(std::type_identity<RouteRecord>)
{
    return capitals({QStringLiteral("model"), QStringLiteral("targets")});
}

QStringList toCells(const RouteRecord &r)
{
    return {r.model, r.targets.join(QLatin1Char(','))};
}

QStringList header(std::type_identity<AliasRecord>)
{
    return capitals({QStringLiteral("alias"), QStringLiteral("model")});
}

QStringList toCells(const AliasRecord &a)
{
    return {a.alias, a.model};
}

QStringList header(std::type_identity<PriceRecord>)
{
    return capitals({QStringLiteral("model"), QStringLiteral("input"), QStringLiteral("output"),
                     QStringLiteral("cache read"), QStringLiteral("cache write")});
}

QStringList toCells(const PriceRecord &p)
{
    // Unset cache prices show what they bill: a share of the input price.
    const PriceConfig price{p.model, p.input, p.output, p.cacheRead, p.cacheWrite};
    return {p.model, Format::money(p.input), Format::money(p.output),
            Format::money(price.cacheRead()) +
                (p.cacheRead ? QString() : QStringLiteral(" (0.1x input)")),
            Format::money(price.cacheWrite()) +
                (p.cacheWrite ? QString() : QStringLiteral(" (1.25x input)"))};
}

// ---- usage and audit ----

QStringList header(std::type_identity<UsageReportRow>)
{
    return capitals({QStringLiteral("tenant"), QStringLiteral("requests"),
                     QStringLiteral("rejected"), QStringLiteral("prompt_tokens"),
                     QStringLiteral("completion_tokens"), QStringLiteral("cost_usd"),
                     QStringLiteral("errors"), QStringLiteral("p50_ms"), QStringLiteral("p95_ms")});
}

QStringList toCells(const UsageReportRow &r)
{
    return {r.tenant,
            count(r.requests),
            count(r.rejected),
            count(r.promptTokens),
            count(r.completionTokens),
            textMoney(r.costUsd),
            count(r.errors),
            textMillis(r.p50Ms),
            textMillis(r.p95Ms)};
}

QStringList header(std::type_identity<AuditRecord>)
{
    return capitals({QStringLiteral("time"), QStringLiteral("actor"), QStringLiteral("action"),
                     QStringLiteral("target"), QStringLiteral("details")});
}

QStringList toCells(const AuditRecord &r)
{
    // What changed, read as the console's audit view reads it; --json keeps the raw details.
    const QString change = Format::changeSummary(QJsonValue(r.details));
    return {textTime(r.timeMs), r.actor, r.action, r.target,
            change.isEmpty() ? QStringLiteral("-") : change};
}

// ---- settings, alerts, cost comparison ----

QStringList header(std::type_identity<SettingRecord>)
{
    return capitals({QStringLiteral("key"), QStringLiteral("value")});
}

QStringList toCells(const SettingRecord &s)
{
    if (s.value.isNull())
        return {s.key, s.defaultValue.isNull() ? QStringLiteral("-")
                                               : s.defaultValue + QStringLiteral(" (default)")};
    return {s.key, s.value};
}

QStringList header(std::type_identity<AlertRecord>)
{
    return capitals({QStringLiteral("id"), QStringLiteral("time"), QStringLiteral("tenant"),
                     QStringLiteral("kind"), QStringLiteral("threshold"),
                     QStringLiteral("spent_usd"), QStringLiteral("budget_usd"),
                     QStringLiteral("acknowledged"), QStringLiteral("delivery")});
}

QStringList toCells(const AlertRecord &a)
{
    return {QString::number(a.id),
            textTime(a.timeMs),
            a.tenantId,
            a.kind,
            QString::number(a.threshold) + QLatin1Char('%'),
            textMoney(a.spentUsd),
            textMoney(a.budgetUsd),
            yesNo(a.acknowledged),
            a.delivery};
}

namespace {

// "+$0.0120", "-$0.5000", "$0.00" (no sign for what rounds to zero), "-" when absent.
QString signedMoney(std::optional<double> usd)
{
    return usd ? Format::signedMoney(*usd) : QStringLiteral("-");
}

} // namespace

QStringList header(std::type_identity<CostReportRow>)
{
    return capitals({QStringLiteral("tenant"), QStringLiteral("model"), QStringLiteral("requests"),
                     QStringLiteral("prompt_tokens"), QStringLiteral("completion_tokens"),
                     QStringLiteral("cost_usd"), QStringLiteral("alt_cost_usd"),
                     QStringLiteral("delta_usd")});
}

QStringList toCells(const CostReportRow &r)
{
    return {r.tenant.isEmpty() ? QStringLiteral("-") : r.tenant,
            r.model.isEmpty() ? QStringLiteral("-") : r.model,
            count(r.requests),
            count(r.promptTokens),
            count(r.completionTokens),
            textMoney(r.costUsd),
            r.altCostUsd ? textMoney(r.altCostUsd) : QStringLiteral("unpriced"),
            signedMoney(r.deltaUsd())};
}

} // namespace relay::app::RecordOutput
