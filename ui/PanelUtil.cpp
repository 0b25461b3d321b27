#include "PanelUtil.h"

#include <QHeaderView>
#include <QMainWindow>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QTableView>

namespace relay::ui {

QTableView *makeTable(QWidget *parent, QAbstractItemModel *model, const char *objectName)
{
    auto *view = new QTableView(parent);
    view->setObjectName(QLatin1String(objectName));
    setSortableModel(view, model);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::SingleSelection);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setAlternatingRowColors(true);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
    view->horizontalHeader()->setStretchLastSection(true);
    // Small tables fit their columns to the contents; long ones (logs) size them once per page.
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    view->horizontalHeader()->setResizeContentsPrecision(50);
    view->setTabKeyNavigation(false);
    return view;
}

void setSortableModel(QTableView *view, QAbstractItemModel *model)
{
    auto *proxy = new QSortFilterProxyModel(view);
    proxy->setSortRole(Qt::UserRole);
    proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    proxy->setSourceModel(model);
    view->setModel(proxy);
    // No column sorted at first: the model's own order (newest first, by id…).
    view->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    view->setSortingEnabled(true);
}

int sourceRow(const QModelIndex &viewIndex)
{
    if (!viewIndex.isValid())
        return -1;
    if (const auto *proxy = qobject_cast<const QSortFilterProxyModel *>(viewIndex.model()))
        return proxy->mapToSource(viewIndex).row();
    return viewIndex.row();
}

QPushButton *makeButton(QWidget *parent, const QString &text, const char *objectName,
                        const QString &toolTip)
{
    auto *button = new QPushButton(text, parent);
    button->setObjectName(QLatin1String(objectName));
    button->setToolTip(toolTip);
    return button;
}

void confirmThen(QWidget *parent, const QString &title, const QString &text,
                 std::function<void()> then)
{
    auto *box = new QMessageBox(QMessageBox::Question, title, text,
                                QMessageBox::Yes | QMessageBox::Cancel, parent);
    box->setObjectName(QStringLiteral("confirmBox"));
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QObject::connect(box, &QMessageBox::finished, parent, [box, then = std::move(then)](int) {
        if (box->clickedButton() == box->button(QMessageBox::Yes))
            then();
    });
    box->open();
}

void showStatus(QWidget *anyWidget, const QString &message, bool error)
{
    auto *window = qobject_cast<QMainWindow *>(anyWidget->window());
    if (window && window->statusBar()) {
        window->statusBar()->setStyleSheet(error ? QStringLiteral("color: #b00020") : QString());
        window->statusBar()->showMessage(message, error ? 15000 : 6000);
    }
}

QString settingValue(const QList<SettingRecord> &settings, const QString &key)
{
    for (const SettingRecord &s : settings)
        if (s.key == key)
            return s.effectiveValue();
    return {};
}

} // namespace relay::ui
