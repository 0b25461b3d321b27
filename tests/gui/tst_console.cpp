// The console driven through its real widgets (found by objectName) on a real engine: tenants
// created, limited and re-keyed through the dialogs take effect on live HTTP requests; alerts
// reach the list and the tray; the charts and the paged logs fill; every model passes
// QAbstractItemModelTester.
#include "AlertNotifier.h"
#include "BudgetsPanel.h"
#include "ConsoleUnderTest.h"
#include "DashboardPanel.h"
#include "IssueKeyDialog.h"
#include "KeyDialog.h"
#include "LatencyChart.h"
#include "MainWindow.h"
#include "PagedLogView.h"
#include "PricingPanel.h"
#include "RelayHarness.h"
#include "RowTableModel.h"
#include "SettingsPanel.h"
#include "TenantDialog.h"
#include "TenantsPanel.h"
#include "TestCertificate.h"
#include "UpstreamDialog.h"
#include "UpstreamsPanel.h"
#include "UsagePanel.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace relay;
using namespace relay::test;
using namespace relay::ui;

namespace {

constexpr int kWait = 10'000;

// The console on a harness, with the steps these tests repeat.
struct Console : ConsoleUnderTest
{
    void click(const char *button)
    {
        auto *b = find<QPushButton>(button);
        QVERIFY2(b, button);
        QTest::mouseClick(b, Qt::LeftButton);
    }
    // Selects the tenant's row in the tenants table.
    bool selectTenant(const QString &id)
    {
        window->showPanel(QStringLiteral("tenantsPanel"));
        if (!QTest::qWaitFor([&] { return window->tenants()->tenantModel()->findRow(id) >= 0; },
                             kWait))
            return false;
        auto *view = find<QTableView>("tenantTable");
        view->setCurrentIndex(
            view->model()->index(window->tenants()->tenantModel()->findRow(id), 0));
        return true;
    }
    // Answers Yes in the confirmation box that the last click opened.
    bool confirm()
    {
        QMessageBox *box = nullptr;
        if (!QTest::qWaitFor([&] { return (box = find<QMessageBox>("confirmBox")) != nullptr; },
                             kWait))
            return false;
        QTest::mouseClick(box->button(QMessageBox::Yes), Qt::LeftButton);
        return true;
    }
    // The label-and-expiry dialog that the last Issue or Rotate click opened.
    IssueKeyDialog *issueDialog()
    {
        IssueKeyDialog *dialog = nullptr;
        if (!QTest::qWaitFor(
                [&] { return (dialog = find<IssueKeyDialog>("issueKeyDialog")) != nullptr; },
                kWait))
            return nullptr;
        return dialog;
    }
    // The key shown by the new-key dialog; closes the dialog.
    QString takeShownKey()
    {
        KeyDialog *dialog = nullptr;
        if (!QTest::qWaitFor([&] { return (dialog = find<KeyDialog>("newKeyDialog")) != nullptr; },
                             kWait))
            return {};
        const QString key = dialog->findChild<QLineEdit *>(QStringLiteral("newKeyField"))->text();
        QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("copyKeyButton")),
                          Qt::LeftButton);
        const bool copied = QGuiApplication::clipboard()->text() == key;
        dialog->close();
        QTest::qWait(0);
        return copied ? key : QStringLiteral("not copied");
    }
};

} // namespace

