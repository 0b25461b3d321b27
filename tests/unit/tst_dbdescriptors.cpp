// The database is shared by several processes (relay, console, admin commands, backups), so this
// process must never lose its POSIX locks on it: nothing outside SQLite may open (and later
// close) a descriptor of the database, its -wal or its -shm. The guard preloaded into every test
// (tests/fdguard) aborts a process that does; these tests check that it is there and works, and
// that opening the database again in one process, as the relay's threads do, keeps the locks.
#include "TempDir.h"

#include "store/AdminService.h"
#include "store/Database.h"

#include <QSqlQuery>
#include <QtTest>

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace relay;

namespace {

// SQLite's unix locking bytes (os_unix.c): a SHARED lock is a read lock on this range.
constexpr off_t kPendingByte = 0x40000000;
constexpr off_t kSharedFirst = kPendingByte + 2;
constexpr off_t kSharedSize = 510;

// Runs `child` in a forked process and returns how it ended: its exit code, or -signal.
template <typename Fn> int inChild(Fn child)
{
    const pid_t pid = fork();
    if (pid == 0) {
        _exit(child());
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
}

// In a child process: does another process (the parent) hold SQLite's SHARED lock on the file?
// The child opens the file with a raw system call (the guard would rightly refuse it, since
// the child inherited SQLite's descriptors) and only asks, so nothing of the parent changes.
int parentHoldsSharedLock(const QByteArray &path, pid_t parent)
{
    const int fd = int(syscall(SYS_openat, AT_FDCWD, path.constData(), O_RDONLY));
    if (fd < 0)
        return 3;
    struct flock probe = {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    probe.l_start = kSharedFirst;
    probe.l_len = kSharedSize;
    if (fcntl(fd, F_GETLK, &probe) != 0)
        return 4;
    if (probe.l_type == F_UNLCK)
        return 1; // nobody holds it: the parent lost its lock
    return probe.l_pid == parent ? 0 : 2;
}

int fileMode(const QString &path)
{
    struct stat st;
    return stat(QFile::encodeName(path).constData(), &st) == 0 ? int(st.st_mode & 0777) : -1;
}

} // namespace

class TestDbDescriptors : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void guardIsLoaded()
    {
        // CTest preloads the guard into every test; without it this whole class of bug would
        // go unnoticed again.
        QVERIFY2(dlsym(RTLD_DEFAULT, "tenantrelay_fdguard_active"),
                 "tests/fdguard is not preloaded (LD_PRELOAD)");
    }

    void guardStopsADescriptorOpenedBehindSqlite()
    {
        test::TempDb temp;
        const QByteArray path = QFile::encodeName(temp.path());
        const int ended = inChild([&] {
            sqlite3 *db = nullptr;
            if (sqlite3_open_v2(path.constData(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                nullptr) != SQLITE_OK ||
                sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t (x)", nullptr, nullptr,
                             nullptr) != SQLITE_OK)
                return 3;
            const int fd = ::open(path.constData(), O_RDONLY); // what Database::open once did
            return fd >= 0 ? 0 : 4;
        });
        QCOMPARE(ended, -SIGABRT);
    }

    void openingAgainKeepsTheProcessLocks()
    {
        // The relay opens one connection per thread (usage writer, config watcher, alerts); an
        // admin command in another process must still see this process holding the database.
        test::TempDb temp;
        Database writer;
        QString error;
        QVERIFY2(writer.open(temp.path(), &error), qPrintable(error));
        AdminService(writer.db()).addTenant(QStringLiteral("team-a"), {});
        Database watcher;
        QVERIFY2(watcher.open(temp.path(), &error), qPrintable(error));
        Database alerts;
        QVERIFY2(alerts.open(temp.path(), &error), qPrintable(error));
        QSqlQuery(watcher.db()).exec(QStringLiteral("SELECT COUNT(*) FROM tenants"));
        const pid_t self = getpid();
        QCOMPARE(
            inChild([&] { return parentHoldsSharedLock(QFile::encodeName(temp.path()), self); }),
            0);
    }

    void newDatabaseIsPrivate()
    {
        test::TempDb temp;
        Database db;
        QString error;
        QVERIFY2(db.open(temp.path(), &error), qPrintable(error));
        QCOMPARE(fileMode(temp.path()), 0600);
        QCOMPARE(fileMode(temp.path() + QStringLiteral("-wal")), 0600);
        QCOMPARE(fileMode(temp.path() + QStringLiteral("-shm")), 0600);
    }

    void backupIsACompletePrivateCopy()
    {
        test::TempDb temp;
        Database db;
        QString error;
        QVERIFY2(db.open(temp.path(), &error), qPrintable(error));
        AdminService admin(db.db());
        QVERIFY(admin.addTenant(QStringLiteral("team-a"), {}).ok);
        const QString copy = temp.dir() + QStringLiteral("/copy.db");
        const AdminResult made = admin.backup(copy);
        QVERIFY2(made.ok, qPrintable(made.error));
        QCOMPARE(fileMode(copy), 0600);
        QVERIFY(!QFile::exists(copy + QStringLiteral(".partial-") +
                               QString::number(QCoreApplication::applicationPid())));
        Database restored;
        QVERIFY2(restored.open(copy, &error), qPrintable(error));
        QSqlQuery q(restored.db());
        QVERIFY(q.exec(QStringLiteral("PRAGMA integrity_check")) && q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("ok"));
        QVERIFY(q.exec(QStringLiteral("SELECT id FROM tenants")) && q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("team-a"));

        // A second backup replaces the first; the database itself is never a target.
        QVERIFY(admin.addTenant(QStringLiteral("team-b"), {}).ok);
        QVERIFY(admin.backup(copy).ok);
        const AdminResult itself = admin.backup(temp.path());
        QVERIFY(!itself.ok);
        QVERIFY2(itself.error.contains(QStringLiteral("database itself")),
                 qPrintable(itself.error));
    }
};

QTEST_GUILESS_MAIN(TestDbDescriptors)
#include "tst_dbdescriptors.moc"
