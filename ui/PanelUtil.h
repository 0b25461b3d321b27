#pragma once

#include "store/AdminTypes.h"

#include <QString>

#include <functional>

class QAbstractItemModel;
class QLineEdit;
class QModelIndex;
class QPushButton;
class QSize;
class QTableView;
class QVBoxLayout;
class QWidget;

namespace relay::ui {

struct ConsoleContext;

// Keeps at most one refresh of a panel in flight: one asked for meanwhile runs once after it, so
// slow sums never pile up on the database thread.
class RefreshGate
{
public:
    // False when a refresh is running (it will be repeated); true: go ahead.
    bool begin()
    {
        if (m_running) {
            m_again = true;
            return false;
        }
        m_running = true;
        return true;
    }
    // The refresh has finished; true when another one was asked for meanwhile.
    bool end()
    {
        m_running = false;
        const bool again = m_again;
        m_again = false;
        return again;
    }

private:
    bool m_running = false;
    bool m_again = false;
};

// A read-only, row-selecting table view over `model`, sortable by clicking a column's header
// (setSortableModel).
QTableView *makeTable(QWidget *parent, QAbstractItemModel *model, const char *objectName);
// Small screens (1366×768 at 1.5× scaling): `panel`'s content scrolls, inside a frameless
// scroll area (objectName `name`) filling it, rather than being squeezed below the sizes its
// widgets need; where the window is large enough nothing scrolls. The layout to fill.
QVBoxLayout *makeScrollingContent(QWidget *panel, const char *name);
// Keeps `rows` rows of `view` in sight, its header and a horizontal scroll bar besides, however
// small the window: the panel around it scrolls (makeScrollingContent), or the other side of a
// splitter gives way, before the table does.
void keepRowsVisible(QTableView *view, int rows = 3);
// `edit` never narrower than its placeholder (the example of what to type) needs.
void keepPlaceholderReadable(QLineEdit *edit);
// `wanted`, bounded to what the screen `window` is on has free (less a margin for the frame):
// a window's first size that fits a 1366×768 screen at 1.5× scaling.
QSize sizeOnScreen(const QWidget *window, const QSize &wanted);
// Shows `model` in `view` through a sorting proxy: a click on a header sorts by the column's raw
// values (Qt::UserRole: numbers as numbers, times as times), again reverses; until then the
// rows keep the model's order. The view's indexes are the proxy's: see sourceRow.
void setSortableModel(QTableView *view, QAbstractItemModel *model);
// The model's row behind an index of a view made by makeTable (-1 when invalid).
int sourceRow(const QModelIndex &viewIndex);
// Writes the rows of `model` as a view shows them (sorted) to a CSV file: the headers, then
// plain values (RowTableModel::CsvRole: numbers unformatted, times in UTC). Every makeTable
// view offers it in its context menu ("Export CSV…").
bool writeTableCsv(const QAbstractItemModel *model, const QString &path, QString *error);
// A CSV field, quoted when it must be.
QString csvField(const QString &text);
QPushButton *makeButton(QWidget *parent, const QString &text, const char *objectName,
                        const QString &toolTip);
// Asks Yes/No in a window-modal message box (objectName "confirmBox") without blocking the
// event loop; runs `then` on Yes.
void confirmThen(QWidget *parent, const QString &title, const QString &text,
                 std::function<void()> then);
// A relay-wide setting's value (its default when unset), from AdminService::listSettings.
QString settingValue(const QList<SettingRecord> &settings, const QString &key);
// An empty panel's next step: a framed line of text with a button that does it ("No tenants
// yet" — "Add tenant…"). Hidden until shown; objectName `name`, its button `buttonName`.
QWidget *makeEmptyState(QWidget *parent, const char *name, const QString &text,
                        const QString &buttonText, const char *buttonName,
                        std::function<void()> action);
// Opens the add dialog of a panel ("tenantsPanel", "upstreamsPanel") of the console window
// `from` is in, showing that panel: the empty states' next step. Through the dashboard's
// addRequested, which the window connects.
void openAddDialog(QWidget *from, const QString &panel);
// The base URL tenants point their OpenAI SDKs at: the console's own relay's, or the remote
// relay's; the default listen address when neither is known (a relay of another process).
QString relayBaseUrl(const ConsoleContext &context);
// Shows an error in the window's status bar and as a tooltip-sized message box-free note.
void showStatus(QWidget *anyWidget, const QString &message, bool error = false);

} // namespace relay::ui
