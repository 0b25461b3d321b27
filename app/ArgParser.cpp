#include "ArgParser.h"

namespace relay::app::ArgParser {

namespace {

bool looksLikeOption(const QString &word)
{
    return word.size() > 1 && word.startsWith(QLatin1Char('-'));
}

const OptionSpec *findOption(const CommandSpec &spec, const QString &name)
{
    for (const OptionSpec &option : spec.options)
        if (option.name == name)
            return &option;
    return nullptr;
}

// Options that belong before the command get a message saying so rather than "unknown".
QString unknownOption(const CommandSpec &spec, const QString &name)
{
    if (name == QLatin1String("--db"))
        return QStringLiteral("--db is a global option: put it before the command "
                              "(tenantrelay --db PATH %1 ...)")
            .arg(spec.path());
    if (name == QLatin1String("--demo"))
        return QStringLiteral("--demo cannot be used with admin commands");
    return QStringLiteral("unknown option %1 for '%2'").arg(name, spec.path());
}

} // namespace

bool wantsHelp(const QStringList &words)
{
    for (const QString &word : words) {
        if (word == QLatin1String("--"))
            return false;
        if (word == QLatin1String("--help") || word == QLatin1String("-h"))
            return true;
    }
    return false;
}

bool parse(const CommandSpec &spec, const QStringList &words, ParsedArgs *parsed, QString *error)
{
    bool optionsEnded = false;
    for (qsizetype i = 0; i < words.size(); ++i) {
        const QString &word = words.at(i);
        if (optionsEnded || !looksLikeOption(word)) {
            parsed->positionals.append(word);
            continue;
        }
        if (word == QLatin1String("--")) {
            optionsEnded = true;
            continue;
        }
        const qsizetype eq = word.indexOf(QLatin1Char('='));
        const QString name = eq < 0 ? word : word.left(eq);
        const OptionSpec *option = findOption(spec, name);
        if (!option) {
            *error = unknownOption(spec, name);
            return false;
        }
        if (parsed->options.contains(name)) {
            *error = QStringLiteral("%1 is given more than once").arg(name);
            return false;
        }
        QString value;
        if (option->valueName.isEmpty()) {
            if (eq >= 0) {
                *error = QStringLiteral("%1 takes no value").arg(name);
                return false;
            }
        } else if (eq >= 0) {
            value = word.mid(eq + 1);
        } else if (i + 1 < words.size()) {
            value = words.at(++i);
        } else {
            *error = QStringLiteral("%1 needs a value (%2)").arg(name, option->valueName);
            return false;
        }
        parsed->options.insert(name, value);
    }

    if (parsed->positionals.size() < spec.requiredPositionals) {
        *error = QStringLiteral("missing %1").arg(spec.positionals.at(parsed->positionals.size()));
        return false;
    }
    if (parsed->positionals.size() > spec.positionals.size()) {
        *error = QStringLiteral("unexpected argument '%1'")
                     .arg(parsed->positionals.at(spec.positionals.size()));
        return false;
    }
    for (const OptionSpec &option : spec.options) {
        if (option.required && !parsed->has(option.name)) {
            *error = QStringLiteral("missing %1 %2").arg(option.name, option.valueName);
            return false;
        }
    }
    for (const QStringList &group : spec.exclusive) {
        QStringList given;
        for (const QString &name : group)
            if (parsed->has(name))
                given << name;
        if (given.size() > 1) {
            *error = QStringLiteral("%1 cannot be used together")
                         .arg(given.join(QStringLiteral(" and ")));
            return false;
        }
    }
    return true;
}

} // namespace relay::app::ArgParser
