#pragma once

#include <QString>

#include <functional>

class QAbstractItemModel;
class QPushButton;
class QTableView;
class QWidget;

namespace relay::ui {

// A read-only, row-selecting table view over `model`.
QTableView *makeTable(QWidget *parent, QAbstractItemModel *model, const char *objectName);
QPushButton *makeButton(QWidget *parent, const QString &text, const char *objectName,
                        const QString &toolTip);
// Asks Yes/No in a window-modal message box (objectName "confirmBox") without blocking the
// event loop; runs `then` on Yes.
void confirmThen(QWidget *parent, const QString &title, const QString &text,
                 std::function<void()> then);
// Shows an error in the window's status bar and as a tooltip-sized message box-free note.
void showStatus(QWidget *anyWidget, const QString &message, bool error = false);

} // namespace relay::ui
