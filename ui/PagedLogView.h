#pragma once

#include "ConsoleContext.h"
#include "store/AdminInterface.h"

#include <QStringList>
#include <QVariantList>
#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace relay::ui {

class DbWorker;
class RowTableModel;

// Which log a PagedLogView pages through (the store's LogTable), and how it is shown.
struct LogSource
{
    LogPageQuery::Log log = LogPageQuery::Log::Requests;
    LogTable table;
    QStringList headers;                  // one per column of the table
    QList<QPair<QString, QString>> kinds; // combo label → the table's kind name ("" = all)
    QList<int> timeColumns;               // indexes of columns holding ms since epoch
    QList<int> moneyColumns;
    QList<int> hiddenColumns; // kept in the table (and the CSV) but not shown
};

// One page at a time of a large log table (usage, audit), newest first, read on the database
// thread through the admin service's keyset paging (AdminInterface::logPage, on a file or over
// the admin API): a page costs the same at row 10 or row 10 million, and nothing counts or loads
// the whole table.
// CSV export streams the filtered rows to a file on a thread of its own.
class PagedLogView : public QWidget
{
    Q_OBJECT
public:
    PagedLogView(const ConsoleContext &context, LogSource source, const QString &name,
                 QWidget *parent = nullptr);
    ~PagedLogView() override;

    static constexpr int kPageSize = 200;

    RowTableModel *model() const { return m_model; }
    void firstPage();
    void nextPage();
    void previousPage();
    // Writes every row matching the filters to `path` as CSV; done by exportFinished.
    void exportCsv(const QString &path);
    int pageIndex() const { return int(m_cursors.size()) - 1; }

Q_SIGNALS:
    void pageLoaded();
    void exportFinished(qint64 rows, const QString &error);

private:
    LogFilter filter() const;
    void load(const QString &cursor);

    ConsoleContext m_context;
    LogSource m_source;
    RowTableModel *m_model = nullptr;
    QLineEdit *m_tenant = nullptr;
    QLineEdit *m_text = nullptr;
    QComboBox *m_kind = nullptr;
    QPushButton *m_newer = nullptr;
    QPushButton *m_older = nullptr;
    QLabel *m_position = nullptr;
    QStringList m_cursors; // the cursor each shown page started after ("" = the newest)
    QString m_nextCursor;  // after the last row shown; empty = no older rows
    bool m_exporting = false;
    std::unique_ptr<DbWorker> m_exportWorker;
};

} // namespace relay::ui
