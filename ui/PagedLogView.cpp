#include "PagedLogView.h"

#include "DbWorker.h"
#include "PanelUtil.h"
#include "RowTableModel.h"
#include "core/Format.h"

#include <QComboBox>
#include <QDateTime>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <memory>

namespace relay::ui {

namespace {

struct ExportResult
{
    qint64 rows = 0;
    QString error;
};

} // namespace

PagedLogView::PagedLogView(const ConsoleContext &context, LogSource source, const QString &name,
                           QWidget *parent)
    : QWidget(parent), m_context(context), m_source(std::move(source))
{
    setObjectName(name);
    m_model = new RowTableModel(m_source.headers, this);
    for (int c : std::as_const(m_source.timeColumns))
        m_model->setTimeColumn(c);
    for (int c : std::as_const(m_source.moneyColumns))
        m_model->setFormatter(c, RowTableModel::money);
    for (int c : std::as_const(m_source.countColumns))
        m_model->setFormatter(c, RowTableModel::number);
    for (int c : std::as_const(m_source.millisColumns))
        m_model->setFormatter(c, RowTableModel::millis);
    for (int c : std::as_const(m_source.changeColumns))
        m_model->setFormatter(c, [](const QVariant &v) {
            return v.isNull() ? QStringLiteral("—") : Format::changeSummary(v.toString());
        });

    auto *layout = new QVBoxLayout(this);
    auto *filters = new QHBoxLayout;
    m_tenant = new QLineEdit(this);
    m_tenant->setObjectName(name + QStringLiteral("TenantFilter"));
    m_tenant->setPlaceholderText(tr("tenant id"));
    m_tenant->setToolTip(tr("Only this tenant's rows (exact id); Enter applies"));
    keepPlaceholderReadable(m_tenant);
    m_text = new QLineEdit(this);
    m_text->setObjectName(name + QStringLiteral("TextFilter"));
    m_text->setPlaceholderText(tr("contains…"));
    m_text->setToolTip(
        tr("Only rows whose %1 contains this text; Enter applies").arg(m_source.table.textColumn));
    keepPlaceholderReadable(m_text);
    filters->addWidget(new QLabel(tr("Tenant:"), this));
    filters->addWidget(m_tenant);
    filters->addWidget(new QLabel(tr("Filter:"), this));
    filters->addWidget(m_text);
    m_kind = new QComboBox(this);
    m_kind->setObjectName(name + QStringLiteral("KindFilter"));
    for (const auto &[label, kind] : std::as_const(m_source.kinds))
        m_kind->addItem(label, kind);
    m_kind->setVisible(!m_source.kinds.isEmpty());
    filters->addWidget(m_kind);
    auto *apply =
        makeButton(this, tr("Apply"), "", tr("Show the newest rows matching the filters"));
    apply->setObjectName(name + QStringLiteral("Apply"));
    filters->addWidget(apply);
    filters->addStretch(1);
    // The pages on a line of their own: beside the filters they would squeeze them at 1.5×.
    auto *paging = new QHBoxLayout;
    m_newer = makeButton(this, tr("◀ Newer"), "", tr("The previous (newer) page"));
    m_newer->setObjectName(name + QStringLiteral("Newer"));
    m_older = makeButton(this, tr("Older ▶"), "", tr("The next (older) page"));
    m_older->setObjectName(name + QStringLiteral("Older"));
    m_position = new QLabel(this);
    m_follow = makeButton(this, tr("Follow"), "",
                          tr("On the newest page, new rows appear by themselves; off: the page "
                             "stays as it is"));
    m_follow->setObjectName(name + QStringLiteral("Follow"));
    m_follow->setCheckable(true);
    m_follow->setChecked(true);
    paging->addWidget(m_follow);
    paging->addWidget(m_newer);
    paging->addWidget(m_position);
    paging->addWidget(m_older);
    paging->addStretch(1);
    auto *exportButton = makeButton(this, tr("Export CSV…"), "",
                                    tr("Every row matching the filters, to a CSV file"));
    exportButton->setObjectName(name + QStringLiteral("Export"));
    paging->addWidget(exportButton);
    layout->addLayout(filters);
    layout->addLayout(paging);
    auto *split = new QSplitter(Qt::Horizontal, this);
    auto *view = makeTable(split, m_model, "");
    m_view = view;
    view->setObjectName(name + QStringLiteral("Table"));
    view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    for (int c : std::as_const(m_source.hiddenColumns))
        view->hideColumn(c);
    view->horizontalHeader()->setDefaultSectionSize(110);
    connect(this, &PagedLogView::pageLoaded, view, [view, sized = false]() mutable {
        if (!sized && view->model()->rowCount() > 0) {
            view->resizeColumnsToContents();
            sized = true;
        }
    });
    m_detail = new QPlainTextEdit(split);
    m_detail->setObjectName(name + QStringLiteral("Detail"));
    m_detail->setReadOnly(true);
    m_detail->setPlaceholderText(tr("Select a row to read all its fields"));
    m_detail->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    split->addWidget(m_detail);
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 1);
    split->setCollapsible(0, false);
    keepRowsVisible(view);
    layout->addWidget(split, 1);
    connect(view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &PagedLogView::showDetail);
    connect(m_model, &QAbstractItemModel::modelReset, this, &PagedLogView::showDetail);

