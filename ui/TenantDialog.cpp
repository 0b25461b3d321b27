#include "TenantDialog.h"

#include "FormChecks.h"
#include "store/AdminService.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QVBoxLayout>

#include <limits>

namespace relay::ui {

namespace {

NumberField *numberField(QWidget *parent, const char *name, const QString &noneText,
                         const QString &toolTip)
{
    auto *field = new NumberField(QLatin1String(name), noneText, parent);
    field->edit()->setToolTip(toolTip);
    return field;
}

// A field's number as the form holds it: nullopt when "none" is ticked or it is not a number
// (validate() says so first).
LimitValue limitOf(const NumberField *field)
{
    if (field->isNone())
        return LimitValue();
    QString error;
    return field->wholeNumber(&error);
}

void showLimit(NumberField *field, const std::optional<qint64> &v)
{
    field->setNone(!v);
    field->setText(v ? QString::number(*v) : QString());
}

QStringList commaList(const QLineEdit *edit)
{
    return edit->text().trimmed().split(QLatin1Char(','), Qt::SkipEmptyParts);
}

QString problemOf(const TenantChanges &c)
{
    const AdminResult checked = AdminService::checkTenant(c);
    return checked.ok ? QString() : checked.error;
}

} // namespace

TenantDialog::TenantDialog(const QString &id, QWidget *parent)
    : QDialog(parent), m_creating(id.isEmpty())
{
    setObjectName(QStringLiteral("tenantDialog"));
    setWindowTitle(m_creating ? tr("New tenant") : tr("Edit tenant %1").arg(id));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setObjectName(QStringLiteral("tenantDialogOk"));
    m_checks = new FormChecks(m_ok, this);

    m_id = new QLineEdit(id, this);
    m_id->setObjectName(QStringLiteral("tenantIdEdit"));
    m_id->setReadOnly(!m_creating);
    m_id->setValidator(new QRegularExpressionValidator(
        QRegularExpression(QStringLiteral("[A-Za-z0-9._-]{0,64}")), m_id));
    m_id->setToolTip(tr("1-64 of A-Z a-z 0-9 . _ - ; cannot change later"));
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("tenantNameEdit"));
    m_tier = new QComboBox(this);
    m_tier->setObjectName(QStringLiteral("tenantTierCombo"));
    m_tier->addItems(
        {QStringLiteral("dedicated"), QStringLiteral("guaranteed"), QStringLiteral("best-effort")});
    m_tier->setCurrentIndex(2);
    m_tier->setToolTip(tr("Who gets upstream slots first when a pool is full: dedicated, then "
                          "guaranteed, then best-effort"));
    m_rpm =
        numberField(this, "tenantRpm", tr("No limit"), tr("Requests per minute (token bucket)"));
    m_tpm = numberField(this, "tenantTpm", tr("No limit"),
                        tr("Tokens per minute (estimated before, settled after each request)"));
    m_concurrency =
        numberField(this, "tenantConcurrency", tr("No limit"), tr("Requests in flight at once"));
    m_reserved = numberField(this, "tenantReserved", tr("Tier default"),
                             tr("Slots reserved on every upstream that serves this tenant "
                                "(dedicated and guaranteed tiers only)"));
    m_weight = numberField(this, "tenantWeight", QString(),
                           tr("Share among the tenants of the same tier (1-1000)"));
    m_queueTimeout =
        numberField(this, "tenantQueueTimeout", tr("Tier default"),
                    tr("Longest wait for an upstream slot before 503 (ms); tier default: 5 s "
                       "dedicated, 15 s guaranteed, 30 s best-effort"));
    m_budget = numberField(this, "tenantBudget", tr("No budget"),
                           tr("Spend limit in USD per calendar month (UTC)"));
    for (NumberField *f : {m_rpm, m_tpm, m_concurrency, m_reserved, m_queueTimeout, m_budget})
        f->setNone(true);
    m_weight->setText(QString::number(TenantRecord().weight));
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

