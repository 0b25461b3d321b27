#include "ServeCommand.h"

#include "SignalWatcher.h"

#include "relay/Engine.h"
#include "store/Database.h"

#include <QCoreApplication>
#include <QHostAddress>
#include <QTextStream>
#include <QThread>

#include <cstdio>

namespace relay::app {

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

const char kServeHelp[] =
    "Usage: tenantrelay [--db PATH] serve [options]\n"
    "\n"
    "Runs the relay without the console: tenants call it with their OpenAI SDKs at\n"
    "http://HOST:PORT/v1. Admin commands on the same database take effect within 2 seconds.\n"
    "SIGINT or SIGTERM stops it cleanly: no new connections, requests in flight finish\n"
    "(up to 10 s), every usage record is written, exit status 0.\n"
    "\n"
    "Options:\n"
    "  --listen HOST:PORT            address to listen on (default 127.0.0.1:8700); binding\n"
    "                                beyond loopback, e.g. 0.0.0.0:8700, must be asked for here\n"
    "  --workers N                   worker threads (default: one per core)\n"
    "  --max-body-mb N               largest request body in MiB (default 8; larger: 413)\n"
    "  --max-client-connections N    open client connections before the relay stops accepting\n"
    "                                (default 4096)\n"
    "  --admin-token-env VAR         GET /metrics then needs 'Authorization: Bearer <$VAR>';\n"
    "                                without it /metrics answers loopback clients only\n"
    "  -h, --help                    show this help\n";

int usageError(const QString &message)
{
    QTextStream err(stderr);
    err << "tenantrelay serve: " << message << "\n"
        << "Run 'tenantrelay serve --help' for the options.\n";
    return kExitUsage;
}

bool parsePositive(const QString &text, qint64 max, qint64 *out)
{
    bool ok = false;
    const qint64 v = text.toLongLong(&ok);
    if (!ok || v <= 0 || v > max)
        return false;
    *out = v;
    return true;
}

} // namespace

bool parseListenAddress(const QString &text, QHostAddress *host, quint16 *port)
{
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return false;
    QString h = text.left(colon);
    if (h.startsWith(QLatin1Char('[')) && h.endsWith(QLatin1Char(']')))
        h = h.mid(1, h.size() - 2);
    bool ok = false;
    const uint p = text.mid(colon + 1).toUInt(&ok);
    if (!ok || p > 65535)
        return false;
    QHostAddress address;
    if (h == QLatin1String("localhost"))
        address = QHostAddress::LocalHost;
    else if (!address.setAddress(h))
        return false;
    *host = address;
    *port = quint16(p);
    return true;
}

int runServe(const QString &dbPath, bool demo, const QStringList &args)
{
    EngineOptions options;
    options.dbPath = dbPath;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &arg = args[i];
        if (arg == QLatin1String("-h") || arg == QLatin1String("--help")) {
            std::fputs(kServeHelp, stdout);
            return kExitOk;
        }
        static const QStringList withValue{QStringLiteral("--listen"), QStringLiteral("--workers"),
                                           QStringLiteral("--max-body-mb"),
                                           QStringLiteral("--max-client-connections"),
                                           QStringLiteral("--admin-token-env")};
        if (!withValue.contains(arg))
            return usageError(arg.startsWith(QLatin1Char('-'))
                                  ? QStringLiteral("unknown option %1").arg(arg)
                                  : QStringLiteral("unexpected argument %1").arg(arg));
        if (i + 1 >= args.size())
            return usageError(QStringLiteral("%1 needs a value").arg(arg));
        const QString value = args[++i];
        qint64 n = 0;
        if (arg == QLatin1String("--listen")) {
            if (!parseListenAddress(value, &options.server.host, &options.server.port))
                return usageError(
                    QStringLiteral("--listen wants HOST:PORT, e.g. 127.0.0.1:8700, not '%1'")
                        .arg(value));
        } else if (arg == QLatin1String("--admin-token-env")) {
            options.adminToken = qgetenv(value.toLocal8Bit().constData());
            if (options.adminToken.isEmpty())
                return usageError(
                    QStringLiteral("--admin-token-env: the variable %1 is not set or empty")
                        .arg(value));
        } else if (arg == QLatin1String("--workers")) {
            if (!parsePositive(value, 256, &n))
                return usageError(QStringLiteral("--workers wants a number from 1 to 256"));
            options.server.workers = int(n);
        } else if (arg == QLatin1String("--max-body-mb")) {
            if (!parsePositive(value, 1024, &n))
                return usageError(QStringLiteral("--max-body-mb wants a number from 1 to 1024"));
            options.server.maxBodyBytes = n * 1024 * 1024;
        } else {
            if (!parsePositive(value, 1'000'000, &n))
                return usageError(
                    QStringLiteral("--max-client-connections wants a positive number"));
            options.server.maxClientConnections = int(n);
        }
    }
    if (demo)
        return usageError(QStringLiteral("--demo is not available in this version yet"));

    Engine engine(options);
    QString error;
    if (!engine.start(&error)) {
        QTextStream(stderr) << "tenantrelay serve: " << error << "\n";
        return kExitFailure;
    }
    QTextStream(stderr) << "tenantrelay: relay listening on http://" << engine.listenAddress()
                        << "/v1 with " << engine.workerCount() << " workers; database " << dbPath
                        << "\n";
    if (!options.server.host.isLoopback())
        QTextStream(stderr) << "tenantrelay: warning: listening beyond loopback; anyone who can "
                               "reach this address can try tenant keys\n";

    SignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &SignalWatcher::terminationRequested, &engine,
                     &Engine::shutdown);
    QObject::connect(&engine, &Engine::stopped, qApp, [] { QCoreApplication::exit(kExitOk); });
    const int status = QCoreApplication::exec();
    engine.stopNow();
    QTextStream(stderr) << "tenantrelay: relay stopped; usage flushed\n";
    return status;
}

} // namespace relay::app
