#pragma once

#include <QByteArray>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

// Real TenantRelay processes for the multi-process tests, started as a user starts them: the
// relay (`tenantrelay serve`), the simulated provider (`tenantrelay-sim`), admin commands on the
// same database, and the console-like reader. Every function may be called on any thread; a
// Server is used on the thread that started it.
namespace relay::test::mp {

// The programs, from the environment CTest sets: TENANTRELAY_BIN, TENANTRELAY_SIM_BIN,
// TENANTRELAY_CONSOLE_READER_BIN.
QString relayBinary();
QString simBinary();
QString consoleReaderBinary();

// Milliseconds since the epoch: one clock for every thread and every process of a test.
qint64 wallMs();

struct CommandResult
{
    int code = -1; // exit status; -1 when it did not start, crashed or was stopped
    QByteArray out;
    QByteArray err;
    qint64 endedAtMs = 0; // wall time when it exited
    qint64 elapsedMs = 0;
    // "ARGS → exit N: first line of stderr", for messages.
    QString describe(const QStringList &args) const;
};

// Runs PROGRAM ARGS to its end, for at most `timeoutMs` (then kills it).
CommandResult run(const QString &program, const QStringList &args, int timeoutMs = 30'000);
// `tenantrelay --db DB ARGS`.
CommandResult admin(const QString &db, const QStringList &args, int timeoutMs = 30'000);

// A long-running child (the relay, the simulator) that says on stderr where it listens. Its
// stderr goes to a file, not a pipe, so that it never blocks writing while the test is busy.
class Server
{
public:
    Server() = default;
    ~Server();
    Server(const Server &) = delete;
    Server &operator=(const Server &) = delete;

    // Starts it and waits until its stderr matches `ready`, whose first capture is the port.
    bool start(const QString &program, const QStringList &args, const QRegularExpression &ready,
               QString *error, int timeoutMs = 20'000);
    quint16 port() const { return m_port; }
    bool running() const { return m_process.state() != QProcess::NotRunning; }
    // SIGKILL, then waits for it to end.
    void kill9();
    // SIGTERM, then waits for it to end; false if it had to be killed.
    bool terminate(int timeoutMs = 15'000);
    // Everything it has written on stderr so far.
    QByteArray log() const;

private:
    // Only the child holds the log open: this process opens it only to read it.
    QString logPath() const { return m_logDir.filePath(QStringLiteral("stderr.log")); }

    QProcess m_process;
    QTemporaryDir m_logDir;
    quint16 m_port = 0;
};

// `tenantrelay-sim --port 0` answering after `latencyMs`.
bool startSimulator(Server &sim, int latencyMs, QString *error);
// `tenantrelay --db DB serve --listen 127.0.0.1:0 --workers 2`, started and answering /healthz.
bool startRelay(Server &relay, const QString &db, QString *error);

// The README's set-up through admin commands on `db`: an upstream `sim` at the simulator on
// `simPort` (with --max-connections when `maxConnections` > 0) and a tenant `tenantId`, whose key
// goes to *key. False with *error naming the command that failed.
bool addSimUpstreamAndTenant(const QString &db, quint16 simPort, int maxConnections,
                             const QString &tenantId, QString *key, QString *error);

// The chat request every client sends, and its headers with a tenant key.
QByteArray chatBody();

// `PRAGMA integrity_check` of a database file, read in this process: "ok", or what is wrong.
QString integrityCheck(const QString &path);
// The request_id of every usage row of a database file; false with *error when unreadable.
bool meteredRequestIds(const QString &path, QSet<QByteArray> *ids, QString *error);

} // namespace relay::test::mp
