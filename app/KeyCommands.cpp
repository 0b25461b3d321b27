#include "CommandSpec.h"
#include "RecordOutput.h"

namespace relay::app {

namespace {

int printKey(CommandContext &ctx, const AdminValue<QString> &key)
{
    if (!key.ok)
        return ctx.fail(key);
    ctx.out().print(key.value);
    return kExitOk;
}

const QString kLabel = QStringLiteral("--label");
const QString kExpires = QStringLiteral("--expires");

// --label and --expires; the admin service checks them (a malformed or past expiry is bad
// usage).
KeyOptions keyOptions(const CommandContext &ctx)
{
    return {ctx.value(kLabel).value_or(QString()), ctx.value(kExpires).value_or(QString())};
}

QList<OptionSpec> newKeyOptions()
{
    return {{kLabel, QStringLiteral("TEXT"),
             QStringLiteral("names the key in key list and tenant show (shown, never secret)")},
            {kExpires, QStringLiteral("YYYY-MM-DD|Nd"),
             QStringLiteral("the key stops working at 00:00 UTC of that day, or N × 24 h from now "
                            "(30d); it is then refused with 401 invalid_api_key like a revoked "
                            "one. Default: never")}};
}

int issue(CommandContext &ctx)
{
    return printKey(ctx, ctx.admin().issueKey(ctx.positional(0), keyOptions(ctx)));
}

int rotate(CommandContext &ctx)
{
    return printKey(ctx, ctx.admin().rotateKey(ctx.positional(0), keyOptions(ctx)));
}

int revoke(CommandContext &ctx)
{
    return ctx.done(ctx.admin().revokeKey(ctx.positional(0)));
}

int list(CommandContext &ctx)
{
    return RecordOutput::printList(ctx, ctx.admin().listKeys(ctx.positional(0)));
}

} // namespace

QList<CommandSpec> keyCommands()
{
    const QString key = QStringLiteral("key");
    const QStringList id{QStringLiteral("ID")};
    return {
        {key,
         QStringLiteral("issue"),
         QStringLiteral("print an additional key for a tenant"),
         QStringLiteral("Issues an additional API key for tenant ID and prints it, alone on one "
                        "line. The key is shown only this once."),
         id,
         1,
         newKeyOptions(),
         {},
         issue},
        {key,
         QStringLiteral("rotate"),
         QStringLiteral("print a new key; the tenant's other keys stop working"),
         QStringLiteral("Issues a new API key for tenant ID, prints it, and revokes every other "
                        "key of the tenant."),
         id,
         1,
         newKeyOptions(),
         {},
         rotate},
        {key,
         QStringLiteral("revoke"),
         QStringLiteral("revoke one key"),
         QStringLiteral("Revokes the key whose first 12 characters are KEY_PREFIX "
                        "(as shown by key list)."),
         {QStringLiteral("KEY_PREFIX")},
         1,
         {},
         {},
         revoke},
        {key,
         QStringLiteral("list"),
         QStringLiteral("list keys, never the keys themselves"),
         QStringLiteral("Lists every key, or tenant ID's keys, by prefix; the keys themselves "
                        "are never stored.\nJSON fields: prefix tenant label created expires "
                        "last_used revoked (expires: ISO 8601 UTC, null = never; an expired key "
                        "keeps revoked false and is refused all the same)."),
         id,
         0,
         {jsonOption()},
         {},
         list},
    };
}

} // namespace relay::app
