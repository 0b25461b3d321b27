#include "UpstreamDialog.h"

#include "FormChecks.h"
#include "store/AdminService.h"
#include "upstream/UpstreamTest.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>

#include <limits>

namespace relay::ui {

namespace {

QString problemOf(const UpstreamChanges &c)
{
    const AdminResult checked = AdminService::checkUpstream(c);
    return checked.ok ? QString() : checked.error;
}

int toInt(qint64 n)
{
    // Outside int: still out of every range, so still refused with the range's message.
    return int(
        std::clamp<qint64>(n, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

// A whole-number field of the upstream, checked by `upstream add`'s rules.
FormChecks::Check numberCheck(const NumberField *field,
                              std::function<void(UpstreamChanges &, qint64)> put)
{
    return [field, put = std::move(put)]() -> QString {
        if (field->isNone())
            return {};
        QString error;
        const std::optional<qint64> n = field->wholeNumber(&error);
        if (!n)
            return error;
        UpstreamChanges c;
        put(c, *n);
        return problemOf(c);
    };
}

QString trimmedUrl(const QString &text)
{
    QString url = text.trimmed();
    while (url.endsWith(QLatin1Char('/')))
        url.chop(1);
    return url;
}

} // namespace

const QList<UpstreamDialog::Preset> &UpstreamDialog::presets()
{
    // Base URLs as each provider's SDK writes them; the relay appends /chat/completions,
    // /models (OpenAI kind) or /v1/messages, /v1/models (Anthropic kind).
    static const QList<Preset> list{
        {tr("OpenAI"), QStringLiteral("openai"), QStringLiteral("openai"),
         QStringLiteral("https://api.openai.com/v1"), QStringLiteral("OPENAI_API_KEY")},
        {tr("Anthropic"), QStringLiteral("anthropic"), QStringLiteral("anthropic"),
         QStringLiteral("https://api.anthropic.com"), QStringLiteral("ANTHROPIC_API_KEY")},
        {tr("DeepSeek"), QStringLiteral("deepseek"), QStringLiteral("openai"),
         QStringLiteral("https://api.deepseek.com"), QStringLiteral("DEEPSEEK_API_KEY")},
        {tr("Google Gemini (OpenAI-compatible)"), QStringLiteral("gemini"),
         QStringLiteral("openai"),
         QStringLiteral("https://generativelanguage.googleapis.com/v1beta/openai"),
         QStringLiteral("GEMINI_API_KEY")},
        {tr("OpenRouter"), QStringLiteral("openrouter"), QStringLiteral("openai"),
         QStringLiteral("https://openrouter.ai/api/v1"), QStringLiteral("OPENROUTER_API_KEY")},
        {tr("Local vLLM"), QStringLiteral("vllm"), QStringLiteral("openai"),
         QStringLiteral("http://localhost:8000/v1"), QString()},
        {tr("Local Ollama"), QStringLiteral("ollama"), QStringLiteral("openai"),
         QStringLiteral("http://localhost:11434/v1"), QString()},
    };
    return list;
}

UpstreamDialog::UpstreamDialog(const QString &name, QWidget *parent)
    : QDialog(parent), m_creating(name.isEmpty())
{
    setObjectName(QStringLiteral("upstreamDialog"));
    setWindowTitle(m_creating ? tr("Add provider") : tr("Edit provider %1").arg(name));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_ok = buttons->button(QDialogButtonBox::Ok);
    m_ok->setObjectName(QStringLiteral("upstreamDialogOk"));
    m_checks = new FormChecks(m_ok, this);

    m_preset = new QComboBox(this);
    m_preset->setObjectName(QStringLiteral("upstreamPresetCombo"));
    m_preset->addItem(tr("Other (fill in below)"));
    for (const Preset &p : presets())
        m_preset->addItem(p.label);
    m_preset->setToolTip(tr("Fills in the kind, the base URL and the usual key variable"));
    m_name = new QLineEdit(name, this);
    m_name->setObjectName(QStringLiteral("upstreamNameEdit"));
    m_name->setReadOnly(!m_creating);
    m_name->setToolTip(tr("How routes and the logs name this provider: 1-64 of A-Z a-z 0-9 . _ -"));
    m_kind = new QComboBox(this);
    m_kind->setObjectName(QStringLiteral("upstreamKindCombo"));
    m_kind->addItems({QStringLiteral("openai"), QStringLiteral("anthropic")});
    m_kind->setToolTip(tr("openai: any OpenAI-compatible API; anthropic: the Messages API"));
    m_url = new QLineEdit(this);
    m_url->setObjectName(QStringLiteral("upstreamUrlEdit"));
    m_url->setPlaceholderText(QStringLiteral("https://api.openai.com/v1"));
    m_url->setToolTip(tr("As the provider's SDK writes it"));

    m_useEnv = new QRadioButton(tr("From the relay's environment &variable"), this);
    m_useEnv->setObjectName(QStringLiteral("upstreamKeyFromEnv"));
    m_useStored = new QRadioButton(tr("&Stored with the database (file mode 0600)"), this);
    m_useStored->setObjectName(QStringLiteral("upstreamKeyStored"));
    m_useNone = new QRadioButton(tr("No key (a local server)"), this);
    m_useNone->setObjectName(QStringLiteral("upstreamKeyNone"));
    auto *group = new QButtonGroup(this);
    for (QRadioButton *b : {m_useEnv, m_useStored, m_useNone})
        group->addButton(b);
    m_useEnv->setChecked(true);
    m_env = new QLineEdit(this);
    m_env->setObjectName(QStringLiteral("upstreamKeyEnvEdit"));
    m_env->setPlaceholderText(QStringLiteral("OPENAI_API_KEY"));
    m_env->setToolTip(tr("Only the variable's name is stored; the relay reads it when it calls "
                         "the provider"));
    m_key = new QLineEdit(this);
    m_key->setObjectName(QStringLiteral("upstreamKeyEdit"));
    m_key->setEchoMode(QLineEdit::Password);
    m_key->setToolTip(tr("Typed once; never shown, logged or exported afterwards"));
    auto *keyBox = new QWidget(this);
    auto *keyGrid = new QGridLayout(keyBox);
    keyGrid->setContentsMargins(0, 0, 0, 0);
    keyGrid->addWidget(m_useEnv, 0, 0);
    keyGrid->addWidget(m_env, 0, 1);
    keyGrid->addWidget(m_useStored, 1, 0);
    keyGrid->addWidget(m_key, 1, 1);
    keyGrid->addWidget(m_useNone, 2, 0, 1, 2);
    keyGrid->setColumnStretch(1, 1);
    m_env->setMinimumWidth(
        m_env->fontMetrics().horizontalAdvance(QStringLiteral("OPENROUTER_API_KEY")) + 16);
    for (QRadioButton *b : {m_useEnv, m_useStored, m_useNone})
        connect(b, &QRadioButton::toggled, this, &UpstreamDialog::updateKeyMode);

    m_pool = new NumberField(QStringLiteral("upstreamPool"), QString(), this);
    m_pool->setText(QString::number(UpstreamRecord().maxConnections));
    m_pool->edit()->setToolTip(tr("Requests in flight to this provider at once, across the relay"));
    m_timeout = new NumberField(QStringLiteral("upstreamTimeout"), QString(), this);
    m_timeout->setText(QString::number(UpstreamRecord().timeoutMs));
    m_timeout->edit()->setToolTip(tr("Wait for the provider's first byte"));
    m_slow = new NumberField(QStringLiteral("upstreamSlow"), tr("Not used"), this);
    m_slow->setNone(true);
    m_slow->edit()->setToolTip(tr("p95 first-byte latency over which the circuit opens"));

    m_test = new QPushButton(tr("&Test connection"), this);
    m_test->setObjectName(QStringLiteral("upstreamTestButton"));
    m_test->setToolTip(tr("Ask the provider for its models list with this key"));
    m_testResult = new QLabel(this);
    m_testResult->setObjectName(QStringLiteral("upstreamTestResult"));
    m_testResult->setWordWrap(true);
    m_testResult->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *testRow = new QHBoxLayout;
    testRow->addWidget(m_test, 0, Qt::AlignTop);
    testRow->addWidget(m_testResult, 1);
    connect(m_test, &QPushButton::clicked, this, &UpstreamDialog::testRequested);

    auto *form = new QFormLayout;
    form->addRow(tr("&Provider:"), m_preset);
    form->addRow(tr("&Name:"), m_checks->add(m_name, "upstreamNameError", [this]() -> QString {
        if (!m_creating || AdminService::isValidId(upstreamName()))
            return {};
        return tr("Name the provider: 1-64 of A-Z a-z 0-9 . _ -");
    }));
    form->addRow(tr("&Kind:"), m_kind);
    form->addRow(tr("&Base URL:"), m_checks->add(m_url, "upstreamUrlError", [this]() -> QString {
        if (m_url->text().trimmed().isEmpty())
            return tr("Give the provider's base URL (a preset fills it in)");
        UpstreamChanges c;
        c.baseUrl = m_url->text();
        return problemOf(c);
    }));
    form->addRow(tr("API key:"), m_checks->add(keyBox, "upstreamKeyError", [this]() -> QString {
        UpstreamChanges c;
        if (m_useEnv->isChecked()) {
            if (m_env->text().trimmed().isEmpty())
                return tr("Name the environment variable that holds the key, or tick "
                          "\"No key\" for a local server");
            c.apiKeyEnv = m_env->text().trimmed();
        } else if (m_useStored->isChecked()) {
            if (m_key->text().isEmpty())
                return m_saved && m_saved->hasStoredKey
                           ? QString()
                           : tr("Type the key to store, or choose another option");
            c.apiKey = m_key->text();
        }
        return problemOf(c);
    }));
    form->addRow(tr("&Connections:"),
                 m_checks->add(m_pool, "upstreamPoolError",
                               numberCheck(m_pool, [](UpstreamChanges &c, qint64 n) {
                                   c.maxConnections = toInt(n);
                               })));
    form->addRow(tr("&Timeout (ms):"),
                 m_checks->add(m_timeout, "upstreamTimeoutError",
                               numberCheck(m_timeout, [](UpstreamChanges &c, qint64 n) {
                                   c.timeoutMs = toInt(n);
                               })));
    form->addRow(tr("S&low over (ms):"),
                 m_checks->add(m_slow, "upstreamSlowError",
                               numberCheck(m_slow, [](UpstreamChanges &c, qint64 n) {
                                   c.slowMs = LimitValue(n);
                               })));
    for (QObject *source :
         std::initializer_list<QObject *>{m_name, m_url, m_env, m_key, m_useEnv, m_useStored,
                                          m_useNone, m_pool, m_timeout, m_slow})
        m_checks->watch(source);
    connect(m_preset, &QComboBox::activated, this, &UpstreamDialog::applyPreset);

    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("upstreamDialogError"));
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    m_error->setWordWrap(true);
    m_error->hide();
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        const QString problem = validate();
        showError(problem);
        if (problem.isEmpty())
            Q_EMIT submitted();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(testRow);
    setMinimumWidth(620);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    updateKeyMode();
    m_checks->recheck();
    (m_creating ? static_cast<QWidget *>(m_preset) : m_url)->setFocus();
}

void UpstreamDialog::applyPreset(int index)
{
    if (index <= 0 || index > presets().size())
        return;
    const Preset &preset = presets().at(index - 1);
    // A name or variable still as another preset left it follows the new one.
    bool nameFromPreset = m_name->text().trimmed().isEmpty();
    bool envFromPreset = m_env->text().trimmed().isEmpty();
    for (const Preset &p : presets()) {
        nameFromPreset = nameFromPreset || m_name->text() == p.name;
        envFromPreset = envFromPreset || m_env->text() == p.keyEnv;
    }
    if (m_creating && nameFromPreset)
        m_name->setText(preset.name);
    m_kind->setCurrentText(preset.kind);
    m_url->setText(preset.baseUrl);
    if (preset.keyEnv.isEmpty()) {
        if (m_useNone->isEnabled())
            m_useNone->setChecked(true);
        return;
    }
    if (m_useNone->isChecked())
        m_useEnv->setChecked(true);
    if (envFromPreset)
        m_env->setText(preset.keyEnv);
}

void UpstreamDialog::updateKeyMode()
{
    m_env->setEnabled(m_useEnv->isChecked());
    m_key->setEnabled(m_useStored->isChecked());
}

void UpstreamDialog::setUpstream(const UpstreamRecord &u)
{
    m_saved = u;
    m_kind->setCurrentText(u.kind);
    m_url->setText(u.baseUrl);
    if (u.hasStoredKey) {
        m_useStored->setChecked(true);
        m_key->setPlaceholderText(tr("(stored; leave empty to keep)"));
    } else if (!u.apiKeyEnv.isEmpty()) {
        m_useEnv->setChecked(true);
        m_env->setText(u.apiKeyEnv);
    } else {
        m_useNone->setChecked(true);
    }
    // `upstream set` replaces a key but has no way to remove one.
    if (u.hasStoredKey || !u.apiKeyEnv.isEmpty()) {
        m_useNone->setEnabled(false);
        m_useNone->setToolTip(tr("A provider's key can be replaced, not removed"));
    }
    m_pool->setText(QString::number(u.maxConnections));
    m_timeout->setText(QString::number(u.timeoutMs));
    m_slow->setNone(!u.slowMs);
    m_slow->setText(u.slowMs ? QString::number(*u.slowMs) : QString());
    for (int i = 0; i < presets().size(); ++i)
        if (presets().at(i).baseUrl == u.baseUrl && presets().at(i).kind == u.kind)
            m_preset->setCurrentIndex(i + 1);
    updateKeyMode();
    m_checks->recheck();
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
    if (m_useEnv->isChecked())
        c.apiKeyEnv = m_env->text().trimmed();
    else if (m_useStored->isChecked() && !m_key->text().isEmpty())
        c.apiKey = m_key->text();
    QString error;
    if (const std::optional<qint64> pool = m_pool->wholeNumber(&error))
        c.maxConnections = toInt(*pool);
    if (const std::optional<qint64> timeout = m_timeout->wholeNumber(&error))
        c.timeoutMs = toInt(*timeout);
    return c;
}

std::optional<int> UpstreamDialog::slowMs() const
{
    QString error;
    const std::optional<qint64> slow =
        m_slow->isNone() ? std::nullopt : m_slow->wholeNumber(&error);
    return slow ? std::optional<int>(toInt(*slow)) : std::nullopt;
}

QString UpstreamDialog::validate() const
{
    if (const QString problem = m_checks->firstProblem(); !problem.isEmpty())
        return problem;
    // Exactly what `upstream add/set` accepts, with its messages.
    return problemOf(changes());
}

void UpstreamDialog::showError(const QString &error)
{
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
}

UpstreamConfig UpstreamDialog::testConfig() const
{
    UpstreamConfig u;
    u.name = upstreamName();
    u.kind = m_kind->currentText();
    u.baseUrl = trimmedUrl(m_url->text());
    if (m_useEnv->isChecked())
        u.apiKeyEnv = m_env->text().trimmed();
    else if (m_useStored->isChecked())
        u.apiKey = m_key->text().trimmed();
    QString error;
    if (const std::optional<qint64> timeout = m_timeout->wholeNumber(&error);
        timeout && *timeout > 0)
        u.timeoutMs = toInt(*timeout);
    return u;
}

bool UpstreamDialog::usesStoredKey() const
{
    return m_useStored->isChecked() && m_key->text().isEmpty() && m_saved && m_saved->hasStoredKey;
}

void UpstreamDialog::showTestRunning()
{
    m_test->setEnabled(false);
    m_testResult->setStyleSheet(QString());
    m_testResult->setText(tr("Asking %1 for its models…").arg(trimmedUrl(m_url->text())));
}

void UpstreamDialog::showTestResult(const UpstreamTestResult &result)
{
    m_test->setEnabled(true);
    if (!result.ok) {
        m_testResult->setStyleSheet(QStringLiteral("color: #b00020"));
        m_testResult->setText(tr("Failed: %1").arg(result.error));
        m_testResult->setToolTip(QString());
        return;
    }
    m_testResult->setStyleSheet(QStringLiteral("color: #1b7f3b"));
    constexpr int kShown = 8;
    QString models = result.models.mid(0, kShown).join(QStringLiteral(", "));
    if (result.models.size() > kShown)
        models += tr(", … (%1 more)").arg(result.models.size() - kShown);
    m_testResult->setText(
        result.models.isEmpty()
            ? tr("Connected, but the provider lists no models")
            : tr("Connected: %n model(s): %1", nullptr, int(result.models.size())).arg(models));
    m_testResult->setToolTip(result.models.join(QLatin1Char('\n')));
}

} // namespace relay::ui
