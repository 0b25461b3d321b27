#pragma once

#include <QList>
#include <QStringList>

namespace relay::app {

// Human list output: a header line and rows, in columns aligned with spaces.
class TextTable
{
public:
    explicit TextTable(QStringList header) : m_header(std::move(header)) {}
    void addRow(QStringList cells) { m_rows.append(std::move(cells)); }
    QString toString() const;

private:
    QStringList m_header;
    QList<QStringList> m_rows;
};

} // namespace relay::app