    auto *form = new QFormLayout;
    form->addRow(tr("&Id:"), m_checks->add(m_id, "tenantIdError", [this]() -> QString {
        if (!m_creating || AdminService::isValidId(tenantId()))
            return {};
        return tenantId().isEmpty() ? tr("Give the tenant an id: 1-64 of A-Z a-z 0-9 . _ -")
                                    : tr("The id is 1-64 characters of A-Z a-z 0-9 . _ -");
    }));
    form->addRow(tr("&Name:"), checkedText(m_name, "tenantNameError", [this](TenantChanges &c) {
                     c.name = m_name->text().trimmed();
                 }));
    form->addRow(tr("&Tier:"), m_tier);
    form->addRow(tr("&Requests/min:"),
                 checkedLimit(m_rpm, "tenantRpmError",
                              [](TenantChanges &c, qint64 n) { c.rpm = LimitValue(n); }));
    form->addRow(tr("T&okens/min:"),
                 checkedLimit(m_tpm, "tenantTpmError",
                              [](TenantChanges &c, qint64 n) { c.tpm = LimitValue(n); }));
    form->addRow(tr("&Concurrency:"),
                 checkedLimit(m_concurrency, "tenantConcurrencyError",
                              [](TenantChanges &c, qint64 n) { c.concurrency = LimitValue(n); }));
    form->addRow(tr("Re&served slots:"),
                 checkedLimit(m_reserved, "tenantReservedError",
                              [](TenantChanges &c, qint64 n) { c.reserved = LimitValue(n); }));
    form->addRow(tr("&Weight:"),
                 checkedLimit(m_weight, "tenantWeightError", [](TenantChanges &c, qint64 n) {
                     // Outside int: still out of range, so still refused with the range.
                     c.weight = int(std::clamp<qint64>(n, std::numeric_limits<int>::min(),
                                                       std::numeric_limits<int>::max()));
                 }));
    form->addRow(tr("&Queue timeout (ms):"), checkedLimit(m_queueTimeout, "tenantQueueTimeoutError",
                                                          [](TenantChanges &c, qint64 n) {
                                                              c.queueTimeoutMs = LimitValue(n);
                                                          }));
    form->addRow(tr("&Budget / month (USD):"),
                 m_checks->add(m_budget, "tenantBudgetError", [this]() -> QString {
                     if (m_budget->isNone())
                         return {};
                     QString error;
                     const std::optional<double> usd = m_budget->decimalNumber(&error);
                     if (!usd)
                         return error;
                     TenantChanges c;
                     c.budgetUsd = BudgetValue(*usd);
                     return problemOf(c);
                 }));
    form->addRow(QString(), m_soft);
    form->addRow(tr("&Alerts at %:"),
                 m_checks->add(m_alerts, "tenantAlertsError", [this]() -> QString {
                     const QString text = m_alerts->text().trimmed();
                     if (text.isEmpty())
                         return {};
                     AlertThresholds parsed;
                     QString error;
                     if (!AdminService::parseThresholds(text, &parsed, &error))
                         return error;
                     TenantChanges c;
                     c.alertThresholds = parsed;
                     return problemOf(c);
                 }));
    form->addRow(tr("&Webhook:"),
                 checkedText(m_webhook, "tenantWebhookError", [this](TenantChanges &c) {
                     c.webhookUrl = m_webhook->text().trimmed();
                 }));
    form->addRow(tr("&Models:"),
                 checkedText(m_models, "tenantModelsError",
                             [this](TenantChanges &c) { c.models = changes().models; }));
    form->addRow(tr("Allowed a&ddresses:"),
                 checkedText(m_allowIps, "tenantAllowIpsError",
                             [this](TenantChanges &c) { c.allowIps = changes().allowIps; }));
    form->addRow(QString(), m_enabled);
    for (QObject *source : std::initializer_list<QObject *>{
             m_id, m_name, m_tier, m_rpm, m_tpm, m_concurrency, m_reserved, m_weight,
             m_queueTimeout, m_budget, m_alerts, m_webhook, m_models, m_allowIps})
        m_checks->watch(source);

    m_noUpstream = new QLabel(tr("No provider is set up yet: this tenant's requests will be "
                                 "refused (404) until you add one in Upstreams."),
                              this);
    m_noUpstream->setObjectName(QStringLiteral("tenantNoUpstreamWarning"));
    m_noUpstream->setStyleSheet(QStringLiteral("color: #8a5a00"));
    m_noUpstream->setWordWrap(true);
    m_noUpstream->hide();
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("tenantDialogError"));
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    m_error->setWordWrap(true);
    m_error->hide();
    connect(buttons, &QDialogButtonBox::accepted, this, &TenantDialog::onAccept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_tier, &QComboBox::currentIndexChanged, this, &TenantDialog::updateReserved);
    updateReserved();

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_noUpstream);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    setMinimumWidth(560);
    m_checks->recheck();
    (m_creating ? m_id : static_cast<QWidget *>(m_name))->setFocus();
}

