#include "TenantView.h"

#include "DbWorker.h"
#include "RowTableModel.h"

#include <QChart>
#include <QChartView>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <QValueAxis>

namespace relay::ui {

namespace {

constexpr qint64 kMinuteMs = 60'000;
constexpr double kDayMs = 86'400'000.0;

// The request log's columns (LogPages::requests()).
enum RequestColumn {
    RTime = 1,
    RModel = 7,
    RStatus = 9,
    RPrompt = 10,
    RCompletion = 11,
    RError = 14
};

QProgressBar *gaugeBar(QWidget *parent, const char *objectName)
{
    auto *bar = new QProgressBar(parent);
    bar->setObjectName(QLatin1String(objectName));
    bar->setTextVisible(true);
    bar->setMinimumWidth(260);
    return bar;
}

} // namespace

struct TenantView::Data
{
    AdminValue<TenantDetails> details;
    AdminValue<SpendOverview> spend;
    AdminValue<LogPage> errors;
    qint64 tokensLastMinute = 0;
    qint64 nowMs = 0;
};

TenantView::TenantView(const ConsoleContext &context, const QString &tenant, QWidget *parent)
    : QDialog(parent), m_context(context), m_tenant(tenant)
{
    setObjectName(QStringLiteral("tenantView"));
    setWindowTitle(tr("Tenant %1").arg(tenant));
    setAttribute(Qt::WA_DeleteOnClose);
    // On a small screen (1366×768 at 1.5×) the view scrolls; its buttons stay in sight.
    QVBoxLayout *layout = makeScrollingContent(this, "tenantViewScroll");
    auto *outer = qobject_cast<QVBoxLayout *>(this->layout());
    outer->setContentsMargins(layout->contentsMargins());
    layout->setContentsMargins(0, 0, 0, 0);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("tenantSummary"));
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);

    auto *top = new QHBoxLayout;
    auto *limits = new QGroupBox(tr("Limits and use now"), this);
    auto *grid = new QGridLayout(limits);
    m_rpm = gaugeBar(limits, "rpmGauge");
    m_tpm = gaugeBar(limits, "tpmGauge");
    m_concurrency = gaugeBar(limits, "concurrencyGauge");
    grid->addWidget(new QLabel(tr("Requests/min"), limits), 0, 0);
    grid->addWidget(m_rpm, 0, 1);
    grid->addWidget(new QLabel(tr("Tokens/min"), limits), 1, 0);
    grid->addWidget(m_tpm, 1, 1);
    grid->addWidget(new QLabel(tr("In flight"), limits), 2, 0);
    grid->addWidget(m_concurrency, 2, 1);
    m_tpm->setToolTip(tr("Prompt and completion tokens of the requests answered in the last "
                         "minute (from the request log)"));
    m_rpm->setToolTip(tr("The relay's current rate for this tenant, per minute"));
    top->addWidget(limits);

    auto *spendBox = new QGroupBox(tr("Spend this month"), this);
    auto *spendLayout = new QVBoxLayout(spendBox);
    m_spend = new QLabel(spendBox);
    m_spend->setObjectName(QStringLiteral("tenantSpendLabel"));
    auto *chart = new QChart;
    chart->legend()->hide();
    chart->setMargins(QMargins(2, 2, 2, 2));
    m_curve = new QLineSeries(chart);
    m_curve->setPen(QPen(QColor(0x1f77b4), 2));
    m_budget = new QLineSeries(chart);
    m_budget->setPen(QPen(QColor(0xd62728), 1.5, Qt::DashLine));
    m_spendX = new QValueAxis(chart);
    m_spendX->setLabelFormat(QStringLiteral("%d"));
    m_spendX->setTitleText(tr("day of month (UTC)"));
    m_spendY = new QValueAxis(chart);
    m_spendY->setLabelFormat(QStringLiteral("$%.2f"));
    chart->addAxis(m_spendX, Qt::AlignBottom);
    chart->addAxis(m_spendY, Qt::AlignLeft);
    for (QLineSeries *s : {m_curve, m_budget}) {
        chart->addSeries(s);
        s->attachAxis(m_spendX);
        s->attachAxis(m_spendY);
    }
    auto *chartView = new QChartView(chart, spendBox);
    chartView->setObjectName(QStringLiteral("tenantSpendChart"));
    chartView->setRenderHint(QPainter::Antialiasing);
    chartView->setMinimumHeight(160);
    spendLayout->addWidget(m_spend);
    spendLayout->addWidget(chartView, 1);
    top->addWidget(spendBox, 1);
    layout->addLayout(top);

    auto *tables = new QVBoxLayout; // full width each: times carry their zone
    auto *keysBox = new QGroupBox(tr("Keys"), this);
    m_keys = new RowTableModel(
        {tr("Key"), tr("Label"), tr("Created"), tr("Expires"), tr("Last used"), tr("State")}, this);
    for (int c : {2, 3, 4})
        m_keys->setFormatter(c, RowTableModel::dateTime);
    auto *keyView = makeTable(keysBox, m_keys, "tenantKeyTable");
    keepRowsVisible(keyView);
    (new QVBoxLayout(keysBox))->addWidget(keyView);
    tables->addWidget(keysBox, 1);
    auto *errorsBox = new QGroupBox(tr("Recent errors"), this);
    m_errors = new RowTableModel({tr("Time"), tr("Status"), tr("Model"), tr("Error")}, this);
    m_errors->setFormatter(0, RowTableModel::dateTime);
    auto *errorView = makeTable(errorsBox, m_errors, "tenantErrorTable");
    keepRowsVisible(errorView);
    (new QVBoxLayout(errorsBox))->addWidget(errorView);
    tables->addWidget(errorsBox, 2);
    layout->addLayout(tables, 1);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    auto *requests =
        buttons->addButton(tr("Show &requests in the log"), QDialogButtonBox::ActionRole);
    requests->setObjectName(QStringLiteral("showTenantRequestsButton"));
    connect(requests, &QPushButton::clicked, this, [this] { Q_EMIT requestsWanted(m_tenant); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    outer->addWidget(buttons);
    resize(sizeOnScreen(this, QSize(980, 660)));

    auto *poll = new QTimer(this);
    connect(poll, &QTimer::timeout, this, [this] {
        if (isVisible())
            refresh();
    });
    poll->start(5000);
    refresh();
}

void TenantView::refresh()
{
    if (!m_gate.begin())
        return;
    const QString tenant = m_tenant;
    m_context.db->run<Data>(
        this,
        [tenant](DbSession &s) {
            Data d;
            d.nowMs = QDateTime::currentMSecsSinceEpoch();
            d.details = s.admin.tenant(tenant);
            d.spend = s.admin.spendOverview(tenant);
            LogPageQuery errors;
            errors.filter.tenant = tenant;
            errors.filter.kind = QStringLiteral("errors");
            errors.limit = 20;
            d.errors = s.admin.logPage(errors);
            // Tokens in the last minute: the newest requests until one is older than that.
            LogPageQuery recent;
            recent.filter.tenant = tenant;
            recent.limit = 1000;
            if (const AdminValue<LogPage> page = s.admin.logPage(recent); page.ok)
                for (const QVariantList &row : page.value.rows) {
                    if (row.value(RTime).toLongLong() < d.nowMs - kMinuteMs)
                        break;
                    d.tokensLastMinute +=
                        row.value(RPrompt).toLongLong() + row.value(RCompletion).toLongLong();
                }
            return d;
        },
        [this](const Data &d) {
            if (m_gate.end())
                QTimer::singleShot(0, this, &TenantView::refresh);
            apply(d);
            Q_EMIT refreshed();
        });
}

void TenantView::apply(const Data &d)
{
    if (!d.details.ok) {
        m_summary->setText(d.details.error);
        return;
    }
    const TenantRecord &t = d.details.value.tenant;
    m_record = t;
    m_summary->setText(
        tr("<b>%1</b> · %2 · %3")
            .arg(t.id.toHtmlEscaped(), t.tier,
                 t.enabled ? tr("enabled") : tr("<span style='color:#b00020'>disabled</span>")));
    m_tokensLastMinute = d.tokensLastMinute;

    QList<QVariantList> keys;
    for (const KeyRecord &k : d.details.value.keys)
        keys.append({k.prefix + QStringLiteral("…"), k.label, k.createdMs,
                     k.expiresMs ? QVariant(*k.expiresMs) : QVariant(),
                     k.lastUsedMs ? QVariant(*k.lastUsedMs) : QVariant(),
                     k.revoked                                ? tr("revoked")
                     : k.expiresMs && *k.expiresMs <= d.nowMs ? tr("expired")
                                                              : tr("active")});
    m_keys->setRows(keys);
    QList<QVariantList> errors;
    if (d.errors.ok)
        for (const QVariantList &row : d.errors.value.rows)
            errors.append(
                {row.value(RTime), row.value(RStatus), row.value(RModel), row.value(RError)});
    m_errors->setRows(errors);

    // The month's cumulative spend, a point per day end (today: now), against the budget.
    if (d.spend.ok) {
        QList<QPointF> curve{{0, 0}};
        double cumulative = 0;
        const qint64 monthStart = d.spend.value.monthStartMs;
        for (int day = 0; day < d.spend.value.daily.size(); ++day) {
            cumulative += d.spend.value.daily.at(day);
            const double x =
                day + 1 == d.spend.value.daily.size() ? (d.nowMs - monthStart) / kDayMs : day + 1.0;
            curve.append({x, cumulative});
        }
        m_curve->replace(curve);
        const int days = QDateTime::fromMSecsSinceEpoch(monthStart, Qt::UTC).date().daysInMonth();
        m_spendX->setRange(0, days);
        double top = qMax(cumulative, 0.01);
        if (t.budgetUsd) {
            m_budget->replace({{0, *t.budgetUsd}, {double(days), *t.budgetUsd}});
            top = qMax(top, *t.budgetUsd);
        } else {
            m_budget->clear();
        }
        m_spendY->setRange(0, top * 1.1);
        m_spend->setText(t.budgetUsd ? tr("%1 of %2 budget")
                                           .arg(RowTableModel::money(cumulative),
                                                RowTableModel::money(*t.budgetUsd))
                                     : tr("%1, no budget").arg(RowTableModel::money(cumulative)));
    }
    showGauge(m_rpm, qRound64(m_requestsPerSec * 60), t.rpm, tr("per minute"));
    showGauge(m_tpm, m_tokensLastMinute, t.tpm, tr("per minute"));
    showGauge(m_concurrency, m_inFlight, t.concurrency, tr("at once"));
}

void TenantView::applyStats(const relay::EngineStatsSnapshot &stats)
{
    for (const FlowSnapshot &f : stats.tenants)
        if (f.name == m_tenant) {
            m_requestsPerSec = f.requestsPerSec;
            m_inFlight = f.inFlight;
        }
    if (!m_record)
        return;
    showGauge(m_rpm, qRound64(m_requestsPerSec * 60), m_record->rpm, tr("per minute"));
    showGauge(m_concurrency, m_inFlight, m_record->concurrency, tr("at once"));
}

void TenantView::showGauge(QProgressBar *bar, qint64 value, std::optional<qint64> limit,
                           const QString &unit)
{
    const QLocale locale;
    if (!limit) {
        // No limit: an empty bar that says so, never a full one.
        bar->setRange(0, 1);
        bar->setValue(0);
        bar->setFormat(tr("%1 %2 · no limit").arg(locale.toString(value), unit));
        return;
    }
    // QProgressBar counts in int; a limit beyond that is scaled down with the value.
    const double scale = *limit > 1'000'000'000 ? double(*limit) / 1'000'000'000 : 1.0;
    bar->setRange(0, int(*limit / scale));
    bar->setValue(int(qMin(value, *limit) / scale));
    bar->setFormat(tr("%1 of %2 %3").arg(locale.toString(value), locale.toString(*limit), unit));
    // Near the limit the bar turns amber, at it red.
    const double share = *limit > 0 ? double(value) / double(*limit) : 1.0;
    bar->setStyleSheet(share >= 1.0 ? QStringLiteral("QProgressBar::chunk { background: #c62828; }")
                       : share >= 0.8
                           ? QStringLiteral("QProgressBar::chunk { background: #ef8f00; }")
                           : QString());
}

TenantView::Gauge TenantView::gauge(const char *objectName) const
{
    const auto *bar = findChild<QProgressBar *>(QLatin1String(objectName));
    if (!bar)
        return {};
    const bool limited = !bar->format().contains(tr("no limit"));
    return {bar->text(), limited ? bar->value() : 0, limited ? bar->maximum() : 0};
}

int TenantView::spendPoints() const
{
    return int(m_curve->count());
}

} // namespace relay::ui
