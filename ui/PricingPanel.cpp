#include "PricingPanel.h"

#include "DbWorker.h"
#include "FormChecks.h"
#include "PanelUtil.h"
#include "RowTableModel.h"
#include "billing/PriceList.h"
#include "store/AdminService.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateEdit>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMap>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>

namespace relay::ui {

namespace {

enum CompareColumn { CKey, CTenant, CModel, CRequests, CPrompt, CCompletion, CCost, CAlt, CDelta };

NumberField *priceField(QWidget *parent, const char *name, const QString &toolTip)
{
    auto *field = new NumberField(QLatin1String(name), QString(), parent);
    field->edit()->setToolTip(toolTip);
    field->edit()->setPlaceholderText(QStringLiteral("USD / Mtok"));
    keepPlaceholderReadable(field->edit());
    return field;
}

// A price field's problem, as `price set` finds it.
FormChecks::Check priceCheck(const NumberField *field)
{
    return [field]() -> QString {
        QString error;
        const std::optional<double> usd = field->decimalNumber(&error);
        if (!usd)
            return error;
        const AdminResult r = AdminService::checkPrices(*usd, 0);
        return r.ok ? QString() : r.error;
    };
}

} // namespace

PricingPanel::PricingPanel(const ConsoleContext &context, QWidget *parent)
    : QWidget(parent), m_context(context)
{
    setObjectName(QStringLiteral("pricingPanel"));
    m_prices = new RowTableModel({tr("Model"), tr("Input $/Mtok"), tr("Output $/Mtok")}, this);
    m_prices->setFormatter(1, RowTableModel::money);
    m_prices->setFormatter(2, RowTableModel::money);
    m_comparison = new RowTableModel({tr("Key"), tr("Tenant"), tr("Model"), tr("Requests"),
                                      tr("Prompt tokens"), tr("Completion tokens"), tr("Cost"),
                                      tr("Alternative"), tr("Delta")},
                                     this);
    for (int c : {CRequests, CPrompt, CCompletion})
        m_comparison->setFormatter(c, RowTableModel::number);
    for (int c : {CCost, CAlt, CDelta})
        m_comparison->setFormatter(c, RowTableModel::money);
    m_comparison->setToolTip(CDelta, tr("Alternative − actual: negative means it would have "
                                        "been cheaper"));

    auto *layout = new QHBoxLayout;
    makeScrollingContent(this, "pricingScroll")->addLayout(layout);
    auto *pricesBox = new QGroupBox(tr("Price table (USD per million tokens)"), this);
    auto *pricesLayout = new QVBoxLayout(pricesBox);
    auto *priceView = makeTable(pricesBox, m_prices, "priceTable");
    keepRowsVisible(priceView);
    pricesLayout->addWidget(priceView, 1);
    m_model = new QLineEdit(pricesBox);
    m_model->setObjectName(QStringLiteral("priceModelEdit"));
    m_model->setPlaceholderText(QStringLiteral("gpt-4o"));
    m_model->setToolTip(tr("A price also covers dated variants (longest prefix)"));
    keepPlaceholderReadable(m_model);
    m_input = priceField(pricesBox, "priceInput", tr("USD per million prompt tokens"));
    m_output = priceField(pricesBox, "priceOutput", tr("USD per million completion tokens"));
    auto *set = makeButton(pricesBox, tr("&Set price"), "setPriceButton",
                           tr("Add or change the model's price"));
    // Set is enabled only while the model and both prices are what `price set` accepts.
    auto *checks = new FormChecks(set, pricesBox);
    // One field a row: side by side they would squeeze each other in the narrow box.
    auto *form = new QFormLayout;
    const auto row = [&](const QString &text, QWidget *buddy, QWidget *field) {
        auto *label = new QLabel(text, pricesBox);
        label->setBuddy(buddy);
        form->addRow(label, field);
    };
    row(tr("&Model:"), m_model, checks->add(m_model, "priceModelError", [this]() -> QString {
        return m_model->text().trimmed().isEmpty() ? tr("Name the model") : QString();
    }));
    row(tr("&Input:"), m_input->edit(),
        checks->add(m_input, "priceInputError", priceCheck(m_input)));
    row(tr("&Output:"), m_output->edit(),
        checks->add(m_output, "priceOutputError", priceCheck(m_output)));
    for (QObject *source : std::initializer_list<QObject *>{m_model, m_input, m_output})
        checks->watch(source);
    checks->recheck();
    pricesLayout->addLayout(form);
    auto *priceButtons = new QHBoxLayout;
    auto *remove = makeButton(pricesBox, tr("Remove"), "removePriceButton",
                              tr("Remove the model's price (its requests then cost 0)"));
    priceButtons->addStretch(1);
    priceButtons->addWidget(set);
    priceButtons->addWidget(remove);
    pricesLayout->addLayout(priceButtons);
    layout->addWidget(pricesBox, 1);

    auto *compareBox = new QGroupBox(tr("Cost comparison"), this);
    auto *compareLayout = new QVBoxLayout(compareBox);
    auto *controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Since:"), compareBox));
    m_since = new QDateEdit(compareBox);
    m_since->setObjectName(QStringLiteral("compareSinceEdit"));
    m_since->setCalendarPopup(true);
    m_since->setDisplayFormat(QStringLiteral("yyyy-MM-dd"));
    const QDate today = QDateTime::currentDateTimeUtc().date();
    m_since->setDate(QDate(today.year(), today.month(), 1));
    m_since->setToolTip(tr("First UTC day counted"));
    controls->addWidget(m_since);
    controls->addWidget(new QLabel(tr("Compare with:"), compareBox));
    m_source = new QComboBox(compareBox);
    m_source->setObjectName(QStringLiteral("compareSourceCombo"));
    m_source->addItem(tr("shipped pricing.json"));
    m_source->addItem(tr("choose a file…"));
    m_source->setToolTip(tr("The alternative price table: {\"MODEL\": {\"input\": USD, "
                            "\"output\": USD}}"));
    controls->addWidget(m_source, 1);
    compareLayout->addLayout(controls);
    auto *split = new QSplitter(Qt::Vertical, compareBox);
    auto *compareView = makeTable(split, m_comparison, "comparisonTable");
    compareView->hideColumn(CKey);
    // Every column in view at 1366×768, the Delta (the one that matters) included: the
    // comparison gets two thirds of the width.
    compareView->horizontalHeader()->setStretchLastSection(false);
    auto *chart = new QChart;
    chart->setTitle(tr("Actual vs alternative cost per tenant"));
    chart->setMargins(QMargins(4, 4, 4, 4));
    m_bars = new QBarSeries(chart);
    chart->addSeries(m_bars);
    m_categories = new QBarCategoryAxis(chart);
    m_y = new QValueAxis(chart);
    m_y->setLabelFormat(QStringLiteral("$%.0f"));
    chart->addAxis(m_categories, Qt::AlignBottom);
    chart->addAxis(m_y, Qt::AlignLeft);
    m_bars->attachAxis(m_categories);
    m_bars->attachAxis(m_y);
    auto *chartView = new QChartView(chart, split);
    chartView->setObjectName(QStringLiteral("comparisonChart"));
    chartView->setRenderHint(QPainter::Antialiasing);
    // Small screens: the bars and the tenants' names stay readable; the panel scrolls.
    chartView->setMinimumHeight(200);
    keepRowsVisible(compareView);
    split->setChildrenCollapsible(false);
    compareLayout->addWidget(split, 1);
    layout->addWidget(compareBox, 2);

    connect(priceView, &QTableView::clicked, this, [this](const QModelIndex &i) {
        m_model->setText(m_prices->value(sourceRow(i), 0).toString());
        m_input->setText(QString::number(m_prices->value(sourceRow(i), 1).toDouble(), 'g', 15));
        m_output->setText(QString::number(m_prices->value(sourceRow(i), 2).toDouble(), 'g', 15));
    });
    auto writePrice = [this](bool removing) {
        const QString model = m_model->text().trimmed();
        QString error; // Set is disabled while a price is not a number
        const double input = m_input->decimalNumber(&error).value_or(0);
        const double output = m_output->decimalNumber(&error).value_or(0);
        m_context.db->write(
            this,
            [=](DbSession &s) {
                return removing ? s.admin.removePrice(model)
                                : s.admin.setPrice(model, input, output);
            },
            [this, model, removing](const AdminResult &r) {
                showStatus(
                    this,
                    r.ok ? (removing ? tr("Price of %1 removed") : tr("Price of %1 set")).arg(model)
                         : r.error,
                    !r.ok);
                refreshPrices();
            });
    };
    connect(set, &QPushButton::clicked, this, [writePrice] { writePrice(false); });
    connect(remove, &QPushButton::clicked, this, [writePrice] { writePrice(true); });
    connect(m_since, &QDateEdit::dateChanged, this, &PricingPanel::refreshComparison);
    connect(m_source, &QComboBox::activated, this, [this](int index) {
        QString error;
        if (index == 0) {
            loadAlternative(PriceList::kShippedPath, &error);
        } else {
            const QString path = QFileDialog::getOpenFileName(
                this, tr("Alternative prices"), QString(), tr("Pricing JSON (*.json)"));
            if (path.isEmpty() || !loadAlternative(path, &error)) {
                m_source->setCurrentIndex(0);
                loadAlternative(PriceList::kShippedPath, &error);
            }
        }
        if (!error.isEmpty())
            showStatus(this, error, true);
        refreshComparison();
    });

    QString error;
    loadAlternative(PriceList::kShippedPath, &error);
    refreshPrices();
    refreshComparison();
}

bool PricingPanel::loadAlternative(const QString &path, QString *error)
{
    std::optional<std::vector<PriceConfig>> prices = PriceList::load(path, error);
    if (!prices)
        return false;
    m_alternative = std::move(*prices);
    m_alternativeName = path == PriceList::kShippedPath ? QStringLiteral("pricing.json") : path;
    return true;
}

void PricingPanel::refreshPrices()
{
    m_context.db->run<AdminValue<QList<PriceRecord>>>(
        this, [](DbSession &s) { return s.admin.listPrices(); },
        [this](const AdminValue<QList<PriceRecord>> &prices) {
            QList<QVariantList> rows;
            for (const PriceRecord &p : prices.value)
                rows.append({p.model, p.input, p.output});
            m_prices->setRows(rows);
        });
}

void PricingPanel::refreshComparison()
{
    const QDate since = m_since->date();
    m_context.reports->run<AdminValue<QList<CostReportRow>>>(
        this,
        [since, alternative = m_alternative](DbSession &s) {
            return s.admin.costReport(since, alternative);
        },
        [this](const AdminValue<QList<CostReportRow>> &costs) {
            if (!costs.ok)
                showStatus(this, costs.error, true);
            QList<QVariantList> rows;
            QMap<QString, QPair<double, double>> perTenant;
            for (const CostReportRow &c : costs.value) {
                const std::optional<double> delta = c.deltaUsd();
                rows.append({c.tenant + QLatin1Char('/') + c.model, c.tenant, c.model, c.requests,
                             c.promptTokens, c.completionTokens, c.costUsd,
                             c.altCostUsd ? QVariant(*c.altCostUsd) : QVariant(),
                             delta ? QVariant(*delta) : QVariant()});
                perTenant[c.tenant].first += c.costUsd;
                perTenant[c.tenant].second += c.altCostUsd.value_or(c.costUsd);
            }
            m_comparison->setRows(rows);

            m_bars->clear();
            auto *actual = new QBarSet(tr("actual"));
            auto *alternative = new QBarSet(tr("under %1").arg(m_alternativeName));
            double top = 1;
            for (auto it = perTenant.cbegin(); it != perTenant.cend(); ++it) {
                *actual << it->first;
                *alternative << it->second;
                top = std::max({top, it->first, it->second});
            }
            m_bars->append(actual);
            m_bars->append(alternative);
            m_categories->setCategories(perTenant.keys());
            m_y->setRange(0, top * 1.1);
            Q_EMIT comparisonRefreshed();
        });
}

} // namespace relay::ui
