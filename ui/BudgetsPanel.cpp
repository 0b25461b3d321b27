#include "BudgetsPanel.h"

#include "AlertNotifier.h"
#include "ConsoleWrites.h"
#include "DbWorker.h"
#include "PanelUtil.h"
#include "RowTableModel.h"
#include "core/Format.h"
#include "store/AdminService.h"
#include "store/UsageReport.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QPainter>
#include <QPushButton>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTimeZone>
#include <QTimer>
#include <QVBoxLayout>

#include <QValueAxis>
#include <algorithm>

namespace relay::ui {

namespace {

enum BudgetColumn { BTenant, BBudget, BSpent, BUsed, BForecast, BKind, BThresholds };
enum AlertColumn { AId, ATime, ATenant, AKind, AThreshold, ASpent, ABudget, AAcked, ADelivery };

constexpr qint64 kDayMs = 86'400'000;

// Draws the "used" column as a bar: green below 80 %, amber to 100 %, red beyond.
class SpendBarDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override
    {
        const QVariant v = index.data(Qt::UserRole);
        if (v.isNull()) {
            QStyledItemDelegate::paint(painter, option, index);
            return;
        }
        const double share = v.toDouble();
        painter->save();
        const QRect r = option.rect.adjusted(3, 4, -3, -4);
        painter->setPen(Qt::NoPen);
        painter->setBrush(option.palette.alternateBase());
        painter->drawRect(r);
        const QColor color = share >= 1.0   ? QColor(0xd32f2f)
                             : share >= 0.8 ? QColor(0xf9a825)
                                            : QColor(0x43a047);
        painter->setBrush(color);
        painter->drawRect(QRect(r.topLeft(), QSize(int(r.width() * qMin(share, 1.0)), r.height())));
        painter->setPen(option.palette.color(QPalette::Text));
        painter->drawText(r, Qt::AlignCenter,
                          Format::number(share * 100, 1) + QStringLiteral(" %"));
        painter->restore();
    }
};

// Newest first, as many as the list shows.
constexpr int kAlertsShown = 500;

struct BudgetData
{
    AdminValue<QList<TenantRecord>> tenants; // budgets and this month's spend
    QHash<QString, double> lastDay;
    QList<double> daily;
    AdminValue<QList<AlertRecord>> alerts;
    AdminValue<QList<SettingRecord>> settings;
    qint64 nowMs = 0;
};

} // namespace

