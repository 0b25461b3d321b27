// Closing the console's window while tenants are served: where the desktop has a tray the relay
// keeps serving behind its icon (asked once, "don't ask again" kept in Settings); where it has
// none (offscreen, a bare X server) closing asks to confirm and quits. "Pause new requests" from
// the tray and the window's menu; one console per database (a second launch brings the first
// forward and exits 0). Real widgets by objectName, a real engine on loopback.
#include "ConsoleInstance.h"
#include "DashboardPanel.h"
#include "MainWindow.h"
#include "RelayHarness.h"
#include "RelayKeeper.h"
#include "RelayTray.h"
#include "SettingsPanel.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLocalSocket>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace relay;
using namespace relay::test;
using namespace relay::ui;

namespace {

constexpr int kWait = 10'000;

// The console window on a harness's engine, with the desktop's tray as the test says.
struct KeptConsole
{
    RelayHarness h;
    std::unique_ptr<MainWindow> window;
    QString key;

    explicit KeptConsole(bool trayAvailable)
    {
        h.addSimUpstream(QStringLiteral("sim"), h.sim());
        key = h.addTenant(QStringLiteral("prod"));
        if (!h.start())
            return;
        window = std::make_unique<MainWindow>(&h.engine(), h.dbPath());
        window->keeper()->tray()->setAvailability([trayAvailable] { return trayAvailable; });
        window->showEngineStarted(h.engine().listenAddress(), h.dbPath(), 2);
        window->show();
    }
    RelayKeeper *keeper() const { return window->keeper(); }
    TestResponse chatResponse() const
    {
        return request(h.port(), "POST", "/v1/chat/completions",
                       RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")),
                       TestHttpClient::bearer(key), 3000);
    }
    int chat() const { return chatResponse().status; }
    template <typename T> T *find(const char *name) const
    {
        return window->findChild<T *>(QLatin1String(name));
    }
    template <typename T> T *waitFor(const char *name) const
    {
        T *found = nullptr;
        return QTest::qWaitFor([&] { return (found = find<T>(name)) != nullptr; }, kWait) ? found
                                                                                          : nullptr;
    }
    // The tray menu's action with this objectName.
    QAction *trayAction(const char *name) const
    {
        for (QAction *action : keeper()->tray()->menu()->actions())
            if (action->objectName() == QLatin1String(name))
                return action;
        return nullptr;
    }
};

} // namespace

