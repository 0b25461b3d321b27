#include "TenantDialog.h"

#include "store/AdminService.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QSpinBox>
#include <QVBoxLayout>

namespace relay::ui {

namespace {

constexpr int kMaxSpin = 2'000'000'000;

// A spin box whose lowest value means "none" (shown as `noneText`).
QSpinBox *limitBox(QWidget *parent, const char *name, int min, int max, const QString &noneText,
                   const QString &toolTip)
{
    auto *box = new QSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(min, max);
    box->setSpecialValueText(noneText);
    box->setToolTip(toolTip);
    box->setAccelerated(true);
    return box;
}

LimitValue limit(const QSpinBox *box, int noneValue)
{
    return box->value() == noneValue ? LimitValue() : LimitValue(box->value());
}

void setLimit(QSpinBox *box, const std::optional<qint64> &v, int noneValue)
{
    box->setValue(v ? int(qMin<qint64>(*v, kMaxSpin)) : noneValue);
}

} // namespace

TenantDialog::TenantDialog(const QString &id, QWidget *parent)
    : QDialog(parent), m_creating(id.isEmpty())
{
    setObjectName(QStringLiteral("tenantDialog"));
    setWindowTitle(m_creating ? tr("New tenant") : tr("Edit tenant %1").arg(id));
    auto *form = new QFormLayout;
    m_id = new QLineEdit(id, this);
    m_id->setObjectName(QStringLiteral("tenantIdEdit"));
    m_id->setReadOnly(!m_creating);
    m_id->setValidator(new QRegularExpressionValidator(
        QRegularExpression(QStringLiteral("[A-Za-z0-9._-]{0,64}")), m_id));
    m_id->setToolTip(tr("1-64 of A-Z a-z 0-9 . _ - ; cannot change later"));
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("tenantNameEdit"));
    m_name->setMaxLength(200);
    m_tier = new QComboBox(this);
    m_tier->setObjectName(QStringLiteral("tenantTierCombo"));
    m_tier->addItems(
        {QStringLiteral("dedicated"), QStringLiteral("guaranteed"), QStringLiteral("best-effort")});
    m_tier->setCurrentIndex(2);
    m_tier->setToolTip(tr("Who gets upstream slots first when a pool is full: dedicated, then "
                          "guaranteed, then best-effort"));
    m_rpm = limitBox(this, "tenantRpmSpin", 0, kMaxSpin, tr("no limit"),
                     tr("Requests per minute (token bucket)"));
    m_tpm = limitBox(this, "tenantTpmSpin", 0, kMaxSpin, tr("no limit"),
                     tr("Tokens per minute (estimated before, settled after each request)"));
    m_concurrency = limitBox(this, "tenantConcurrencySpin", 0, 1'000'000, tr("no limit"),
                             tr("Requests in flight at once"));
    m_reserved = limitBox(this, "tenantReservedSpin", -1, 10000, tr("tier default"),
                          tr("Slots reserved on every upstream that serves this tenant "
                             "(dedicated and guaranteed tiers only)"));
    m_weight = limitBox(this, "tenantWeightSpin", 1, 1000, QString(),
                        tr("Share among the tenants of the same tier"));
    m_queueTimeout =
        limitBox(this, "tenantQueueTimeoutSpin", 0, 3'600'000, tr("tier default"),
                 tr("Longest wait for an upstream slot before 503 (ms); tier default: 5 s "
                    "dedicated, 15 s guaranteed, 30 s best-effort"));
    m_queueTimeout->setSuffix(tr(" ms"));
    m_budget = new QDoubleSpinBox(this);
    m_budget->setObjectName(QStringLiteral("tenantBudgetSpin"));
    m_budget->setRange(0, 1e9);
    m_budget->setDecimals(2);
    m_budget->setPrefix(QStringLiteral("$"));
    m_budget->setSpecialValueText(tr("no budget"));
    m_budget->setToolTip(tr("Spend limit per calendar month (UTC)"));
    m_soft = new QCheckBox(tr("Soft budget (alert, never refuse)"), this);
    m_soft->setObjectName(QStringLiteral("tenantSoftBudgetCheck"));
    m_alerts = new QLineEdit(this);
    m_alerts->setObjectName(QStringLiteral("tenantAlertsEdit"));
    m_alerts->setPlaceholderText(QStringLiteral("50,80,100"));
    m_alerts->setToolTip(tr("Alert thresholds in whole percents of the budget, ascending; empty "
                            "for the default 50,80,100, \"none\" for no threshold alerts"));
    m_webhook = new QLineEdit(this);
    m_webhook->setObjectName(QStringLiteral("tenantWebhookEdit"));
    m_webhook->setPlaceholderText(tr("the global webhook (Settings)"));
    m_webhook->setToolTip(tr("http(s) URL that receives this tenant's budget alerts as JSON"));
    m_models = new QLineEdit(this);
    m_models->setObjectName(QStringLiteral("tenantModelsEdit"));
    m_models->setPlaceholderText(tr("all models"));
    m_models->setToolTip(tr("Comma-separated models or aliases this tenant may use; empty = all"));
    m_allowIps = new QLineEdit(this);
    m_allowIps->setObjectName(QStringLiteral("tenantAllowIpsEdit"));
    m_allowIps->setPlaceholderText(tr("every address"));
    m_allowIps->setToolTip(tr("Comma-separated IPv4 or IPv6 blocks the tenant's callers must come "
                              "from (10.0.0.0/8, 2001:db8::/32; a bare address is one host); "
                              "others are refused with 403. Empty = every address"));
    m_enabled = new QCheckBox(tr("Enabled"), this);
    m_enabled->setObjectName(QStringLiteral("tenantEnabledCheck"));
    m_enabled->setChecked(true);
    m_enabled->setVisible(!m_creating);