BudgetsPanel::BudgetsPanel(const ConsoleContext &context, QWidget *parent)
    : QWidget(parent), m_context(context)
{
    setObjectName(QStringLiteral("budgetsPanel"));
    m_budgets = new RowTableModel({tr("Tenant"), tr("Budget"), tr("Spent"), tr("Used"),
                                   tr("Forecast"), tr("Kind"), tr("Alerts at %")},
                                  this);
    m_budgets->setFormatter(BBudget, RowTableModel::money);
    m_budgets->setFormatter(BSpent, RowTableModel::money);
    m_budgets->setFormatter(BForecast, RowTableModel::money);
    m_budgets->setFormatter(BUsed, [](const QVariant &v) {
        return v.isNull() ? QStringLiteral("no budget")
                          : Format::number(v.toDouble() * 100, 1) + QStringLiteral(" %");
    });
    m_budgets->setToolTip(BForecast, tr("Spend so far + the last 24 hours' rate × the time left "
                                        "in the month; red: over the budget, amber: the "
                                        "forecast is"));
    // Over the budget: red; on course to overrun it by the month's end: amber.
    m_budgets->setRowColor([](const QVariantList &row) {
        const QVariant budget = row.value(BBudget);
        if (budget.isNull())
            return QColor();
        if (row.value(BSpent).toDouble() >= budget.toDouble())
            return RowTableModel::overColor();
        if (row.value(BForecast).toDouble() > budget.toDouble())
            return RowTableModel::warnColor();
        return QColor();
    });
    m_alerts = new RowTableModel({tr("Id"), tr("Time"), tr("Tenant"), tr("Kind"), tr("At %"),
                                  tr("Spent"), tr("Budget"), tr("Acknowledged"), tr("Webhook")},
                                 this);
    m_alerts->setTimeColumn(ATime);
    m_alerts->setFormatter(ASpent, RowTableModel::money);
    m_alerts->setFormatter(ABudget, RowTableModel::money);
    m_alerts->setRowColor([yes = tr("yes")](const QVariantList &row) {
        return row.value(AAcked).toString() == yes ? QColor() : RowTableModel::warnColor();
    });

    QVBoxLayout *layout = makeScrollingContent(this, "budgetsScroll");
    m_empty = makeEmptyState(this, "budgetsEmptyState",
                             tr("No tenants yet. Budgets, spend and alerts are per tenant: add "
                                "one, with its monthly budget."),
                             tr("Add tenant…"), "budgetsAddTenantButton",
                             [this] { openAddDialog(this, QStringLiteral("tenantsPanel")); });
    layout->addWidget(m_empty);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    auto *top = new QSplitter(Qt::Horizontal, splitter);
    auto *budgetView = makeTable(top, m_budgets, "budgetTable");
    budgetView->setItemDelegateForColumn(BUsed, new SpendBarDelegate(budgetView));
    // The bar keeps room for "100.0 %" however narrow the window (1.5× scaling); the thresholds
    // column takes what is left.
    budgetView->horizontalHeader()->setSectionResizeMode(BUsed, QHeaderView::Interactive);
    budgetView->horizontalHeader()->resizeSection(
        BUsed, budgetView->fontMetrics().horizontalAdvance(QStringLiteral("100.0 %")) + 40);
    budgetView->horizontalHeader()->setStretchLastSection(true);
    budgetView->horizontalHeader()->setStretchLastSection(false);

    auto *chartBox = new QWidget(top);
    auto *chartLayout = new QVBoxLayout(chartBox);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    auto *pick = new QHBoxLayout;
    pick->addWidget(new QLabel(tr("Month to date for:"), chartBox));
    m_tenant = new QComboBox(chartBox);
    m_tenant->setObjectName(QStringLiteral("budgetTenantCombo"));
    m_tenant->addItem(tr("all tenants"), QString());
    m_tenant->setToolTip(tr("Whose spend the curve shows"));
    pick->addWidget(m_tenant, 1);
    chartLayout->addLayout(pick);
    auto *chart = new QChart;
    chart->setTitle(tr("Spend this month, with the forecast to month end"));
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->legend()->setAlignment(Qt::AlignBottom);
    m_curve = new QLineSeries(chart);
    m_curve->setName(tr("spent"));
    m_curve->setPen(QPen(QColor(0x1f77b4), 2));
    m_forecast = new QLineSeries(chart);
    m_forecast->setName(tr("forecast"));
    m_forecast->setPen(QPen(QColor(0x1f77b4), 2, Qt::DashLine));
    m_limit = new QLineSeries(chart);
    m_limit->setName(tr("budget"));
    m_limit->setPen(QPen(QColor(0xd32f2f), 1.5, Qt::DotLine));
    m_x = new QValueAxis(chart);
    m_x->setTitleText(tr("day of month"));
    m_x->setLabelFormat(QStringLiteral("%d"));
    m_y = new QValueAxis(chart);
    m_y->setTitleText(QStringLiteral("USD"));
    m_y->setLabelFormat(QStringLiteral("%.0f"));
    chart->addAxis(m_x, Qt::AlignBottom);
    chart->addAxis(m_y, Qt::AlignLeft);
    for (QLineSeries *s : {m_curve, m_forecast, m_limit}) {
        chart->addSeries(s);
        s->attachAxis(m_x);
        s->attachAxis(m_y);
    }
    m_chartView = new QChartView(chart, chartBox);
    m_chartView->setObjectName(QStringLiteral("monthChart"));
    m_chartView->setRenderHint(QPainter::Antialiasing);
    m_chartView->setMinimumHeight(220);
    chartLayout->addWidget(m_chartView, 1);
    top->setStretchFactor(0, 1);
    top->setStretchFactor(1, 1);

    auto *alertsBox = new QWidget(splitter);
    auto *alertsLayout = new QVBoxLayout(alertsBox);
    alertsLayout->setContentsMargins(0, 0, 0, 0);
    auto *alertButtons = new QHBoxLayout;
    alertButtons->addWidget(new QLabel(tr("Budget alerts:"), alertsBox));
    alertButtons->addStretch(1);
    alertButtons->addWidget(new QLabel(tr("Global webhook:"), alertsBox));
    m_webhook = new QLineEdit(alertsBox);
    m_webhook->setObjectName(QStringLiteral("globalWebhookEdit"));
    m_webhook->setPlaceholderText(QStringLiteral("https://hooks.example.com/…"));
    m_webhook->setToolTip(tr("Receives the alerts of every tenant without its own webhook"));
    m_webhook->setMinimumWidth(260);
    alertButtons->addWidget(m_webhook);
    auto *saveHook = makeButton(alertsBox, tr("Save"), "saveWebhookButton",
                                tr("Store the global webhook (settings webhook_url)"));
    alertButtons->addWidget(saveHook);
    auto *ack = makeButton(alertsBox, tr("&Acknowledge"), "acknowledgeAlertButton",
                           tr("Mark the selected alert as seen"));
    alertButtons->addWidget(ack);
    alertsLayout->addLayout(alertButtons);
    m_alertView = makeTable(alertsBox, m_alerts, "alertTable");
    alertsLayout->addWidget(m_alertView);
    keepRowsVisible(budgetView);
    keepRowsVisible(m_alertView);
    splitter->setChildrenCollapsible(false);
    top->setChildrenCollapsible(false);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter);

    connect(ack, &QPushButton::clicked, this, &BudgetsPanel::acknowledge);
    connect(saveHook, &QPushButton::clicked, this, &BudgetsPanel::saveWebhook);
    connect(m_tenant, &QComboBox::currentIndexChanged, this, &BudgetsPanel::refresh);
    auto *poll = new QTimer(this);
    connect(poll, &QTimer::timeout, this, &BudgetsPanel::refresh);
    poll->start(3000);
    refresh();
}

