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
class QPlainTextEdit;
class QPushButton;
class QTableView;
class QTimer;

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
    QList<int> countColumns;  // tokens and the like: grouped digits
    QList<int> millisColumns; // durations in ms
    QList<int> changeColumns; // audit details {"before": …, "after": …}: "field: old → new"
    QList<int> hiddenColumns; // kept in the table (and the CSV) but not shown
};

// One page at a time of a large log table (usage, audit), newest first, read on the database
// thread through the admin service's keyset paging (AdminInterface::logPage, on a file or over
// the admin API): a page costs the same at row 10 or row 10 million, and nothing counts or loads
// the whole table.
// While it shows the newest page and Follow is on, it tails the log: the newest page is read
// again every couple of seconds while the view is on screen, new rows appear on top and the
// selected row stays selected. A click on a column's header sorts the rows of the page shown
// (the pages themselves stay newest first). The selected row's every field is readable in the
// detail pane beside the table; audit changes read "field: old → new".
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
    // Follow: tail the newest page (on by default; the "Follow" button).
    bool following() const;
    void setFollowing(bool follow);
    // Reads the newest page again when following on it; what the tail timer calls.
    void tail();
    void setTailInterval(int ms);
    QTableView *view() const { return m_view; }
    // The detail pane's text for the selected row.
    QString detailText() const;

Q_SIGNALS:
    void pageLoaded();
    void exportFinished(qint64 rows, const QString &error);

protected:
    // Shown again (its tab chosen): the newest rows at once, not at the next tick.
    void showEvent(QShowEvent *event) override;

private:
    LogFilter filter() const;
    void load(const QString &cursor, bool tailing = false);
    void showDetail();

    ConsoleContext m_context;
    LogSource m_source;
    RowTableModel *m_model = nullptr;
    QLineEdit *m_tenant = nullptr;
    QLineEdit *m_text = nullptr;
    QComboBox *m_kind = nullptr;
    QPushButton *m_newer = nullptr;
    QPushButton *m_older = nullptr;
    QLabel *m_position = nullptr;
    QPushButton *m_follow = nullptr;
    QTableView *m_view = nullptr;
    QPlainTextEdit *m_detail = nullptr;
    QTimer *m_tail = nullptr;
    int m_generation = 0; // of the last load asked for; older answers are dropped
    bool m_loading = false;
    QStringList m_cursors; // the cursor each shown page started after ("" = the newest)
    QString m_nextCursor;  // after the last row shown; empty = no older rows
    bool m_exporting = false;
    std::unique_ptr<DbWorker> m_exportWorker;
};

} // namespace relay::ui
