#pragma once

#include <QAbstractTableModel>
#include <QColor>
#include <QStringList>
#include <QVariant>

#include <functional>

namespace relay::ui {

// A read-only table of rows of values, the model behind most of the console's tables. Column 0
// is each row's key: when new rows arrive with the same keys in the same order, only the cells
// that changed are signalled (one dataChanged per changed row span), so selections and scroll
// positions survive the once-a-second refresh. New rows arriving on top of the same ones (a log's
// newest page, tailed) are inserted there and the rows that fell off the end removed, so the
// selection stays on its row; otherwise the model resets.
// Qt::UserRole gives a cell's raw value: the views sort on it (makeTable).
class RowTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    // How a column shows its values; the default prints them as they are.
    using Formatter = std::function<QString(const QVariant &)>;
    // A row's background (invalid = the view's own), from its values.
    using RowColor = std::function<QColor(const QVariantList &)>;

    // A cell as CSV exports write it: plain numbers, times in UTC (ISO 8601), "" when null.
    static constexpr int CsvRole = Qt::UserRole + 1;

    explicit RowTableModel(QStringList headers, QObject *parent = nullptr);

    void setRows(QList<QVariantList> rows);
    void setFormatter(int column, Formatter formatter);
    void setToolTip(int column, const QString &toolTip);
    void setRowColor(RowColor color);
    // A column of ms since the epoch: shown by dateTime, exported as UTC.
    void setTimeColumn(int column);
    const QVariantList &row(int r) const { return m_rows.at(r); }
    QVariant value(int r, int column) const;
    int findRow(const QVariant &key) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Common formatters, in the format the CLI shares (core/Format.h); "—" when null.
    static QString money(const QVariant &v);    // "$12.34", "$0.0098"
    static QString number(const QVariant &v);   // grouped digits; a double with one decimal
    static QString millis(const QVariant &v);   // whole milliseconds, grouped: "3,000"
    static QString dateTime(const QVariant &v); // ms since epoch → "2026-03-14 10:30:00 CET"

    // Row backgrounds for attention: over a limit (red) and heading for one (amber).
    static QColor overColor();
    static QColor warnColor();

private:
    QStringList m_headers;
    QStringList m_toolTips;
    QList<QVariantList> m_rows;
    QList<Formatter> m_formatters;
    RowColor m_rowColor;
    QList<int> m_timeColumns;
};

} // namespace relay::ui
