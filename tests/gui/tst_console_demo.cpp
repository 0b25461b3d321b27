// `--demo` as the console runs it: a seeded throw-away database, three simulated providers,
// the engine and simulated traffic from each tenant; the window fills within seconds, and the
// scripted outage of the primary makes the relay fail over to the backup.
#include "DashboardPanel.h"
#include "LatencyChart.h"
#include "MainWindow.h"
#include "RowTableModel.h"
#include "TenantsPanel.h"
#include "TestHttpClient.h"

#include "demo/DemoScenario.h"
#include "demo/DemoTraffic.h"
#include "relay/Engine.h"
#include "sim/Simulator.h"
#include "store/Database.h"

#include <QDateTime>
#include <QFileInfo>
#include <QLabel>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace relay;
using namespace relay::ui;

class TestConsoleDemo : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_config.isValid());
        qputenv("XDG_CONFIG_HOME", m_config.path().toLocal8Bit());
    }

    void demoSeedsStartsAndServesTraffic()
    {
        DemoScenarioOptions demoOptions;
        demoOptions.outageStartSeconds = 3; // fail over early so the test sees it
        demoOptions.outageSeconds = 4;
        QString path;
        {
            DemoScenario demo(demoOptions);
            QString error;
            QVERIFY2(demo.prepare(&error), qPrintable(error));
            path = demo.dbPath();
            QVERIFY(QFileInfo::exists(path));
            QCOMPARE(demo.keys().size(), 3);

            // Seeded: budgets and this month's earlier spend in both raw rows and rollups.
            {
                Database db;
                QVERIFY(db.open(path, &error));
                QSqlQuery q(db.db());
                QVERIFY(q.exec(
                    QStringLiteral("SELECT id, tier, rpm, budget_usd FROM tenants ORDER BY id")));
                QStringList seen;
                while (q.next())
                    seen << QStringLiteral("%1 %2 %3 %4")
                                .arg(q.value(0).toString(), q.value(1).toString())
                                .arg(q.value(2).toInt())
                                .arg(q.value(3).toDouble());
                QCOMPARE(seen, QStringList({"batch-email-summaries best-effort 100 200",
                                            "internal-dev-tools guaranteed 50 50",
                                            "prod-chatbot dedicated 500 500"}));
                // 79 % of its $50, in whole requests of $0.01; none in the month's first hour.
                QVERIFY(q.exec(QStringLiteral(
                    "SELECT (SELECT ROUND(SUM(cost_usd), 6) FROM usage WHERE tenant_id = "
                    "'internal-dev-tools'), (SELECT ROUND(SUM(cost_usd), 6) FROM usage_hourly "
                    "WHERE tenant_id = 'internal-dev-tools'), (SELECT COUNT(*) FROM usage_hourly "
                    "WHERE latency_hist IS NULL)")));
                QVERIFY(q.next());
                QCOMPARE(q.value(0).toDouble(), q.value(1).toDouble());
                QCOMPARE(q.value(2).toInt(), 0); // rollups as the writer keeps them
                const QDateTime now = QDateTime::currentDateTimeUtc();
                if (now.date().day() > 1 || now.time().hour() > 0) {
                    QVERIFY2(q.value(0).toDouble() > 39.5 - 0.02 && q.value(0).toDouble() <= 39.5,
                             qPrintable(q.value(0).toString()));
                } else {
                    QVERIFY(q.value(0).isNull());
                }
            }

            EngineOptions options;
            options.dbPath = path;
            options.statsIntervalMs = 250;
            // Any free port: tests running beside this one may hold the default 8700.
            options.server.port = 0;
            Engine engine(options);
            QVERIFY2(engine.start(&error), qPrintable(error));
            {
                MainWindow window(&engine, path);
                connect(&engine, &Engine::statsUpdated, &window, &MainWindow::applyStats);
                window.showEngineStarted(engine.listenAddress(), path, engine.workerCount());
                window.showPanel(QStringLiteral("dashboardPanel"));
                window.show();
                QVERIFY(QTest::qWaitForWindowExposed(&window));
                demo.start(engine.port());

                QTRY_VERIFY_WITH_TIMEOUT(demo.traffic()->succeeded() >= 20, 20'000);
                QTRY_COMPARE_WITH_TIMEOUT(window.tenants()->tenantModel()->rowCount(), 3, 10'000);
                QTRY_VERIFY_WITH_TIMEOUT(window.dashboard()->tenantChart()->pointCount(
                                             QStringLiteral("prod-chatbot")) >= 2,
                                         10'000);
                // The outage: the primary answers 500 and the backup takes its traffic.
                QTRY_VERIFY_WITH_TIMEOUT(demo.primaryDown(), 10'000);
                const qint64 backupBefore =
                    demo.simulator(QStringLiteral("anthropic"))->stats().requests;
                QTRY_VERIFY_WITH_TIMEOUT(
                    demo.simulator(QStringLiteral("anthropic"))->stats().requests >
                        backupBefore + 5,
                    10'000);
                QTRY_VERIFY_WITH_TIMEOUT(!demo.primaryDown(), 10'000);
                demo.stop();
            }
            engine.stopNow();
        }
        // The throw-away database is gone with the demo.
        QVERIFY(!QFileInfo::exists(path));
    }

private:
    QTemporaryDir m_config;
};

QTEST_MAIN(TestConsoleDemo)
#include "tst_console_demo.moc"
