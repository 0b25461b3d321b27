#pragma once

#include <QAbstractTableModel>
#include <QStringList>
#include <QVariant>

#include <functional>

namespace relay::ui {

// A read-only table of rows of values, the model behind most of the console's tables. Column 0
// is each row's key: when new rows arrive with the same keys in the same order, only the cells
// that changed are signalled (one dataChanged per changed row span), so selections and scroll
// positions survive the once-a-second refresh; otherwise the model resets.
class RowTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    // How a column shows its values; the default prints them as they are.
    using Formatter = std::function<QString(const QVariant &)>;

    explicit RowTableModel(QStringList headers, QObject *parent = nullptr);

    void setRows(QList<QVariantList> rows);
    void setFormatter(int column, Formatter formatter);
    void setToolTip(int column, const QString &toolTip);
    const QVariantList &row(int r) const { return m_rows.at(r); }
    QVariant value(int r, int column) const;
    int findRow(const QVariant &key) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // Common formatters.
    static QString money(const QVariant &v);    // "$12.34", "—" when null
    static QString number(const QVariant &v);   // locale digits, "—" when null
    static QString dateTime(const QVariant &v); // ms since epoch → local "yyyy-MM-dd HH:mm:ss"

private:
    QStringList m_headers;
    QStringList m_toolTips;
    QList<QVariantList> m_rows;
    QList<Formatter> m_formatters;
};

} // namespace relay::ui
