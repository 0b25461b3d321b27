// The console's live side, driven through its widgets (found by objectName) on a real engine
// with the simulator as provider: the request log tails by itself and keeps the selected row,
// every row's fields are readable in a detail pane, audit changes read "field: old → new",
// problems (an open circuit, an alert nobody acknowledged) show in a strip above every panel
// and as tab badges and jump to their panel, rows over budget or forecast over it are coloured,
// and a click on a header sorts.
#include "BudgetsPanel.h"
#include "ConsoleUnderTest.h"
#include "MainWindow.h"
#include "PagedLogView.h"
#include "PanelUtil.h"
#include "RelayHarness.h"
#include "RowTableModel.h"
#include "TenantsPanel.h"
#include "UsagePanel.h"
#include "UsageRows.h"

#include <QFile>
#include <QHeaderView>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSqlQuery>
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
    bool start() { return ConsoleUnderTest::start(QSize(1366, 768)); }
    QString currentPanel() const
    {
        return window->findChild<QTabWidget *>(QStringLiteral("panelTabs"))
            ->currentWidget()
            ->objectName();
    }
    QString tabText(const char *panel)
    {
        auto *tabs = find<QTabWidget>("panelTabs");
        return tabs->tabText(tabs->indexOf(find<QWidget>(panel)));
    }
    // An alert nobody has acknowledged, as the relay records one.
    bool insertAlert(const QString &tenant, int threshold = 80)
    {
        QSqlQuery q(h.db());
        return q.exec(QStringLiteral("INSERT INTO alerts (ts, tenant_id, period, kind, threshold, "
                                     "spent_usd, budget_usd) VALUES (strftime('%s','now') * "
                                     "1000, '%1', '2026-11', 'threshold', %2, 40.5, 50)")
                          .arg(tenant)
                          .arg(threshold));
    }
    // Fails the simulator until the relay opens its circuit.
    bool openCircuit(const QString &key)
    {
        return QTest::qWaitFor(
            [&] {
                h.sim().pushFault({SimFault::Status, 500, 0, 0}, 3);
                chat(key);
                const EngineStatsSnapshot s = h.engine().stats();
                return !s.circuits.isEmpty() && s.circuits.first().state == CircuitState::Open;
            },
            kWait);
    }
};

// The value shown in `column` of the view's `row` (through its sorting proxy).
QVariant shown(QTableView *view, int row, int column, int role = Qt::UserRole)
{
    return view->model()->index(row, column).data(role);
}

void clickHeader(QTableView *view, int column)
{
    QHeaderView *header = view->horizontalHeader();
    const QPoint at(header->sectionViewportPosition(column) + header->sectionSize(column) / 2,
                    header->height() / 2);
    QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, at);
}

} // namespace