QWidget *TenantDialog::checkedLimit(NumberField *field, const char *errorName,
                                    const std::function<void(TenantChanges &, qint64)> &put)
{
    return m_checks->add(field, errorName, [field, put]() -> QString {
        if (field->isNone() || !field->isEnabled())
            return {};
        QString error;
        const std::optional<qint64> n = field->wholeNumber(&error);
        if (!n)
            return error;
        TenantChanges c;
        put(c, *n);
        return problemOf(c);
    });
}

QWidget *TenantDialog::checkedText(QLineEdit *edit, const char *errorName,
                                   const std::function<void(TenantChanges &)> &put)
{
    return m_checks->add(edit, errorName, [put] {
        TenantChanges c;
        put(c);
        return problemOf(c);
    });
}

void TenantDialog::updateReserved()
{
    // A best-effort tenant reserves nothing (tenant set refuses --reserved for it).
    const bool bestEffort = m_tier->currentText() == QLatin1String("best-effort");
    if (bestEffort)
        m_reserved->setNone(true);
    m_reserved->setEnabled(!bestEffort);
    m_checks->recheck();
}

void TenantDialog::setTenant(const TenantRecord &t, const ConsoleWrites::BudgetChanges &budget)
{
    m_name->setText(t.name);
    m_tier->setCurrentText(t.tier);
    showLimit(m_rpm, t.rpm);
    showLimit(m_tpm, t.tpm);
    showLimit(m_concurrency, t.concurrency);
    showLimit(m_reserved, t.reserved);
    m_weight->setText(QString::number(t.weight));
    showLimit(m_queueTimeout, t.queueTimeoutMs);
    m_budget->setNone(!budget.budgetUsd);
    m_budget->setText(budget.budgetUsd ? QString::number(*budget.budgetUsd, 'g', 15) : QString());
    m_soft->setChecked(budget.soft);
    m_alerts->setText(budget.thresholds);
    m_webhook->setText(budget.webhookUrl);
    m_models->setText(t.models ? t.models->join(QStringLiteral(",")) : QString());
    m_allowIps->setText(t.allowIps ? t.allowIps->join(QStringLiteral(", ")) : QString());
    m_enabled->setChecked(t.enabled);
    updateReserved();
}

void TenantDialog::setNoUpstreamWarning(bool show)
{
    m_noUpstream->setVisible(show);
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
    c.rpm = limitOf(m_rpm);
    c.tpm = limitOf(m_tpm);
    c.concurrency = limitOf(m_concurrency);
    if (m_reserved->isEnabled() || !m_creating)
        c.reserved = m_reserved->isEnabled() ? limitOf(m_reserved) : LimitValue();
    c.weight = int(limitOf(m_weight).value_or(TenantRecord().weight));
    c.queueTimeoutMs = limitOf(m_queueTimeout);
    const QStringList models = commaList(m_models);
    c.models = m_models->text().trimmed().isEmpty() ? ModelAllowList() : ModelAllowList(models);
    // As typed: the admin service reads, checks and stores the blocks canonical.
    c.allowIps = m_allowIps->text().trimmed().isEmpty() ? AddressBlocks()
                                                        : AddressBlocks(commaList(m_allowIps));
    if (!m_creating)
        c.enabled = m_enabled->isChecked();
    return c;
}

ConsoleWrites::BudgetChanges TenantDialog::budget() const
{
    ConsoleWrites::BudgetChanges b;
    QString error;
    if (!m_budget->isNone())
        b.budgetUsd = m_budget->decimalNumber(&error);
    b.soft = m_soft->isChecked();
    b.thresholds = m_alerts->text().trimmed();
    b.webhookUrl = m_webhook->text().trimmed();
    return b;
}

QString TenantDialog::validate() const
{
    if (const QString problem = m_checks->firstProblem(); !problem.isEmpty())
        return problem;
    // The whole change as `tenant add/set` checks it.
    TenantChanges all = changes();
    ConsoleWrites::addBudget(all, budget());
    return problemOf(all);
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
