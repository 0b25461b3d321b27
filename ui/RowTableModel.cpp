#include "RowTableModel.h"

#include "core/Format.h"

#include <QDateTime>

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
    const auto keysFrom = [&](qsizetype offset) {
        if (rows.size() - offset > m_rows.size())
            return false;
        for (qsizetype i = offset; i < rows.size(); ++i)
            if (rows.at(i).value(0) != m_rows.at(i - offset).value(0))
                return false;
        return true;
    };
    bool sameKeys = rows.size() == m_rows.size() && keysFrom(0);
    if (!sameKeys && !m_rows.isEmpty() && rows.size() > 1) {
        // New rows on top of those shown: insert them, drop what fell off the end.
        qsizetype top = 1;
        while (top < rows.size() && rows.at(top).value(0) != m_rows.first().value(0))
            ++top;
        if (top < rows.size() && keysFrom(top)) {
            beginInsertRows({}, 0, int(top) - 1);
            m_rows = rows.mid(0, top) + m_rows;
            endInsertRows();
            if (m_rows.size() > rows.size()) {
                beginRemoveRows({}, int(rows.size()), int(m_rows.size()) - 1);
                m_rows.resize(rows.size());
                endRemoveRows();
            }
            sameKeys = true;
        }
    }
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
        if (m_rowColor) { // the row's colour may change with any cell
            first = 0;
            last = int(m_headers.size()) - 1;
        }
        Q_EMIT dataChanged(index(i, first), index(i, last));
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

void RowTableModel::setTimeColumn(int column)
{
    setFormatter(column, dateTime);
    m_timeColumns.append(column);
}

void RowTableModel::setRowColor(RowColor color)
{
    m_rowColor = std::move(color);
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
    case CsvRole:
        if (v.isNull())
            return QString();
        if (m_timeColumns.contains(index.column()))
            return QDateTime::fromMSecsSinceEpoch(v.toLongLong())
                .toUTC()
                .toString(Qt::ISODateWithMs); // "…Z", as the admin API writes times
        return v.toString();
    case Qt::BackgroundRole:
    case Qt::ForegroundRole: {
        const QColor color = m_rowColor ? m_rowColor(m_rows.at(index.row())) : QColor();
        if (!color.isValid())
            return {};
        // Dark text on the light background, whatever the palette.
        return role == Qt::BackgroundRole ? color : QColor(Qt::black);
    }
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
    return v.isNull() ? QStringLiteral("—") : Format::money(v.toDouble());
}

QString RowTableModel::number(const QVariant &v)
{
    if (v.isNull())
        return QStringLiteral("—");
    if (v.typeId() == QMetaType::Double)
        return Format::number(v.toDouble(), 1);
    return Format::count(v.toLongLong());
}

QString RowTableModel::millis(const QVariant &v)
{
    return v.isNull() ? QStringLiteral("—") : Format::millis(v.toDouble());
}

QString RowTableModel::dateTime(const QVariant &v)
{
    return v.isNull() ? QStringLiteral("—") : Format::dateTime(v.toLongLong());
}

QColor RowTableModel::overColor()
{
    return QColor(0xffcdd2);
}

QColor RowTableModel::warnColor()
{
    return QColor(0xffe0b2);
}

} // namespace relay::ui