class TestConsoleLive : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("TenantRelayTests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_consolelive"));
        QSettings().clear();
    }

    // New requests appear on the log's first page without a click, above the selected row,
    // which stays selected; with Follow off the page stays as it is.
    void requestLogTailsByItself()
    {
        Console c;
        const QString key = c.h.addTenant(QStringLiteral("prod"));
        QVERIFY(c.start());
        c.window->showPanel(QStringLiteral("usagePanel"));
        PagedLogView *log = c.window->usage()->requestLog();
        QVERIFY(log->following());
        QCOMPARE(c.chat(key), 200);
        c.h.engine().flushUsage();
        QTRY_COMPARE_WITH_TIMEOUT(log->model()->rowCount(), 1, kWait);
        auto *view = c.find<QTableView>("requestLogTable");
        QVERIFY(view);
        view->setCurrentIndex(view->model()->index(0, 2));
        const qint64 selected = shown(view, 0, 0).toLongLong();
        // The selected row's every field, readable beside the table.
        auto *detail = c.find<QWidget>("requestLogDetail");
        QVERIFY(detail && detail->isVisible());
        QVERIFY2(log->detailText().contains(QStringLiteral("Tenant: prod")),
                 qPrintable(log->detailText()));
        QVERIFY(log->detailText().contains(QStringLiteral("Status: 200")));
        QVERIFY(log->detailText().contains(QStringLiteral("Cost: $")));

        for (int i = 0; i < 2; ++i)
            QCOMPARE(c.chat(key), 200);
        c.h.engine().flushUsage();
        QTRY_COMPARE_WITH_TIMEOUT(log->model()->rowCount(), 3, kWait);
        QCOMPARE(log->pageIndex(), 0);
        // Newest first, and the selection stayed on its request.
        QVERIFY(shown(view, 0, 0).toLongLong() > selected);
        QCOMPARE(shown(view, view->currentIndex().row(), 0).toLongLong(), selected);
        QCOMPARE(view->selectionModel()->selectedRows().size(), 1);

        // Paused: the page stays as it is; on again, it catches up.
        c.find<QPushButton>("requestLogFollow")->click();
        QVERIFY(!log->following());
        QCOMPARE(c.chat(key), 200);
        c.h.engine().flushUsage();
        log->tail();
        QTest::qWait(300);
        QCOMPARE(log->model()->rowCount(), 3);
        c.find<QPushButton>("requestLogFollow")->click();
        QTRY_COMPARE_WITH_TIMEOUT(log->model()->rowCount(), 4, kWait);
    }

    // The audit's details read as one line per changed field, in the table and the detail pane.
    void auditShowsFieldOldNew()
    {
        Console c;
        c.h.addTenant(QStringLiteral("prod"));
        TenantChanges first;
        first.rpm = LimitValue(100);
        c.h.setTenant(QStringLiteral("prod"), first);
        TenantChanges second;
        second.rpm = LimitValue(2'000'000);
        c.h.setTenant(QStringLiteral("prod"), second);
        QVERIFY(c.start());
        c.window->showPanel(QStringLiteral("usagePanel"));
        PagedLogView *audit = c.window->usage()->auditLog();
        QTRY_VERIFY_WITH_TIMEOUT(audit->model()->rowCount() >= 3, kWait);
        auto *view = c.find<QTableView>("auditLogTable");
        const int details = audit->model()->columnCount() - 1;
        QCOMPARE(shown(view, 0, details, Qt::DisplayRole).toString(),
                 QStringLiteral("rpm: 100 → 2,000,000"));
        view->setCurrentIndex(view->model()->index(0, 0));
        QTRY_VERIFY_WITH_TIMEOUT(
            audit->detailText().contains(QStringLiteral("\n  rpm: 100 → 2,000,000")), kWait);
        QVERIFY(!audit->detailText().contains(QLatin1String("\"before\"")));
    }

    // An open circuit and an alert nobody acknowledged show above every panel and on the tabs;
    // each jumps to its panel; acknowledged, the alert goes away.
    void problemsStandOut()
    {
        Console c;
        const QString key = c.h.addTenant(QStringLiteral("team"));
        QVERIFY(c.start());
        c.window->showPanel(QStringLiteral("pricingPanel"));
        auto *strip = c.find<QWidget>("problemStrip");
        QVERIFY(strip);
        QTRY_VERIFY_WITH_TIMEOUT(c.window->budgets()->refreshCount() >= 1, kWait);
        QVERIFY(!strip->isVisible()); // nothing wrong yet
        QCOMPARE(c.tabText("budgetsPanel"), QStringLiteral("Budgets && alerts"));

        QVERIFY(c.insertAlert(QStringLiteral("team"), 50));
        QVERIFY(c.insertAlert(QStringLiteral("team"), 80));
        auto *alerts = c.find<QPushButton>("stripAlertButton");
        QTRY_VERIFY_WITH_TIMEOUT(alerts->isVisible(), kWait);
        QVERIFY(strip->isVisible());
        QCOMPARE(alerts->text(), QStringLiteral("⚠ 2 unacknowledged alerts"));
        QCOMPARE(c.tabText("budgetsPanel"), QStringLiteral("Budgets && alerts (2)"));
        QTest::mouseClick(alerts, Qt::LeftButton);
        QCOMPARE(c.currentPanel(), QStringLiteral("budgetsPanel"));
        // Unacknowledged alerts are coloured in their list.
        QVERIFY(c.window->budgets()->alertModel()->index(0, 0).data(Qt::BackgroundRole).isValid());

        QVERIFY(c.openCircuit(key));
        auto *circuit = c.find<QPushButton>("stripCircuitButton");
        QTRY_VERIFY_WITH_TIMEOUT(circuit->isVisible(), kWait);
        QCOMPARE(circuit->text(), QStringLiteral("⚠ Circuit open: sim"));
        QVERIFY2(c.tabText("upstreamsPanel").endsWith(QStringLiteral(" ⚠")),
                 qPrintable(c.tabText("upstreamsPanel")));
        QTest::mouseClick(circuit, Qt::LeftButton);
        QCOMPARE(c.currentPanel(), QStringLiteral("upstreamsPanel"));

        // Both acknowledged: the alerts leave the strip and the badge.
        for (const AlertRecord &a : c.h.admin().listAlerts().value)
            QVERIFY(c.h.admin().acknowledgeAlert(a.id).ok);
        QTRY_VERIFY_WITH_TIMEOUT(!alerts->isVisible(), kWait);
        QCOMPARE(c.tabText("budgetsPanel"), QStringLiteral("Budgets && alerts"));
        QVERIFY(strip->isVisible()); // the circuit is still open
    }

    // Over budget: red; forecast over budget: amber; within: no colour. And a click on a
    // header sorts by the raw values (dollars as numbers), again reverses.
    void overBudgetRowsAreColouredAndColumnsSort()
    {
        Console c;
        TenantChanges over;
        over.budgetUsd = BudgetValue(500);
        c.h.addTenant(QStringLiteral("b-over"), over);
        TenantChanges heading;
        heading.budgetUsd = BudgetValue(101);
        const QString headingKey = c.h.addTenant(QStringLiteral("a-heading"), heading);
        TenantChanges calm;
        calm.budgetUsd = BudgetValue(1'000'000);
        c.h.addTenant(QStringLiteral("c-calm"), calm);
        // This month's spend, all of it in the last hour: the forecast runs far past 101.
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        QVERIFY(
            writeUsage(c.h.dbPath(),
                       {servedRow(now - 60'000, QStringLiteral("b-over"), 200, 10, 10, 600, 5),
                        servedRow(now - 60'000, QStringLiteral("a-heading"), 200, 10, 10, 100, 5),
                        servedRow(now - 60'000, QStringLiteral("c-calm"), 200, 10, 10, 9, 5)}));
        QVERIFY(c.start());
        c.window->showPanel(QStringLiteral("budgetsPanel"));
        RowTableModel *budgets = c.window->budgets()->budgetModel();
        QTRY_COMPARE_WITH_TIMEOUT(budgets->rowCount(), 3, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(budgets->value(budgets->findRow("b-over"), 2).toDouble() == 600,
                                 kWait);
        const auto colour = [](RowTableModel *m, const char *id) {
            return m->index(m->findRow(QString::fromLatin1(id)), 1)
                .data(Qt::BackgroundRole)
                .value<QColor>();
        };
        QCOMPARE(colour(budgets, "b-over"), RowTableModel::overColor());
        QCOMPARE(colour(budgets, "a-heading"), RowTableModel::warnColor());
        QVERIFY(!colour(budgets, "c-calm").isValid());
        QVERIFY(budgets->value(budgets->findRow("a-heading"), 4).toDouble() > 101);

        // The tenants table: red from the spend, amber from the relay's forecast.
        RowTableModel *tenants = c.window->tenants()->tenantModel();
        QTRY_VERIFY_WITH_TIMEOUT(tenants->rowCount() == 3 &&
                                     colour(tenants, "b-over") == RowTableModel::overColor() &&
                                     colour(tenants, "a-heading") == RowTableModel::warnColor(),
                                 kWait);
        QVERIFY(!colour(tenants, "c-calm").isValid());

        // Sorting: spent, as numbers ($9 < $100 < $600, not as text).
        c.window->showPanel(QStringLiteral("tenantsPanel"));
        auto *view = c.find<QTableView>("tenantTable");
        int spent = -1;
        for (int col = 0; col < tenants->columnCount(); ++col)
            if (tenants->headerData(col, Qt::Horizontal).toString() ==
                QStringLiteral("Spent (month)"))
                spent = col;
        QVERIFY(spent > 0);
        QCOMPARE(shown(view, 0, 0).toString(), QStringLiteral("a-heading")); // by id at first
        clickHeader(view, spent);
        QCOMPARE(shown(view, 0, 0).toString(), QStringLiteral("c-calm"));
        QCOMPARE(shown(view, 2, 0).toString(), QStringLiteral("b-over"));
        clickHeader(view, spent);
        QCOMPARE(shown(view, 0, 0).toString(), QStringLiteral("b-over"));
        QCOMPARE(shown(view, 2, 0).toString(), QStringLiteral("c-calm"));
        // The panel acts on the row selected in the sorted view: its keys are listed.
        view->setCurrentIndex(view->model()->index(1, 0));
        QCOMPARE(shown(view, 1, 0).toString(), QStringLiteral("a-heading"));
        QTRY_COMPARE_WITH_TIMEOUT(c.window->tenants()->keyModel()->value(0, 0).toString(),
                                  headingKey.left(12), kWait);
        // A refresh keeps the sorted order.
        QSignalSpy refreshed(c.window->tenants(), &TenantsPanel::refreshed);
        c.window->tenants()->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(refreshed.count() >= 1, kWait);
        QCOMPARE(shown(view, 0, 0).toString(), QStringLiteral("b-over"));

        // CSV export (every table's context menu) writes the rows as sorted, in plain numbers,
        // and times in UTC.
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("tenants.csv"));
        QString error;
        QVERIFY(view->actions().size() == 1 &&
                view->actions().first()->objectName() == QStringLiteral("exportCsvAction"));
        QVERIFY2(writeTableCsv(view->model(), path, &error), qPrintable(error));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), 4);
        QVERIFY(lines.at(0).startsWith("Tenant,Name,Tier,RPM,"));
        QVERIFY2(lines.at(1).startsWith("b-over,") && lines.at(1).contains(",500,600,"),
                 lines.at(1).constData());
        auto *keys = c.find<QTableView>("keyTable");
        const QString keysPath = dir.filePath(QStringLiteral("keys.csv"));
        QVERIFY2(writeTableCsv(keys->model(), keysPath, &error), qPrintable(error));
        QFile keysFile(keysPath);
        QVERIFY(keysFile.open(QIODevice::ReadOnly));
        const QList<QByteArray> keyLines = keysFile.readAll().trimmed().split('\n');
        QCOMPARE(keyLines.size(), 2);
        QVERIFY2(QRegularExpression(QStringLiteral("^sk-tr-\\w+,\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:"
                                                   "\\d\\d\\.\\d{3}Z,"))
                     .match(QString::fromUtf8(keyLines.at(1)))
                     .hasMatch(),
                 keyLines.at(1).constData());

        // The console's money and counts in one format.
        QCOMPARE(budgets->index(budgets->findRow("b-over"), 1).data().toString(),
                 QStringLiteral("$500.00"));
    }

    // The console at 1366×768 with problems in the strip and the request log following traffic;
    // saved as a PNG when TENANTRELAY_SCREENSHOT names a file.
    void screenshotAt1366x768()
    {
        Console c;
        const QString key = c.h.addTenant(QStringLiteral("prod-chatbot"));
        c.h.addTenant(QStringLiteral("batch"));
        QVERIFY(c.start());
        c.window->showPanel(QStringLiteral("usagePanel"));
        for (int i = 0; i < 6; ++i)
            QCOMPARE(c.chat(key), 200);
        QVERIFY(c.insertAlert(QStringLiteral("prod-chatbot")));
        QVERIFY(c.openCircuit(key));
        c.h.engine().flushUsage();
        PagedLogView *log = c.window->usage()->requestLog();
        QTRY_VERIFY_WITH_TIMEOUT(log->model()->rowCount() >= 7, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(c.find<QPushButton>("stripAlertButton")->isVisible() &&
                                     c.find<QPushButton>("stripCircuitButton")->isVisible(),
                                 kWait);
        auto *view = c.find<QTableView>("requestLogTable");
        view->setCurrentIndex(view->model()->index(1, 0));
        QTRY_VERIFY_WITH_TIMEOUT(!log->detailText().isEmpty(), kWait);
        QCOMPARE(c.window->size(), QSize(1366, 768));
        const QString path = qEnvironmentVariable("TENANTRELAY_SCREENSHOT");
        if (!path.isEmpty())
            QVERIFY(c.window->grab().save(path));
    }
};

QTEST_MAIN(TestConsoleLive)
#include "tst_consolelive.moc"
