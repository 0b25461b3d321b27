// The console's window as the desktop sees it: it reopens where and as large as it was left,
// with each panel's splitters divided as the user left them, and carries the application icon.
// Real widgets, found by objectName, on a real database.
#include "MainWindow.h"
#include "RelayHarness.h"

#include <QApplication>
#include <QFile>
#include <QSettings>
#include <QSplitter>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace relay;
using namespace relay::test;
using namespace relay::ui;

namespace {

QSplitter *splitterOf(MainWindow &window, const char *panel, int index = 0)
{
    auto *widget = window.findChild<QWidget *>(QString::fromLatin1(panel));
    return widget ? widget->findChildren<QSplitter *>().value(index) : nullptr;
}

} // namespace

class TestWindowState : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // The window's state is kept in the application settings: keep them here.
        QVERIFY(m_config.isValid());
        qputenv("XDG_CONFIG_HOME", m_config.path().toLocal8Bit());
    }

    void geometryAndSplittersSurviveCloseAndReopen()
    {
        RelayHarness h;
        QSize defaultSize;
        QList<int> defaultDashboard;
        const QSize size(1010, 610);
        QList<int> dashboard;
        QList<int> tenants;
        {
            MainWindow window(nullptr, h.dbPath());
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            defaultSize = window.size();
            QVERIFY(defaultSize != size);

            window.resize(size);
            QSplitter *dash = splitterOf(window, "dashboardPanel");
            QVERIFY(dash && dash->count() == 2);
            defaultDashboard = dash->sizes();
            // The user drags the dashboard's divider up (the upstream table keeps at least three
            // rows), the tenants' one up too.
            dash->setSizes({dash->sizes().at(0) - 80, dash->sizes().at(1) + 80});
            dashboard = dash->sizes();
            QVERIFY(dashboard != defaultDashboard);
            window.showPanel(QStringLiteral("tenantsPanel"));
            QSplitter *ten = splitterOf(window, "tenantsPanel");
            QVERIFY(ten && ten->count() == 2);
            QTRY_VERIFY(ten->sizes().at(0) > 100);
            ten->setSizes({100, ten->sizes().at(0) + ten->sizes().at(1) - 100});
            tenants = ten->sizes();
            QVERIFY(window.close());
        }

        MainWindow reopened(nullptr, h.dbPath());
        reopened.show();
        QVERIFY(QTest::qWaitForWindowExposed(&reopened));
        QCOMPARE(reopened.size(), size);
        // Reopened on the tenants panel, the one shown last.
        QTRY_COMPARE(splitterOf(reopened, "tenantsPanel")->sizes(), tenants);
        reopened.showPanel(QStringLiteral("dashboardPanel"));
        QTRY_COMPARE(splitterOf(reopened, "dashboardPanel")->sizes(), dashboard);
    }

    void windowCarriesTheApplicationIcon()
    {
        RelayHarness h;
        MainWindow window(nullptr, h.dbPath());
        QVERIFY(QFile::exists(
            QStringLiteral(":/tenantrelay/icons/io.tenantrelay.TenantRelay-256.png")));
        for (const QIcon &icon : {window.windowIcon(), QApplication::windowIcon()}) {
            QVERIFY(!icon.isNull());
            QCOMPARE(icon.availableSizes().size(), 6);
            QVERIFY(!icon.pixmap(32, 32).toImage().isNull());
        }
    }

private:
    QTemporaryDir m_config;
};

QTEST_MAIN(TestWindowState)
#include "tst_windowstate.moc"
