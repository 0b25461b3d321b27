#include "ServeCommand.h"

#include "ArgParser.h"
#include "SignalWatcher.h"

#include "demo/DemoScenario.h"
#include "http/TlsCredentials.h"
#include "relay/Engine.h"
#include "store/Database.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QHostAddress>
#include <QTextStream>
#include <QThread>

#include <cstdio>

namespace relay::app {

namespace {

CommandSpec serveSpec()
{
    CommandSpec spec;
    spec.group = QStringLiteral("serve");
    spec.summary = QStringLiteral("run the relay without the console");
    spec.description = QStringLiteral(
        "Runs the relay without the console: tenants call it with their OpenAI SDKs at "
        "http://HOST:PORT/v1. Admin commands on the same database take effect within 2 "
        "seconds.\nSIGINT or SIGTERM stops it cleanly: no new connections, requests in flight "
        "finish (up to 10 s), every usage record is written, exit status 0.\nWith --tls-cert and "
        "--tls-key the relay speaks HTTPS only (https://HOST:PORT/v1); SIGHUP re-reads both "
        "files, new connections then use them (if they are bad, the relay keeps the old ones "
        "and says why).");
    spec.options = {
        {QStringLiteral("--listen"), QStringLiteral("HOST:PORT"),
         QStringLiteral("address to listen on (default 127.0.0.1:8700); binding beyond "
                        "loopback, e.g. 0.0.0.0:8700, must be asked for here")},
        {QStringLiteral("--workers"), QStringLiteral("N"),
         QStringLiteral("worker threads (default: one per core)")},
        {QStringLiteral("--max-body-mb"), QStringLiteral("N"),
         QStringLiteral("largest request body in MiB (default 8; larger: 413)")},
        {QStringLiteral("--max-client-connections"), QStringLiteral("N"),
         QStringLiteral("open client connections before the relay stops accepting (default "
                        "4096)")},
        {QStringLiteral("--admin-token-env"), QStringLiteral("VAR"),
         QStringLiteral("turns on the admin API (/admin/v1/..., for `tenantrelay --connect`): "
                        "every call needs 'Authorization: Bearer <$VAR>', and so does GET "
                        "/metrics; without it there is no admin API and /metrics answers "
                        "loopback clients only. On a listener beyond loopback only with TLS")},
        {QStringLiteral("--admin-readonly-token-env"), QStringLiteral("VAR"),
         QStringLiteral("a second admin API token, from $VAR, that may only read (writes: 403); "
                        "needs --admin-token-env")},
        {QStringLiteral("--tls-cert"), QStringLiteral("FILE"),
         QStringLiteral("HTTPS: the listener's certificate, PEM (the server's certificate "
                        "first, then any intermediates); needs --tls-key")},
        {QStringLiteral("--tls-key"), QStringLiteral("FILE"),
         QStringLiteral("HTTPS: the certificate's private key, PEM, without a passphrase "
                        "(keep it readable by this user only); needs --tls-cert")},
        {QStringLiteral("--demo"), QString(),
         QStringLiteral("serve sample tenants, simulated providers and simulated traffic from a "
                        "throw-away database (deleted at exit); not with --db")},
    };
    return spec;
}

int usageError(const QString &message)
{
    QTextStream err(stderr);
    err << "tenantrelay serve: " << message << "\n"
        << "Run 'tenantrelay serve --help' for the options.\n";
    return kExitUsage;
}

// A whole number from 1 to max, or nullopt.
std::optional<qint64> positive(const QString &text, qint64 max)
{
    bool ok = false;
    const qint64 v = text.toLongLong(&ok);
    if (!ok || v <= 0 || v > max)
        return std::nullopt;
    return v;
}

} // namespace

int runServe(const QString &cliDbPath, bool demo, const QStringList &args)
{
    const CommandSpec spec = serveSpec();
    if (ArgParser::wantsHelp(args)) {
        std::fputs(qPrintable(spec.help()), stdout);
        return kExitOk;
    }
    ParsedArgs parsed;
    QString error;
    if (!ArgParser::parse(spec, args, &parsed, &error))
        return usageError(error);
    // `tenantrelay --demo serve` and `tenantrelay serve --demo` are the same thing.
    demo = demo || parsed.has(QStringLiteral("--demo"));
    if (demo && !cliDbPath.isEmpty())
        return usageError(QStringLiteral("--demo runs on a throw-away database and cannot be "
                                         "combined with --db"));
    EngineOptions options;
    if (!demo)
        options.dbPath = Database::resolvePath(cliDbPath);
    if (const auto value = parsed.value(QStringLiteral("--listen"));
        value && !parseListenAddress(*value, &options.server.host, &options.server.port))
        return usageError(
            QStringLiteral("--listen wants HOST:PORT, e.g. 127.0.0.1:8700, not '%1'").arg(*value));
    if (const auto value = parsed.value(QStringLiteral("--workers"))) {
        const auto n = positive(*value, 256);
        if (!n)
            return usageError(QStringLiteral("--workers wants a number from 1 to 256"));
        options.server.workers = int(*n);
    }
    if (const auto value = parsed.value(QStringLiteral("--max-body-mb"))) {
        const auto n = positive(*value, 1024);
        if (!n)
            return usageError(QStringLiteral("--max-body-mb wants a number from 1 to 1024"));
        options.server.maxBodyBytes = *n * 1024 * 1024;
    }
    if (const auto value = parsed.value(QStringLiteral("--max-client-connections"))) {
        const auto n = positive(*value, 1'000'000);
        if (!n)
            return usageError(QStringLiteral("--max-client-connections wants a positive number"));
        options.server.maxClientConnections = int(*n);
    }
    if (const auto value = parsed.value(QStringLiteral("--admin-token-env"))) {
        options.adminToken = qgetenv(value->toLocal8Bit().constData());
        if (options.adminToken.isEmpty())
            return usageError(
                QStringLiteral("--admin-token-env: the variable %1 is not set or empty")
                    .arg(*value));
    }
    const auto tlsCert = parsed.value(QStringLiteral("--tls-cert"));
    const auto tlsKey = parsed.value(QStringLiteral("--tls-key"));
    if (tlsCert.has_value() != tlsKey.has_value())
        return usageError(QStringLiteral("--tls-cert and --tls-key go together: HTTPS needs the "
                                         "certificate and its private key"));
    if (tlsCert) {
        options.server.tlsCertFile = QFileInfo(*tlsCert).absoluteFilePath();
        options.server.tlsKeyFile = QFileInfo(*tlsKey).absoluteFilePath();
        // Checked before anything starts; the server reads them again (and on SIGHUP).
        if (!TlsCredentials::read(options.server.tlsCertFile, options.server.tlsKeyFile, &error)) {
            QTextStream(stderr) << "tenantrelay serve: " << error << "\n";
            return kExitFailure;
        }
    }
    if (const auto value = parsed.value(QStringLiteral("--admin-readonly-token-env"))) {
        if (options.adminToken.isEmpty())
            return usageError(QStringLiteral("--admin-readonly-token-env needs --admin-token-env"));
        options.adminReadOnlyToken = qgetenv(value->toLocal8Bit().constData());
        if (options.adminReadOnlyToken.isEmpty())
            return usageError(
                QStringLiteral("--admin-readonly-token-env: the variable %1 is not set or empty")
                    .arg(*value));
        if (options.adminReadOnlyToken == options.adminToken)
            return usageError(QStringLiteral("the read-only admin token must differ from the "
                                             "admin token"));
    }
    // Admin tokens never cross a network in clear (interface.md §5).
    if (!options.adminToken.isEmpty() && !options.server.host.isLoopback() &&
        !options.server.tlsEnabled())
        return usageError(QStringLiteral("the admin API (--admin-token-env) on %1 needs TLS "
                                         "(--tls-cert and --tls-key), or listen on loopback")
                              .arg(options.server.host.toString()));
    // --demo: a throw-away database with sample tenants, simulated providers and traffic, all on
    // loopback; deleted when the relay stops.
    std::unique_ptr<DemoScenario> scenario;
    if (demo) {
        scenario = std::make_unique<DemoScenario>();
        if (!scenario->prepare(&error)) {
            QTextStream(stderr) << "tenantrelay serve: the demo could not start: " << error << "\n";
            return kExitFailure;
        }
        options.dbPath = scenario->dbPath();
    }

    Engine engine(options);
    if (!engine.start(&error)) {
        QTextStream(stderr) << "tenantrelay serve: " << error << "\n";
        return kExitFailure;
    }
    QTextStream(stderr) << "tenantrelay: relay listening on " << engine.baseUrl() << " with "
                        << engine.workerCount() << " workers; database " << options.dbPath << "\n";
    if (scenario) {
        scenario->start(engine.port(), options.server.tlsEnabled());
        QTextStream(stderr) << "tenantrelay: demo: sample tenants, simulated providers and "
                               "traffic on loopback; the database is deleted at exit\n";
    }
    if (!options.server.host.isLoopback())
        QTextStream(stderr) << "tenantrelay: warning: listening beyond loopback; anyone who can "
                               "reach this address can try tenant keys\n";

    SignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &SignalWatcher::terminationRequested, &engine,
                     [&engine, &scenario] {
                         if (scenario)
                             scenario->stop(); // no new demo requests while the relay drains
                         engine.shutdown();
                     });
    signalWatcher.watchHangup();
    QObject::connect(&signalWatcher, &SignalWatcher::reloadRequested, &engine, [&engine, &options] {
        QTextStream err(stderr);
        QString reloadError;
        if (!options.server.tlsEnabled())
            err << "tenantrelay: SIGHUP: nothing to reload (no --tls-cert)\n";
        else if (engine.reloadTls(&reloadError))
            err << "tenantrelay: TLS certificate reloaded from " << options.server.tlsCertFile
                << "\n";
        else
            err << "tenantrelay: TLS certificate not reloaded, keeping the "
                   "previous one: "
                << reloadError << "\n";
    });
    QObject::connect(&engine, &Engine::stopped, qApp, [] { QCoreApplication::exit(kExitOk); });
    const int status = QCoreApplication::exec();
    engine.stopNow();
    QTextStream(stderr) << "tenantrelay: relay stopped; usage flushed\n";
    return status;
}

} // namespace relay::app
