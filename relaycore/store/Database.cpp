#include "Database.h"

#include "billing/PriceList.h"
#include "core/Clock.h"
#include "store/RelayState.h"
#include "store/SqliteBind.h"
#include "store/UsageRollup.h"

#include <QAtomicInteger>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSettings>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>

#include <sqlite3.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace relay {

namespace {

const char *const kMigrations[] = {
    ":/relaycore/migrations/001_initial.sql",
    ":/relaycore/migrations/002_tenant_limits.sql",
    ":/relaycore/migrations/003_budgets_failover.sql",
    ":/relaycore/migrations/004_usage_errors_index.sql",
    ":/relaycore/migrations/005_cache_tokens.sql",
    ":/relaycore/migrations/006_response_origins.sql",
    ":/relaycore/migrations/007_key_controls.sql",
};

// relay_heartbeat exists from this schema on.
constexpr int kFirstVersionWithHeartbeat = 3;

// SQLite's allocator counts the memory it holds, under one process-wide mutex per allocation
// and free, unless told otherwise before its first connection; nothing here reads that count,
// so every connection of the process (the usage writer's most of all) skips the lock. Every
// connection of the process is opened by Database::open, so its first call comes before any
// other use of SQLite, and a thread opening meanwhile waits for it (sqlite3_config may not run
// beside other SQLite calls).
void configureSqliteOnce()
{
    static std::once_flag once;
    std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

QString nextConnectionName()
{
    static QAtomicInteger<quint64> counter;
    return QStringLiteral("tenantrelay-%1").arg(counter.fetchAndAddRelaxed(1));
}

bool exec(QSqlDatabase &db, const QString &sql, QString *error)
{
    QSqlQuery q(db);
    if (!q.exec(sql)) {
        if (error)
            *error = q.lastError().text();
        return false;
    }
    return true;
}

// Schema 3 brings the shipped price list and the hourly rollups. Both are filled once, when a
// database reaches version 3 (new or migrated): a price the user set stays, a price the user
// removes later does not come back, and the usage recorded before keeps counting in reports and
// budgets.
bool seedVersion3(QSqlDatabase &db, QString *error)
{
    const auto prices = PriceList::load(PriceList::kShippedPath, error);
    if (!prices)
        return false;
    QSqlQuery q(db);
    if (!q.prepare(QStringLiteral(
            "INSERT OR IGNORE INTO prices (model, input, output) VALUES (?, ?, ?)"))) {
        *error = q.lastError().text();
        return false;
    }
    for (const PriceConfig &price : *prices) {
        q.addBindValue(price.model);
        q.addBindValue(price.inputPerMTok);
        q.addBindValue(price.outputPerMTok);
        if (!q.exec()) {
            *error = q.lastError().text();
            return false;
        }
    }
    q.finish();

    UsageRollup rollup;
    QSqlQuery rows(db);
    rows.setForwardOnly(true);
    if (!rows.exec(QStringLiteral(
            "SELECT ts, tenant_id, outcome = 'rejected', COALESCE(NULLIF(served_model, ''), "
            "requested_model, ''), COALESCE(upstream, ''), status, prompt_tokens, "
            "completion_tokens, cost_usd, latency_ms FROM usage"))) {
        *error = rows.lastError().text();
        return false;
    }
    while (rows.next()) {
        const qint64 ts = rows.value(0).toLongLong();
        rollup.add({ts - ts % UsageRollup::kHourMs, rows.value(1).toString(),
                    rows.value(3).toString(), rows.value(4).toString()},
                   rows.value(2).toBool(), rows.value(5).toInt(), rows.value(6).toLongLong(),
                   rows.value(7).toLongLong(), rows.value(8).toDouble(),
                   rows.value(9).toLongLong());
    }
    rows.finish();
    sqlite3 *handle = sqlite::handleOf(db);
    if (!rollup.writeTo(handle)) {
        *error = QString::fromUtf8(sqlite3_errmsg(handle));
        return false;
    }
    return true;
}

} // namespace

Database::~Database()
{
    close();
}

int Database::schemaVersion()
{
    return int(std::size(kMigrations));
}

QString Database::resolvePath(const QString &cliPath)
{
    if (!cliPath.isEmpty())
        return cliPath;
    const QString env = qEnvironmentVariable("TENANTRELAY_DB");
    if (!env.isEmpty())
        return env;
    QSettings settings(QStringLiteral("TenantRelay"), QStringLiteral("TenantRelay"));
    const QString saved = settings.value(QStringLiteral("database/path")).toString();
    if (!saved.isEmpty())
        return saved;
    QString dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (dir.isEmpty())
        dir = QDir::homePath() + QStringLiteral("/.local/share/TenantRelay");
    return dir + QStringLiteral("/tenantrelay.db");
}

bool Database::open(const QString &path, QString *error)
{
    configureSqliteOnce();
    close();
    m_path = path;
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath())) {
        if (error)
            *error = QStringLiteral("cannot create folder %1").arg(info.absolutePath());
        return false;
    }
    // SQLite creates the file (and its -wal and -shm) itself: nothing in this process may open
    // or close a descriptor of them behind SQLite's back, because on Linux closing any descriptor
    // of a file drops every POSIX lock the process holds on it, and another process would then
    // checkpoint and delete the WAL under this one (design.md, "Several processes, one
    // database"). So the mode is set with the umask while SQLite creates the file, and by path
    // afterwards, never through a descriptor of our own.
    const QByteArray native = QFile::encodeName(path);
    const bool creating = !info.exists();
    const mode_t previousUmask = creating ? ::umask(0077) : 0;
    m_connectionName = nextConnectionName();
    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    m_db.setDatabaseName(path);
    m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
    const bool opened = m_db.open();
    if (creating)
        ::umask(previousUmask);
    if (!opened) {
        if (error)
            *error =
                QStringLiteral("cannot open database %1: %2").arg(path, m_db.lastError().text());
        close();
        return false;
    }
    QString err;
    if (!UsageRollup::registerFunctions(sqlite::handleOf(m_db))) {
        if (error)
            *error = QStringLiteral("database %1: cannot register its functions").arg(path);
        close();
        return false;
    }
    if (!exec(m_db, QStringLiteral("PRAGMA journal_mode=WAL"), &err) ||
        !exec(m_db, QStringLiteral("PRAGMA synchronous=NORMAL"), &err) ||
        !exec(m_db, QStringLiteral("PRAGMA foreign_keys=ON"), &err) || !migrate(&err)) {
        if (error)
            *error = QStringLiteral("database %1: %2").arg(path, err);
        close();
        return false;
    }
    // A file made by another program keeps no wider mode either; SQLite gives the WAL side
    // files the main file's mode. chmod() works on the path and opens no descriptor.
    for (const char *suffix : {"", "-wal", "-shm"}) {
        const QByteArray file = native + suffix;
        ::chmod(file.constData(), 0600);
    }
    return true;
}

