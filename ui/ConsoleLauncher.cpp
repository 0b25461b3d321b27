#include "ConsoleLauncher.h"

#include "BudgetsPanel.h"
#include "ConnectDialog.h"
#include "ConsoleInstance.h"
#include "MainWindow.h"
#include "RelayKeeper.h"
#include "SettingsPanel.h"
#include "ThreadPriority.h"
#include "TokenStore.h"

#include "demo/DemoScenario.h"
#include "relay/Engine.h"

#include <QApplication>
#include <QCoreApplication>
#include <QHostAddress>
#include <QProcess>
#include <QSettings>
#include <QStatusBar>
#include <QTextStream>

namespace relay::ui {

QByteArray localAdminToken(const QString &dbPath, const ServerConfig &server, QString *note)
{
    if (!QSettings().value(SettingsPanel::adminApiKey(), false).toBool())
        return {};
    // Admin tokens never cross a network in clear (interface.md §5).
    if (!server.host.isLoopback() && !server.tlsEnabled()) {
        *note = QObject::tr("The admin API is off: beyond loopback it needs TLS (Settings)");
        return {};
    }
    QString error;
    const QByteArray token = TokenStore::read(TokenStore::localRelayKey(dbPath), &error);
    if (token.isEmpty())
        *note = QObject::tr("The admin API is off: the keychain holds no admin token for this "
                            "relay (%1); make one in Settings")
                    .arg(error.isEmpty() ? QObject::tr("none was made") : error);
    return token;
}

int runConsole(const QString &dbPath, bool demo)
{
    std::unique_ptr<DemoScenario> scenario;
    QString path = dbPath;
    QString error;
    if (demo) {
        scenario = std::make_unique<DemoScenario>();
        if (!scenario->prepare(&error)) {
            QTextStream(stderr) << "tenantrelay: the demo could not start: " << error << "\n";
            return 1;
        }
        path = scenario->dbPath();
    }

    // One console per database: a second launch on it brings the first one's window forward
    // and ends (the demo's database is new each time).
    std::unique_ptr<ConsoleInstance> instance;
    if (!demo) {
        instance = std::make_unique<ConsoleInstance>(path);
        if (instance->askRunningToShow()) {
            QTextStream(stderr) << "tenantrelay: a console already runs on " << path
                                << "; its window was brought forward\n";
            return 0;
        }
        QString listenError;
        if (!instance->listen(&listenError))
            QTextStream(stderr) << "tenantrelay: later launches on this database cannot find "
                                   "this console: "
                                << listenError << "\n";
    }

    QSettings settings;
    EngineOptions options;
    options.dbPath = path;
    // Unreadable (edited by hand): the defaults, loopback.
    parseListenAddress(settings.value(SettingsPanel::listenKey()).toString(), &options.server.host,
                       &options.server.port);
    if (const int workers = settings.value(SettingsPanel::workersKey(), 0).toInt(); workers > 0)
        options.server.workers = workers;
    options.server.tlsCertFile = settings.value(SettingsPanel::tlsCertKey()).toString();
    options.server.tlsKeyFile = settings.value(SettingsPanel::tlsKeyKey()).toString();
    // The demo listens on loopback only, in plain HTTP (its simulated traffic calls it so); if
    // its usual port is taken, on any free one.
    if (demo) {
        options.server.host = QHostAddress::LocalHost;
        options.server.tlsCertFile.clear();
        options.server.tlsKeyFile.clear();
    }
    QString adminNote;
    if (!demo)
        options.adminToken = localAdminToken(path, options.server, &adminNote);
    auto engine = std::make_unique<Engine>(options);
    bool started = engine->start(&error);
    if (!started && demo) {
        options.server.port = 0;
        engine = std::make_unique<Engine>(options);
        started = engine->start(&error);
    }

    auto window = std::make_unique<MainWindow>(started ? engine.get() : nullptr, path);
    QObject::connect(engine.get(), &Engine::statsUpdated, window.get(), &MainWindow::applyStats);
    // A raised alert shows (and reaches the tray) at once, not at the panel's next poll.
    QObject::connect(engine.get(), &Engine::alertRaised, window->budgets(), &BudgetsPanel::refresh);
    if (started) {
        window->showEngineStarted(engine->listenAddress(),
                                  demo ? QObject::tr("temporary demo database") : path,
                                  engine->workerCount(), options.server.tlsEnabled());
        QStringList notes;
        if (!options.server.host.isLoopback())
            notes << QObject::tr("Warning: the relay listens beyond loopback (%1); anyone who can "
                                 "reach it can try tenant keys")
                         .arg(engine->listenAddress());
        if (!options.adminToken.isEmpty())
            notes << QObject::tr("Admin API on %1://%2/admin/v1")
                         .arg(options.server.tlsEnabled() ? QStringLiteral("https")
                                                          : QStringLiteral("http"),
                              engine->listenAddress());
        if (!adminNote.isEmpty())
            notes << adminNote;
        if (!notes.isEmpty())
            window->statusBar()->showMessage(notes.join(QStringLiteral(" · ")));
    } else if (engine->otherRelay()) {
        const RelayState::LiveRelay &other = *engine->otherRelay();
        window->showManagingOtherRelay(QStringLiteral("pid %1").arg(other.pid),
                                       other.listen.isEmpty()
                                           ? QStringLiteral("—")
                                           : QStringLiteral("http://%1/v1").arg(other.listen),
                                       path);
    } else {
        window->showEngineFailed(error);
    }
    // The window's closing decides whether the relay keeps serving (tray) or the console quits;
    // quitting waits for the requests in flight (RelayKeeper).
    QApplication::setQuitOnLastWindowClosed(false);
    QObject::connect(window->keeper(), &RelayKeeper::quitRequested, qApp, &QCoreApplication::quit,
                     Qt::QueuedConnection);
    if (instance)
        QObject::connect(instance.get(), &ConsoleInstance::showRequested, window->keeper(),
                         &RelayKeeper::showWindow);
    if (scenario && started)
        scenario->start(engine->port());
    if (demo)
        window->setWindowTitle(QObject::tr("TenantRelay — demo (sample data, deleted at exit)"));
    // The relay (and the console's database threads) yield to the window when the cores are
    // busy; `serve` runs without a window and keeps its threads as they are.
    lowerOtherThreads(kRelayThreadNice);
    window->show();
    const int status = QApplication::exec();
    if (scenario)
        scenario->stop();
    window.reset();
    engine->stopNow();
    return status;
}

int runRemoteConsole(RemoteAdminOptions options)
{
    const QString key = options.url.toString(QUrl::StripTrailingSlash);
    if (options.token.isEmpty())
        options.token = TokenStore::read(key);
    if (options.trustedSha256.isEmpty())
        options.trustedSha256 = TrustedCertificates::digestFor(key);
    if (options.token.isEmpty()) {
        // No token given or kept (or no keychain service): asked for this session.
        ConnectDialog dialog;
        dialog.setUrl(key);
        if (dialog.exec() != QDialog::Accepted)
            return 0;
        options = dialog.options();
    }
    // Calls from the panels wait at most this long for a relay that stopped answering.
    options.timeoutMs = 10000;
    RemoteRelay remote(options);
    MainWindow window(&remote, options);
    QObject::connect(window.keeper(), &RelayKeeper::quitRequested, qApp, &QCoreApplication::quit,
                     Qt::QueuedConnection);
    window.show();
    remote.start();
    return QApplication::exec();
}

bool startRemoteConsole(const RemoteAdminOptions &options, QString *error)
{
    QProcess process;
    process.setProgram(QCoreApplication::applicationFilePath());
    process.setArguments(
        {QStringLiteral("--connect"), options.url.toString(QUrl::StripTrailingSlash),
         QStringLiteral("--admin-token-env"), QString::fromLatin1(kHandOverTokenEnv)});
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QString::fromLatin1(kHandOverTokenEnv), QString::fromUtf8(options.token));
    process.setProcessEnvironment(environment);
    if (process.startDetached())
        return true;
    *error = process.errorString();
    return false;
}

} // namespace relay::ui
