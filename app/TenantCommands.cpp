#include "CommandSpec.h"
#include "OutputFormat.h"
#include "RecordOutput.h"

namespace relay::app {

namespace {

QList<OptionSpec> settingOptions()
{
    return {
        {QStringLiteral("--name"), QStringLiteral("TEXT"), QStringLiteral("a display name")},
        {QStringLiteral("--models"), QStringLiteral("M1,M2|none"),
         QStringLiteral("the models the tenant may use (requested names or alias targets); "
                        "none = all models, the default")},
    };
}

TenantChanges readChanges(const CommandContext &ctx)
{
    TenantChanges changes;
    changes.name = ctx.value(QStringLiteral("--name"));
    if (const std::optional<QString> models = ctx.value(QStringLiteral("--models"))) {
        if (models->trimmed() == QLatin1String("none"))
            changes.models = ModelAllowList();
        else
            changes.models = models->split(QLatin1Char(','), Qt::SkipEmptyParts);
    }
    changes.enabled = ctx.enabled();
    return changes;
}

int add(CommandContext &ctx)
{
    const AdminValue<QString> key = ctx.admin().addTenant(ctx.positional(0), readChanges(ctx));
    if (!key.ok)
        return ctx.fail(key);
    ctx.out().print(key.value);
    return kExitOk;
}

int set(CommandContext &ctx)
{
    return ctx.done(ctx.admin().setTenant(ctx.positional(0), readChanges(ctx)));
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
        QJsonObject object = toJson(tenant);
        object.insert(QStringLiteral("created"), OutputFormat::jsonTime(tenant.createdMs));
        QJsonArray keys;
        for (const KeyRecord &key : details.value.keys) {
            QJsonObject k = toJson(key);
            k.remove(QStringLiteral("tenant"));
            keys.append(k);
        }
        object.insert(QStringLiteral("keys"), keys);
        ctx.out().printJson(object);
        return kExitOk;
    }
    // The list's columns, one per line, then the keys.
    QStringList fields = header(std::type_identity<TenantRecord>());
    QStringList values = toCells(tenant);
    fields << QStringLiteral("CREATED");
    values << OutputFormat::textTime(tenant.createdMs);
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
        {tenant,
         QStringLiteral("add"),
         QStringLiteral("create a tenant and print its first key"),
         QStringLiteral("Creates a tenant and prints its first API key, alone on one line. The "
                        "key is shown only this once; only its hash is stored.\nID: 1-64 of "
                        "A-Z a-z 0-9 . _ -. New tenants are best-effort, without limits or "
                        "budget, and may use all models."),
         id,
         1,
         settingOptions(),
         {},
         add},
        {tenant,
         QStringLiteral("set"),
         QStringLiteral("change a tenant"),
         QStringLiteral("Changes a tenant's settings. A running relay applies them within "
                        "2 seconds."),
         id,
         1,
         setOptions,
         {enableChoice()},
         set},
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
         QStringLiteral("Shows one tenant, as in the list, with its keys (prefixes only)."),
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