    form->addRow(tr("&Id:"), m_id);
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Tier:"), m_tier);
    form->addRow(tr("&Requests/min:"), m_rpm);
    form->addRow(tr("T&okens/min:"), m_tpm);
    form->addRow(tr("&Concurrency:"), m_concurrency);
    form->addRow(tr("Re&served slots:"), m_reserved);
    form->addRow(tr("&Weight:"), m_weight);
    form->addRow(tr("&Queue timeout:"), m_queueTimeout);
    form->addRow(tr("&Budget / month:"), m_budget);
    form->addRow(QString(), m_soft);
    form->addRow(tr("&Alerts at %:"), m_alerts);
    form->addRow(tr("&Webhook:"), m_webhook);
    form->addRow(tr("&Models:"), m_models);
    form->addRow(tr("Allowed a&ddresses:"), m_allowIps);
    form->addRow(QString(), m_enabled);

    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("tenantDialogError"));
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    m_error->setWordWrap(true);
    m_error->hide();
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setObjectName(QStringLiteral("tenantDialogOk"));
    connect(buttons, &QDialogButtonBox::accepted, this, &TenantDialog::onAccept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_tier, &QComboBox::currentIndexChanged, this, &TenantDialog::updateReserved);
    updateReserved();

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    (m_creating ? m_id : static_cast<QWidget *>(m_name))->setFocus();
}

void TenantDialog::updateReserved()
{
    const bool bestEffort = m_tier->currentText() == QLatin1String("best-effort");
    if (bestEffort)
        m_reserved->setValue(-1);
    m_reserved->setEnabled(!bestEffort);
}

void TenantDialog::setTenant(const TenantRecord &t, const ConsoleWrites::BudgetChanges &budget)
{
    m_name->setText(t.name);
    m_tier->setCurrentText(t.tier);
    setLimit(m_rpm, t.rpm, 0);
    setLimit(m_tpm, t.tpm, 0);
    setLimit(m_concurrency, t.concurrency, 0);
    setLimit(m_reserved, t.reserved, -1);
    m_weight->setValue(t.weight);
    setLimit(m_queueTimeout, t.queueTimeoutMs, 0);
    m_budget->setValue(budget.budgetUsd.value_or(0));
    m_soft->setChecked(budget.soft);
    m_alerts->setText(budget.thresholds);
    m_webhook->setText(budget.webhookUrl);
    m_models->setText(t.models ? t.models->join(QStringLiteral(",")) : QString());
    m_allowIps->setText(t.allowIps ? t.allowIps->join(QStringLiteral(", ")) : QString());
    m_enabled->setChecked(t.enabled);
}

QString TenantDialog::tenantId() const
{
    return m_id->text().trimmed();
}

TenantChanges TenantDialog::changes() const
{
    TenantChanges c;
    c.name = m_name->text().trimmed();
    c.tier = m_tier->currentText();
    c.rpm = limit(m_rpm, 0);
    c.tpm = limit(m_tpm, 0);
    c.concurrency = limit(m_concurrency, 0);
    if (m_reserved->isEnabled() || !m_creating)
        c.reserved = limit(m_reserved, -1);
    c.weight = m_weight->value();
    c.queueTimeoutMs = limit(m_queueTimeout, 0);
    const QString models = m_models->text().trimmed();
    if (models.isEmpty())
        c.models = ModelAllowList();
    else
        c.models = ModelAllowList(models.split(QLatin1Char(','), Qt::SkipEmptyParts));
    // As typed: the admin service reads, checks and stores the blocks canonical.
    const QString blocks = m_allowIps->text().trimmed();
    c.allowIps = blocks.isEmpty()
                     ? AddressBlocks()
                     : AddressBlocks(blocks.split(QLatin1Char(','), Qt::SkipEmptyParts));
    if (!m_creating)
        c.enabled = m_enabled->isChecked();
    return c;
}

ConsoleWrites::BudgetChanges TenantDialog::budget() const
{
    ConsoleWrites::BudgetChanges b;
    if (m_budget->value() > 0)
        b.budgetUsd = m_budget->value();
    b.soft = m_soft->isChecked();
    b.thresholds = m_alerts->text().trimmed();
    b.webhookUrl = m_webhook->text().trimmed();
    return b;
}

QString TenantDialog::validate() const
{
    if (!AdminService::isValidId(tenantId()))
        return tr("The id is 1-64 characters of A-Z a-z 0-9 . _ -");
    // Exactly what `tenant add/set` accepts, with its messages.
    const QString thresholds = m_alerts->text().trimmed();
    AlertThresholds parsed;
    QString error;
    if (!thresholds.isEmpty() && !AdminService::parseThresholds(thresholds, &parsed, &error))
        return error;
    TenantChanges all = changes();
    ConsoleWrites::addBudget(all, budget());
    const AdminResult checked = AdminService::checkTenant(all);
    return checked.ok ? QString() : checked.error;
}

void TenantDialog::showError(const QString &error)
{
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
}

void TenantDialog::onAccept()
{
    const QString problem = validate();
    showError(problem);
    if (problem.isEmpty())
        Q_EMIT submitted();
}

} // namespace relay::ui
