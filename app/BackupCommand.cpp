#include "CommandContext.h"
#include "CommandSpec.h"

namespace relay::app {

namespace {

int backup(CommandContext &ctx)
{
    return ctx.done(ctx.admin().backup(ctx.positional(0)));
}

} // namespace

QList<CommandSpec> backupCommands()
{
    return {
        {QStringLiteral("backup"),
         QString(),
         QStringLiteral("an online, consistent copy of the database"),
         QStringLiteral("Copies the database into FILE with SQLite's backup API: one consistent "
                        "moment, taken while the relay and the console keep working (nothing "
                        "waits for the copy, and no usage is lost). FILE is written beside its "
                        "final name and renamed into place when complete, with mode 0600; an "
                        "existing FILE is replaced. Open the copy with --db FILE, or restore it "
                        "by stopping the relay and copying it over the database."),
         {QStringLiteral("FILE")},
         1,
         {},
         {},
         backup},
    };
}

} // namespace relay::app
