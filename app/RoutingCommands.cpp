#include "CommandSpec.h"
#include "RecordOutput.h"

namespace relay::app {

namespace {

int routeSet(CommandContext &ctx)
{
    return ctx.done(ctx.admin().setRoute(
        ctx.positional(0), ctx.positional(1).split(QLatin1Char(','), Qt::SkipEmptyParts)));
}

int routeList(CommandContext &ctx)
{
    return RecordOutput::printList(ctx, ctx.admin().listRoutes());
}

int routeRemove(CommandContext &ctx)
{
    return ctx.done(ctx.admin().removeRoute(ctx.positional(0)));
}

int aliasSet(CommandContext &ctx)
{
    return ctx.done(ctx.admin().setAlias(ctx.positional(0), ctx.positional(1)));
}

int aliasList(CommandContext &ctx)
{
    return RecordOutput::printList(ctx, ctx.admin().listAliases());
}

int aliasRemove(CommandContext &ctx)
{
    return ctx.done(ctx.admin().removeAlias(ctx.positional(0)));
}

int priceSet(CommandContext &ctx)
{
    std::optional<double> input;
    std::optional<double> output;
    std::optional<double> cacheRead;
    std::optional<double> cacheWrite;
    if (!ctx.doubleValue(QStringLiteral("--input"), &input) ||
        !ctx.doubleValue(QStringLiteral("--output"), &output) ||
        !ctx.doubleValue(QStringLiteral("--cache-read"), &cacheRead) ||
        !ctx.doubleValue(QStringLiteral("--cache-write"), &cacheWrite))
        return kExitUsage;
    return ctx.done(ctx.admin().setPrice(ctx.positional(0), input.value_or(0), output.value_or(0),
                                         cacheRead, cacheWrite));
}

int priceList(CommandContext &ctx)
{
    return RecordOutput::printList(ctx, ctx.admin().listPrices());
}

int priceRemove(CommandContext &ctx)
{
    return ctx.done(ctx.admin().removePrice(ctx.positional(0)));
}

} // namespace

QList<CommandSpec> routingCommands()
{
    const QString route = QStringLiteral("route");
    const QString alias = QStringLiteral("alias");
    const QString price = QStringLiteral("price");
    const QStringList model{QStringLiteral("MODEL")};
    const QString list = QStringLiteral("list");
    const QString remove = QStringLiteral("remove");
    return {
        {route,
         QStringLiteral("set"),
         QStringLiteral("set a model's fallback chain"),
         QStringLiteral("Sends MODEL to the targets in order: the first that answers serves it; "
                        "the next takes over on connect failure, timeout, 408, 429 or 5xx.\n"
                        "TARGET: UPSTREAM (the model keeps its name) or UPSTREAM:UPSTREAM_MODEL."),
         {QStringLiteral("MODEL"), QStringLiteral("TARGET[,TARGET...]")},
         2,
         {},
         {},
         routeSet},
        {route,
         list,
         QStringLiteral("list the routes"),
         QStringLiteral("Lists the routes.\nJSON fields: model targets (UPSTREAM:MODEL, in "
                        "fallback order)."),
         {},
         0,
         {jsonOption()},
         {},
         routeList},
        {route,
         remove,
         QStringLiteral("remove a route"),
         QStringLiteral("Removes MODEL's route; it is then served by the first enabled upstream "
                        "under its own name."),
         model,
         1,
         {},
         {},
         routeRemove},

        {alias,
         QStringLiteral("set"),
         QStringLiteral("make one model name stand for another"),
         QStringLiteral("Makes requests for ALIAS go to MODEL (e.g. alias set gpt-4 gpt-4o). "
                        "Aliases are applied before routes."),
         {QStringLiteral("ALIAS"), QStringLiteral("MODEL")},
         2,
         {},
         {},
         aliasSet},
        {alias,
         list,
         QStringLiteral("list the aliases"),
         QStringLiteral("Lists the aliases.\nJSON fields: alias model."),
         {},
         0,
         {jsonOption()},
         {},
         aliasList},
        {alias,
         remove,
         QStringLiteral("remove an alias"),
         QStringLiteral("Removes ALIAS."),
         {QStringLiteral("ALIAS")},
         1,
         {},
         {},
         aliasRemove},

        {price,
         QStringLiteral("set"),
         QStringLiteral("set a model's price"),
         QStringLiteral("Sets MODEL's price in USD per million tokens. A price also covers "
                        "dated variants (gpt-4o-mini prices gpt-4o-mini-2024-07-18). Prompt "
                        "tokens read from or written to a provider's prompt cache are priced "
                        "at --cache-read and --cache-write; without them, 0.1x and 1.25x the "
                        "input price."),
         model,
         1,
         {{QStringLiteral("--input"), QStringLiteral("USD_PER_MTOK"),
           QStringLiteral("price of a million prompt tokens"), true},
          {QStringLiteral("--output"), QStringLiteral("USD_PER_MTOK"),
           QStringLiteral("price of a million completion tokens"), true},
          {QStringLiteral("--cache-read"), QStringLiteral("USD_PER_MTOK"),
           QStringLiteral("price of a million prompt tokens read from the cache")},
          {QStringLiteral("--cache-write"), QStringLiteral("USD_PER_MTOK"),
           QStringLiteral("price of a million prompt tokens written to the cache")}},
         {},
         priceSet},
        {price,
         list,
         QStringLiteral("list the prices"),
         QStringLiteral("Lists the prices.\nJSON fields: model input output cache_read "
                        "cache_write (USD per million tokens; cache prices null when they "
                        "follow the input price)."),
         {},
         0,
         {jsonOption()},
         {},
         priceList},
        {price,
         remove,
         QStringLiteral("remove a price"),
         QStringLiteral("Removes MODEL's price; its requests then cost 0."),
         model,
         1,
         {},
         {},
         priceRemove},
    };
}

} // namespace relay::app
