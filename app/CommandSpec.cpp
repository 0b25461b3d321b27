#include "CommandSpec.h"

#include <algorithm>

namespace relay::app {

namespace {

QString optionUsage(const OptionSpec &option)
{
    return option.valueName.isEmpty() ? option.name
                                      : option.name + QLatin1Char(' ') + option.valueName;
}

// Breaks text into lines of at most `width` characters at spaces, keeping its own line breaks;
// every line after the first is indented by `indent` spaces.
QString wrap(const QString &text, qsizetype width, qsizetype indent)
{
    QStringList lines;
    for (const QString &paragraph : text.split(QLatin1Char('\n'))) {
        QString line;
        for (const QString &word : paragraph.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
            if (!line.isEmpty() && line.size() + 1 + word.size() > width) {
                lines << line;
                line.clear();
            }
            line += (line.isEmpty() ? QString() : QStringLiteral(" ")) + word;
        }
        lines << line;
    }
    return lines.join(QLatin1Char('\n') + QString(indent, QLatin1Char(' ')));
}

constexpr qsizetype kHelpWidth = 80;

} // namespace

QString CommandSpec::synopsis() const
{
    return synopsisParts().join(QLatin1Char(' '));
}

QStringList CommandSpec::synopsisParts() const
{
    QStringList parts{path()};
    for (int i = 0; i < positionals.size(); ++i)
        parts << (i < requiredPositionals ? positionals.at(i)
                                          : QStringLiteral("[%1]").arg(positionals.at(i)));
    QStringList shown;
    for (const OptionSpec &option : options) {
        if (shown.contains(option.name))
            continue;
        // Options that exclude each other are shown as one choice: [--enable | --disable].
        QStringList choice{option.name};
        for (const QStringList &group : exclusive)
            if (group.contains(option.name))
                choice = group;
        QStringList rendered;
        for (const QString &name : choice) {
            const auto it = std::find_if(options.cbegin(), options.cend(),
                                         [&](const OptionSpec &o) { return o.name == name; });
            if (it != options.cend())
                rendered << optionUsage(*it);
            shown << name;
        }
        const QString text = rendered.join(QStringLiteral(" | "));
        parts << (option.required ? text : QStringLiteral("[%1]").arg(text));
    }
    return parts;
}

QString CommandSpec::help() const
{
    QList<std::pair<QString, QString>> rows;
    for (const OptionSpec &option : options)
        rows.append({optionUsage(option), option.help});
    rows.append({QStringLiteral("-h, --help"), QStringLiteral("show this help")});
    qsizetype width = 0;
    for (const auto &row : rows)
        width = std::max(width, row.first.size());

    // The synopsis breaks only between its parts, never inside "[--enable | --disable]".
    const QChar glue(0xa0);
    QStringList parts = synopsisParts();
    for (QString &part : parts)
        part.replace(QLatin1Char(' '), glue);
    const QString prefix = QStringLiteral("Usage: tenantrelay [--db PATH] ");
    const QString usage =
        wrap(parts.join(QLatin1Char(' ')), kHelpWidth - prefix.size(), prefix.size())
            .replace(glue, QLatin1Char(' '));
    QString text =
        QStringLiteral("%1%2\n\n%3\n\nOptions:\n")
            .arg(prefix, usage, wrap(description.isEmpty() ? summary : description, kHelpWidth, 0));
    const qsizetype indent = 2 + width + 2;
    for (const auto &[left, right] : rows)
        text += QStringLiteral("  %1  %2\n")
                    .arg(left.leftJustified(width),
                         wrap(right, std::max<qsizetype>(kHelpWidth - indent, 30), indent));
    return text;
}

} // namespace relay::app
