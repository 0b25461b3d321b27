#include "CommandContext.h"
#include "CommandSpec.h"

namespace relay::app {

namespace {

int pin(CommandContext &ctx)
{
    return ctx.done(ctx.admin().pinUpstream(ctx.positional(0)));
}

int unpin(CommandContext &ctx)
{
    return ctx.done(ctx.admin().unpinUpstream());
}

} // namespace

QList<CommandSpec> failoverCommands()
{
    const QString failover = QStringLiteral("failover");
    return {
        {failover,
         QStringLiteral("pin"),
         QStringLiteral("send all traffic an upstream can serve to it"),
         QStringLiteral("Manual switch: puts UPSTREAM first in every route that names it and "
                        "lets it serve the models that have no route; the rest of each route "
                        "still backs it up. A running relay follows within 2 s; the pin "
                        "survives restarts until 'failover unpin'. Recorded in the audit log."),
         {QStringLiteral("UPSTREAM")},
         1,
         {},
         {},
         pin},
        {failover,
         QStringLiteral("unpin"),
         QStringLiteral("roll back to the configured routes"),
         QStringLiteral("Undoes 'failover pin': requests follow their routes again. Recorded in "
                        "the audit log."),
         {},
         0,
         {},
         {},
         unpin},
    };
}

} // namespace relay::app
