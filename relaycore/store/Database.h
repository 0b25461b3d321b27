#pragma once

#include <QSqlDatabase>
#include <QString>

namespace relay {

// One QtSql connection to the TenantRelay database, owned by the thread that opened it
// (Qt's rule: a connection is used only on its creating thread). Opening creates the file
// with mode 0600, switches to WAL and applies the numbered migrations.
class Database
{
public:
    Database() = default;
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    bool open(const QString &path, QString *error);
    void close();
    bool isOpen() const { return m_db.isOpen(); }
    QSqlDatabase &db() { return m_db; }
    const QString &path() const { return m_path; }

    // An online, consistent copy of `source` (SQLite's backup API, one read transaction: the
    // relay keeps writing meanwhile) into `file`, mode 0600. The copy is made beside `file` and
    // renamed over it when complete, so `file` is never half written; never the database itself.
    static bool backup(QSqlDatabase &source, const QString &file, QString *error);

    // Schema version this build writes (PRAGMA user_version after migrating).
    static int schemaVersion();

    // The database path from --db, else $TENANTRELAY_DB, else the console's saved setting,
    // else tenantrelay.db in the platform's app-data folder.
    static QString resolvePath(const QString &cliPath);

private:
    bool migrate(QString *error);

    QSqlDatabase m_db;
    QString m_connectionName;
    QString m_path;
};

} // namespace relay