class TestConsole : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // The console remembers its last panel in the application settings: keep them here.
        QVERIFY(m_config.isValid());
        qputenv("XDG_CONFIG_HOME", m_config.path().toLocal8Bit());
    }

    void windowShowsAddressAndLiveRequestCount()
    {
        Console c;
        const QString key = c.h.addTenant(QStringLiteral("prod"));
        QVERIFY(c.start());
        auto *address = c.find<QLabel>("listenAddress");
        auto *count = c.find<QLabel>("requestCount");
        QVERIFY(address && count);
        QCOMPARE(address->text(), QStringLiteral("http://127.0.0.1:%1/v1").arg(c.h.port()));
        for (int i = 0; i < 3; ++i)
            QCOMPARE(c.chat(key), 200);
        QTRY_COMPARE_WITH_TIMEOUT(count->text(), QStringLiteral("3"), 3000);
    }

    void tenantCreatedInTheDialogWorksAtOnce()
    {
        Console c;
        QVERIFY(c.start());
        c.window->showPanel(QStringLiteral("tenantsPanel"));
        c.click("newTenantButton");
        TenantDialog *dialog = c.window->tenants()->dialog();
        QVERIFY(dialog);
        auto *ok = dialog->findChild<QPushButton *>(QStringLiteral("tenantDialogOk"));
        // Invalid input is refused beside its field as it is typed, with the message of
        // `tenant add` for the same input (the admin service's own checks), and OK stays
        // disabled.
        auto *alerts = dialog->findChild<QLineEdit *>(QStringLiteral("tenantAlertsEdit"));
        auto *webhook = dialog->findChild<QLineEdit *>(QStringLiteral("tenantWebhookEdit"));
        QVERIFY(alerts && webhook);
        const auto shown = [&](const char *name) {
            auto *label = dialog->findChild<QLabel *>(QLatin1String(name));
            return label && label->isVisibleTo(dialog) ? label->text() : QString();
        };
        QTest::keyClicks(alerts, QStringLiteral("0,50"));
        QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("tenantIdEdit")),
                         QStringLiteral("acme"));
        QVERIFY(!ok->isEnabled());
        QVERIFY2(shown("tenantAlertsError").contains(QStringLiteral("between 1 and 1000")),
                 qPrintable(shown("tenantAlertsError")));
        alerts->clear();
        QTest::keyClicks(alerts, QStringLiteral("half"));
        QVERIFY(!ok->isEnabled());
        QVERIFY2(shown("tenantAlertsError").contains(QStringLiteral("whole percents")),
                 qPrintable(shown("tenantAlertsError")));
        alerts->clear();
        QTest::keyClicks(webhook, QStringLiteral("https://user:secret@hooks.example/x"));
        QVERIFY(!ok->isEnabled());
        QVERIFY2(shown("tenantWebhookError").contains(QStringLiteral("must not hold credentials")),
                 qPrintable(shown("tenantWebhookError")));
        webhook->clear();
        QCOMPARE(shown("tenantAlertsError"), QString());
        QCOMPARE(shown("tenantWebhookError"), QString());
        // What the CLI accepts, the dialog accepts: thresholds in any order (stored sorted).
        QTest::keyClicks(alerts, QStringLiteral("90,50"));
        dialog->findChild<QComboBox *>(QStringLiteral("tenantTierCombo"))
            ->setCurrentText(QStringLiteral("guaranteed"));
        dialog->findChild<QCheckBox *>(QStringLiteral("tenantRpmNone"))->setChecked(false);
        QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("tenantRpmEdit")),
                         QStringLiteral("120"));
        dialog->findChild<QCheckBox *>(QStringLiteral("tenantBudgetNone"))->setChecked(false);
        QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("tenantBudgetEdit")),
                         QStringLiteral("25"));
        QVERIFY(ok->isEnabled());
        QTest::mouseClick(ok, Qt::LeftButton);

        const QString key = c.takeShownKey();
        QVERIFY2(key.startsWith(QStringLiteral("sk-tr-")) && key.size() >= 38, qPrintable(key));
        QTRY_VERIFY_WITH_TIMEOUT(
            c.window->tenants()->tenantModel()->findRow(QStringLiteral("acme")) >= 0, kWait);
        const AdminValue<TenantDetails> stored = c.h.admin().tenant(QStringLiteral("acme"));
        QVERIFY(stored.ok);
        QCOMPARE(stored.value.tenant.tier, QStringLiteral("guaranteed"));
        QCOMPARE(stored.value.tenant.rpm, std::optional<qint64>(120));
        QSqlQuery q(c.h.db());
        QVERIFY(q.exec(
            QStringLiteral("SELECT budget_usd, alert_thresholds FROM tenants WHERE id = 'acme'")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toDouble(), 25.0);
        QCOMPARE(q.value(1).toString(), QStringLiteral("50,90"));
        // The dialog never shows the key again, and the engine knows it at once.
        QVERIFY(!c.find<KeyDialog>("newKeyDialog"));
        QCOMPARE(c.chat(key), 200);
    }

    void upstreamDialogRefusesWhatTheCliRefuses()
    {
        UpstreamDialog dialog(QString{});
        QSignalSpy submitted(&dialog, &UpstreamDialog::submitted);
        auto *name = dialog.findChild<QLineEdit *>(QStringLiteral("upstreamNameEdit"));
        auto *url = dialog.findChild<QLineEdit *>(QStringLiteral("upstreamUrlEdit"));
        auto *env = dialog.findChild<QLineEdit *>(QStringLiteral("upstreamKeyEnvEdit"));
        auto *buttons = dialog.findChild<QDialogButtonBox *>();
        QVERIFY(name && url && env && buttons);
        dialog.findChild<QRadioButton *>(QStringLiteral("upstreamKeyFromEnv"))->setChecked(true);
        name->setText(QStringLiteral("provider"));
        env->setText(QStringLiteral("PROVIDER_KEY"));
        // The problems shown beside the fields as typed; OK does nothing meanwhile.
        const auto refusal = [&](const QString &baseUrl) {
            url->setText(baseUrl);
            QTest::mouseClick(buttons->button(QDialogButtonBox::Ok), Qt::LeftButton);
            QString shown;
            for (const char *field : {"upstreamUrlError", "upstreamKeyError"}) {
                auto *label = dialog.findChild<QLabel *>(QLatin1String(field));
                if (label->isVisibleTo(&dialog))
                    shown += label->text();
            }
            if (shown.isEmpty() != buttons->button(QDialogButtonBox::Ok)->isEnabled())
                return QStringLiteral("OK enabled with an error shown, or the other way round");
            return shown;
        };
        // The messages of `upstream add` for the same input.
        QVERIFY(refusal(QStringLiteral("https://user:pw@api.example.com/v1"))
                    .contains(QStringLiteral("must not hold credentials")));
        QVERIFY(refusal(QStringLiteral("https://api.example.com/v1?x=1"))
                    .contains(QStringLiteral("query or fragment")));
        env->setText(QStringLiteral("1BAD"));
        QVERIFY(refusal(QStringLiteral("https://api.example.com/v1"))
                    .contains(QStringLiteral("invalid environment variable name")));
        QCOMPARE(submitted.count(), 0);
        env->setText(QStringLiteral("PROVIDER_KEY"));
        QCOMPARE(refusal(QStringLiteral("https://api.example.com/v1")), QString());
        QCOMPARE(submitted.count(), 1);
    }

    void quotaEditedInTheDialogIsEnforced()
    {
        Console c;
        // A budget without threshold alerts (`--alerts none`): the edit keeps it so.
        TenantChanges settings;
        settings.budgetUsd = BudgetValue(50.0);
        settings.alertThresholds = AlertThresholds(QList<int>());
        const QString key = c.h.addTenant(QStringLiteral("team"), settings);
        QVERIFY(c.start());
        QCOMPARE(c.chat(key), 200);
        QVERIFY(c.selectTenant(QStringLiteral("team")));
        QSignalSpy done(c.window->tenants(), &TenantsPanel::changeDone);
        c.click("editTenantButton");
        TenantDialog *dialog = c.window->tenants()->dialog();
        QVERIFY(dialog);
        QCOMPARE(dialog->findChild<QLineEdit *>(QStringLiteral("tenantAlertsEdit"))->text(),
                 QStringLiteral("none"));
        dialog->findChild<QCheckBox *>(QStringLiteral("tenantRpmNone"))->setChecked(false);
        QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("tenantRpmEdit")),
                         QStringLiteral("2"));
        QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("tenantDialogOk")),
                          Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
        QCOMPARE(done.first().first().toString(), QString());
        QCOMPARE(c.chat(key), 200);
        QCOMPARE(c.chat(key), 200);
        const TestResponse refused =
            request(c.h.port(), "POST", "/v1/chat/completions",
                    RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")),
                    TestHttpClient::bearer(key));
        QCOMPARE(refused.status, 429);
        QCOMPARE(refused.errorField("code"), QStringLiteral("rate_limit_exceeded"));
        const TenantRecord team = c.h.admin().tenant(QStringLiteral("team")).value.tenant;
        QCOMPARE(team.alertThresholds, AlertThresholds(QList<int>()));
        QCOMPARE(team.budgetUsd, std::optional<double>(50.0));
    }

    void rotatedKeyRefusesTheOldOne()
    {
        Console c;
        const QString oldKey = c.h.addTenant(QStringLiteral("team"));
        QVERIFY(c.start());
        QCOMPARE(c.chat(oldKey), 200);
        QVERIFY(c.selectTenant(QStringLiteral("team")));
        c.click("rotateKeyButton");
        IssueKeyDialog *rotate = c.issueDialog();
        QVERIFY(rotate);
        QVERIFY(rotate->rotates());
        QTest::mouseClick(rotate->findChild<QPushButton *>(QStringLiteral("issueKeyDialogOk")),
                          Qt::LeftButton);
        const QString newKey = c.takeShownKey();
        QVERIFY(newKey.startsWith(QStringLiteral("sk-tr-")));
        QVERIFY(newKey != oldKey);
        QCOMPARE(c.chat(oldKey), 401);
        QCOMPARE(c.chat(newKey), 200);
        // The keys table lists the revoked key by its prefix only.
        QTRY_COMPARE_WITH_TIMEOUT(c.window->tenants()->keyModel()->rowCount(), 2, kWait);
        for (int r = 0; r < 2; ++r)
            QCOMPARE(c.window->tenants()->keyModel()->value(r, 0).toString().size(), 12);
    }

    // The allowed-addresses field is checked in the dialog by the same rules as --allow-ips:
    // a bad block keeps the dialog open with the reason, a good one is stored canonical and
    // enforced by the relay at once.
    void invalidAllowedAddressesAreRefusedInTheDialog()
    {
        Console c;
        const QString key = c.h.addTenant(QStringLiteral("team"));
        QVERIFY(c.start());
        QCOMPARE(c.chat(key), 200);
        QVERIFY(c.selectTenant(QStringLiteral("team")));
        QSignalSpy done(c.window->tenants(), &TenantsPanel::changeDone);
        c.click("editTenantButton");
        TenantDialog *dialog = c.window->tenants()->dialog();
        QVERIFY(dialog);
        auto *ips = dialog->findChild<QLineEdit *>(QStringLiteral("tenantAllowIpsEdit"));
        auto *ok = dialog->findChild<QPushButton *>(QStringLiteral("tenantDialogOk"));
        auto *error = dialog->findChild<QLabel *>(QStringLiteral("tenantAllowIpsError"));
        QVERIFY(ips && ok && error);
        QCOMPARE(ips->text(), QString());
        QTest::keyClicks(ips, QStringLiteral("10.0.0.0/8, 300.1.1.1"));
        QTest::mouseClick(ok, Qt::LeftButton);
        QVERIFY(error->isVisible());
        QVERIFY(!ok->isEnabled());
        QVERIFY2(error->text().contains(QStringLiteral("300.1.1.1")), qPrintable(error->text()));
        QVERIFY(dialog->isVisible());
        QTest::qWait(50);
        QCOMPARE(done.count(), 0); // nothing was written
        QVERIFY(!c.h.admin().tenant(QStringLiteral("team")).value.tenant.allowIps);

        ips->clear();
        QTest::keyClicks(ips, QStringLiteral("10.1.2.3/8"));
        QTest::mouseClick(ok, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
        QCOMPARE(done.first().first().toString(), QString());
        QCOMPARE(c.h.admin().tenant(QStringLiteral("team")).value.tenant.allowIps,
                 AddressBlocks(QStringList{QStringLiteral("10.0.0.0/8")}));
        // The console's own relay refuses the loopback caller now.
        QCOMPARE(c.chat(key), 403);
    }

    // Issue key asks for a label and an expiry first; a bad expiry is refused in the dialog.
    void keyIssuedWithLabelAndExpiry()
    {
        Console c;
        c.h.addTenant(QStringLiteral("team"));
        QVERIFY(c.start());
        QVERIFY(c.selectTenant(QStringLiteral("team")));
        c.click("issueKeyButton");
        IssueKeyDialog *dialog = c.issueDialog();
        QVERIFY(dialog);
        QVERIFY(!dialog->rotates());
        auto *expires = dialog->findChild<QLineEdit *>(QStringLiteral("keyExpiresEdit"));
        auto *ok = dialog->findChild<QPushButton *>(QStringLiteral("issueKeyDialogOk"));
        auto *error = dialog->findChild<QLabel *>(QStringLiteral("keyExpiresError"));
        QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("keyLabelEdit")),
                         QStringLiteral("ci runner"));
        QTest::keyClicks(expires, QStringLiteral("2001-01-01"));
        QTest::mouseClick(ok, Qt::LeftButton);
        QVERIFY(error->isVisible());
        QVERIFY(!ok->isEnabled());
        QVERIFY2(error->text().contains(QStringLiteral("not in the future")),
                 qPrintable(error->text()));
        QCOMPARE(c.h.admin().listKeys(QStringLiteral("team")).value.size(), 1);
        expires->clear();
        QTest::keyClicks(expires, QStringLiteral("30d"));
        QTest::mouseClick(ok, Qt::LeftButton);
        const QString key = c.takeShownKey();
        QVERIFY2(key.startsWith(QStringLiteral("sk-tr-")), qPrintable(key));
        QCOMPARE(c.chat(key), 200);
        const QList<KeyRecord> keys = c.h.admin().listKeys(QStringLiteral("team")).value;
        QCOMPARE(keys.size(), 2);
        QCOMPARE(keys.last().label, QStringLiteral("ci runner"));
        QVERIFY(keys.last().expiresMs &&
                *keys.last().expiresMs > QDateTime::currentMSecsSinceEpoch() + 29 * 86'400'000LL);
        // The keys table shows the label.
        QTRY_COMPARE_WITH_TIMEOUT(c.window->tenants()->keyModel()->rowCount(), 2, kWait);
        bool labelled = false;
        for (int r = 0; r < 2; ++r)
            labelled = labelled || c.window->tenants()->keyModel()->value(r, 4).toString() ==
                                       QLatin1String("ci runner");
        QVERIFY(labelled);
    }

    void alertRowReachesTheListAndTheTray()
    {
        Console c;
        c.h.addTenant(QStringLiteral("team"));
        QVERIFY(c.start());
        BudgetsPanel *budgets = c.window->budgets();
        QTRY_VERIFY_WITH_TIMEOUT(budgets->refreshCount() >= 1, kWait);
        QSignalSpy tray(c.window->notifier(), &AlertNotifier::notificationRequested);
        QSqlQuery q(c.h.db());
        QVERIFY(q.exec(QStringLiteral(
            "INSERT INTO alerts (ts, tenant_id, period, kind, threshold, spent_usd, budget_usd) "
            "VALUES (strftime('%s','now') * 1000, 'team', '2026-11', 'threshold', 80, 40.5, 50)")));
        QTRY_COMPARE_WITH_TIMEOUT(budgets->alertModel()->rowCount(), 1, kWait);
        QTRY_COMPARE_WITH_TIMEOUT(tray.count(), 1, kWait);
        QVERIFY(tray.first().at(1).toString().contains(QStringLiteral("80 %")));
        QCOMPARE(c.window->notifier()->requested(), 1);

        c.window->showPanel(QStringLiteral("budgetsPanel"));
        auto *view = c.find<QTableView>("alertTable");
        view->setCurrentIndex(view->model()->index(0, 0));
        c.click("acknowledgeAlertButton");
        QTRY_COMPARE_WITH_TIMEOUT(budgets->alertModel()->value(0, 7).toString(),
                                  QStringLiteral("yes"), kWait);
        QVERIFY(q.exec(QStringLiteral("SELECT acknowledged FROM alerts")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), 1);
        // An alert already seen is not notified twice.
        QTest::qWait(500);
        QCOMPARE(tray.count(), 1);
    }

    void chartsReceivePointsFromTraffic()
    {
        Console c;
        const QString key = c.h.addTenant(QStringLiteral("prod"));
        QVERIFY(c.start());
        c.window->showPanel(QStringLiteral("dashboardPanel"));
        LatencyChart *tenants = c.window->dashboard()->tenantChart();
        LatencyChart *upstreams = c.window->dashboard()->upstreamChart();
        QCOMPARE(tenants->pointCount(QStringLiteral("prod")), 0);
        QVERIFY(QTest::qWaitFor(
            [&] {
                c.chat(key);
                return tenants->pointCount(QStringLiteral("prod")) >= 3 &&
                       upstreams->pointCount(QStringLiteral("sim")) >= 3;
            },
            kWait));
        QTRY_VERIFY_WITH_TIMEOUT(c.window->dashboard()->healthModel()->rowCount() == 1, kWait);
        QCOMPARE(c.window->dashboard()->healthModel()->value(0, 0).toString(),
                 QStringLiteral("sim"));
    }

    void modelsPassTheModelTester()
    {
        Console c;
        const QString key = c.h.addTenant(QStringLiteral("prod"));
        c.h.addTenant(QStringLiteral("batch"));
        c.h.admin().setPrice(QStringLiteral("gpt-4o"), 2.5, 10);
        QVERIFY(c.start());
        QList<QAbstractItemModel *> models{
            c.window->dashboard()->healthModel(),     c.window->tenants()->tenantModel(),
            c.window->tenants()->keyModel(),          c.window->upstreams()->upstreamModel(),
            c.window->upstreams()->routeModel(),      c.window->upstreams()->aliasModel(),
            c.window->budgets()->budgetModel(),       c.window->budgets()->alertModel(),
            c.window->usage()->requestLog()->model(), c.window->usage()->auditLog()->model(),
            c.window->pricing()->priceModel(),        c.window->pricing()->comparisonModel()};
        std::vector<std::unique_ptr<QAbstractItemModelTester>> testers;
        for (QAbstractItemModel *m : models)
            testers.push_back(std::make_unique<QAbstractItemModelTester>(
                m, QAbstractItemModelTester::FailureReportingMode::QtTest));
        // Traffic, admin changes and refreshes move every model.
        for (int i = 0; i < 5; ++i)
            QCOMPARE(c.chat(key), 200);
        c.h.admin().setRoute(QStringLiteral("gpt-4o"), {QStringLiteral("sim")});
        c.h.admin().setAlias(QStringLiteral("gpt-4"), QStringLiteral("gpt-4o"));
        QVERIFY(c.selectTenant(QStringLiteral("prod")));
        c.h.engine().flushUsage();
        c.window->usage()->requestLog()->firstPage();
        c.window->usage()->auditLog()->firstPage();
        c.window->pricing()->refreshComparison();
        QTRY_VERIFY_WITH_TIMEOUT(c.window->usage()->requestLog()->model()->rowCount() == 5, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(c.window->upstreams()->routeModel()->rowCount() == 1, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(c.window->pricing()->comparisonModel()->rowCount() == 1, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(c.window->budgets()->budgetModel()->rowCount() == 2, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(c.window->tenants()->keyModel()->rowCount() == 1, kWait);
        QTest::qWait(400); // a few stats ticks through the live models
    }

    void requestLogPagesThroughKeysetsAndExports()
    {
        Console c;
        c.h.addTenant(QStringLiteral("prod"));
        QSqlQuery q(c.h.db());
        QVERIFY(q.exec(QStringLiteral("BEGIN")));
        q.prepare(QStringLiteral(
            "INSERT INTO usage (ts, request_id, tenant_id, key_prefix, outcome, endpoint, status, "
            "cost_usd) VALUES (?, ?, ?, 'sk-tr-abcdef', 'served', ?, ?, 0.001)"));
        for (int i = 0; i < 450; ++i) {
            q.addBindValue(qint64(1'780'000'000'000) + i / 3 * 1000); // three share a ts
            q.addBindValue(QStringLiteral("r%1").arg(i));
            q.addBindValue(i % 2 ? QStringLiteral("prod") : QStringLiteral("batch"));
            q.addBindValue(i % 5 == 4 ? QStringLiteral("messages") : QStringLiteral("chat"));
            q.addBindValue(i % 10 == 0 ? 500 : 200);
            QVERIFY(q.exec());
        }
        QVERIFY(QSqlQuery(c.h.db()).exec(QStringLiteral("COMMIT")));
        QVERIFY(c.start());
        PagedLogView *log = c.window->usage()->requestLog();
        QSignalSpy pages(log, &PagedLogView::pageLoaded);
        log->firstPage();
        QTRY_VERIFY_WITH_TIMEOUT(pages.count() >= 1 && log->model()->rowCount() == 200, kWait);
        QCOMPARE(log->model()->value(0, 0).toLongLong(), 450); // newest first
        // Each request's client dialect and endpoint (row id 450 is i = 449: messages).
        const auto columnOf = [&](const QString &header) {
            for (int i = 0; i < log->model()->columnCount(); ++i)
                if (log->model()->headerData(i, Qt::Horizontal).toString() == header)
                    return i;
            return -1;
        };
        const int client = columnOf(QStringLiteral("Client"));
        const int endpoint = columnOf(QStringLiteral("Endpoint"));
        QVERIFY(client > 0 && endpoint > 0);
        QCOMPARE(log->model()->value(0, client).toString(), QStringLiteral("Anthropic"));
        QCOMPARE(log->model()->value(0, endpoint).toString(), QStringLiteral("messages"));
        QCOMPARE(log->model()->value(1, client).toString(), QStringLiteral("OpenAI"));
        QCOMPARE(log->model()->value(1, endpoint).toString(), QStringLiteral("chat"));
        QSet<qint64> seen;
        auto collect = [&] {
            for (int r = 0; r < log->model()->rowCount(); ++r)
                seen.insert(log->model()->value(r, 0).toLongLong());
        };
        collect();
        pages.clear();
        log->nextPage();
        QTRY_COMPARE_WITH_TIMEOUT(pages.count(), 1, kWait);
        collect();
        pages.clear();
        log->nextPage();
        QTRY_COMPARE_WITH_TIMEOUT(pages.count(), 1, kWait);
        QCOMPARE(log->model()->rowCount(), 50);
        collect();
        QCOMPARE(seen.size(), 450); // every row once, none skipped at equal timestamps
        pages.clear();
        log->previousPage();
        QTRY_COMPARE_WITH_TIMEOUT(pages.count(), 1, kWait);
        QCOMPARE(log->model()->rowCount(), 200);

        // Filters: one tenant's errors.
        c.window->showPanel(QStringLiteral("usagePanel"));
        auto *tenant = c.find<QLineEdit>("requestLogTenantFilter");
        auto *kind = c.find<QComboBox>("requestLogKindFilter");
        QVERIFY(tenant && kind);
        tenant->setText(QStringLiteral("batch"));
        pages.clear();
        kind->setCurrentIndex(1); // errors
        QTRY_COMPARE_WITH_TIMEOUT(pages.count(), 1, kWait);
        QCOMPARE(log->model()->rowCount(), 45);

        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("errors.csv"));
        QSignalSpy exported(log, &PagedLogView::exportFinished);
        log->exportCsv(path);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kWait);
        QCOMPARE(exported.first().at(0).toLongLong(), 45);
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 46);
        QVERIFY(lines.first().startsWith("id,ts,tenant_id,key_prefix,dialect,endpoint,"));

        // The Anthropic clients' requests alone.
        tenant->clear();
        pages.clear();
        kind->setCurrentIndex(kind->findText(QStringLiteral("Anthropic clients (/v1/messages)")));
        QTRY_COMPARE_WITH_TIMEOUT(pages.count(), 1, kWait);
        QCOMPARE(log->model()->rowCount(), 90);
    }

    void pinAndUnpinAfterConfirmation()
    {
        Console c;
        QVERIFY(c.start());
        c.window->showPanel(QStringLiteral("upstreamsPanel"));
        QTRY_VERIFY_WITH_TIMEOUT(c.window->upstreams()->upstreamModel()->rowCount() == 1, kWait);
        auto *view = c.find<QTableView>("upstreamTable");
        view->setCurrentIndex(view->model()->index(0, 0));
        QSignalSpy done(c.window->upstreams(), &UpstreamsPanel::changeDone);
        c.click("pinUpstreamButton");
        QVERIFY(c.confirm());
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, kWait);
        QCOMPARE(c.h.admin().pinnedUpstream().value, QStringLiteral("sim"));
        QTRY_VERIFY_WITH_TIMEOUT(c.find<QLabel>("pinnedUpstream")->text() == QStringLiteral("sim"),
                                 kWait);
        c.click("unpinUpstreamButton");
        QVERIFY(c.confirm());
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, kWait);
        QCOMPARE(c.h.admin().pinnedUpstream().value, QString());
        QVERIFY(c.h.admin().auditLog().value.last().action == QStringLiteral("failover.unpin"));
    }

    // The console's relay takes a TLS certificate and key in Settings: both or neither, checked
    // when saved (a bad pair is refused with the reason and not stored).
    void tlsFilesAreCheckedWhenSaved()
    {
        const TestCertificate a = makeTestCertificate(m_config.path(), QStringLiteral("a"));
        const TestCertificate b = makeTestCertificate(m_config.path(), QStringLiteral("b"));
        Console c;
        QVERIFY(c.start());
        QVERIFY(c.window->showPanel(QStringLiteral("settingsPanel")));
        auto *cert = c.find<QLineEdit>("tlsCertEdit");
        auto *key = c.find<QLineEdit>("tlsKeyEdit");
        QVERIFY(cert && key);
        auto save = [&](const QString &certFile, const QString &keyFile) {
            cert->setText(certFile);
            key->setText(keyFile);
            c.click("saveLocalSettingsButton");
            return c.window->statusBar()->currentMessage();
        };
        QVERIFY(save(a.cert, QString()).contains(QStringLiteral("both")));
        QVERIFY(save(a.cert, b.key).contains(QStringLiteral("does not belong")));
        QVERIFY(QSettings().value(SettingsPanel::tlsCertKey()).toString().isEmpty());
        QVERIFY(save(a.cert, a.key).startsWith(QStringLiteral("Saved")));
        QCOMPARE(QSettings().value(SettingsPanel::tlsCertKey()).toString(), a.cert);
        QCOMPARE(QSettings().value(SettingsPanel::tlsKeyKey()).toString(), a.key);
        QVERIFY(save(QString(), QString()).startsWith(QStringLiteral("Saved")));
        QVERIFY(QSettings().value(SettingsPanel::tlsCertKey()).toString().isEmpty());
    }

    // The window reopens on the panel shown last. A switch does not write the settings file
    // (that waits for the disk, on the GUI thread); closing the window does.
    void lastPanelIsReopened()
    {
        Console c;
        QVERIFY(c.start());
        c.window->showPanel(QStringLiteral("dashboardPanel"));
        c.window.reset();
        Console again;
        QVERIFY(again.start());
        QVERIFY(again.window->showPanel(QStringLiteral("budgetsPanel")));
        QTest::keyClick(again.window.get(), Qt::Key_5, Qt::ControlModifier);
        auto *tabs = again.find<QTabWidget>("panelTabs");
        QCOMPARE(tabs->currentWidget()->objectName(), QStringLiteral("usagePanel"));
        QCOMPARE(QSettings().value(SettingsPanel::panelKey()).toString(),
                 QStringLiteral("dashboardPanel"));
        again.window.reset();
        QCOMPARE(QSettings().value(SettingsPanel::panelKey()).toString(),
                 QStringLiteral("usagePanel"));
        MainWindow reopened(&again.h.engine(), again.h.dbPath());
        QCOMPARE(reopened.findChild<QTabWidget *>(QStringLiteral("panelTabs"))
                     ->currentWidget()
                     ->objectName(),
                 QStringLiteral("usagePanel"));
    }

private:
    QTemporaryDir m_config;
};

QTEST_MAIN(TestConsole)
#include "tst_console.moc"
