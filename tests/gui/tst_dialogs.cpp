// The console's dialogs accept exactly what the CLI accepts (the admin service's checks), show
// each problem beside its field and keep OK disabled until the form is right, never changing a
// number behind the user's back; the first run is guided (empty states, provider presets, a key
// that must be given, Test connection, a snippet for the new tenant's key). Real widgets found
// by objectName, on a real engine with the simulator as the provider.
#include "ConsoleUnderTest.h"
#include "DashboardPanel.h"
#include "KeyDialog.h"
#include "MainWindow.h"
#include "PricingPanel.h"
#include "RelayHarness.h"
#include "RowTableModel.h"
#include "TenantDialog.h"
#include "TenantsPanel.h"
#include "UpstreamDialog.h"
#include "UpstreamsPanel.h"
#include "sim/Simulator.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace relay;
using namespace relay::test;
using namespace relay::ui;

namespace {

constexpr int kWait = 10'000;

// The console on a harness (at 1366×768), with the steps these tests repeat.
struct Console : ConsoleUnderTest
{
    using ConsoleUnderTest::ConsoleUnderTest;
    bool start() { return ConsoleUnderTest::start(QSize(1366, 768)); }
    TenantDialog *newTenantDialog()
    {
        window->showPanel(QStringLiteral("tenantsPanel"));
        QTest::mouseClick(find<QPushButton>("newTenantButton"), Qt::LeftButton);
        return window->tenants()->dialog();
    }
    UpstreamDialog *upstreamDialog(const char *button)
    {
        // A dialog closed before is deleted later: wait for it to go.
        if (!QTest::qWaitFor([&] { return find<UpstreamDialog>("upstreamDialog") == nullptr; },
                             kWait))
            return nullptr;
        window->showPanel(QStringLiteral("upstreamsPanel"));
        QTest::mouseClick(find<QPushButton>(button), Qt::LeftButton);
        UpstreamDialog *dialog = nullptr;
        if (!QTest::qWaitFor(
                [&] { return (dialog = find<UpstreamDialog>("upstreamDialog")) != nullptr; },
                kWait))
            return nullptr;
        return dialog;
    }
    bool selectUpstream(const QString &name)
    {
        window->showPanel(QStringLiteral("upstreamsPanel"));
        RowTableModel *model = window->upstreams()->upstreamModel();
        if (!QTest::qWaitFor([&] { return model->findRow(name) >= 0; }, kWait))
            return false;
        auto *view = find<QTableView>("upstreamTable");
        view->setCurrentIndex(view->model()->index(model->findRow(name), 0));
        return true;
    }
};

template <typename T> T *child(QWidget *parent, const char *name)
{
    T *found = parent->findChild<T *>(QLatin1String(name));
    if (!found)
        qWarning("no child %s", name);
    return found;
}

// Replaces a field's text as typed.
void retype(QLineEdit *edit, const QString &text)
{
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Delete);
    QTest::keyClicks(edit, text);
}

// A number field's "none" box unticked and its text typed.
void typeNumber(QWidget *dialog, const char *field, const QString &text)
{
    const QString name = QLatin1String(field);
    if (auto *none = dialog->findChild<QCheckBox *>(name + QStringLiteral("None")))
        none->setChecked(false);
    retype(dialog->findChild<QLineEdit *>(name + QStringLiteral("Edit")), text);
}

// The error shown under a field; empty when none is shown.
QString errorOf(QWidget *dialog, const char *name)
{
    auto *label = dialog->findChild<QLabel *>(QLatin1String(name));
    return label && label->isVisibleTo(dialog) ? label->text() : QString();
}

} // namespace

