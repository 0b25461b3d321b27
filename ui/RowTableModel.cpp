#include "RowTableModel.h"

#include <QDateTime>
#include <QLocale>

namespace relay::ui {

RowTableModel::RowTableModel(QStringList headers, QObject *parent)
    : QAbstractTableModel(parent), m_headers(std::move(headers))
{
    m_formatters.resize(m_headers.size());
    m_toolTips.resize(m_headers.size());
}

void RowTableModel::setRows(QList<QVariantList> rows)
{
    for (QVariantList &r : rows)
        r.resize(m_headers.size());
    bool sameKeys = rows.size() == m_rows.size();
    for (int i = 0; sameKeys && i < rows.size(); ++i)
        sameKeys = rows.at(i).value(0) == m_rows.at(i).value(0);
    if (!sameKeys) {
        beginResetModel();
        m_rows = std::move(rows);
        endResetModel();
        return;
    }
    for (int i = 0; i < rows.size(); ++i) {
        int first = -1;
        int last = -1;
        for (int c = 0; c < m_headers.size(); ++c) {
            if (rows.at(i).at(c) != m_rows.at(i).at(c)) {
                if (first < 0)
                    first = c;
                last = c;
            }
        }
        if (first < 0)
            continue;
        m_rows[i] = rows.at(i);
        Q_EMIT dataChanged(index(i, first), index(i, last), {Qt::DisplayRole, Qt::UserRole});
    }
}

void RowTableModel::setFormatter(int column, Formatter formatter)
{
    m_formatters[column] = std::move(formatter);
}

void RowTableModel::setToolTip(int column, const QString &toolTip)
{
    m_toolTips[column] = toolTip;
}

QVariant RowTableModel::value(int r, int column) const
{
    if (r < 0 || r >= m_rows.size())
        return {};
    return m_rows.at(r).value(column);
}

int RowTableModel::findRow(const QVariant &key) const
{
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows.at(i).value(0) == key)
            return i;
    return -1;
}

int RowTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RowTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_headers.size());
}

QVariant RowTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QVariant &v = m_rows.at(index.row()).at(index.column());
    switch (role) {
    case Qt::DisplayRole:
    case Qt::ToolTipRole:
        if (m_formatters.at(index.column()))
            return m_formatters.at(index.column())(v);
        return v.isNull() ? QStringLiteral("—") : v.toString();
    case Qt::UserRole:
        return v;
    case Qt::TextAlignmentRole: {
        const auto type = v.typeId();
        const bool numeric =
            type == QMetaType::Int || type == QMetaType::LongLong || type == QMetaType::Double;
        return QVariant::fromValue(Qt::AlignVCenter | (numeric ? Qt::AlignRight : Qt::AlignLeft));
    }
    default:
        return {};
    }
}

QVariant RowTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= m_headers.size())
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole)
        return m_headers.at(section);
    if (role == Qt::ToolTipRole && !m_toolTips.at(section).isEmpty())
        return m_toolTips.at(section);
    return {};
}

QString RowTableModel::money(const QVariant &v)
{
    if (v.isNull())
        return QStringLiteral("—");
    const double d = v.toDouble();
    return QStringLiteral("$") + QLocale().toString(d, 'f', d != 0 && qAbs(d) < 0.01 ? 4 : 2);
}

QString RowTableModel::number(const QVariant &v)
{
    if (v.isNull())
        return QStringLiteral("—");
    if (v.typeId() == QMetaType::Double)
        return QLocale().toString(v.toDouble(), 'f', 1);
    return QLocale().toString(v.toLongLong());
}

QString RowTableModel::dateTime(const QVariant &v)
{
    if (v.isNull())
        return QStringLiteral("—");
    return QDateTime::fromMSecsSinceEpoch(v.toLongLong())
        .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

} // namespace relay::ui
