// mp-console-reader DB: reads a TenantRelay database in a loop through one connection of its
// own, as the console's panels do while a relay runs elsewhere (the request log newest first, the
// usage report, tenants, keys, the audit log), until its standard input closes. Then prints
// "reads N failures F rows R" on stdout (R: usage rows in its last read) and exits 0 when every
// read succeeded, else 1; each failed read is named on stderr.
#include "store/AdminService.h"
#include "store/Database.h"

#include <QCoreApplication>
#include <QSqlError>
#include <QSqlQuery>
#include <QTextStream>
#include <QThread>

#include <atomic>
#include <thread>

#include <unistd.h>

static void initRelaycoreResources()
{
    Q_INIT_RESOURCE(relaycore);
}

namespace {

// One page of the console's request log and the row count under it; false on any error.
bool readRequestLog(QSqlDatabase &db, qint64 *rows, QString *error)
{
    QSqlQuery page(db);
    page.setForwardOnly(true);
    if (!page.exec(QStringLiteral(
            "SELECT id, ts, request_id, tenant_id, key_prefix, outcome, endpoint, "
            "requested_model, served_model, upstream, status, prompt_tokens, completion_tokens, "
            "cost_usd, latency_ms FROM usage ORDER BY ts DESC, id DESC LIMIT 200"))) {
        *error = QStringLiteral("request log: ") + page.lastError().text();
        return false;
    }
    while (page.next()) {
    }
    QSqlQuery count(db);
    if (!count.exec(QStringLiteral("SELECT COUNT(*) FROM usage")) || !count.next()) {
        *error = QStringLiteral("request count: ") + count.lastError().text();
        return false;
    }
    *rows = count.value(0).toLongLong();
    return true;
}

// The admin service's reads, as the console's panels call them; false on the first failure.
bool readPanels(relay::AdminService &admin, QString *error)
{
    const relay::AdminResult results[] = {admin.usageReport({}), admin.listTenants(),
                                          admin.listKeys(), admin.listUpstreams(),
                                          admin.auditLog()};
    for (const relay::AdminResult &r : results) {
        if (!r.ok) {
            *error = r.error;
            return false;
        }
    }
    if (admin.configVersion() < 0) {
        *error = QStringLiteral("config version unreadable");
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    initRelaycoreResources();
    QTextStream err(stderr);
    if (argc != 2) {
        err << "usage: mp-console-reader DB\n";
        return 2;
    }
    relay::Database db;
    QString error;
    if (!db.open(QString::fromLocal8Bit(argv[1]), &error)) {
        err << "mp-console-reader: " << error << "\n";
        return 1;
    }
    std::atomic_bool stop = false;
    std::thread watcher([&stop] {
        char c;
        while (::read(STDIN_FILENO, &c, 1) > 0) {
        }
        stop = true;
    });
    relay::AdminService admin(db.db());
    qint64 reads = 0;
    qint64 failures = 0;
    qint64 rows = 0;
    while (!stop) {
        ++reads;
        if (!readRequestLog(db.db(), &rows, &error) || !readPanels(admin, &error)) {
            ++failures;
            err << "mp-console-reader: read " << reads << ": " << error << "\n";
            err.flush();
        }
        QThread::msleep(100);
    }
    watcher.join();
    QTextStream(stdout) << "reads " << reads << " failures " << failures << " rows " << rows
                        << "\n";
    return failures == 0 ? 0 : 1;
}
