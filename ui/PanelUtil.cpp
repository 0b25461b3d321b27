#include "PanelUtil.h"

#include "ConsoleContext.h"
#include "DashboardPanel.h"
#include "RowTableModel.h"
#include "relay/Engine.h"

#include <QAction>
#include <QFileDialog>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMainWindow>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QScreen>
#include <QScrollArea>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QStatusBar>
#include <QStyle>
#include <QStyleOptionFrame>
#include <QTableView>
#include <QVBoxLayout>

#include <cmath>

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
    auto *exportCsv = new QAction(QObject::tr("Export CSV…"), view);
    exportCsv->setObjectName(QStringLiteral("exportCsvAction"));
    view->addAction(exportCsv);
    view->setContextMenuPolicy(Qt::ActionsContextMenu);
    QObject::connect(exportCsv, &QAction::triggered, view, [view] {
        const QString name =
            view->objectName().isEmpty() ? QStringLiteral("table") : view->objectName();
        const QString path = QFileDialog::getSaveFileName(view, QObject::tr("Export CSV"),
                                                          name + QStringLiteral(".csv"),
                                                          QObject::tr("CSV files (*.csv)"));
        if (path.isEmpty())
            return;
        QString error;
        if (writeTableCsv(view->model(), path, &error))
            showStatus(view, QObject::tr("%1 rows exported").arg(view->model()->rowCount()));
        else
            showStatus(view, error, true);
    });
    return view;
}

QVBoxLayout *makeScrollingContent(QWidget *panel, const char *name)
{
    auto *outer = new QVBoxLayout(panel);
    outer->setContentsMargins(0, 0, 0, 0);
    auto *scroll = new QScrollArea(panel);
    scroll->setObjectName(QLatin1String(name));
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto *content = new QWidget(scroll);
    scroll->setWidget(content);
    outer->addWidget(scroll);
    return new QVBoxLayout(content);
}

void keepRowsVisible(QTableView *view, int rows)
{
    const int header =
        view->horizontalHeader()->isHidden() ? 0 : view->horizontalHeader()->sizeHint().height();
    view->setMinimumHeight(2 * view->frameWidth() + header +
                           rows * view->verticalHeader()->defaultSectionSize() +
                           view->horizontalScrollBar()->sizeHint().height());
}

void keepPlaceholderReadable(QLineEdit *edit)
{
    // As QLineEdit sizes itself, for the placeholder's width: its style's frame, the text
    // margins and the 2 px it keeps on each side of the text.
    QStyleOptionFrame option;
    option.initFrom(edit);
    option.lineWidth = edit->hasFrame()
                           ? edit->style()->pixelMetric(QStyle::PM_DefaultFrameWidth, &option, edit)
                           : 0;
    option.midLineWidth = 0;
    option.state |= QStyle::State_Sunken;
    const QMargins margins = edit->textMargins();
    // Whole pixels above the text's fractional width: QLineEdit elides what does not fit.
    const QFontMetricsF metrics(edit->font());
    const QSize text(int(std::ceil(metrics.horizontalAdvance(edit->placeholderText()))) + 1 + 4 +
                         margins.left() + margins.right(),
                     int(std::ceil(metrics.height())));
    edit->setMinimumWidth(
        edit->style()->sizeFromContents(QStyle::CT_LineEdit, &option, text, edit).width());
}

QSize sizeOnScreen(const QWidget *window, const QSize &wanted)
{
    const QScreen *screen = window->screen();
    if (!screen)
        return wanted;
    return wanted.boundedTo(screen->availableSize() - QSize(20, 40));
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

QString csvField(const QString &text)
{
    QString s = text;
    if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) ||
        s.contains(QLatin1Char('\n')))
        s = QLatin1Char('"') + s.replace(QLatin1Char('"'), QStringLiteral("\"\"")) +
            QLatin1Char('"');
    return s;
}

bool writeTableCsv(const QAbstractItemModel *model, const QString &path, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
        *error = QObject::tr("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    QStringList cells;
    for (int c = 0; c < model->columnCount(); ++c)
        cells << csvField(model->headerData(c, Qt::Horizontal).toString());
    QByteArray text = cells.join(QLatin1Char(',')).toUtf8() + '\n';
    for (int r = 0; r < model->rowCount(); ++r) {
        cells.clear();
        for (int c = 0; c < model->columnCount(); ++c) {
            const QVariant v = model->index(r, c).data(RowTableModel::CsvRole);
            cells << csvField(v.isValid() ? v.toString()
                                          : model->index(r, c).data(Qt::DisplayRole).toString());
        }
        text += cells.join(QLatin1Char(',')).toUtf8() + '\n';
    }
    file.write(text);
    if (!file.commit()) {
        *error = QObject::tr("cannot write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
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
