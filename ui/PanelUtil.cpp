#include "PanelUtil.h"

#include "ConsoleContext.h"
#include "DashboardPanel.h"
#include "relay/Engine.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>

#include <QHeaderView>
#include <QMainWindow>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>
#include <QTableView>

namespace relay::ui {

QWidget *makeEmptyState(QWidget *parent, const char *name, const QString &text,
                        const QString &buttonText, const char *buttonName,
                        std::function<void()> action)
{
    auto *frame = new QFrame(parent);
    frame->setObjectName(QLatin1String(name));
    frame->setFrameShape(QFrame::StyledPanel);
    auto *layout = new QHBoxLayout(frame);
    auto *label = new QLabel(text, frame);
    label->setObjectName(QLatin1String(name) + QStringLiteral("Text"));
    label->setWordWrap(true);
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * 1.1);
    label->setFont(font);
    auto *button = new QPushButton(buttonText, frame);
    button->setObjectName(QLatin1String(buttonName));
    QObject::connect(button, &QPushButton::clicked, frame, std::move(action));
    layout->addWidget(label, 1);
    layout->addWidget(button);
    frame->hide();
    return frame;
}

void openAddDialog(QWidget *from, const QString &panel)
{
    if (auto *dashboard = from->window()->findChild<DashboardPanel *>())
        Q_EMIT dashboard->addRequested(panel);
}

QString relayBaseUrl(const ConsoleContext &context)
{
    if (context.engine)
        return context.engine->baseUrl();
    if (context.remote) // as the dashboard shows it
        return context.remote->url.toString(QUrl::RemoveUserInfo | QUrl::StripTrailingSlash) +
               QStringLiteral("/v1");
    return QStringLiteral("http://127.0.0.1:8700/v1");
}

QTableView *makeTable(QWidget *parent, QAbstractItemModel *model, const char *objectName)
{
    auto *view = new QTableView(parent);
    view->setObjectName(QLatin1String(objectName));
    view->setModel(model);
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
