#include "CommandLine.h"

#include "AdminCommands.h"
#include "CliOutput.h"
#include "CommandSpec.h"
#include "ConsoleLauncher.h"
#include "ServeCommand.h"
#include "SignalWatcher.h"
#include "store/Database.h"

#include <QApplication>
#include <QCoreApplication>

// relaycore is a static library: its resources (the schema migrations) are linked in only when
// something references them. Q_INIT_RESOURCE has to be used outside any namespace.
static void initRelaycoreResources()
{
    Q_INIT_RESOURCE(relaycore);
}

namespace relay::app {

namespace {

// Keep in step with project(VERSION) in the top-level CMakeLists.txt.
constexpr char kVersion[] = "0.1.0";

QString globalHelp()
{
    return QStringLiteral(
               "Usage: tenantrelay [--db PATH]                 the desktop console\n"
               "       tenantrelay --demo                      the console on sample data\n"
               "       tenantrelay [--db PATH] serve [...]     the relay alone, no GUI\n"
               "       tenantrelay [--db PATH] COMMAND [...]   an admin command\n"
               "\n"
               "A multi-tenant OpenAI-compatible relay: each team calls it with its own key and "
               "stays within its\nlimits, its budget and its share of the upstream "
               "connections.\n"
               "\n"
               "Options (before the command):\n"
               "  --db PATH    the database; default: $TENANTRELAY_DB, else the console's last "
               "one, else\n"
               "               tenantrelay.db in the app-data folder. Created with mode 0600.\n"
               "  --demo       a throw-away database with sample tenants, upstreams and "
               "traffic\n"
               "               (console or serve only; not with --db)\n"
               "  -h, --help   show this help\n"
               "  --version    show the version\n"
               "\n"
               "Commands:\n"
               "  serve       run the relay without the console (see serve --help)\n") +
           AdminCommands::overview() +
           QStringLiteral("\nRun 'tenantrelay COMMAND --help' for a command's details.\n");
}

struct GlobalOptions
{
    QString dbPath; // as given with --db; empty = resolve the default
    bool demo = false;
    qsizetype commandIndex = 0; // where the command's words start
};

void nameApplication()
{
    // QStandardPaths and QSettings (the default database path) depend on these.
    QCoreApplication::setOrganizationName(QStringLiteral("TenantRelay"));
    QCoreApplication::setApplicationName(QStringLiteral("TenantRelay"));
    QCoreApplication::setApplicationVersion(QString::fromLatin1(kVersion));
}

} // namespace

int run(int argc, char *argv[])
{
    initRelaycoreResources();
    QStringList words;
    for (int i = 1; i < argc; ++i)
        words << QString::fromLocal8Bit(argv[i]);

    CliOutput out;
    GlobalOptions options;
    bool dbGiven = false;
    qsizetype i = 0;
    for (; i < words.size() && words.at(i).startsWith(QLatin1Char('-')); ++i) {
        const QString &word = words.at(i);
        if (word == QLatin1String("--help") || word == QLatin1String("-h")) {
            out.print(globalHelp());
            return kExitOk;
        }
        if (word == QLatin1String("--version")) {
            out.print(QStringLiteral("tenantrelay %1").arg(QString::fromLatin1(kVersion)));
            return kExitOk;
        }
        if (word == QLatin1String("--demo")) {
            options.demo = true;
        } else if (word == QLatin1String("--db") || word.startsWith(QLatin1String("--db="))) {
            if (dbGiven)
                return out.usageError(QStringLiteral("--db is given more than once"));
            dbGiven = true;
            if (word == QLatin1String("--db")) {
                if (i + 1 >= words.size())
                    return out.usageError(QStringLiteral("--db needs a value (PATH)"));
                options.dbPath = words.at(++i);
            } else {
                options.dbPath = word.mid(5);
            }
            if (options.dbPath.isEmpty())
                return out.usageError(QStringLiteral("--db needs a path"));
        } else {
            return out.usageError(QStringLiteral("unknown option %1").arg(word));
        }
    }
    options.commandIndex = i;
    if (options.demo && dbGiven)
        return out.usageError(QStringLiteral("--demo runs on a throw-away database and cannot "
                                             "be combined with --db"));

    const QString command = words.value(options.commandIndex);
    if (command.isEmpty()) {
        QApplication app(argc, argv);
        nameApplication();
        // SIGINT/SIGTERM close the console as its window would (usage flushed; a demo's
        // database deleted).
        SignalWatcher signalWatcher;
        QObject::connect(&signalWatcher, &SignalWatcher::terminationRequested, &app,
                         &QCoreApplication::quit);
        return ui::runConsole(Database::resolvePath(options.dbPath), options.demo);
    }
    if (command == QLatin1String("serve")) {
        QCoreApplication app(argc, argv);
        nameApplication();
        return runServe(options.dbPath, options.demo, words.mid(options.commandIndex + 1));
    }
    if (!AdminCommands::isCommand(command))
        return out.usageError(QStringLiteral("unknown command '%1'").arg(command));
    if (options.demo)
        return out.usageError(QStringLiteral("--demo cannot be used with admin commands; they "
                                             "work on a real database (--db PATH)"));
    QCoreApplication app(argc, argv);
    nameApplication();
    return AdminCommands::run(Database::resolvePath(options.dbPath),
                              words.mid(options.commandIndex), out);
}

} // namespace relay::app
