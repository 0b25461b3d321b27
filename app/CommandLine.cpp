#include "CommandLine.h"

#include "AdminCommands.h"
#include "CliOutput.h"
#include "CommandSpec.h"
#include "ConnectOptions.h"
#include "ConsoleLauncher.h"
#include "ServeCommand.h"
#include "SignalWatcher.h"
#include "store/Database.h"

#include <QApplication>
#include <QCoreApplication>

#include <algorithm>
#include <functional>

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
               "       tenantrelay --connect URL [--admin-token-env VAR] [--connect-ca FILE] "
               "[COMMAND [...]]\n"
               "                                               the console or an admin command, "
               "through a\n"
               "                                               relay's admin API\n"
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
               "  --connect URL\n"
               "               run the admin command on the relay at URL (http:// or https://) "
               "through its\n"
               "               admin API (serve --admin-token-env), with the same output as on "
               "a database file;\n"
               "               not with --db. Exit 1 when the relay cannot be reached or "
               "refuses the token.\n"
               "               Without a command: the console, managing that relay (the token "
               "from the\n"
               "               variable, else the desktop's keychain, else asked for)\n"
               "  --admin-token-env VAR\n"
               "               the environment variable that holds the relay's admin token "
               "(default:\n"
               "               TENANTRELAY_ADMIN_TOKEN); the token is never printed\n"
               "  --connect-ca FILE\n"
               "               also trust the certificate(s) in this PEM file for an https:// "
               "URL (a relay\n"
               "               with a self-signed --tls-cert)\n"
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

// The console's window, on a relay here or elsewhere: `body` runs with the application up.
// SIGINT/SIGTERM close the console as its window would (usage flushed; a demo's database
// deleted).
int runWindowed(int argc, char *argv[], const std::function<int()> &body)
{
    // The console's main thread runs GLib's event loop, as desktop programs do: the keychain
    // (libsecret) answers through it. The relay's workers keep their own epoll loops.
    qunsetenv("QT_NO_GLIB");
    QApplication app(argc, argv);
    nameApplication();
    SignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &SignalWatcher::terminationRequested, &app,
                     &QCoreApplication::quit);
    return body();
}

// `--connect URL ...`: one admin command through a relay's admin API.
int runConnected(const ConnectOptions &connect, const GlobalOptions &options, bool dbGiven,
                 const QStringList &words, CliOutput &out, int argc, char *argv[])
{
    if (dbGiven || options.demo)
        return out.usageError(
            QStringLiteral("--connect manages a relay through its admin API "
                           "and cannot be combined with %1")
                .arg(dbGiven ? QStringLiteral("--db") : QStringLiteral("--demo")));
    const QString command = words.value(options.commandIndex);
    if (command.isEmpty()) {
        // The console, on that relay. The token may come from the keychain or be asked for.
        RemoteAdminOptions remote;
        if (const int status = connect.resolve(out, &remote, ConnectOptions::TokenOptional);
            status != kExitOk)
            return status;
        // Handed over by "Connect to relay…": not passed on to anything this process starts.
        if (connect.tokenEnv == QLatin1String(ui::kHandOverTokenEnv))
            qunsetenv(ui::kHandOverTokenEnv);
        return runWindowed(argc, argv,
                           [&remote] { return ui::runRemoteConsole(std::move(remote)); });
    }
    if (command == QLatin1String("serve"))
        return out.usageError(QStringLiteral("serve runs a relay here; --connect manages one "
                                             "that runs elsewhere"));
    if (!AdminCommands::isCommand(command))
        return out.usageError(QStringLiteral("unknown command '%1'").arg(command));
    QCoreApplication app(argc, argv);
    nameApplication();
    return AdminCommands::runRemote(connect, words.mid(options.commandIndex), out);
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
    // The options before the command that take a value, and where each goes.
    ConnectOptions connect;
    const QList<std::pair<QString, QString *>> valued{
        {QStringLiteral("--db"), &options.dbPath},
        {QStringLiteral("--connect"), &connect.url},
        {QStringLiteral("--admin-token-env"), &connect.tokenEnv},
        {QStringLiteral("--connect-ca"), &connect.caFile},
    };
    QStringList given;
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
            continue;
        }
        const auto option = std::find_if(valued.cbegin(), valued.cend(), [&word](const auto &o) {
            return word == o.first || word.startsWith(o.first + QLatin1Char('='));
        });
        if (option == valued.cend())
            return out.usageError(QStringLiteral("unknown option %1").arg(word));
        const QString &name = option->first;
        if (given.contains(name))
            return out.usageError(QStringLiteral("%1 is given more than once").arg(name));
        given << name;
        if (word == name) {
            if (i + 1 >= words.size())
                return out.usageError(QStringLiteral("%1 needs a value").arg(name));
            *option->second = words.at(++i);
        } else {
            *option->second = word.mid(name.size() + 1);
        }
        if (option->second->isEmpty())
            return out.usageError(QStringLiteral("%1 needs a value").arg(name));
    }
    options.commandIndex = i;
    const bool dbGiven = given.contains(QStringLiteral("--db"));
    if (options.demo && dbGiven)
        return out.usageError(QStringLiteral("--demo runs on a throw-away database and cannot "
                                             "be combined with --db"));
    if (given.contains(QStringLiteral("--connect")))
        return runConnected(connect, options, dbGiven, words, out, argc, argv);
    for (const QString &name :
         {QStringLiteral("--admin-token-env"), QStringLiteral("--connect-ca")})
        if (given.contains(name))
            return out.usageError(
                QStringLiteral("%1 goes with --connect URL (a relay's admin API)").arg(name));

    const QString command = words.value(options.commandIndex);
    if (command.isEmpty()) {
        return runWindowed(argc, argv, [&options] {
            return ui::runConsole(Database::resolvePath(options.dbPath), options.demo);
        });
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
