#include "PagedLogView.h"

#include "DbWorker.h"
#include "PanelUtil.h"
#include "RowTableModel.h"

#include <QComboBox>
#include <QDateTime>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QTableView>
#include <QVBoxLayout>

#include <memory>

namespace relay::ui {

namespace {

struct ExportResult
{
    qint64 rows = 0;
    QString error;
};

QString csvField(const QVariant &v)
{
    QString s = v.isNull() ? QString() : v.toString();
    if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')) ||
        s.contains(QLatin1Char('\n')))
        s = QLatin1Char('"') + s.replace(QLatin1Char('"'), QStringLiteral("\"\"")) +
            QLatin1Char('"');
    return s;
}

} // namespace

PagedLogView::PagedLogView(const ConsoleContext &context, LogSource source, const QString &name,
                           QWidget *parent)
    : QWidget(parent), m_context(context), m_source(std::move(source))
{
    setObjectName(name);
    m_model = new RowTableModel(m_source.headers, this);
    for (int c : std::as_const(m_source.timeColumns))
        m_model->setFormatter(c, RowTableModel::dateTime);
    for (int c : std::as_const(m_source.moneyColumns))
        m_model->setFormatter(c, RowTableModel::money);

    auto *layout = new QVBoxLayout(this);
    auto *filters = new QHBoxLayout;
    m_tenant = new QLineEdit(this);
    m_tenant->setObjectName(name + QStringLiteral("TenantFilter"));
    m_tenant->setPlaceholderText(tr("tenant id"));
    m_tenant->setToolTip(tr("Only this tenant's rows (exact id); Enter applies"));
    m_text = new QLineEdit(this);
    m_text->setObjectName(name + QStringLiteral("TextFilter"));
    m_text->setPlaceholderText(tr("contains…"));
    m_text->setToolTip(
        tr("Only rows whose %1 contains this text; Enter applies").arg(m_source.table.textColumn));
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
    m_newer = makeButton(this, tr("◀ Newer"), "", tr("The previous (newer) page"));
    m_newer->setObjectName(name + QStringLiteral("Newer"));
    m_older = makeButton(this, tr("Older ▶"), "", tr("The next (older) page"));
    m_older->setObjectName(name + QStringLiteral("Older"));
    m_position = new QLabel(this);
    filters->addWidget(m_newer);
    filters->addWidget(m_position);
    filters->addWidget(m_older);
    auto *exportButton = makeButton(this, tr("Export CSV…"), "",
                                    tr("Every row matching the filters, to a CSV file"));
    exportButton->setObjectName(name + QStringLiteral("Export"));
    filters->addWidget(exportButton);
    layout->addLayout(filters);
    auto *view = makeTable(this, m_model, "");
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
    layout->addWidget(view, 1);

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

void PagedLogView::load(const QString &cursor)
{
    LogPageQuery query{m_source.log, filter(), cursor, kPageSize};
    m_cursors.append(cursor);
    m_context.db->run<AdminValue<LogPage>>(
        this, [query](DbSession &s) { return s.admin.logPage(query); },
        [this](const AdminValue<LogPage> &answer) {
            if (!answer.ok)
                showStatus(this, answer.error, true);
            const LogPage &p = answer.value;
            m_model->setRows(p.rows);
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
                        fields << csvField(v);
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
