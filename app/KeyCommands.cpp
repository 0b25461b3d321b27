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

int issue(CommandContext &ctx)
{
    return printKey(ctx, ctx.admin().issueKey(ctx.positional(0)));
}

int rotate(CommandContext &ctx)
{
    return printKey(ctx, ctx.admin().rotateKey(ctx.positional(0)));
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
         {},
         {},
         issue},
        {key,
         QStringLiteral("rotate"),
         QStringLiteral("print a new key; the tenant's other keys stop working"),
         QStringLiteral("Issues a new API key for tenant ID, prints it, and revokes every other "
                        "key of the tenant."),
         id,
         1,
         {},
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
                        "are never stored.\nJSON fields: prefix tenant created last_used revoked."),
         id,
         0,
         {jsonOption()},
         {},
         list},
    };
}

} // namespace relay::app
