#include "ConsoleLauncher.h"

#include "MainWindow.h"

#include "relay/Engine.h"

#include <QApplication>
#include <QTextStream>

namespace relay::ui {

int runConsole(const QString &dbPath, bool demo)
{
    if (demo) {
        QTextStream(stderr) << "tenantrelay: --demo is not available in this version yet\n"
                            << "Run 'tenantrelay --help' for the commands.\n";
        return 2;
    }
    MainWindow window;
    EngineOptions options;
    options.dbPath = dbPath;
    Engine engine(options);
    QObject::connect(&engine, &Engine::statsUpdated, &window, &MainWindow::applyStats);
    QString error;
    if (engine.start(&error))
        window.showEngineStarted(engine.listenAddress(), dbPath, engine.workerCount());
    else
        window.showEngineFailed(error);
    window.show();
    const int status = QApplication::exec();
    engine.stopNow();
    return status;
}

} // namespace relay::ui
