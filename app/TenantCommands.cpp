#include "CommandSpec.h"
#include "OutputFormat.h"
#include "RecordOutput.h"

#include "tenants/AddressAllowList.h"

namespace relay::app {

namespace {

const QString kTier = QStringLiteral("--tier");
const QString kRpm = QStringLiteral("--rpm");
const QString kTpm = QStringLiteral("--tpm");
const QString kConcurrency = QStringLiteral("--concurrency");
const QString kReserved = QStringLiteral("--reserved");
const QString kWeight = QStringLiteral("--weight");
const QString kQueueTimeout = QStringLiteral("--queue-timeout-ms");
const QString kBudget = QStringLiteral("--budget");
const QString kSoftBudget = QStringLiteral("--soft-budget");
const QString kHardBudget = QStringLiteral("--hard-budget");
const QString kAlerts = QStringLiteral("--alerts");
const QString kWebhook = QStringLiteral("--webhook");
const QString kAllowIps = QStringLiteral("--allow-ips");

QList<OptionSpec> settingOptions()
{
    return {
        {QStringLiteral("--name"), QStringLiteral("TEXT"), QStringLiteral("a display name")},
        {QStringLiteral("--models"), QStringLiteral("M1,M2|none"),
         QStringLiteral("the models the tenant may use (requested names or alias targets); "
                        "none = all models, the default")},
        {kTier, QStringLiteral("TIER"),
         QStringLiteral("dedicated, guaranteed or best-effort (the default): when an upstream's "
                        "slots are all busy, waiting requests are served dedicated first, then "
                        "guaranteed, then best-effort; dedicated and guaranteed tenants also "
                        "reserve slots (--reserved)")},
        {kRpm, QStringLiteral("N|none"),
         QStringLiteral("requests per minute: a bucket of N requests, refilled continuously at "
                        "N/60 per second; none = no limit, the default")},
        {kTpm, QStringLiteral("N|none"),
         QStringLiteral("tokens per minute: a bucket of N tokens; each request reserves its "
                        "estimate (prompt characters / 4, plus max_tokens or else 1024) and is "
                        "settled to its real usage after; none = no limit, the default")},
        {kConcurrency, QStringLiteral("N|none"),
         QStringLiteral("requests in flight at once; none = no limit, the default")},
        {kReserved, QStringLiteral("N|none"),
         QStringLiteral("slots the tenant reserves on every upstream that serves it (dedicated "
                        "and guaranteed only); scaled down where reservations would take an "
                        "upstream's last slot; none = the tier's default: 1 for dedicated and "
                        "guaranteed, 0 for best-effort")},
        {kWeight, QStringLiteral("N"),
         QStringLiteral("the tenant's share of the slots among the waiting tenants of its tier, "
                        "1-1000 (default 1)")},
        {kQueueTimeout, QStringLiteral("N|none"),
         QStringLiteral("the longest wait for an upstream slot, then 503 server_overloaded; "
                        "none = the tier's default: 5000 dedicated, 15000 guaranteed, 30000 "
                        "best-effort")},
        {kBudget, QStringLiteral("USD|none"),
         QStringLiteral("the tenant's budget per calendar month (UTC), in USD; a request is "
                        "admitted while this month's spend plus the estimated cost of its "
                        "requests in flight is below it, then refused with 429 "
                        "insufficient_quota (a hard budget); none = no budget, the default")},
        {kSoftBudget, QString(), QStringLiteral("over budget, keep serving and only alert")},
        {kHardBudget, QString(),
         QStringLiteral("over budget, refuse requests (the default; undoes --soft-budget)")},
        {kAlerts, QStringLiteral("P1,P2,...|none|default"),
         QStringLiteral("alert when this month's spend reaches these whole percents of the "
                        "budget (1-1000), each once a month; none = no threshold alerts; "
                        "default = 50,80,100")},
        {kWebhook, QStringLiteral("URL|none"),
         QStringLiteral("POST the tenant's alerts as JSON to this http(s) URL; none = use the "
                        "relay-wide webhook_url setting, if any (the default)")},
        {kAllowIps, QStringLiteral("CIDR,...|none"),
         QStringLiteral("accept the tenant's requests only from these IPv4 or IPv6 blocks "
                        "(10.0.0.0/8, 2001:db8::/32; a bare address is /32 or /128; "
                        "::ffff:a.b.c.d callers match as IPv4); the TCP peer address counts, "
                        "never X-Forwarded-For; others get 403 ip_not_allowed; none = every "
                        "address, the default")},
    };
}

QList<QStringList> budgetChoice()
{
    return {{kSoftBudget, kHardBudget}};
}

// The options given, or false after a usage error for a value that is not a number.
bool readChanges(CommandContext &ctx, TenantChanges *changes)
{
    changes->name = ctx.value(QStringLiteral("--name"));
    if (const std::optional<QString> models = ctx.value(QStringLiteral("--models"))) {
        if (models->trimmed() == QLatin1String("none"))
            changes->models = ModelAllowList();
        else
            changes->models = models->split(QLatin1Char(','), Qt::SkipEmptyParts);
    }
    changes->enabled = ctx.enabled();
    changes->tier = ctx.value(kTier);
    if (ctx.flag(kSoftBudget) || ctx.flag(kHardBudget))
        changes->softBudget = ctx.flag(kSoftBudget);
    changes->webhookUrl = ctx.textOrNone(kWebhook);
    if (const std::optional<QString> blocks = ctx.value(kAllowIps)) {
        QString error;
        const std::optional<AddressAllowList> parsed = AddressAllowList::parse(*blocks, &error);
        if (blocks->trimmed() == QLatin1String("none")) {
            changes->allowIps = AddressBlocks();
        } else if (!parsed || parsed->isEmpty()) {
            ctx.usageError(QStringLiteral("%1 needs CIDR blocks such as 10.0.0.0/8,::1 or none: %2")
                               .arg(kAllowIps, parsed ? QStringLiteral("no block given") : error));
            return false;
        } else {
            changes->allowIps = AddressBlocks(parsed->entries());
        }
    }
    return ctx.budgetValue(kBudget, &changes->budgetUsd) &&
           ctx.thresholdsValue(kAlerts, &changes->alertThresholds) &&
           ctx.limitValue(kRpm, &changes->rpm) && ctx.limitValue(kTpm, &changes->tpm) &&
           ctx.limitValue(kConcurrency, &changes->concurrency) &&
           ctx.limitValue(kReserved, &changes->reserved) &&
           ctx.intValue(kWeight, &changes->weight) &&
           ctx.limitValue(kQueueTimeout, &changes->queueTimeoutMs);
}

int add(CommandContext &ctx)
{
    TenantChanges changes;
    if (!readChanges(ctx, &changes))
        return kExitUsage;
    const AdminValue<QString> key = ctx.admin().addTenant(ctx.positional(0), changes);
    if (!key.ok)
        return ctx.fail(key);
    ctx.out().print(key.value);
    return kExitOk;
}

int set(CommandContext &ctx)
{
    TenantChanges changes;
    if (!readChanges(ctx, &changes))
        return kExitUsage;
    return ctx.done(ctx.admin().setTenant(ctx.positional(0), changes));
}

int list(CommandContext &ctx)
{
    return RecordOutput::printList(ctx, ctx.admin().listTenants());
}

int show(CommandContext &ctx)
{
    using namespace RecordOutput;
    const AdminValue<TenantDetails> details = ctx.admin().tenant(ctx.positional(0));
    if (!details.ok)
        return ctx.fail(details);
    const TenantRecord &tenant = details.value.tenant;
    if (ctx.json()) {
        ctx.out().printJson(toJson(details.value));
        return kExitOk;
    }
    // The list's columns, one per line, then the keys.
    QStringList fields = header(std::type_identity<TenantRecord>());
    QStringList values = toCells(tenant);
    // Values that fall back to the tier's default say so.
    const auto effective = [](qint64 value, bool isDefault) {
        return isDefault ? QStringLiteral("%1 (tier default)").arg(value) : QString::number(value);
    };
    QStringList thresholds;
    for (const int t : tenant.effectiveAlertThresholds())
        thresholds.append(QString::number(t) + QLatin1Char('%'));
    QString alerts =
        thresholds.isEmpty() ? QStringLiteral("none") : thresholds.join(QLatin1Char(','));
    if (!tenant.alertThresholds)
        alerts += QStringLiteral(" (default)");
    fields << QStringLiteral("RESERVED") << QStringLiteral("WEIGHT")
           << QStringLiteral("QUEUE_TIMEOUT_MS") << QStringLiteral("SOFT_BUDGET")
           << QStringLiteral("ALERT_THRESHOLDS") << QStringLiteral("WEBHOOK_URL")
           << QStringLiteral("ALLOW_IPS") << QStringLiteral("CREATED");
    values << effective(tenant.effectiveReserved(), !tenant.reserved)
           << QString::number(tenant.weight)
           << effective(tenant.effectiveQueueTimeoutMs(), !tenant.queueTimeoutMs)
           << OutputFormat::yesNo(tenant.softBudget) << alerts
           << (tenant.webhookUrl.isEmpty() ? QStringLiteral("-") : tenant.webhookUrl)
           << (tenant.allowIps ? tenant.allowIps->join(QLatin1Char(',')) : QStringLiteral("any"))
           << OutputFormat::textTime(tenant.createdMs);
    qsizetype width = 0;
    for (const QString &field : fields)
        width = std::max(width, field.size());
    QString text;
    for (qsizetype i = 0; i < fields.size(); ++i)
        text += QStringLiteral("%1  %2\n")
                    .arg(fields.at(i).toLower().leftJustified(width), values.value(i));
    text += QLatin1Char('\n') + toTable(details.value.keys).toString();
    ctx.out().print(text);
    return kExitOk;
}

int remove(CommandContext &ctx)
{
    return ctx.done(ctx.admin().removeTenant(ctx.positional(0)));
}

} // namespace

QList<CommandSpec> tenantCommands()
{
    const QString tenant = QStringLiteral("tenant");
    const QStringList id{QStringLiteral("ID")};
    const OptionSpec json = jsonOption();
    const QList<OptionSpec> setOptions =
        settingOptions() +
        enableOptions(QStringLiteral("let the tenant's keys work again"),
                      QStringLiteral("refuse the tenant's requests (401) until enabled"));
    return {
        {tenant, QStringLiteral("add"), QStringLiteral("create a tenant and print its first key"),
         QStringLiteral("Creates a tenant and prints its first API key, alone on one line. The "
                        "key is shown only this once; only its hash is stored.\nID: 1-64 of "
                        "A-Z a-z 0-9 . _ -. New tenants are best-effort, without limits or "
                        "budget (alerts at 50, 80 and 100 % once one is set), and may use all "
                        "models.\nA request over the tenant's rpm, tpm "
                        "or concurrency is refused with 429 rate_limit_exceeded and told when to "
                        "retry; it never reaches an upstream."),
         id, 1, settingOptions(), budgetChoice(), add},
        {tenant, QStringLiteral("set"), QStringLiteral("change a tenant"),
         QStringLiteral("Changes a tenant's settings. A running relay applies them within "
                        "2 seconds. A changed rpm or tpm keeps the bucket's current level "
                        "(capped at the new size); it is not refilled. none removes a limit, the "
                        "budget or the webhook, or returns --reserved and --queue-timeout-ms to "
                        "the tier's default."),
         id, 1, setOptions, QList<QStringList>{enableChoice()} + budgetChoice(), set},
        {tenant,
         QStringLiteral("list"),
         QStringLiteral("list the tenants"),
         QStringLiteral("Lists the tenants with their limits and this month's spend (UTC).\n"
                        "JSON fields: id name tier rpm tpm concurrency budget_usd spent_usd "
                        "enabled models (null = no limit / all models)."),
         {},
         0,
         {json},
         {},
         list},
        {tenant,
         QStringLiteral("show"),
         QStringLiteral("show one tenant and its keys"),
         QStringLiteral("Shows one tenant, as in the list, with its keys (prefixes only).\n"
                        "Also: reserved (slots reserved on each upstream that serves it, before "
                        "scaling; 0 for best-effort), weight, queue_timeout_ms (with the tier's "
                        "defaults filled in), soft_budget, alert_thresholds (whole percents; the "
                        "default filled in), webhook_url (null = the relay-wide one, if any), "
                        "allow_ips (an array of CIDR blocks; null = every address), defaults "
                        "(which of reserved, queue_timeout_ms and alert_thresholds follow their "
                        "default rather than a value set on the tenant)."),
         id,
         1,
         {json},
         {},
         show},
        {tenant,
         QStringLiteral("remove"),
         QStringLiteral("delete a tenant and its keys"),
         QStringLiteral("Deletes a tenant and its keys. Its usage history stays."),
         id,
         1,
         {},
         {},
         remove},
    };
}

} // namespace relay::app
