#include "TextTable.h"

#include <algorithm>

namespace relay::app {

QString TextTable::toString() const
{
    QList<qsizetype> widths(m_header.size(), 0);
    auto measure = [&](const QStringList &cells) {
        for (qsizetype i = 0; i < cells.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], cells.at(i).size());
    };
    measure(m_header);
    for (const QStringList &row : m_rows)
        measure(row);

    QString text;
    auto append = [&](const QStringList &cells) {
        QString line;
        for (qsizetype i = 0; i < widths.size(); ++i) {
            if (i > 0)
                line += QStringLiteral("  ");
            line += cells.value(i).leftJustified(widths.at(i));
        }
        // The last column is padded too; trailing blanks would only bother diff and grep.
        while (line.endsWith(QLatin1Char(' ')))
            line.chop(1);
        text += line + QLatin1Char('\n');
    };
    append(m_header);
    for (const QStringList &row : m_rows)
        append(row);
    return text;
}

} // namespace relay::app