    m_tail = new QTimer(this);
    m_tail->setInterval(2000);
    connect(m_tail, &QTimer::timeout, this, [this] {
        if (isVisible())
            tail();
    });
    m_tail->start();
    connect(m_follow, &QPushButton::toggled, this, [this](bool on) {
        if (on)
            tail();
    });

    connect(apply, &QPushButton::clicked, this, &PagedLogView::firstPage);
    connect(m_tenant, &QLineEdit::returnPressed, this, &PagedLogView::firstPage);
    connect(m_text, &QLineEdit::returnPressed, this, &PagedLogView::firstPage);
    connect(m_kind, &QComboBox::currentIndexChanged, this, &PagedLogView::firstPage);
    connect(m_newer, &QPushButton::clicked, this, &PagedLogView::previousPage);
    connect(m_older, &QPushButton::clicked, this, &PagedLogView::nextPage);
    connect(exportButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export CSV"), m_source.table.table + QStringLiteral(".csv"),
            tr("CSV files (*.csv)"));
        if (!path.isEmpty())
            exportCsv(path);
    });
    connect(this, &PagedLogView::exportFinished, this, [this](qint64 rows, const QString &error) {
        showStatus(this, error.isEmpty() ? tr("%1 rows exported").arg(rows) : error,
                   !error.isEmpty());
    });
    firstPage();
}

PagedLogView::~PagedLogView() = default;

LogFilter PagedLogView::filter() const
{
    LogFilter f;
    f.tenant = m_tenant->text().trimmed();
    f.text = m_text->text().trimmed();
    f.kind = m_kind->currentData().toString();
    return f;
}

void PagedLogView::firstPage()
{
    m_cursors.clear();
    load({});
}

void PagedLogView::nextPage()
{
    if (!m_nextCursor.isEmpty())
        load(m_nextCursor);
}

void PagedLogView::previousPage()
{
    if (m_cursors.size() < 2)
        return;
    m_cursors.removeLast();
    const QString cursor = m_cursors.takeLast();
    load(cursor);
}

bool PagedLogView::following() const
{
    return m_follow->isChecked();
}

void PagedLogView::setFollowing(bool follow)
{
    m_follow->setChecked(follow);
}

void PagedLogView::setTailInterval(int ms)
{
    m_tail->setInterval(ms);
}

void PagedLogView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    tail();
}

void PagedLogView::tail()
{
    if (following() && pageIndex() == 0 && !m_loading)
        load(QString(), true);
}

QString PagedLogView::detailText() const
{
    return m_detail->toPlainText();
}