class TestRelayKeeper : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_config.isValid());
        qputenv("XDG_CONFIG_HOME", m_config.path().toLocal8Bit());
    }
    void init() { RelayKeeper::saveCloseAction(RelayKeeper::CloseAction::Ask); }

    void withoutTrayClosingAsksToConfirmThenQuits()
    {
        KeptConsole c(false);
        QVERIFY(c.window && QTest::qWaitForWindowExposed(c.window.get()));
        QSignalSpy quit(c.keeper(), &RelayKeeper::quitRequested);
        QCOMPARE(c.chat(), 200);

        // Asked, not closed: the window stays, the relay serves.
        QVERIFY(!c.window->close());
        auto *box = c.waitFor<QMessageBox>("confirmBox");
        QVERIFY(box);
        QVERIFY2(box->text().contains(QStringLiteral("no system tray")), qPrintable(box->text()));
        QVERIFY2(box->text().contains(QStringLiteral("1 request answered")),
                 qPrintable(box->text()));
        QTest::mouseClick(box->button(QMessageBox::Cancel), Qt::LeftButton);
        QTRY_VERIFY(!c.find<QMessageBox>("confirmBox"));
        QVERIFY(c.window->isVisible());
        QCOMPARE(c.chat(), 200);
        QCOMPARE(quit.size(), 0);

        // Even with Settings saying "keep relaying", a desktop without a tray never hides it.
        RelayKeeper::saveCloseAction(RelayKeeper::CloseAction::KeepRelaying);
        QVERIFY(!c.window->close());
        box = c.waitFor<QMessageBox>("confirmBox");
        QVERIFY(box);
        QTest::mouseClick(box->button(QMessageBox::Yes), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(quit.size(), 1, kWait);
        QVERIFY(!c.window->isVisible());
        QVERIFY(!c.h.engine().isRunning());
        QCOMPARE(c.chat(), 0); // nobody listens any more
        QVERIFY(!c.keeper()->tray()->isShown());
    }

    void closingWithNoTenantServedQuitsWithoutAsking()
    {
        KeptConsole c(true);
        QVERIFY(c.window && QTest::qWaitForWindowExposed(c.window.get()));
        QSignalSpy quit(c.keeper(), &RelayKeeper::quitRequested);
        QVERIFY(!c.keeper()->servingTenants());
        QVERIFY(c.window->close());
        QTRY_COMPARE_WITH_TIMEOUT(quit.size(), 1, kWait);
        QVERIFY(!c.find<QMessageBox>("keepRelayingBox"));
        QVERIFY(!c.h.engine().isRunning());
    }

    void keepRelayingHidesTheWindowAndTheTrayDrivesTheRelay()
    {
        KeptConsole c(true);
        QVERIFY(c.window && QTest::qWaitForWindowExposed(c.window.get()));
        QSignalSpy quit(c.keeper(), &RelayKeeper::quitRequested);
        QCOMPARE(c.chat(), 200);
        QVERIFY(c.keeper()->servingTenants());

        // The first close while tenants are served asks; Cancel keeps everything as it was.
        QVERIFY(!c.window->close());
        auto *box = c.waitFor<QMessageBox>("keepRelayingBox");
        QVERIFY(box);
        QVERIFY2(box->informativeText().contains(c.h.engine().baseUrl()),
                 qPrintable(box->informativeText()));
        QTest::mouseClick(box->button(QMessageBox::Cancel), Qt::LeftButton);
        QTRY_VERIFY(!c.find<QMessageBox>("keepRelayingBox"));
        QVERIFY(c.window->isVisible());

        // Keep relaying, and don't ask again.
        QVERIFY(!c.window->close());
        box = c.waitFor<QMessageBox>("keepRelayingBox");
        QVERIFY(box);
        box->findChild<QCheckBox *>(QStringLiteral("dontAskAgainCheck"))->setChecked(true);
        QTest::mouseClick(box->findChild<QPushButton *>(QStringLiteral("keepRelayingButton")),
                          Qt::LeftButton);
        QTRY_VERIFY(!c.window->isVisible());
        QVERIFY(c.keeper()->keptInBackground());
        QVERIFY(c.keeper()->tray()->isShown());
        QCOMPARE(RelayKeeper::savedCloseAction(), RelayKeeper::CloseAction::KeepRelaying);
        auto *closeCombo = c.find<QComboBox>("closeActionCombo");
        QCOMPARE(closeCombo->currentData().toInt(), int(RelayKeeper::CloseAction::KeepRelaying));
        // The relay still answers tenants over real HTTP, with the window gone.
        QCOMPARE(c.chat(), 200);
        QCOMPARE(quit.size(), 0);

        // The tray menu: Open console, Pause new requests, Quit.
        QAction *open = c.trayAction("openConsoleAction");
        QAction *pause = c.trayAction("pauseAction");
        QAction *quitAction = c.trayAction("quitAction");
        QVERIFY(open && pause && quitAction);
        QVERIFY(pause->isCheckable());
        pause->trigger();
        QVERIFY(c.h.engine().isPaused());
        const TestResponse refused = c.chatResponse();
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.errorField("code"), QStringLiteral("relay_paused"));

        // Back to the window: it says the relay is paused, on every panel.
        open->trigger();
        QTRY_VERIFY(c.window->isVisible());
        QVERIFY(!c.keeper()->keptInBackground());
        QVERIFY(c.find<QLabel>("pausedLabel")->isVisible());
        QVERIFY(c.find<QLabel>("relayStatus")->text().contains(QStringLiteral("paused")));
        pause->trigger();
        QVERIFY(!c.h.engine().isPaused());
        QVERIFY(!c.find<QLabel>("pausedLabel")->isVisible());
        QVERIFY(!c.find<QLabel>("relayStatus")->text().contains(QStringLiteral("paused")));
        QCOMPARE(c.chat(), 200);

        // Settings say keep: the next close hides without asking.
        QVERIFY(!c.window->close());
        QTRY_VERIFY(!c.window->isVisible());
        QVERIFY(!c.find<QMessageBox>("keepRelayingBox"));
        QCOMPARE(c.chat(), 200);

        // Quit from the tray stops the relay, then asks the application to end.
        quitAction->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(quit.size(), 1, kWait);
        QVERIFY(!c.h.engine().isRunning());
        QCOMPARE(c.chat(), 0);
    }

    void quitChosenAndRememberedStopsTheRelay()
    {
        KeptConsole c(true);
        QVERIFY(c.window && QTest::qWaitForWindowExposed(c.window.get()));
        QSignalSpy quit(c.keeper(), &RelayKeeper::quitRequested);
        QCOMPARE(c.chat(), 200);
        QVERIFY(!c.window->close());
        auto *box = c.waitFor<QMessageBox>("keepRelayingBox");
        QVERIFY(box);
        box->findChild<QCheckBox *>(QStringLiteral("dontAskAgainCheck"))->setChecked(true);
        QTest::mouseClick(box->findChild<QPushButton *>(QStringLiteral("quitRelayButton")),
                          Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(quit.size(), 1, kWait);
        QVERIFY(!c.window->isVisible());
        QVERIFY(!c.h.engine().isRunning());
        QCOMPARE(RelayKeeper::savedCloseAction(), RelayKeeper::CloseAction::Quit);
    }

    void pauseFromTheWindowMenu()
    {
        KeptConsole c(false);
        QVERIFY(c.window && QTest::qWaitForWindowExposed(c.window.get()));
        auto *menu = c.find<QMenu>("relayMenu");
        QVERIFY(menu);
        QAction *pause = nullptr;
        for (QAction *action : menu->actions())
            if (action->objectName() == QLatin1String("pauseAction"))
                pause = action;
        QVERIFY(pause);
        QVERIFY(pause->isEnabled());
        QVERIFY(c.window->menuBar()->actions().contains(menu->menuAction()));
        pause->trigger();
        QVERIFY(c.h.engine().isPaused());
        QVERIFY(c.find<QLabel>("pausedLabel")->isVisible());
        // The tray's action is the same one.
        QVERIFY(c.trayAction("pauseAction")->isChecked());
        QCOMPARE(c.chatResponse().errorField("code"), QStringLiteral("relay_paused"));
        // Paused elsewhere (the engine's own call): the menu follows.
        c.h.engine().setPaused(false);
        QVERIFY(!pause->isChecked());
        QVERIFY(!c.find<QLabel>("pausedLabel")->isVisible());
    }

    void consoleWithoutItsOwnRelayHasNoPause()
    {
        RelayHarness h;
        MainWindow window(nullptr, h.dbPath());
        QSignalSpy quit(window.keeper(), &RelayKeeper::quitRequested);
        QVERIFY(!window.keeper()->pauseAction()->isEnabled());
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.close());
        QCOMPARE(quit.size(), 1);
    }

    void settingsPanelKeepsTheCloseChoice()
    {
        KeptConsole c(true);
        QVERIFY(c.window);
        auto *combo = c.find<QComboBox>("closeActionCombo");
        QVERIFY(combo);
        QCOMPARE(combo->currentData().toInt(), int(RelayKeeper::CloseAction::Ask));
        combo->setCurrentIndex(combo->findData(int(RelayKeeper::CloseAction::Quit)));
        Q_EMIT combo->activated(combo->currentIndex());
        QCOMPARE(RelayKeeper::savedCloseAction(), RelayKeeper::CloseAction::Quit);
        // Served, but Settings say quit: closing quits without a question.
        QSignalSpy quit(c.keeper(), &RelayKeeper::quitRequested);
        QCOMPARE(c.chat(), 200);
        QVERIFY(c.window->close());
        QTRY_COMPARE_WITH_TIMEOUT(quit.size(), 1, kWait);
    }

    // Two launches on one database in this process: the second finds the first, which brings
    // its window forward; other databases are other consoles.
    void secondLaunchOnTheSameDatabaseBringsTheFirstForward()
    {
        KeptConsole c(true);
        QVERIFY(c.window);
        ConsoleInstance first(c.h.dbPath());
        QVERIFY(first.listen(nullptr));
        QObject::connect(&first, &ConsoleInstance::showRequested, c.keeper(),
                         &RelayKeeper::showWindow);
        c.window->hide();

        // The same file however it is spelt.
        const QFileInfo db(c.h.dbPath());
        const QString otherSpelling = db.absolutePath() + QStringLiteral("/./") + db.fileName();
        QCOMPARE(ConsoleInstance::serverName(otherSpelling), first.name());
        QVERIFY(ConsoleInstance::serverName(db.absolutePath() + QStringLiteral("/other.db")) !=
                first.name());

        std::atomic<int> answered{-1};
        // The second launch blocks on its socket, as a launch without a window does: it runs
        // on a thread of its own while this one serves the first console.
        QThread *second = QThread::create(
            [&] { answered = ConsoleInstance(otherSpelling).askRunningToShow(kWait) ? 1 : 0; });
        second->start();
        QTRY_VERIFY_WITH_TIMEOUT(answered.load() >= 0, kWait);
        second->wait();
        delete second;
        QCOMPARE(answered.load(), 1);
        QTRY_VERIFY(c.window->isVisible());

        // Nobody on another database.
        QVERIFY(!ConsoleInstance(db.absolutePath() + QStringLiteral("/other.db"))
                     .askRunningToShow(1000));
        // A second listener on the same name stands aside while the first one is alive (the
        // kernel accepts its probe without the first one's event loop).
        ConsoleInstance late(c.h.dbPath());
        QString error;
        QVERIFY(!late.listen(&error));
        QVERIFY(!error.isEmpty());
    }

    // The real program twice on one database: the second launch exits 0 at once, the first keeps
    // running; SIGTERM ends a console whose relay has served tenants (no question, exit 0); one
    // killed with -9 leaves a socket the next launch takes over.
    void secondProcessOnTheSameDatabaseExitsZero()
    {
        const QString bin = qEnvironmentVariable("TENANTRELAY_BIN");
        QVERIFY(QFile::exists(bin));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        // Its own settings: the relay on a port free a moment ago.
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        const quint16 port = probe.serverPort();
        probe.close();
        QDir().mkpath(dir.path() + QStringLiteral("/config/TenantRelay"));
        QFile conf(dir.path() + QStringLiteral("/config/TenantRelay/TenantRelay.conf"));
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write("[console]\nlisten=127.0.0.1:" + QByteArray::number(port) + "\n");
        conf.close();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.path() + QStringLiteral("/config"));
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.remove(QStringLiteral("TENANTRELAY_DB"));
        const QString db = dir.path() + QStringLiteral("/relay.db");
        const QString name = ConsoleInstance::serverName(db);
        auto launch = [&](QProcess &p, const QStringList &command = {}) {
            p.setProcessEnvironment(env);
            p.start(bin, QStringList{QStringLiteral("--db"), db} + command);
            return p.waitForStarted(kWait);
        };
        auto listening = [&] {
            QLocalSocket s;
            s.connectToServer(name);
            return s.waitForConnected(200);
        };
        QProcess add;
        QVERIFY(
            launch(add, {QStringLiteral("tenant"), QStringLiteral("add"), QStringLiteral("prod")}));
        QVERIFY(add.waitForFinished(kWait));
        const QString key = QString::fromLatin1(add.readAllStandardOutput().trimmed());
        QVERIFY2(key.startsWith(QStringLiteral("sk-tr-")), qPrintable(key));

        QProcess first;
        QVERIFY(launch(first));
        QTRY_VERIFY_WITH_TIMEOUT(listening(), 20'000);
        // Its relay answers a tenant (no upstream: 404), so it has served tenants.
        QTRY_COMPARE_WITH_TIMEOUT(
            request(port, "GET", "/v1/models/none", {}, TestHttpClient::bearer(key), 1000).status,
            404, 20'000);
        QCOMPARE(request(port, "POST", "/v1/chat/completions",
                         RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")),
                         TestHttpClient::bearer(key))
                     .errorField("code"),
                 QStringLiteral("model_not_found"));
        QProcess second;
        QVERIFY(launch(second));
        QVERIFY(second.waitForFinished(20'000));
        QCOMPARE(second.exitStatus(), QProcess::NormalExit);
        QCOMPARE(second.exitCode(), 0);
        QVERIFY2(second.readAllStandardError().contains("brought forward"),
                 "the second launch says why it ended");
        QCOMPARE(first.state(), QProcess::Running);
        // SIGTERM closes it as quitting would: no question holds it open.
        first.terminate();
        QVERIFY(first.waitForFinished(20'000));
        QCOMPARE(first.exitStatus(), QProcess::NormalExit);
        QCOMPARE(first.exitCode(), 0);

        // Killed with -9, a console leaves its socket behind; the next launch takes it over.
        QProcess killed;
        QVERIFY(launch(killed));
        QTRY_VERIFY_WITH_TIMEOUT(listening(), 20'000);
        killed.kill();
        QVERIFY(killed.waitForFinished(kWait));
        QProcess third;
        QVERIFY(launch(third));
        QTRY_VERIFY_WITH_TIMEOUT(listening(), 20'000);
        QVERIFY(!third.waitForFinished(500));
        QCOMPARE(third.state(), QProcess::Running);
        third.terminate();
        QVERIFY(third.waitForFinished(20'000));
        QCOMPARE(third.exitCode(), 0);
    }

private:
    QTemporaryDir m_config;
};

QTEST_MAIN(TestRelayKeeper)
#include "tst_relaykeeper.moc"