int BudgetsPanel::curvePoints() const
{
    return int(m_curve->count());
}

int BudgetsPanel::forecastPoints() const
{
    return int(m_forecast->count());
}

void BudgetsPanel::refresh()
{
    if (!m_gate.begin())
        return;
    const QString tenant = m_tenant->currentData().toString();
    m_context.reports->run<BudgetData>(
        this,
        [tenant](DbSession &s) {
            BudgetData d;
            d.nowMs = QDateTime::currentMSecsSinceEpoch();
            d.tenants = s.admin.listTenants();
            // The relay's month: its spend per day and each tenant's last 24 hours.
            if (const AdminValue<SpendOverview> spend = s.admin.spendOverview(tenant); spend.ok) {
                d.lastDay = spend.value.lastDay;
                d.daily = spend.value.daily;
            }
            d.alerts = s.admin.listAlerts();
            d.settings = s.admin.listSettings();
            return d;
        },
        [this, tenant](const BudgetData &d) {
            if (m_gate.end())
                QTimer::singleShot(0, this, &BudgetsPanel::refresh);
            if (!d.tenants.ok)
                showStatus(this, d.tenants.error, true);
            m_empty->setVisible(d.tenants.ok && d.tenants.value.isEmpty());
            QHash<QString, TenantRecord> tenants;
            for (const TenantRecord &t : d.tenants.value)
                tenants.insert(t.id, t);
            const qint64 start = UsageReport::monthStartMs(d.nowMs);
            const QDate first = QDateTime::fromMSecsSinceEpoch(start, QTimeZone::utc()).date();
            const double monthMs = double(first.daysInMonth()) * kDayMs;
            const double elapsedMs = double(d.nowMs - start);
            const double leftMs = monthMs - elapsedMs;
            // The forecast's rate: the last 24 hours, or the whole period when shorter.
            auto forecast = [&](const QString &id) {
                const double spent = tenants.value(id).spentUsd;
                const double rate = elapsedMs < kDayMs ? spent / qMax(elapsedMs, 1.0)
                                                       : d.lastDay.value(id) / kDayMs;
                return spent + rate * leftMs;
            };
            QStringList ids = tenants.keys();
            ids.sort();
            QList<QVariantList> rows;
            for (const QString &id : std::as_const(ids)) {
                const ConsoleWrites::BudgetChanges b = ConsoleWrites::budgetOf(tenants.value(id));
                const double spent = tenants.value(id).spentUsd;
                rows.append(
                    {id, b.budgetUsd ? QVariant(*b.budgetUsd) : QVariant(), spent,
                     b.budgetUsd && *b.budgetUsd > 0 ? QVariant(spent / *b.budgetUsd) : QVariant(),
                     forecast(id), b.soft ? tr("soft") : tr("hard"),
                     b.thresholds.isEmpty() ? QStringLiteral("50,80,100") : b.thresholds});
                if (m_tenant->findData(id) < 0)
                    m_tenant->addItem(id, id);
            }
            m_budgets->setRows(rows);

            // The month-to-date curve, one point per day end (today: now), and the forecast
            // from now to the month's end.
            QList<QPointF> curve{{0, 0}};
            double cumulative = 0;
            for (int day = 0; day < d.daily.size(); ++day) {
                cumulative += d.daily.at(day);
                const double x = day + 1 == d.daily.size() ? elapsedMs / kDayMs : day + 1.0;
                curve.append({x, cumulative});
            }
            double total = 0;
            std::optional<double> budget;
            if (tenant.isEmpty()) {
                // All tenants: their forecasts and their budgets added up.
                for (const QString &id : std::as_const(ids)) {
                    total += forecast(id);
                    if (const auto b = tenants.value(id).budgetUsd)
                        budget = budget.value_or(0) + *b;
                }
            } else {
                total = forecast(tenant);
                budget = tenants.value(tenant).budgetUsd;
            }
            m_curve->replace(curve);
            m_forecast->replace({{elapsedMs / kDayMs, cumulative}, {monthMs / kDayMs, total}});
            if (budget)
                m_limit->replace({{0, *budget}, {monthMs / kDayMs, *budget}});
            else
                m_limit->clear();
            m_x->setRange(0, first.daysInMonth());
            m_x->setTickCount(qMin(first.daysInMonth() / 5 + 1, 8));
            const double top = std::max({total, cumulative, budget.value_or(0), 1.0}) * 1.1;
            m_y->setRange(0, top);
            m_y->applyNiceNumbers();

            QList<QVariantList> alerts;
            qint64 newest = m_lastAlertId;
            for (qsizetype i = d.alerts.value.size() - 1; i >= 0 && alerts.size() < kAlertsShown;
                 --i) {
                const AlertRecord &a = d.alerts.value.at(i);
                alerts.append({a.id, a.timeMs, a.tenantId, a.kind, a.threshold, a.spentUsd,
                               a.budgetUsd, a.acknowledged ? tr("yes") : tr("no"), a.delivery});
                newest = qMax(newest, a.id);
                if (m_lastAlertId >= 0 && a.id > m_lastAlertId && !a.acknowledged &&
                    m_context.notifier)
                    m_context.notifier->notify(
                        tr("Budget alert: %1").arg(a.tenantId),
                        a.kind == QLatin1String("forecast")
                            ? tr("%1 is forecast to overrun its %2 budget this month")
                                  .arg(a.tenantId, Format::money(a.budgetUsd))
                            : tr("%1 has spent %2, %3 % of its %4 budget")
                                  .arg(a.tenantId, Format::money(a.spentUsd))
                                  .arg(a.threshold)
                                  .arg(Format::money(a.budgetUsd)));
            }
            m_lastAlertId = qMax<qint64>(newest, 0);
            m_unacknowledged =
                int(std::count_if(d.alerts.value.begin(), d.alerts.value.end(),
                                  [](const AlertRecord &a) { return !a.acknowledged; }));
            m_alerts->setRows(alerts);
            if (!m_webhookLoaded) {
                m_webhook->setText(settingValue(d.settings.value, QStringLiteral("webhook_url")));
                m_webhookLoaded = true;
            }
            ++m_refreshes;
            Q_EMIT refreshed();
        });
}

void BudgetsPanel::acknowledge()
{
    const QModelIndex current = m_alertView->currentIndex();
    if (!current.isValid())
        return;
    const qint64 id = m_alerts->value(sourceRow(current), AId).toLongLong();
    m_context.db->run<AdminResult>(
        this, [id](DbSession &s) { return s.admin.acknowledgeAlert(id); },
        [this, id](const AdminResult &r) {
            showStatus(this, r.ok ? tr("Alert %1 acknowledged").arg(id) : r.error, !r.ok);
            refresh();
        });
}

void BudgetsPanel::saveWebhook()
{
    const QString url = m_webhook->text().trimmed();
    m_context.db->write(
        this,
        [url](DbSession &s) {
            return ConsoleWrites::setSetting(s.admin, QStringLiteral("webhook_url"), url);
        },
        [this](const AdminResult &r) {
            showStatus(this, r.ok ? tr("Global webhook saved") : r.error, !r.ok);
        });
}

} // namespace relay::ui