class TestDialogs : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_config.isValid());
        qputenv("XDG_CONFIG_HOME", m_config.path().toLocal8Bit());
    }

    // -5, 0, 10^12 + 1, a number over 64 bits, a word: each refused beside its field with the
    // CLI's message, OK disabled, nothing written. The CLI's edges are saved exactly.
    void outOfRangeValuesCannotBeSaved()
    {
        Console c;
        QVERIFY(c.start());
        TenantDialog *dialog = c.newTenantDialog();
        QVERIFY(dialog);
        auto *ok = child<QPushButton>(dialog, "tenantDialogOk");
        QVERIFY(ok);
        // A fresh form: the id is missing, nothing else.
        QVERIFY(!ok->isEnabled());
        QVERIFY(!errorOf(dialog, "tenantIdError").isEmpty());
        QTest::keyClicks(child<QLineEdit>(dialog, "tenantIdEdit"), QStringLiteral("acme"));
        QCOMPARE(errorOf(dialog, "tenantIdError"), QString());
        QVERIFY(ok->isEnabled());

        const auto refused = [&](const char *field, const char *error, const QString &text,
                                 const QString &message) {
            typeNumber(dialog, field, text);
            const QString shown = errorOf(dialog, error);
            if (!shown.contains(message) || ok->isEnabled()) {
                qWarning("%s = '%s': error '%s', OK %s", field, qPrintable(text), qPrintable(shown),
                         ok->isEnabled() ? "enabled" : "disabled");
                return false;
            }
            QTest::mouseClick(ok, Qt::LeftButton); // does nothing
            return true;
        };
        const QString rpmRange = QStringLiteral("rpm must be between 1 and 1000000000000");
        QVERIFY(refused("tenantRpm", "tenantRpmError", QStringLiteral("-5"), rpmRange));
        QVERIFY(refused("tenantRpm", "tenantRpmError", QStringLiteral("0"), rpmRange));
        QVERIFY(refused("tenantRpm", "tenantRpmError", QStringLiteral("1000000000001"), rpmRange));
        QVERIFY(refused("tenantRpm", "tenantRpmError", QStringLiteral("99999999999999999999999"),
                        rpmRange));
        QVERIFY(refused("tenantRpm", "tenantRpmError", QStringLiteral("lots"),
                        QStringLiteral("whole number")));
        QVERIFY(refused("tenantRpm", "tenantRpmError", QStringLiteral("1.5"),
                        QStringLiteral("whole number")));
        QVERIFY(refused("tenantRpm", "tenantRpmError", QString(), QStringLiteral("No limit")));
        typeNumber(dialog, "tenantRpm", QStringLiteral("1000000000000"));
        QCOMPARE(errorOf(dialog, "tenantRpmError"), QString());
        QVERIFY(refused("tenantTpm", "tenantTpmError", QStringLiteral("-5000000000"),
                        QStringLiteral("tpm must be between 1 and 1000000000000")));
        typeNumber(dialog, "tenantTpm", QStringLiteral("5,000,000,000"));
        QVERIFY(refused("tenantConcurrency", "tenantConcurrencyError", QStringLiteral("0"),
                        QStringLiteral("concurrency must be between 1 and 1000000")));
        typeNumber(dialog, "tenantConcurrency", QStringLiteral("1"));
        QVERIFY(refused("tenantWeight", "tenantWeightError", QStringLiteral("1001"),
                        QStringLiteral("weight must be between 1 and 1000")));
        QVERIFY(refused("tenantWeight", "tenantWeightError", QStringLiteral("99999999999"),
                        QStringLiteral("weight must be between 1 and 1000")));
        typeNumber(dialog, "tenantWeight", QStringLiteral("1000"));
        QVERIFY(refused("tenantQueueTimeout", "tenantQueueTimeoutError", QStringLiteral("3600001"),
                        QStringLiteral("queue timeout (ms) must be between 1 and 3600000")));
        typeNumber(dialog, "tenantQueueTimeout", QStringLiteral("3600000"));
        QVERIFY(refused("tenantBudget", "tenantBudgetError", QStringLiteral("-1"),
                        QStringLiteral("between 0 and 1000000000")));
        QVERIFY(refused("tenantBudget", "tenantBudgetError", QStringLiteral("1000000001"),
                        QStringLiteral("between 0 and 1000000000")));
        typeNumber(dialog, "tenantBudget", QStringLiteral("1000000000"));
        // Reserved slots only for a tier that reserves: best-effort has the field off.
        QVERIFY(!child<QWidget>(dialog, "tenantReserved")->isEnabled());
        child<QComboBox>(dialog, "tenantTierCombo")->setCurrentText(QStringLiteral("dedicated"));
        QVERIFY(refused("tenantReserved", "tenantReservedError", QStringLiteral("10001"),
                        QStringLiteral("reserved slots must be between 0 and 10000")));
        typeNumber(dialog, "tenantReserved", QStringLiteral("0"));
        // Nothing was written while the form was wrong.
        QCOMPARE(c.h.admin().listTenants().value.size(), 0);

        QVERIFY(ok->isEnabled());
        QCOMPARE(dialog->validate(), QString());
        QSignalSpy done(c.window->tenants(), &TenantsPanel::changeDone);
        QTest::mouseClick(ok, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
        QCOMPARE(done.first().first().toString(), QString());
        const TenantRecord t = c.h.admin().tenant(QStringLiteral("acme")).value.tenant;
        QCOMPARE(t.rpm, LimitValue(1'000'000'000'000));
        QCOMPARE(t.tpm, LimitValue(5'000'000'000));
        QCOMPARE(t.concurrency, LimitValue(1));
        QCOMPARE(t.weight, 1000);
        QCOMPARE(t.queueTimeoutMs, LimitValue(3'600'000));
        QCOMPARE(t.reserved, LimitValue(0));
        QCOMPARE(t.budgetUsd, std::optional<double>(1e9));
    }

    // Limits shown as they are stored; "No limit" removes one, and nothing else changes.
    void noLimitCheckboxRemovesTheLimit()
    {
        Console c;
        TenantChanges settings;
        settings.rpm = LimitValue(60);
        settings.concurrency = LimitValue(1);
        settings.tpm = LimitValue(5'000'000'000);
        settings.budgetUsd = BudgetValue(0.005);
        c.h.addTenant(QStringLiteral("team"), settings);
        QVERIFY(c.start());
        c.window->showPanel(QStringLiteral("tenantsPanel"));
        QTRY_VERIFY_WITH_TIMEOUT(
            c.window->tenants()->tenantModel()->findRow(QStringLiteral("team")) >= 0, kWait);
        auto *view = c.find<QTableView>("tenantTable");
        view->setCurrentIndex(view->model()->index(0, 0));
        QTest::mouseClick(c.find<QPushButton>("editTenantButton"), Qt::LeftButton);
        TenantDialog *dialog = c.window->tenants()->dialog();
        QVERIFY(dialog);
        auto *rpmNone = child<QCheckBox>(dialog, "tenantRpmNone");
        QVERIFY(!rpmNone->isChecked());
        QCOMPARE(child<QLineEdit>(dialog, "tenantRpmEdit")->text(), QStringLiteral("60"));
        QCOMPARE(child<QLineEdit>(dialog, "tenantTpmEdit")->text(), QStringLiteral("5000000000"));
        QCOMPARE(child<QLineEdit>(dialog, "tenantConcurrencyEdit")->text(), QStringLiteral("1"));
        QVERIFY(child<QCheckBox>(dialog, "tenantTpmNone") &&
                !child<QCheckBox>(dialog, "tenantTpmNone")->isChecked());
        QVERIFY(child<QCheckBox>(dialog, "tenantQueueTimeoutNone")->isChecked());
        // Down on concurrency 1 is no key of a line edit: the limit stays 1.
        QTest::keyClick(child<QLineEdit>(dialog, "tenantConcurrencyEdit"), Qt::Key_Down);
        QCOMPARE(child<QLineEdit>(dialog, "tenantConcurrencyEdit")->text(), QStringLiteral("1"));
        rpmNone->setChecked(true);
        QVERIFY(!child<QLineEdit>(dialog, "tenantRpmEdit")->isEnabled());
        QSignalSpy done(c.window->tenants(), &TenantsPanel::changeDone);
        QTest::mouseClick(child<QPushButton>(dialog, "tenantDialogOk"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
        QCOMPARE(done.first().first().toString(), QString());
        const TenantRecord t = c.h.admin().tenant(QStringLiteral("team")).value.tenant;
        QCOMPARE(t.rpm, LimitValue());
        QCOMPARE(t.tpm, LimitValue(5'000'000'000));
        QCOMPARE(t.concurrency, LimitValue(1));
        QCOMPARE(t.budgetUsd, std::optional<double>(0.005)); // not rounded to cents on the way
    }

    // Each preset fills kind, base URL, name and key variable; a local server needs no key.
    void presetFillsTheFields()
    {
        UpstreamDialog dialog(QString{});
        auto *preset = child<QComboBox>(&dialog, "upstreamPresetCombo");
        auto *name = child<QLineEdit>(&dialog, "upstreamNameEdit");
        auto *kind = child<QComboBox>(&dialog, "upstreamKindCombo");
        auto *url = child<QLineEdit>(&dialog, "upstreamUrlEdit");
        auto *env = child<QLineEdit>(&dialog, "upstreamKeyEnvEdit");
        auto *none = child<QRadioButton>(&dialog, "upstreamKeyNone");
        auto *ok = child<QPushButton>(&dialog, "upstreamDialogOk");
        QVERIFY(preset && name && kind && url && env && none && ok);
        QVERIFY(!ok->isEnabled()); // nothing filled in yet
        const auto choose = [&](const QString &label) {
            const int index = preset->findText(label);
            QVERIFY2(index > 0, qPrintable(label));
            preset->setCurrentIndex(index);
            Q_EMIT preset->activated(index);
        };
        choose(QStringLiteral("Google Gemini (OpenAI-compatible)"));
        QCOMPARE(name->text(), QStringLiteral("gemini"));
        QCOMPARE(kind->currentText(), QStringLiteral("openai"));
        QCOMPARE(url->text(),
                 QStringLiteral("https://generativelanguage.googleapis.com/v1beta/openai"));
        QCOMPARE(env->text(), QStringLiteral("GEMINI_API_KEY"));
        QVERIFY(ok->isEnabled());
        choose(QStringLiteral("Anthropic"));
        QCOMPARE(name->text(), QStringLiteral("anthropic"));
        QCOMPARE(kind->currentText(), QStringLiteral("anthropic"));
        QCOMPARE(url->text(), QStringLiteral("https://api.anthropic.com"));
        QCOMPARE(env->text(), QStringLiteral("ANTHROPIC_API_KEY"));
        choose(QStringLiteral("OpenRouter"));
        QCOMPARE(url->text(), QStringLiteral("https://openrouter.ai/api/v1"));
        choose(QStringLiteral("DeepSeek"));
        QCOMPARE(url->text(), QStringLiteral("https://api.deepseek.com"));
        choose(QStringLiteral("Local Ollama"));
        QCOMPARE(name->text(), QStringLiteral("ollama"));
        QCOMPARE(url->text(), QStringLiteral("http://localhost:11434/v1"));
        QVERIFY(none->isChecked());
        QVERIFY(ok->isEnabled());
        choose(QStringLiteral("Local vLLM"));
        QCOMPARE(url->text(), QStringLiteral("http://localhost:8000/v1"));
        // A name the user typed is theirs: another preset keeps it.
        retype(name, QStringLiteral("my-openai"));
        choose(QStringLiteral("OpenAI"));
        QCOMPARE(name->text(), QStringLiteral("my-openai"));
        QCOMPARE(url->text(), QStringLiteral("https://api.openai.com/v1"));
        QVERIFY(child<QRadioButton>(&dialog, "upstreamKeyFromEnv")->isChecked());
        // Every preset's URL is one `upstream add` accepts.
        for (const UpstreamDialog::Preset &p : UpstreamDialog::presets()) {
            UpstreamChanges c;
            c.baseUrl = p.baseUrl;
            c.kind = p.kind;
            QVERIFY2(AdminService::checkUpstream(c).ok, qPrintable(p.baseUrl));
        }
    }

    // An OpenAI upstream needs a key (a variable or a stored one) unless "No key" is ticked.
    void upstreamWithoutKeyIsRefused()
    {
        Console c(false);
        QVERIFY(c.start());
        UpstreamDialog *dialog = c.upstreamDialog("addUpstreamButton");
        QVERIFY(dialog);
        auto *preset = child<QComboBox>(dialog, "upstreamPresetCombo");
        const int openai = preset->findText(QStringLiteral("OpenAI"));
        preset->setCurrentIndex(openai);
        Q_EMIT preset->activated(openai);
        auto *ok = child<QPushButton>(dialog, "upstreamDialogOk");
        auto *env = child<QLineEdit>(dialog, "upstreamKeyEnvEdit");
        QVERIFY(ok->isEnabled());
        env->clear();
        QVERIFY(!ok->isEnabled());
        QVERIFY2(errorOf(dialog, "upstreamKeyError").contains(QStringLiteral("environment")),
                 qPrintable(errorOf(dialog, "upstreamKeyError")));
        child<QRadioButton>(dialog, "upstreamKeyStored")->setChecked(true);
        QVERIFY(!ok->isEnabled());
        QVERIFY2(errorOf(dialog, "upstreamKeyError").contains(QStringLiteral("Type the key")),
                 qPrintable(errorOf(dialog, "upstreamKeyError")));
        QTest::keyClicks(child<QLineEdit>(dialog, "upstreamKeyEdit"), QStringLiteral("sk a"));
        QVERIFY(!ok->isEnabled()); // a blank in a key: `upstream add` refuses it too
        QVERIFY(errorOf(dialog, "upstreamKeyError").contains(QStringLiteral("blanks")));
        QTest::mouseClick(ok, Qt::LeftButton);
        QTest::qWait(50);
        QCOMPARE(c.h.admin().listUpstreams().value.size(), 0);
        // The other number fields: the CLI's ranges.
        typeNumber(dialog, "upstreamPool", QStringLiteral("10001"));
        QVERIFY(errorOf(dialog, "upstreamPoolError").contains(QStringLiteral("between 1 and")));
        typeNumber(dialog, "upstreamPool", QStringLiteral("10000"));
        typeNumber(dialog, "upstreamSlow", QStringLiteral("0"));
        QVERIFY(errorOf(dialog, "upstreamSlowError").contains(QStringLiteral("600000")));
        child<QCheckBox>(dialog, "upstreamSlowNone")->setChecked(true);
        // Explicitly no key: saved without one.
        child<QRadioButton>(dialog, "upstreamKeyNone")->setChecked(true);
        QVERIFY(ok->isEnabled());
        QSignalSpy done(c.window->upstreams(), &UpstreamsPanel::changeDone);
        QTest::mouseClick(ok, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
        QCOMPARE(done.first().first().toString(), QString());
        const QList<UpstreamRecord> saved = c.h.admin().listUpstreams().value;
        QCOMPARE(saved.size(), 1);
        QCOMPARE(saved.first().name, QStringLiteral("openai"));
        QCOMPARE(saved.first().maxConnections, 10000);
        QVERIFY(!saved.first().hasStoredKey && saved.first().apiKeyEnv.isEmpty());
    }

    // Test connection asks the provider for its models with the form's settings (the stored key
    // when the form keeps it) and shows them, or the error.
    void testConnectionListsModelsOrShowsTheError()
    {
        Console c;
        UpstreamChanges stored;
        stored.baseUrl = c.h.sim().baseUrl();
        stored.apiKey = QStringLiteral("sk-stored-secret");
        QVERIFY(c.h.admin().addUpstream(QStringLiteral("keyed"), stored).ok);
        QVERIFY(c.start());

        UpstreamDialog *dialog = c.upstreamDialog("addUpstreamButton");
        QVERIFY(dialog);
        auto *test = child<QPushButton>(dialog, "upstreamTestButton");
        auto *result = child<QLabel>(dialog, "upstreamTestResult");
        QVERIFY(test && result && test->isEnabled());
        QTest::keyClicks(child<QLineEdit>(dialog, "upstreamUrlEdit"), c.h.sim().baseUrl());
        child<QRadioButton>(dialog, "upstreamKeyStored")->setChecked(true);
        QTest::keyClicks(child<QLineEdit>(dialog, "upstreamKeyEdit"),
                         QStringLiteral("sk-typed-key"));
        c.h.sim().clearReceived();
        QTest::mouseClick(test, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(QStringLiteral("Connected")), kWait);
        QVERIFY2(result->text().contains(QStringLiteral("gpt-4o-mini")),
                 qPrintable(result->text()));
        QCOMPARE(c.h.sim().received().last().authorization, QByteArray("Bearer sk-typed-key"));
        QCOMPARE(c.h.admin().listUpstreams().value.size(), 2); // testing saves nothing

        child<QLineEdit>(dialog, "upstreamUrlEdit")
            ->setText(QStringLiteral("http://127.0.0.1:%1/v1").arg(closedPort()));
        QTest::mouseClick(test, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(QStringLiteral("Failed")), kWait);
        QVERIFY2(result->text().size() > 10, qPrintable(result->text()));
        dialog->reject();

        // Editing: the stored key stays unseen, and the test uses it.
        QVERIFY(c.selectUpstream(QStringLiteral("keyed")));
        dialog = c.upstreamDialog("editUpstreamButton");
        QVERIFY(dialog);
        QVERIFY(child<QRadioButton>(dialog, "upstreamKeyStored")->isChecked());
        QCOMPARE(child<QLineEdit>(dialog, "upstreamKeyEdit")->text(), QString());
        QVERIFY(!child<QRadioButton>(dialog, "upstreamKeyNone")->isEnabled());
        c.h.sim().clearReceived();
        QTest::mouseClick(child<QPushButton>(dialog, "upstreamTestButton"), Qt::LeftButton);
        result = child<QLabel>(dialog, "upstreamTestResult");
        QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(QStringLiteral("Connected")), kWait);
        QCOMPARE(c.h.sim().received().last().authorization, QByteArray("Bearer sk-stored-secret"));
        QVERIFY(!result->text().contains(QStringLiteral("sk-stored-secret")));
    }

    // After a tenant is created: its key in snippets for curl, Python, Node and the SDKs'
    // environment variables, with the relay's base URL.
    void snippetShowsTheBaseUrlAndTheKey()
    {
        Console c;
        QVERIFY(c.start());
        TenantDialog *dialog = c.newTenantDialog();
        QVERIFY(dialog);
        QTest::keyClicks(child<QLineEdit>(dialog, "tenantIdEdit"), QStringLiteral("web"));
        QTest::keyClicks(child<QLineEdit>(dialog, "tenantModelsEdit"), QStringLiteral("gpt-4o"));
        QTest::mouseClick(child<QPushButton>(dialog, "tenantDialogOk"), Qt::LeftButton);
        KeyDialog *shown = nullptr;
        QVERIFY(QTest::qWaitFor(
            [&] { return (shown = c.find<KeyDialog>("newKeyDialog")) != nullptr; }, kWait));
        const QString key = child<QLineEdit>(shown, "newKeyField")->text();
        QVERIFY(key.startsWith(QStringLiteral("sk-tr-")));
        const QString base = c.h.engine().baseUrl();
        QCOMPARE(base, QStringLiteral("http://127.0.0.1:%1/v1").arg(c.h.port()));
        auto *kind = child<QComboBox>(shown, "snippetCombo");
        auto *text = child<QPlainTextEdit>(shown, "snippetText");
        QVERIFY(kind && text);
        QCOMPARE(kind->count(), 4);
        for (int i = 0; i < kind->count(); ++i) {
            kind->setCurrentIndex(i);
            QVERIFY2(text->toPlainText().contains(base) && text->toPlainText().contains(key),
                     qPrintable(text->toPlainText()));
        }
        kind->setCurrentIndex(0);
        QVERIFY(text->toPlainText().contains(QStringLiteral("curl %1/chat/completions").arg(base)));
        QVERIFY(text->toPlainText().contains(QStringLiteral("\"model\": \"gpt-4o\"")));
        kind->setCurrentIndex(1);
        QVERIFY(text->toPlainText().contains(
            QStringLiteral("base_url=\"%1\",\n    api_key=\"%2\",").arg(base, key)));
        kind->setCurrentIndex(3);
        const QString env = text->toPlainText();
        QVERIFY(env.contains(QStringLiteral("export OPENAI_BASE_URL=\"%1\"").arg(base)));
        QVERIFY(env.contains(QStringLiteral("export OPENAI_API_KEY=\"%1\"").arg(key)));
        QVERIFY(env.contains(
            QStringLiteral("export ANTHROPIC_BASE_URL=\"http://127.0.0.1:%1\"").arg(c.h.port())));
        QTest::mouseClick(child<QPushButton>(shown, "copySnippetButton"), Qt::LeftButton);
        QCOMPARE(QGuiApplication::clipboard()->text(), env);
        // The snippet works as pasted: the relay answers the curl request's twin.
        const TestResponse answer =
            request(c.h.port(), "POST", "/v1/chat/completions",
                    RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("Hello")),
                    TestHttpClient::bearer(key));
        QCOMPARE(answer.status, 200);
        shown->close();
    }

    // The price editor shows a stored price exactly and saves what was typed, with no cap or
    // rounding (the spin box it replaces showed $0.0002 for $0.00015 and capped at $10,000).
    void pricesAreNeverRoundedOrCapped()
    {
        Console c;
        QVERIFY(c.h.admin().setPrice(QStringLiteral("tiny"), 0.00015, 15000).ok);
        QVERIFY(c.start());
        c.window->showPanel(QStringLiteral("pricingPanel"));
        RowTableModel *prices = c.window->pricing()->priceModel();
        QTRY_VERIFY_WITH_TIMEOUT(prices->findRow(QStringLiteral("tiny")) >= 0, kWait);
        auto *view = c.find<QTableView>("priceTable");
        const QModelIndex row = view->model()->index(prices->findRow(QStringLiteral("tiny")), 0);
        view->scrollTo(row);
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(row).center());
        auto *input = c.find<QLineEdit>("priceInputEdit");
        auto *output = c.find<QLineEdit>("priceOutputEdit");
        QCOMPARE(input->text(), QStringLiteral("0.00015"));
        QCOMPARE(output->text(), QStringLiteral("15000"));
        auto *set = c.find<QPushButton>("setPriceButton");
        QVERIFY(set->isEnabled());
        retype(input, QStringLiteral("-1"));
        QVERIFY(!set->isEnabled());
        QVERIFY(
            errorOf(c.window.get(), "priceInputError").contains(QStringLiteral("zero or more")));
        retype(input, QStringLiteral("0.000125"));
        retype(c.find<QLineEdit>("priceModelEdit"), QStringLiteral("tiny-2"));
        QVERIFY(set->isEnabled());
        QTest::mouseClick(set, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(prices->findRow(QStringLiteral("tiny-2")) >= 0, kWait);
        int found = 0;
        for (const PriceRecord &p : c.h.admin().listPrices().value)
            if (p.model == QLatin1String("tiny-2")) {
                ++found;
                QCOMPARE(p.input, 0.000125);
                QCOMPARE(p.output, 15000.0);
            }
        QCOMPARE(found, 1);
    }

    // The first run: the dashboard says what to do next and its button opens the dialog; the
    // empty panels offer their add button; a tenant made before any provider is warned about.
    void emptyStatesLeadToTheNextStep()
    {
        Console c(false);
        QVERIFY(c.start());
        c.window->showPanel(QStringLiteral("dashboardPanel"));
        auto *next = c.find<QWidget>("dashboardNextStep");
        QVERIFY(next);
        QTRY_VERIFY_WITH_TIMEOUT(next->isVisible(), kWait);
        QVERIFY(
            c.find<QLabel>("dashboardNextStepText")->text().contains(QStringLiteral("provider")));
        QTest::mouseClick(c.find<QPushButton>("dashboardNextStepButton"), Qt::LeftButton);
        UpstreamDialog *dialog = nullptr;
        QVERIFY(QTest::qWaitFor(
            [&] { return (dialog = c.find<UpstreamDialog>("upstreamDialog")) != nullptr; }, kWait));
        QCOMPARE(c.find<QTabWidget>("panelTabs")->currentWidget(), c.window->upstreams());
        QVERIFY(c.find<QWidget>("upstreamsEmptyState")->isVisible());
        dialog->reject();

        c.window->showPanel(QStringLiteral("tenantsPanel"));
        auto *tenantsEmpty = c.find<QWidget>("tenantsEmptyState");
        QTRY_VERIFY_WITH_TIMEOUT(tenantsEmpty->isVisible(), kWait);
        QVERIFY(c.find<QLabel>("tenantsEmptyStateText")
                    ->text()
                    .contains(QStringLiteral("add a provider first")));
        QTest::mouseClick(c.find<QPushButton>("emptyAddTenantButton"), Qt::LeftButton);
        TenantDialog *tenant = c.window->tenants()->dialog();
        QVERIFY(tenant);
        QVERIFY(child<QLabel>(tenant, "tenantNoUpstreamWarning")->isVisible());
        tenant->reject();
        // Budgets are per tenant: that panel leads to the same dialog.
        c.window->showPanel(QStringLiteral("budgetsPanel"));
        QTRY_VERIFY_WITH_TIMEOUT(c.find<QWidget>("budgetsEmptyState")->isVisible(), kWait);
        QTRY_VERIFY_WITH_TIMEOUT(!c.window->tenants()->dialog(), kWait);
        QTest::mouseClick(c.find<QPushButton>("budgetsAddTenantButton"), Qt::LeftButton);
        QVERIFY(c.window->tenants()->dialog());
        QCOMPARE(c.find<QTabWidget>("panelTabs")->currentWidget(), c.window->tenants());
        c.window->tenants()->dialog()->reject();

        // With a provider, step 2; with a tenant too, the guide and empty states are gone.
        UpstreamChanges upstream;
        upstream.baseUrl = c.h.sim().baseUrl();
        QVERIFY(c.h.admin().addUpstream(QStringLiteral("sim"), upstream).ok);
        c.h.reload();
        c.window->showPanel(QStringLiteral("dashboardPanel"));
        QTRY_VERIFY_WITH_TIMEOUT(
            c.find<QLabel>("dashboardNextStepText")->text().contains(QStringLiteral("tenant")),
            kWait);
        tenant = c.newTenantDialog();
        QTRY_VERIFY_WITH_TIMEOUT(c.window->tenants()->dialog(), kWait);
        tenant->reject();
        c.h.addTenant(QStringLiteral("team"));
        c.h.reload();
        c.window->showPanel(QStringLiteral("dashboardPanel"));
        QTRY_VERIFY_WITH_TIMEOUT(!next->isVisible(), kWait);
        c.window->showPanel(QStringLiteral("tenantsPanel"));
        QTRY_VERIFY_WITH_TIMEOUT(!tenantsEmpty->isVisible(), kWait);
        tenant = c.newTenantDialog();
        QVERIFY(tenant);
        // The dialog reads the upstreams as it opens.
        QTRY_VERIFY_WITH_TIMEOUT(
            !child<QLabel>(tenant, "tenantNoUpstreamWarning")->isVisibleTo(tenant), kWait);
        tenant->reject();
    }

private:
    QTemporaryDir m_config;
};

QTEST_MAIN(TestDialogs)
#include "tst_dialogs.moc"
