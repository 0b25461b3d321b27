#pragma once

#include "CommandSpec.h"

#include <QHash>

#include <optional>

namespace relay::app {

// The words of one admin command, checked against its spec.
struct ParsedArgs
{
    QStringList positionals;
    QHash<QString, QString> options; // option name → value ("" for a flag)

    bool has(const QString &option) const { return options.contains(option); }
    std::optional<QString> value(const QString &option) const
    {
        const auto it = options.constFind(option);
        return it == options.cend() ? std::nullopt : std::optional<QString>(*it);
    }
};

namespace ArgParser {

// True when the words ask for help (-h or --help before a "--").
bool wantsHelp(const QStringList &words);
// Accepts "--opt VALUE", "--opt=VALUE", flags and positionals, "--" ending the options. Any
// unknown, repeated, missing or conflicting option is an error: nothing is silently ignored.
bool parse(const CommandSpec &spec, const QStringList &words, ParsedArgs *parsed, QString *error);

} // namespace ArgParser
} // namespace relay::app