bool Database::backup(QSqlDatabase &source, const QString &file, QString *error)
{
    const QFileInfo target(file);
    const QString sourcePath = QFileInfo(source.databaseName()).canonicalFilePath();
    if (target.exists() && target.canonicalFilePath() == sourcePath) {
        *error = QStringLiteral("%1 is the database itself; name another file").arg(file);
        return false;
    }
    if (target.isDir()) {
        *error = QStringLiteral("%1 is a folder; name a file").arg(file);
        return false;
    }
    const QString partial = QStringLiteral("%1.partial-%2")
                                .arg(target.absoluteFilePath())
                                .arg(QCoreApplication::applicationPid());
    const QByteArray partialName = QFile::encodeName(partial);
    ::unlink(partialName.constData()); // a leftover of an interrupted backup
    sqlite3 *dest = nullptr;
    const mode_t previousUmask = ::umask(0077); // SQLite creates the copy: never wider than 0600
    int rc = sqlite3_open_v2(partialName.constData(), &dest,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    ::umask(previousUmask);
    auto fail = [&](const QString &what) {
        *error = QStringLiteral("cannot write the backup %1: %2").arg(file, what);
        sqlite3_close(dest);
        ::unlink(partialName.constData());
        return false;
    };
    if (rc != SQLITE_OK)
        return fail(QString::fromUtf8(sqlite3_errmsg(dest)));
    sqlite3_busy_timeout(dest, 10'000);
    sqlite3_backup *copy = sqlite3_backup_init(dest, "main", sqlite::handleOf(source), "main");
    if (!copy)
        return fail(QString::fromUtf8(sqlite3_errmsg(dest)));
    // All pages in one step: one read transaction, so the copy is of one moment. A busy source
    // (a writer checkpointing) is waited for, never skipped.
    for (int attempt = 0; attempt < 400; ++attempt) {
        rc = sqlite3_backup_step(copy, -1);
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            break;
        sqlite3_sleep(25);
    }
    sqlite3_backup_finish(copy);
    if (rc != SQLITE_DONE)
        return fail(QString::fromUtf8(sqlite3_errstr(rc)));
    if (sqlite3_close(dest) != SQLITE_OK) {
        dest = nullptr;
        return fail(QStringLiteral("cannot close the copy"));
    }
    dest = nullptr;
    if (::rename(partialName.constData(), QFile::encodeName(target.absoluteFilePath())) != 0)
        return fail(QString::fromLocal8Bit(strerror(errno)));
    return true;
}

void Database::close()
{
    if (m_connectionName.isEmpty())
        return;
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
    m_connectionName.clear();
}

bool Database::migrate(QString *error)
{
    QSqlQuery q(m_db);
    if (!q.exec(QStringLiteral("PRAGMA user_version")) || !q.next()) {
        *error = q.lastError().text();
        return false;
    }
    int version = q.value(0).toInt();
    q.finish();
    if (version > schemaVersion()) {
        *error = QStringLiteral("the database was written by a newer TenantRelay (schema %1, "
                                "this build knows %2)")
                     .arg(version)
                     .arg(schemaVersion());
        return false;
    }
    // A relay of an older TenantRelay that serves this database now would go on writing the old
    // schema into the new one: the upgrade waits until it is stopped.
    if (version >= kFirstVersionWithHeartbeat && version < schemaVersion()) {
        if (const auto older = RelayState::liveRelay(m_db, Clock::system().wallMs())) {
            *error = QStringLiteral("a relay of an older TenantRelay serves this database (%1); "
                                    "stop it first, then start this version to upgrade the "
                                    "database (schema %2 to %3)")
                         .arg(older->describe())
                         .arg(version)
                         .arg(schemaVersion());
            return false;
        }
    }
    while (version < schemaVersion()) {
        QFile file(QString::fromLatin1(kMigrations[version]));
        if (!file.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("missing migration %1").arg(file.fileName());
            return false;
        }
        const QString script = QString::fromUtf8(file.readAll());
        // Take an exclusive lock so two processes starting at once do not both migrate.
        if (!exec(m_db, QStringLiteral("BEGIN IMMEDIATE"), error))
            return false;
        QSqlQuery check(m_db);
        check.exec(QStringLiteral("PRAGMA user_version"));
        const int current = check.next() ? check.value(0).toInt() : version;
        check.finish();
        if (current != version) {
            exec(m_db, QStringLiteral("COMMIT"), error);
            version = current;
            continue;
        }
        const QStringList statements =
            script.split(QRegularExpression(QStringLiteral("\\n;\\s*\\n?")), Qt::SkipEmptyParts);
        for (const QString &statement : statements) {
            if (statement.trimmed().isEmpty())
                continue;
            if (!exec(m_db, statement, error)) {
                exec(m_db, QStringLiteral("ROLLBACK"), nullptr);
                return false;
            }
        }
        if (version + 1 == 3 && !seedVersion3(m_db, error)) {
            exec(m_db, QStringLiteral("ROLLBACK"), nullptr);
            return false;
        }
        if (!exec(m_db, QStringLiteral("PRAGMA user_version=%1").arg(version + 1), error) ||
            !exec(m_db, QStringLiteral("COMMIT"), error)) {
            exec(m_db, QStringLiteral("ROLLBACK"), nullptr);
            return false;
        }
        ++version;
    }
    return true;
}

} // namespace relay
