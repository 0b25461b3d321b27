// One database, several real processes: at most one relay serves it, a newer TenantRelay does
// not upgrade it under a live older relay, and `backup` copies it while the relay runs.
#include "TempDir.h"
#include "TestHttpClient.h"

#include <QDateTime>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTest>

#include <sys/stat.h>

namespace {

struct Result
{
    int code = -1;
    QString out;
    QString err;
};

} // namespace

class TestSharing : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void secondRelayIsRefusedNamingTheFirst();
    void relayStartsAtOnceAfterAKill();
    void olderLiveRelayBlocksTheUpgrade();
    void backupWhileTheRelayServes();

private:
    Result cli(const QStringList &args);
    // Starts `serve` on this test's database and returns its port (0 when it did not start).
    quint16 startServe(QProcess &p);
    QVariant scalar(const QString &path, const QString &select);

    QString m_bin;
    std::unique_ptr<relay::test::TempDb> m_db;
    std::vector<std::unique_ptr<QProcess>> m_processes;
};

void TestSharing::initTestCase()
{
    m_bin = qEnvironmentVariable("TENANTRELAY_BIN");
    QVERIFY2(QFileInfo(m_bin).isExecutable(), "TENANTRELAY_BIN must name the built binary");
}

void TestSharing::init()
{
    m_db = std::make_unique<relay::test::TempDb>();
}

void TestSharing::cleanup()
{
    for (auto &p : m_processes) {
        p->kill();
        p->waitForFinished(5000);
    }
    m_processes.clear();
}

