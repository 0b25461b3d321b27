// One database, many processes at once, as operators run them: `tenantrelay serve` under load
// from several clients, admin commands looping beside it (reads and writes, backups), a
// console-like reader, then kill -9 mid-load. Afterwards the file is intact, every answer but
// those of the last 100 ms is metered, and every admin change was live within 2 s
// (interface.md §1, §4 "Durability"; design.md "Several processes, one database").
//
// TENANTRELAY_MP_SECONDS sets how long the load runs before the kill (default 30).
#include "Processes.h"
#include "TempDir.h"
#include "TestHttpClient.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>

using namespace relay::test;
using namespace relay::test::mp;

namespace {

// Admin changes must be live within this; they are watched a while longer to measure how late.
constexpr qint64 kLiveWithinMs = 2000;
constexpr qint64 kWatchMs = 5000;
// A kill -9 may lose the requests finished in its last 100 ms (interface.md §4).
constexpr qint64 kKillWindowMs = 100;

int loadSeconds()
{
    bool ok = false;
    const int seconds = qEnvironmentVariableIntValue("TENANTRELAY_MP_SECONDS", &ok);
    return ok && seconds > 0 ? seconds : 30;
}

struct Answer
{
    QByteArray requestId;
    int status = 0;
    qint64 atMs = 0; // wall time the client had the whole answer
};

// What one client saw; written by its thread, read after the thread ended.
struct ClientRecord
{
    QList<Answer> answers;
    int broken = 0; // requests that got no complete answer
};

// One tenant client: request after request on a keep-alive connection (a new one after any
// failure) until `stop`.
void runClient(quint16 port, const QString &key, const std::atomic_bool &stop, ClientRecord *out)
{
    std::unique_ptr<TestHttpClient> client;
    while (!stop) {
        if (!client)
            client = std::make_unique<TestHttpClient>(port);
        qint64 doneAt = 0;
        const QMetaObject::Connection onDone =
            QObject::connect(client.get(), &TestHttpClient::done, [&doneAt] {
                if (doneAt == 0)
                    doneAt = wallMs();
            });
        client->resetResponse();
        client->send("POST", "/v1/chat/completions", chatBody(), TestHttpClient::bearer(key));
        const TestResponse &r = client->response();
        (void)QTest::qWaitFor([&] { return r.complete || r.connectionClosed || stop; }, 10'000);
        QObject::disconnect(onDone);
        if (r.complete)
            out->answers.append({r.header("x-request-id"), r.status, doneAt});
        if (!r.complete || r.connectionClosed) {
            ++out->broken;
            client.reset();
        }
    }
}

// One kind of admin change made again and again, and how long each took to be live.
struct ChangeRecord
{
    QList<qint64> delaysMs; // from the command's exit to the first answer showing the change
    int notLive = 0;        // not shown within kWatchMs
    QStringList failures;   // commands that failed
};

// Probes the relay with `key` every 50 ms until an answer shows the change: the delay from
// `sinceMs`, -1 when none did within kWatchMs, nullopt when `stop` came first.
std::optional<qint64> liveAfter(quint16 port, const QString &key, qint64 sinceMs,
                                const std::function<bool(const TestResponse &)> &shows,
                                const std::atomic_bool &stop)
{
    while (!stop) {
        const TestResponse r = request(port, "POST", "/v1/chat/completions", chatBody(),
                                       TestHttpClient::bearer(key), 3000);
        const qint64 at = wallMs();
        if (shows(r))
            return at - sinceMs;
        if (at - sinceMs >= kWatchMs)
            return -1;
        QThread::msleep(50);
    }
    return std::nullopt;
}

// One change: the admin command to run, and what an answer with which key shows once it is live.
struct Change
{
    QStringList command;
    QString probeKey; // empty: the key the command printed
    std::function<bool(const TestResponse &)> shows;
};

// Runs `next(i)`'s change for i = 0, 1, 2... until `stop`, each time waiting for it to be live.
void runChanges(const QString &db, quint16 port, const std::function<Change(int)> &next,
                const std::atomic_bool &stop, ChangeRecord *out)
{
    for (int i = 0; !stop; ++i) {
        const Change change = next(i);
        const CommandResult r = admin(db, change.command);
        if (r.code != 0) {
            out->failures.append(r.describe(change.command));
            QThread::msleep(200);
            continue;
        }
        const QString key =
            change.probeKey.isEmpty() ? QString::fromUtf8(r.out.trimmed()) : change.probeKey;
        const std::optional<qint64> delay = liveAfter(port, key, r.endedAtMs, change.shows, stop);
        if (!delay)
            break;
        if (*delay < 0)
            ++out->notLive;
        else
            out->delaysMs.append(*delay);
        QThread::msleep(100);
    }
}

// What the admin readers did: command runs, failures, and backups found not intact.
struct ReadRecord
{
    int runs = 0;
    int backups = 0;
    QStringList failures;
};

// Admin reads and backups in a loop until `stop`: `usage --json`, `tenant list --json`,
// `backup FILE` and, where sqlite3 is installed, `sqlite3 DB .backup FILE`; each copy must pass
// integrity_check.
void runReads(const QString &db, const QString &dir, const std::atomic_bool &stop, ReadRecord *out)
{
    const QString sqlite3 = QStandardPaths::findExecutable(QStringLiteral("sqlite3"));
    const auto check = [out](const QStringList &args, const CommandResult &r) {
        ++out->runs;
        if (r.code != 0)
            out->failures.append(r.describe(args));
    };
    for (int i = 0; !stop; ++i) {
        const QString copy = QStringLiteral("%1/copy-%2.db").arg(dir).arg(i);
        if (i % 4 < 2) {
            const QStringList args = i % 4 == 0 ? QStringList{"usage", "--json"}
                                                : QStringList{"tenant", "list", "--json"};
            const CommandResult r = admin(db, args);
            check(args, r);
            if (r.code == 0 && !QJsonDocument::fromJson(r.out).isArray())
                out->failures.append(args.join(' ') +
                                     ": not a JSON array: " + QString::fromUtf8(r.out.left(200)));
        } else if (i % 4 == 2) {
            check({"backup", copy}, admin(db, {"backup", copy}));
        } else if (!sqlite3.isEmpty()) {
            // The sqlite3 shell has no busy handler of its own: without `.timeout` a reader
            // that meets a writer updating the WAL index is told "database is locked".
            const QStringList args{QStringLiteral("-cmd"), QStringLiteral(".timeout 10000"), db,
                                   QStringLiteral(".backup '%1'").arg(copy)};
            check(QStringList{"sqlite3"} + args, run(sqlite3, args));
        }
        if (QFileInfo::exists(copy)) {
            ++out->backups;
            const QString integrity = integrityCheck(copy);
            if (integrity != QStringLiteral("ok"))
                out->failures.append(QStringLiteral("a backup copy's integrity_check: ") +
                                     integrity.left(300));
            QFile::remove(copy);
        }
    }
}

QString summary(const QString &name, const ChangeRecord &c)
{
    QList<qint64> d = c.delaysMs;
    std::sort(d.begin(), d.end());
    const auto at = [&](double q) { return d.isEmpty() ? -1 : d[qsizetype(q * (d.size() - 1))]; };
    return QStringLiteral("%1: %2 live, delay ms min %3 median %4 max %5; %6 not live within "
                          "%7 ms; %8 commands failed")
        .arg(name)
        .arg(d.size())
        .arg(at(0))
        .arg(at(0.5))
        .arg(at(1))
        .arg(c.notLive)
        .arg(kWatchMs)
        .arg(c.failures.size());
}

// Starts `work` on a thread of its own.
std::unique_ptr<QThread> startThread(std::function<void()> work)
{
    std::unique_ptr<QThread> thread(QThread::create(std::move(work)));
    thread->start();
    return thread;
}

} // namespace

class TestSharedDatabaseStress : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void relayAdminLoopsConsoleAndKillNine();
};

