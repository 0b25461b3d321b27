#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

namespace relay::app {

class CommandContext;

// Process exit statuses (interface.md §1).
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct OptionSpec
{
    QString name;      // "--name"
    QString valueName; // "TEXT"; empty for a flag
    QString help;
    bool required = false;
};

// One admin command: what it accepts (the parser and --help both read this) and what runs it.
struct CommandSpec
{
    QString group;           // the first word: "tenant"
    QString name;            // the second word: "add"; empty when the group is the command
    QString summary;         // one line, for the group's help
    QString description;     // the body of the command's --help
    QStringList positionals; // e.g. {"ID"}
    int requiredPositionals = 0;
    QList<OptionSpec> options;
    QList<QStringList> exclusive; // options that cannot be given together
    std::function<int(CommandContext &)> run;

    // "tenant add"
    QString path() const { return name.isEmpty() ? group : group + QLatin1Char(' ') + name; }
    // "tenant add ID [--name TEXT] ..."
    QString synopsis() const;
    QStringList synopsisParts() const;
    QString help() const;
};

// --json, shared by every command that lists something.
inline OptionSpec jsonOption()
{
    return {QStringLiteral("--json"), QString(), QStringLiteral("print JSON")};
}

// --enable and --disable (read by CommandContext::enabled), which exclude each other.
inline QList<OptionSpec> enableOptions(const QString &enableHelp, const QString &disableHelp)
{
    return {{QStringLiteral("--enable"), QString(), enableHelp},
            {QStringLiteral("--disable"), QString(), disableHelp}};
}
inline QStringList enableChoice()
{
    return {QStringLiteral("--enable"), QStringLiteral("--disable")};
}

// The commands of each area, defined next to their handlers.
QList<CommandSpec> tenantCommands();
QList<CommandSpec> keyCommands();
QList<CommandSpec> upstreamCommands();
QList<CommandSpec> routingCommands(); // route, alias, price
QList<CommandSpec> reportCommands();  // usage, audit
QList<CommandSpec> failoverCommands();
QList<CommandSpec> budgetCommands(); // settings, alerts, report costs
QList<CommandSpec> backupCommands();

} // namespace relay::app
