#include "AdminCommands.h"

#include "ArgParser.h"
#include "CommandContext.h"
#include "ConnectOptions.h"
#include "admin/RemoteAdmin.h"
#include "store/AdminService.h"
#include "store/Database.h"

namespace relay::app::AdminCommands {

namespace {

struct Group
{
    QString name;
    QString summary;
};

const QList<Group> &groups()
{
    static const QList<Group> list{
        {QStringLiteral("tenant"), QStringLiteral("add, change, list and remove tenants")},
        {QStringLiteral("key"), QStringLiteral("issue, rotate, revoke and list tenant API keys")},
        {QStringLiteral("upstream"),
         QStringLiteral("the provider endpoints the relay forwards requests to")},
        {QStringLiteral("route"), QStringLiteral("a model's chain of upstreams, for failover")},
        {QStringLiteral("failover"),
         QStringLiteral("switch all traffic to one upstream by hand, and back")},
        {QStringLiteral("alias"), QStringLiteral("model names that stand for other models")},
        {QStringLiteral("price"), QStringLiteral("model prices, for costs and budgets")},
        {QStringLiteral("usage"), QStringLiteral("requests, tokens and cost per tenant")},
        {QStringLiteral("audit"), QStringLiteral("who changed what, when")},
        {QStringLiteral("alerts"), QStringLiteral("budget alerts: list and acknowledge")},
        {QStringLiteral("report"),
         QStringLiteral("what the traffic cost, and would cost under other prices")},
        {QStringLiteral("settings"),
         QStringLiteral("relay-wide settings: alert webhook, usage retention")},
        {QStringLiteral("backup"),
         QStringLiteral("an online, consistent copy of the database, while the relay runs")},
    };
    return list;
}

QList<CommandSpec> commandsOf(const QString &group)
{
    const QList<CommandSpec> all = tenantCommands() + keyCommands() + upstreamCommands() +
                                   routingCommands() + reportCommands() + failoverCommands() +
                                   budgetCommands() + backupCommands();
    QList<CommandSpec> out;
    for (const CommandSpec &spec : all)
        if (spec.group == group)
            out.append(spec);
    return out;
}

QString groupHelp(const QString &group, const QList<CommandSpec> &specs)
{
    QString summary;
    for (const Group &g : groups())
        if (g.name == group)
            summary = g.summary;
    QString text = QStringLiteral("Usage: tenantrelay [--db PATH] %1 COMMAND ...\n\n%2.\n\n"
                                  "Commands:\n")
                       .arg(group, summary.left(1).toUpper() + summary.mid(1));
    for (const CommandSpec &spec : specs)
        text += QStringLiteral("  %1\n      %2\n").arg(spec.synopsis(), spec.summary);
    text += QStringLiteral("\nRun 'tenantrelay %1 COMMAND --help' for a command's details.\n")
                .arg(group);
    return text;
}

} // namespace

bool isCommand(const QString &word)
{
    for (const Group &g : groups())
        if (g.name == word)
            return true;
    return false;
}

QString overview()
{
    QString text;
    for (const Group &g : groups())
        text += QStringLiteral("  %1  %2\n").arg(g.name.leftJustified(10), g.summary);
    return text;
}

namespace {

// Finds the command `words` name and parses its arguments; an exit status when there is nothing
// more to do (help printed, bad usage), else nullopt with *spec and *args set.
std::optional<int> parseCommand(const QStringList &words, CliOutput &out, CommandSpec *found,
                                ParsedArgs *args)
{
    const QString group = words.value(0);
    const QList<CommandSpec> specs = commandsOf(group);
    if (specs.isEmpty())
        return out.usageError(QStringLiteral("unknown command '%1'").arg(group));

    const CommandSpec *spec = nullptr;
    QStringList rest;
    // A group may be a command itself (usage, alerts) and also have named commands (alerts ack):
    // the second word picks a named one, else the group's own command runs.
    const CommandSpec *own = nullptr;
    const CommandSpec *named = nullptr;
    for (const CommandSpec &s : specs) {
        if (s.name.isEmpty())
            own = &s;
        else if (s.name == words.value(1))
            named = &s;
    }
    if (own && !named) {
        spec = own;
        rest = words.mid(1);
    } else {
        const QString name = words.value(1);
        if (name.isEmpty() || ArgParser::wantsHelp({name})) {
            if (name.isEmpty()) {
                QStringList names;
                for (const CommandSpec &s : specs)
                    names << s.name;
                return out.usageError(QStringLiteral("'%1' needs a command: %2")
                                          .arg(group, names.join(QStringLiteral(", "))),
                                      group);
            }
            out.print(groupHelp(group, specs));
            return kExitOk;
        }
        for (const CommandSpec &s : specs)
            if (s.name == name)
                spec = &s;
        if (!spec)
            return out.usageError(QStringLiteral("unknown command '%1 %2'").arg(group, name),
                                  group);
        rest = words.mid(2);
    }

    if (ArgParser::wantsHelp(rest)) {
        out.print(spec->help());
        return kExitOk;
    }
    QString error;
    if (!ArgParser::parse(*spec, rest, args, &error))
        return out.usageError(error, spec->path());
    *found = *spec;
    return std::nullopt;
}

int runOn(AdminInterface &admin, const CommandSpec &spec, ParsedArgs &args, CliOutput &out)
{
    CommandContext ctx(spec, std::move(args), admin, out);
    return spec.run(ctx);
}

} // namespace

int run(const QString &dbPath, const QStringList &words, CliOutput &out)
{
    CommandSpec spec;
    ParsedArgs args;
    if (const std::optional<int> status = parseCommand(words, out, &spec, &args))
        return *status;
    Database db;
    QString error;
    if (!db.open(dbPath, &error))
        return out.failure(error);
    AdminService admin(db.db());
    return runOn(admin, spec, args, out);
}

int runRemote(const ConnectOptions &connect, const QStringList &words, CliOutput &out)
{
    CommandSpec spec;
    ParsedArgs args;
    if (const std::optional<int> status = parseCommand(words, out, &spec, &args))
        return *status;
    RemoteAdminOptions options;
    if (const int status = connect.resolve(out, &options); status != kExitOk)
        return status;
    RemoteAdmin admin(std::move(options));
    return runOn(admin, spec, args, out);
}

} // namespace relay::app::AdminCommands