void TestSharedDatabaseStress::relayAdminLoopsConsoleAndKillNine()
{
    const int seconds = loadSeconds();
    const TempDb temp;
    const QString db = temp.path();
    QString error;
    Server sim;
    QVERIFY2(startSimulator(sim, 10, &error), qPrintable(error));

    // The configuration, written by admin commands before the relay starts.
    const QStringList setup[] = {
        {"upstream", "add", "sim", "--base-url",
         QStringLiteral("http://127.0.0.1:%1/v1").arg(sim.port()), "--max-connections", "8"},
        {"tenant", "add", "load"},
        {"tenant", "add", "limited", "--rpm", "90000"},
        {"tenant", "add", "toggled"},
        {"tenant", "add", "keyed"},
    };
    QHash<QString, QString> keys;
    for (const QStringList &args : setup) {
        const CommandResult r = admin(db, args);
        QVERIFY2(r.code == 0, qPrintable(r.describe(args)));
        if (args.first() == "tenant")
            keys.insert(args.at(2), QString::fromUtf8(r.out.trimmed()));
    }

    Server relay;
    QVERIFY2(startRelay(relay, db, &error), qPrintable(error));
    const quint16 port = relay.port();

    QProcess console;
    console.start(consoleReaderBinary(), {db});
    QVERIFY2(console.waitForStarted(), qPrintable(console.errorString()));

    std::atomic_bool stopWriters = false;
    std::atomic_bool stopClients = false;
    std::vector<std::unique_ptr<QThread>> writers;
    std::vector<std::unique_ptr<QThread>> others;

    constexpr int kClients = 4;
    std::array<ClientRecord, kClients> clients;
    for (ClientRecord &c : clients)
        others.push_back(
            startThread([&, out = &c] { runClient(port, keys.value("load"), stopClients, out); }));

    ChangeRecord rpm, toggle, issued;
    const QString limitedKey = keys.value("limited");
    writers.push_back(startThread([&] {
        runChanges(
            db, port,
            [&](int i) {
                const QByteArray value = i % 2 == 0 ? "90001" : "90000";
                return Change{{"tenant", "set", "limited", "--rpm", QString::fromLatin1(value)},
                              limitedKey,
                              [value](const TestResponse &r) {
                                  return r.header("x-ratelimit-limit-requests") == value;
                              }};
            },
            stopWriters, &rpm);
    }));
    const QString toggledKey = keys.value("toggled");
    writers.push_back(startThread([&] {
        runChanges(
            db, port,
            [&](int i) {
                const bool disable = i % 2 == 0;
                return Change{
                    {"tenant", "set", "toggled", disable ? "--disable" : "--enable"},
                    toggledKey,
                    [disable](const TestResponse &r) { return r.status == (disable ? 401 : 200); }};
            },
            stopWriters, &toggle);
    }));
    writers.push_back(startThread([&] {
        runChanges(
            db, port,
            [](int) {
                return Change{{"key", "issue", "keyed"}, QString(), [](const TestResponse &r) {
                                  return r.status == 200;
                              }};
            },
            stopWriters, &issued);
    }));
    ReadRecord reads;
    others.push_back(startThread([&] { runReads(db, temp.dir(), stopClients, &reads); }));

    const qint64 startedAt = wallMs();
    QTest::qWait(seconds * 1000);
    // Mid-load: the clients, the readers, the console and the admin commands still running.
    stopWriters = true;
    const qint64 killedAt = wallMs();
    relay.kill9();
    QTest::qWait(300);
    stopClients = true;
    for (auto &thread : writers)
        QVERIFY(thread->wait(60'000));
    for (auto &thread : others)
        QVERIFY(thread->wait(60'000));
    console.closeWriteChannel();
    QVERIFY(console.waitForFinished(30'000));
    sim.terminate();
    const qint64 endedAt = wallMs();

    // Every process has ended: the file as anyone opening it now finds it.
    const QString integrity = integrityCheck(db);
    QSet<QByteArray> metered;
    QString usageError;
    const bool usageRead = meteredRequestIds(db, &metered, &usageError);
    int answered = 0, mustHave = 0, lostEarly = 0, lostLate = 0, broken = 0;
    QStringList missing;
    for (const ClientRecord &c : clients) {
        broken += c.broken;
        for (const Answer &a : c.answers) {
            if (a.status != 200)
                continue;
            ++answered;
            const bool inTable = metered.contains(a.requestId);
            if (a.atMs < killedAt - kKillWindowMs) {
                ++mustHave;
                if (!inTable) {
                    ++lostEarly;
                    if (missing.size() < 5)
                        missing.append(QStringLiteral("%1 (answered %2 ms before the kill)")
                                           .arg(QString::fromLatin1(a.requestId))
                                           .arg(killedAt - a.atMs));
                }
            } else if (!inTable) {
                ++lostLate;
            }
        }
    }
    const QByteArray consoleOut = console.readAllStandardOutput().trimmed();
    const QByteArray consoleErr = console.readAllStandardError().trimmed();

    qInfo("ran %lld ms of load (%d s asked), then kill -9; %lld ms in all",
          qlonglong(killedAt - startedAt), seconds, qlonglong(endedAt - startedAt));
    qInfo("integrity_check: %s", qPrintable(integrity.left(2000)));
    if (!usageRead)
        qInfo("the usage table cannot be read: %s", qPrintable(usageError));
    qInfo("metering: %d answered (200), %d of them more than %lld ms before the kill: %d metered, "
          "%d missing; %d of the last %lld ms not metered; %d requests without a whole answer; "
          "%lld usage rows in all",
          answered, mustHave, qlonglong(kKillWindowMs), mustHave - lostEarly, lostEarly, lostLate,
          qlonglong(kKillWindowMs), broken, qlonglong(metered.size()));
    if (!missing.isEmpty())
        qInfo("  missing, e.g.: %s", qPrintable(missing.join(QStringLiteral("; "))));
    qInfo("admin changes (live means seen by the relay's answers):");
    qInfo("  %s", qPrintable(summary(QStringLiteral("tenant set --rpm"), rpm)));
    qInfo("  %s", qPrintable(summary(QStringLiteral("tenant set --disable/--enable"), toggle)));
    qInfo("  %s", qPrintable(summary(QStringLiteral("key issue"), issued)));
    qInfo("admin reads: %d commands, %d backup copies checked, %lld failures; sqlite3 .backup: %s",
          reads.runs, reads.backups, qlonglong(reads.failures.size()),
          QStandardPaths::findExecutable(QStringLiteral("sqlite3")).isEmpty()
              ? "sqlite3 is not on PATH, skipped"
              : "run");
    for (const QStringList *failures :
         {&rpm.failures, &toggle.failures, &issued.failures, &reads.failures}) {
        for (const QString &failure : failures->mid(0, 3))
            qInfo("  failed: %s", qPrintable(failure.left(300)));
        if (failures->size() > 3)
            qInfo("  (and %lld more like these)", qlonglong(failures->size() - 3));
    }
    qInfo("console reader: exit %d, %s %s", console.exitCode(), consoleOut.constData(),
          consoleErr.left(600).constData());

    QCOMPARE(integrity, QStringLiteral("ok"));
    QVERIFY2(usageRead, qPrintable(usageError));
    QVERIFY2(mustHave >= 100, "the load was too light to tell anything");
    QVERIFY2(lostEarly == 0, "answered requests are missing from usage (see above)");
    for (const ChangeRecord *c : {&rpm, &toggle, &issued}) {
        QVERIFY2(c->delaysMs.size() + c->notLive >= 2, "too few admin changes were watched");
        QCOMPARE(c->notLive, 0);
        QVERIFY2(*std::max_element(c->delaysMs.begin(), c->delaysMs.end()) <= kLiveWithinMs,
                 "an admin change took more than 2 s to be live (see above)");
        QVERIFY2(c->failures.isEmpty(), qPrintable(c->failures.value(0)));
    }
    QVERIFY2(reads.failures.isEmpty(), qPrintable(reads.failures.value(0)));
    QVERIFY2(reads.backups >= 2, "too few backups were made");
    QCOMPARE(console.exitStatus(), QProcess::NormalExit);
    QVERIFY2(console.exitCode() == 0, consoleErr.constData());
}

QTEST_GUILESS_MAIN(TestSharedDatabaseStress)
#include "tst_mp_stress.moc"
