#include "Database.h"

#include "billing/PriceList.h"
#include "store/SqliteBind.h"
#include "store/UsageRollup.h"

#include <QAtomicInteger>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSettings>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace relay {

namespace {

const char *const kMigrations[] = {
    ":/relaycore/migrations/001_initial.sql",
    ":/relaycore/migrations/002_tenant_limits.sql",
    ":/relaycore/migrations/003_budgets_failover.sql",
    ":/relaycore/migrations/004_usage_errors_index.sql",
};

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
    close();
    m_path = path;
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath())) {
        if (error)
            *error = QStringLiteral("cannot create folder %1").arg(info.absolutePath());
        return false;
    }
    // Create the file ourselves so that it never exists with a wider mode than 0600.
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (error)
            *error = QStringLiteral("cannot open database %1: %2")
                         .arg(path, QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    ::fchmod(fd, 0600);
    ::close(fd);

    m_connectionName = nextConnectionName();
    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    m_db.setDatabaseName(path);
    m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=10000"));
    if (!m_db.open()) {
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
    // WAL side files are created by SQLite with the main file's mode; make sure anyway.
    for (const char *suffix : {"-wal", "-shm"}) {
        const QByteArray side = native + suffix;
        ::chmod(side.constData(), 0600);
    }
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