Result TestSharing::cli(const QStringList &args)
{
    QProcess p;
    p.start(m_bin, QStringList{QStringLiteral("--db"), m_db->path()} + args);
    p.waitForFinished(60000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

quint16 TestSharing::startServe(QProcess &p)
{
    p.start(m_bin, {QStringLiteral("--db"), m_db->path(), QStringLiteral("serve"),
                    QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
                    QStringLiteral("--workers"), QStringLiteral("1")});
    if (!p.waitForStarted())
        return 0;
    const QRegularExpression listening(
        QStringLiteral("listening on http://127\\.0\\.0\\.1:(\\d+)/v1"));
    QString err;
    QRegularExpressionMatch m;
    (void)QTest::qWaitFor(
        [&] {
            p.waitForReadyRead(100);
            err += QString::fromUtf8(p.readAllStandardError());
            m = listening.match(err);
            return m.hasMatch() || p.state() == QProcess::NotRunning;
        },
        20000);
    return m.hasMatch() ? quint16(m.captured(1).toUInt()) : 0;
}

QVariant TestSharing::scalar(const QString &path, const QString &select)
{
    QVariant value;
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("peek"));
        db.setDatabaseName(path);
        if (db.open()) {
            QSqlQuery q(db);
            if (q.exec(select) && q.next())
                value = q.value(0);
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("peek"));
    return value;
}

void TestSharing::secondRelayIsRefusedNamingTheFirst()
{
    QCOMPARE(cli({"tenant", "add", "team-a"}).code, 0);
    auto &first = *m_processes.emplace_back(std::make_unique<QProcess>());
    const quint16 port = startServe(first);
    QVERIFY(port);

    // Limits and budgets would count twice with two relays: the second one says who serves.
    QProcess second;
    second.start(m_bin, {"--db", m_db->path(), "serve", "--listen", "127.0.0.1:0"});
    QVERIFY(second.waitForFinished(20000));
    QCOMPARE(second.exitCode(), 1);
    const QString err = QString::fromUtf8(second.readAllStandardError());
    QVERIFY2(err.contains(QStringLiteral("another relay already serves this database (pid %1, "
                                         "listening on 127.0.0.1:%2)")
                              .arg(first.processId())
                              .arg(port)),
             qPrintable(err));
    // The first one still serves.
    QCOMPARE(relay::test::request(port, "GET", "/healthz").status, 200);

    // Stopped cleanly, it leaves the database to the next relay at once.
    first.terminate();
    QVERIFY(first.waitForFinished(20000));
    QCOMPARE(first.exitCode(), 0);
    auto &next = *m_processes.emplace_back(std::make_unique<QProcess>());
    QVERIFY(startServe(next));
}

void TestSharing::relayStartsAtOnceAfterAKill()
{
    // A relay killed with -9 leaves a fresh heartbeat behind; its process is gone, so a relay
    // restarted at once (as a service manager does) is not refused for the next 10 s.
    auto &first = *m_processes.emplace_back(std::make_unique<QProcess>());
    QVERIFY(startServe(first));
    first.kill();
    QVERIFY(first.waitForFinished(5000));
    auto &next = *m_processes.emplace_back(std::make_unique<QProcess>());
    QVERIFY(startServe(next));
    QCOMPARE(scalar(m_db->path(), QStringLiteral("PRAGMA integrity_check")).toString(),
             QStringLiteral("ok"));
}

void TestSharing::olderLiveRelayBlocksTheUpgrade()
{
    QCOMPARE(cli({"tenant", "add", "team-a"}).code, 0);
    const int current = scalar(m_db->path(), QStringLiteral("PRAGMA user_version")).toInt();
    QVERIFY(current > 3);
    // The database as an older TenantRelay (schema 3) left it, with that relay live: a process
    // of ours stands in for it, with a fresh heartbeat.
    QProcess older;
    older.start(QStringLiteral("sleep"), {QStringLiteral("60")});
    QVERIFY(older.waitForStarted());
    {
        QSqlDatabase db =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("old"));
        db.setDatabaseName(m_db->path());
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("DROP TABLE response_origins")));
        QVERIFY(q.exec(QStringLiteral("DROP INDEX usage_errors_ts")));
        QVERIFY(q.exec(QStringLiteral("DROP INDEX usage_rejected_ts")));
        for (const char *column :
             {"usage.cache_read_tokens", "usage.cache_write_tokens", "prices.cache_read",
              "prices.cache_write", "api_keys.label", "api_keys.expires_at", "tenants.allow_ips"}) {
            const QStringList tc = QString::fromLatin1(column).split(QLatin1Char('.'));
            QVERIFY(q.exec(QStringLiteral("ALTER TABLE %1 DROP COLUMN %2").arg(tc[0], tc[1])));
        }
        QVERIFY(q.exec(QStringLiteral("PRAGMA user_version=3")));
        QVERIFY(
            q.exec(QStringLiteral("INSERT OR REPLACE INTO relay_heartbeat (id, ts, pid, listen) "
                                  "VALUES (1, %1, %2, '127.0.0.1:8700')")
                       .arg(QDateTime::currentMSecsSinceEpoch())
                       .arg(older.processId())));
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("old"));

    const Result blocked = cli({"tenant", "list"});
    QCOMPARE(blocked.code, 1);
    QVERIFY2(blocked.err.contains(QStringLiteral("older TenantRelay serves this database (pid %1, "
                                                 "listening on 127.0.0.1:8700)")
                                      .arg(older.processId())),
             qPrintable(blocked.err));
    QCOMPARE(scalar(m_db->path(), QStringLiteral("PRAGMA user_version")).toInt(), 3);

    // Once it is stopped, the upgrade runs.
    older.kill();
    QVERIFY(older.waitForFinished(5000));
    QCOMPARE(cli({"tenant", "list"}).code, 0);
    QCOMPARE(scalar(m_db->path(), QStringLiteral("PRAGMA user_version")).toInt(), current);
}

void TestSharing::backupWhileTheRelayServes()
{
    const QString key = cli({"tenant", "add", "team-a"}).out.trimmed();
    QVERIFY(key.startsWith(QStringLiteral("sk-tr-")));
    auto &relay = *m_processes.emplace_back(std::make_unique<QProcess>());
    QVERIFY(startServe(relay));
    const QString copy = m_db->dir() + QStringLiteral("/backup.db");
    const Result made = cli({"backup", copy});
    QVERIFY2(made.code == 0, qPrintable(made.err));
    QVERIFY(made.out.isEmpty());
    struct stat st;
    QCOMPARE(stat(QFile::encodeName(copy).constData(), &st), 0);
    QCOMPARE(int(st.st_mode & 0777), 0600);
    QCOMPARE(scalar(copy, QStringLiteral("PRAGMA integrity_check")).toString(),
             QStringLiteral("ok"));
    QCOMPARE(scalar(copy, QStringLiteral("SELECT id FROM tenants")).toString(),
             QStringLiteral("team-a"));
    // The relay's own database is never a backup's target; bad usage is exit 2.
    QCOMPARE(cli({"backup", m_db->path()}).code, 1);
    QCOMPARE(cli({"backup"}).code, 2);
    QCOMPARE(scalar(m_db->path(), QStringLiteral("PRAGMA integrity_check")).toString(),
             QStringLiteral("ok"));
}

QTEST_GUILESS_MAIN(TestSharing)
#include "tst_sharing.moc"