void PagedLogView::showDetail()
{
    const int row = sourceRow(m_view->currentIndex());
    if (row < 0 || row >= m_model->rowCount()) {
        m_detail->clear();
        return;
    }
    QStringList lines;
    for (int c = 0; c < m_model->columnCount(); ++c) {
        if (m_source.hiddenColumns.contains(c))
            continue;
        const QString header = m_model->headerData(c, Qt::Horizontal).toString();
        if (m_source.changeColumns.contains(c)) {
            const QVariant v = m_model->value(row, c);
            lines << header + QLatin1Char(':');
            for (const QString &change : Format::changeLines(v.toString()))
                lines << QStringLiteral("  ") + change;
        } else {
            lines << header + QStringLiteral(": ") +
                         m_model->data(m_model->index(row, c)).toString();
        }
    }
    const QString text = lines.join(QLatin1Char('\n'));
    if (text != m_detail->toPlainText())
        m_detail->setPlainText(text);
}

void PagedLogView::load(const QString &cursor, bool tailing)
{
    LogPageQuery query{m_source.log, filter(), cursor, kPageSize};
    if (!tailing)
        m_cursors.append(cursor);
    const int generation = ++m_generation;
    m_loading = true;
    m_context.db->run<AdminValue<LogPage>>(
        this, [query](DbSession &s) { return s.admin.logPage(query); },
        [this, generation, tailing](const AdminValue<LogPage> &answer) {
            if (generation != m_generation)
                return; // another page was asked for meanwhile
            m_loading = false;
            if (!answer.ok) {
                if (!tailing)
                    showStatus(this, answer.error, true);
                else
                    return;
            }
            const LogPage &p = answer.value;
            const bool changed =
                p.rows.size() != m_model->rowCount() ||
                (!p.rows.isEmpty() && p.rows.first().value(0) != m_model->value(0, 0));
            if (tailing && !changed)
                return;
            m_model->setRows(p.rows);
            showDetail();
            m_nextCursor = p.next;
            const int first = pageIndex() * kPageSize;
            m_position->setText(p.rows.isEmpty()
                                    ? tr("no rows")
                                    : tr("rows %1–%2").arg(first + 1).arg(first + p.rows.size()));
            m_newer->setEnabled(m_cursors.size() > 1);
            m_older->setEnabled(!m_nextCursor.isEmpty());
            Q_EMIT pageLoaded();
        });
}

void PagedLogView::exportCsv(const QString &path)
{
    if (m_exporting)
        return;
    m_exporting = true;
    const QStringList header = m_source.table.columnNames();
    LogPageQuery query{m_source.log, filter(), QString(), 1000};
    // Its own thread and connection, so paging stays quick while a large export runs.
    m_exportWorker = newDbWorker(m_context);
    m_exportWorker->run<ExportResult>(
        this,
        [header, query, path](DbSession &s) mutable {
            ExportResult r;
            QSaveFile file(path);
            if (!file.open(QIODevice::WriteOnly | QIODevice::Text)) {
                r.error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
                return r;
            }
            file.write(header.join(QLatin1Char(',')).toUtf8() + '\n');
            for (;;) {
                const AdminValue<LogPage> page = s.admin.logPage(query);
                if (!page.ok) {
                    r.error = page.error;
                    return r;
                }
                QByteArray chunk;
                for (const QVariantList &row : page.value.rows) {
                    QStringList fields;
                    for (const QVariant &v : row)
                        fields << csvField(v.isNull() ? QString() : v.toString());
                    chunk += fields.join(QLatin1Char(',')).toUtf8() + '\n';
                }
                file.write(chunk);
                r.rows += page.value.rows.size();
                if (page.value.next.isEmpty())
                    break;
                query.cursor = page.value.next;
            }
            if (!file.commit())
                r.error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
            return r;
        },
        [this](const ExportResult &r) {
            m_exporting = false;
            m_exportWorker.reset();
            Q_EMIT exportFinished(r.rows, r.error);
        });
}

} // namespace relay::ui
