#include "Processes.h"

#include "TestHttpClient.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>
#include <QTest>
#include <QUuid>

namespace relay::test::mp {

namespace {

QString fromEnvironment(const char *name)
{
    const QString value = qEnvironmentVariable(name);
    if (value.isEmpty())
        qWarning("%s is not set: run the test through CTest", name);
    return value;
}

// A private QtSql connection to a database file for `use`, removed afterwards.
template <typename Use> auto withConnection(const QString &path, Use use)
{
    const QString name = QStringLiteral("mp-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    auto result = [&] {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
        return use(db);
    }();
    QSqlDatabase::removeDatabase(name);
    return result;
}

} // namespace

QString relayBinary()
{
    return fromEnvironment("TENANTRELAY_BIN");
}

QString simBinary()
{
    return fromEnvironment("TENANTRELAY_SIM_BIN");
}

QString consoleReaderBinary()
{
    return fromEnvironment("TENANTRELAY_CONSOLE_READER_BIN");
}

qint64 wallMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QString CommandResult::describe(const QStringList &args) const
{
    const QByteArray firstLine = err.trimmed().split('\n').value(0);
    return QStringLiteral("%1 → exit %2: %3")
        .arg(args.join(QLatin1Char(' ')))
        .arg(code)
        .arg(QString::fromUtf8(firstLine));
}

CommandResult run(const QString &program, const QStringList &args, int timeoutMs)
{
    CommandResult result;
    QElapsedTimer timer;
    timer.start();
    QProcess p;
    p.start(program, args);
    if (!p.waitForStarted()) {
        result.err = p.errorString().toUtf8();
    } else {
        p.closeWriteChannel();
        if (!p.waitForFinished(timeoutMs)) {
            p.kill();
            p.waitForFinished();
            result.err = "did not finish within " + QByteArray::number(timeoutMs) + " ms; ";
        } else if (p.exitStatus() == QProcess::NormalExit) {
            result.code = p.exitCode();
        }
        result.out = p.readAllStandardOutput();
        result.err += p.readAllStandardError();
    }
    result.endedAtMs = wallMs();
    result.elapsedMs = timer.elapsed();
    return result;
}

CommandResult admin(const QString &db, const QStringList &args, int timeoutMs)
{
    return run(relayBinary(), QStringList{QStringLiteral("--db"), db} + args, timeoutMs);
}

Server::~Server()
{
    if (running())
        kill9();
}

bool Server::start(const QString &program, const QStringList &args, const QRegularExpression &ready,
                   QString *error, int timeoutMs)
{
    if (!m_logDir.isValid()) {
        *error = QStringLiteral("cannot create a folder for the log");
        return false;
    }
    m_process.setStandardErrorFile(logPath());
    m_process.setStandardOutputFile(QProcess::nullDevice());
    m_process.setStandardInputFile(QProcess::nullDevice());
    m_process.start(program, args);
    if (!m_process.waitForStarted()) {
        *error = QStringLiteral("%1: %2").arg(program, m_process.errorString());
        return false;
    }
    QRegularExpressionMatch match;
    const bool up = QTest::qWaitFor(
        [&] {
            match = ready.match(QString::fromUtf8(log()));
            return match.hasMatch() || !running();
        },
        timeoutMs);
    if (!up || !match.hasMatch()) {
        *error = QStringLiteral("%1 %2 did not start: %3")
                     .arg(program, args.join(QLatin1Char(' ')), QString::fromUtf8(log()));
        return false;
    }
    m_port = quint16(match.captured(1).toUInt());
    return true;
}

void Server::kill9()
{
    m_process.kill();
    m_process.waitForFinished(10'000);
}

bool Server::terminate(int timeoutMs)
{
    m_process.terminate();
    if (m_process.waitForFinished(timeoutMs))
        return true;
    kill9();
    return false;
}

QByteArray Server::log() const
{
    QFile file(logPath());
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool startSimulator(Server &sim, int latencyMs, QString *error)
{
    static const QRegularExpression ready(QStringLiteral("serving http://127\\.0\\.0\\.1:(\\d+)/"));
    return sim.start(simBinary(),
                     {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--latency-ms"),
                      QString::number(latencyMs)},
                     ready, error);
}

bool addSimUpstreamAndTenant(const QString &db, quint16 simPort, int maxConnections,
                             const QString &tenantId, QString *key, QString *error)
{
    QStringList addUpstream{QStringLiteral("upstream"), QStringLiteral("add"),
                            QStringLiteral("sim"), QStringLiteral("--base-url"),
                            QStringLiteral("http://127.0.0.1:%1/v1").arg(simPort)};
    if (maxConnections > 0)
        addUpstream << QStringLiteral("--max-connections") << QString::number(maxConnections);
    const QStringList addTenant{QStringLiteral("tenant"), QStringLiteral("add"), tenantId};
    for (const QStringList &args : {addUpstream, addTenant}) {
        const CommandResult r = admin(db, args);
        if (r.code != 0) {
            *error = r.describe(args);
            return false;
        }
        *key = QString::fromUtf8(r.out.trimmed());
    }
    return true;
}

bool startRelay(Server &relay, const QString &db, QString *error)
{
    static const QRegularExpression ready(
        QStringLiteral("listening on http://127\\.0\\.0\\.1:(\\d+)/v1"));
    if (!relay.start(relayBinary(),
                     {QStringLiteral("--db"), db, QStringLiteral("serve"),
                      QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
                      QStringLiteral("--workers"), QStringLiteral("2")},
                     ready, error))
        return false;
    if (QTest::qWaitFor(
            [&] { return request(relay.port(), "GET", "/healthz", {}, {}, 1000).status == 200; },
            10'000))
        return true;
    *error =
        QStringLiteral("the relay does not answer /healthz: ") + QString::fromUtf8(relay.log());
    return false;
}

QByteArray chatBody()
{
    return R"({"model":"gpt-4o","messages":[{"role":"user","content":"x"}]})";
}

QString integrityCheck(const QString &path)
{
    return withConnection(path, [](QSqlDatabase &db) {
        if (!db.open())
            return QStringLiteral("cannot open: ") + db.lastError().text();
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("PRAGMA integrity_check")))
            return QStringLiteral("integrity_check failed: ") + q.lastError().text();
        QStringList lines;
        while (q.next())
            lines.append(q.value(0).toString());
        return lines.join(QLatin1Char('\n'));
    });
}

bool meteredRequestIds(const QString &path, QSet<QByteArray> *ids, QString *error)
{
    return withConnection(path, [&](QSqlDatabase &db) {
        if (!db.open()) {
            *error = db.lastError().text();
            return false;
        }
        QSqlQuery q(db);
        if (!q.exec(QStringLiteral("SELECT request_id FROM usage"))) {
            *error = q.lastError().text();
            return false;
        }
        while (q.next())
            ids->insert(q.value(0).toByteArray());
        return true;
    });
}

} // namespace relay::test::mp
