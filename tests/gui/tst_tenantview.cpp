// The per-tenant view on a real relay: its limits against what it uses (gauges), this month's
// spend curve, its keys, its recent errors, and the jump to its requests in the log.

#include "ConsoleUnderTest.h"
#include "MainWindow.h"
#include "PagedLogView.h"
#include "RelayHarness.h"
#include "RowTableModel.h"
#include "TenantView.h"
#include "TenantsPanel.h"
#include "TestHttpClient.h"
#include "store/AdminService.h"

#include <QDateTime>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTest>

using namespace relay;
using namespace relay::test;
using namespace relay::ui;

namespace {

constexpr int kWait = 10'000;

} // namespace

class TestTenantView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void viewShowsLimitsSpendKeysAndErrors()
    {
        ConsoleUnderTest c;
        RelayHarness &h = c.h;
        TenantChanges limits;
        limits.rpm = LimitValue(600);
        limits.concurrency = LimitValue(4);
        limits.budgetUsd = BudgetValue(50.0);
        const QString key = h.addTenant(QStringLiteral("prod"), limits);
        h.addTenant(QStringLiteral("batch"));
        QVERIFY(h.admin().setPrice(QStringLiteral("gpt-4o"), 2.5, 10).ok);
        QVERIFY(c.start());
        MainWindow &window = *c.window;
        for (int i = 0; i < 4; ++i)
            QCOMPARE(c.chat(key), 200);
        // An error of its own: a body that is not JSON (400, metered like every answer).
        QCOMPARE(request(h.port(), "POST", "/v1/chat/completions", "{not json",
                         TestHttpClient::bearer(key))
                     .status,
                 400);

        window.showPanel(QStringLiteral("tenantsPanel"));
        QTRY_VERIFY_WITH_TIMEOUT(
            window.tenants()->tenantModel()->findRow(QStringLiteral("prod")) >= 0, kWait);
        auto *table = window.findChild<QTableView *>(QStringLiteral("tenantTable"));
        table->setCurrentIndex(table->model()->index(
            window.tenants()->tenantModel()->findRow(QStringLiteral("prod")), 0));
        window.findChild<QPushButton *>(QStringLiteral("viewTenantButton"))->click();
        auto *view = window.findChild<TenantView *>(QStringLiteral("tenantView"));
        QVERIFY(view);
        QCOMPARE(view->tenant(), QStringLiteral("prod"));
        // The usage rows are written within 50 ms; the view refreshes every 5 s.
        QTRY_VERIFY_WITH_TIMEOUT((view->refresh(), view->errorModel()->rowCount() == 1 &&
                                                       view->keyModel()->rowCount() == 1),
                                 kWait);
        QCOMPARE(view->errorModel()->value(0, 1).toInt(), 400);
        QCOMPARE(view->keyModel()->value(0, 5).toString(), QStringLiteral("active"));

        // Limits against use: rpm and concurrency have limits, tpm has none.
        const TenantView::Gauge rpm = view->gauge("rpmGauge");
        QCOMPARE(rpm.maximum, 600);
        QVERIFY2(rpm.text.contains(QStringLiteral("600")), qPrintable(rpm.text));
        QCOMPARE(view->gauge("concurrencyGauge").maximum, 4);
        const TenantView::Gauge tpm = view->gauge("tpmGauge");
        QCOMPARE(tpm.maximum, 0);
        QVERIFY2(tpm.text.contains(QStringLiteral("no limit")), qPrintable(tpm.text));
        // The four answered requests' tokens, all within the last minute.
        QVERIFY2(!tpm.text.startsWith(QStringLiteral("0 ")), qPrintable(tpm.text));

        // This month's curve: the origin and a point per day so far.
        QCOMPARE(view->spendPoints(), 1 + QDateTime::currentDateTimeUtc().date().day());

        // The jump to the log: the request log, filtered to this tenant.
        view->findChild<QPushButton *>(QStringLiteral("showTenantRequestsButton"))->click();
        auto *log = window.findChild<PagedLogView *>(QStringLiteral("requestLog"));
        QVERIFY(log);
        QTRY_VERIFY_WITH_TIMEOUT(log->isVisible(), kWait);
        QCOMPARE(window.findChild<QLineEdit *>(QStringLiteral("requestLogTenantFilter"))->text(),
                 QStringLiteral("prod"));
        QTRY_COMPARE_WITH_TIMEOUT(log->model()->rowCount(), 5, kWait);
        for (int r = 0; r < log->model()->rowCount(); ++r)
            QCOMPARE(log->model()->value(r, 2).toString(), QStringLiteral("prod"));

        // A second View click on the same tenant brings the open view forward.
        window.showPanel(QStringLiteral("tenantsPanel"));
        window.findChild<QPushButton *>(QStringLiteral("viewTenantButton"))->click();
        QCOMPARE(window.findChildren<TenantView *>().size(), 1);
    }
};

QTEST_MAIN(TestTenantView)
#include "tst_tenantview.moc"
