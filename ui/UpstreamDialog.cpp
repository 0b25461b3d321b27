#include "UpstreamDialog.h"

#include "store/AdminService.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace relay::ui {

UpstreamDialog::UpstreamDialog(const QString &name, QWidget *parent)
    : QDialog(parent), m_creating(name.isEmpty())
{
    setObjectName(QStringLiteral("upstreamDialog"));
    setWindowTitle(m_creating ? tr("Add upstream") : tr("Edit upstream %1").arg(name));
    auto *form = new QFormLayout;
    m_name = new QLineEdit(name, this);
    m_name->setObjectName(QStringLiteral("upstreamNameEdit"));
    m_name->setReadOnly(!m_creating);
    m_kind = new QComboBox(this);
    m_kind->setObjectName(QStringLiteral("upstreamKindCombo"));
    m_kind->addItems({QStringLiteral("openai"), QStringLiteral("anthropic")});
    m_kind->setToolTip(tr("openai: any OpenAI-compatible API; anthropic: the Messages API"));
    m_url = new QLineEdit(this);
    m_url->setObjectName(QStringLiteral("upstreamUrlEdit"));
    m_url->setPlaceholderText(QStringLiteral("https://api.openai.com/v1"));
    m_useEnv = new QRadioButton(tr("From an environment &variable of the relay"), this);
    m_useEnv->setObjectName(QStringLiteral("upstreamKeyFromEnv"));
    m_useStored = new QRadioButton(tr("&Stored with the database (file mode 0600)"), this);
    m_useStored->setObjectName(QStringLiteral("upstreamKeyStored"));
    auto *group = new QButtonGroup(this);
    group->addButton(m_useEnv);
    group->addButton(m_useStored);
    m_useEnv->setChecked(true);
    m_env = new QLineEdit(this);
    m_env->setObjectName(QStringLiteral("upstreamKeyEnvEdit"));
    m_env->setPlaceholderText(QStringLiteral("OPENAI_API_KEY"));
    m_env->setToolTip(tr("Only the variable's name is stored"));
    m_key = new QLineEdit(this);
    m_key->setObjectName(QStringLiteral("upstreamKeyEdit"));
    m_key->setEchoMode(QLineEdit::Password);
    m_key->setToolTip(tr("Typed once; never shown, logged or exported afterwards"));
    m_key->setEnabled(false);
    connect(m_useEnv, &QRadioButton::toggled, this, [this](bool env) {
        m_env->setEnabled(env);
        m_key->setEnabled(!env);
    });
    m_pool = new QSpinBox(this);
    m_pool->setObjectName(QStringLiteral("upstreamPoolSpin"));
    m_pool->setRange(1, 10000);
    m_pool->setValue(8);
    m_pool->setToolTip(tr("Requests in flight to this upstream at once, across the relay"));
    m_timeout = new QSpinBox(this);
    m_timeout->setObjectName(QStringLiteral("upstreamTimeoutSpin"));
    m_timeout->setRange(1, 86'400'000);
    m_timeout->setValue(60000);
    m_timeout->setSuffix(tr(" ms"));
    m_timeout->setToolTip(tr("Wait for the upstream's first byte"));
    m_slow = new QSpinBox(this);
    m_slow->setObjectName(QStringLiteral("upstreamSlowSpin"));
    m_slow->setRange(0, 600'000);
    m_slow->setSpecialValueText(tr("not used"));
    m_slow->setSuffix(tr(" ms"));
    m_slow->setToolTip(tr("p95 first-byte latency over which the circuit opens"));
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Kind:"), m_kind);
    form->addRow(tr("&Base URL:"), m_url);
    form->addRow(tr("API key:"), m_useEnv);
    form->addRow(tr("Variable:"), m_env);
    form->addRow(QString(), m_useStored);
    form->addRow(tr("Key:"), m_key);
    form->addRow(tr("&Connections:"), m_pool);
    form->addRow(tr("&Timeout:"), m_timeout);
    form->addRow(tr("S&low over:"), m_slow);
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("upstreamDialogError"));
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    m_error->setWordWrap(true);
    m_error->hide();
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        const QString problem = validate();
        showError(problem);
        if (problem.isEmpty())
            Q_EMIT submitted();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
}

void UpstreamDialog::setUpstream(const UpstreamRecord &u)
{
    m_kind->setCurrentText(u.kind);
    m_url->setText(u.baseUrl);
    m_hadStoredKey = u.hasStoredKey;
    if (u.hasStoredKey) {
        m_useStored->setChecked(true);
        m_key->setPlaceholderText(tr("(stored; leave empty to keep)"));
    } else {
        m_env->setText(u.apiKeyEnv);
    }
    m_pool->setValue(u.maxConnections);
    m_timeout->setValue(u.timeoutMs);
    m_slow->setValue(int(u.slowMs.value_or(0)));
}

QString UpstreamDialog::upstreamName() const
{
    return m_name->text().trimmed();
}

UpstreamChanges UpstreamDialog::changes() const
{
    UpstreamChanges c;
    c.kind = m_kind->currentText();
    c.baseUrl = m_url->text().trimmed();
    if (m_useEnv->isChecked() && !m_env->text().trimmed().isEmpty())
        c.apiKeyEnv = m_env->text().trimmed();
    else if (m_useStored->isChecked() && !m_key->text().isEmpty())
        c.apiKey = m_key->text();
    c.maxConnections = m_pool->value();
    c.timeoutMs = m_timeout->value();
    return c;
}

std::optional<int> UpstreamDialog::slowMs() const
{
    return m_slow->value() > 0 ? std::optional<int>(m_slow->value()) : std::nullopt;
}

QString UpstreamDialog::validate() const
{
    if (!AdminService::isValidId(upstreamName()))
        return tr("The name is 1-64 characters of A-Z a-z 0-9 . _ -");
    if (m_useStored->isChecked() && m_key->text().isEmpty() && !m_hadStoredKey)
        return tr("Type the key to store, or choose an environment variable");
    // Exactly what `upstream add/set` accepts, with its messages.
    const AdminResult checked = AdminService::checkUpstream(changes());
    return checked.ok ? QString() : checked.error;
}

void UpstreamDialog::showError(const QString &error)
{
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
}

} // namespace relay::ui
