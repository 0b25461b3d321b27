// The console window with the engine running inside it: the listen address is shown and the
// request counter follows the traffic, fed by the engine's queued snapshots.
#include "MainWindow.h"
#include "RelayHarness.h"

#include <QApplication>
#include <QLabel>
#include <QTest>

using namespace relay;
using namespace relay::test;

class TestConsole : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void windowShowsAddressAndLiveRequestCount()
    {
        RelayHarness h;
        h.addSimUpstream(QStringLiteral("sim"), h.sim());
        const QString key = h.addTenant(QStringLiteral("prod"));
        EngineOptions options;
        options.statsIntervalMs = 100;
        QVERIFY(h.start(options));

        ui::MainWindow window;
        QObject::connect(&h.engine(), &Engine::statsUpdated, &window, &ui::MainWindow::applyStats);
        window.showEngineStarted(h.engine().listenAddress(), h.dbPath(), 2);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        auto *address = window.findChild<QLabel *>(QStringLiteral("listenAddress"));
        auto *count = window.findChild<QLabel *>(QStringLiteral("requestCount"));
        QVERIFY(address && count);
        QCOMPARE(address->text(), QStringLiteral("http://127.0.0.1:%1/v1").arg(h.port()));
        QCOMPARE(count->text(), QStringLiteral("0"));

        for (int i = 0; i < 3; ++i)
            QCOMPARE(request(h.port(), "POST", "/v1/chat/completions",
                             RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")),
                             TestHttpClient::bearer(key))
                         .status,
                     200);
        QTRY_COMPARE_WITH_TIMEOUT(count->text(), QStringLiteral("3"), 3000);
    }
};

QTEST_MAIN(TestConsole)
#include "tst_console.moc"
