// mp-console-reader DB: reads a TenantRelay database as the console's panels do while a relay
// runs elsewhere (the request log newest first, the usage report, tenants, keys, upstreams, the
// audit log), through a connection of its own, until its standard input closes. Like a user who
// opens the console, looks, and closes it again, it reads for a session of about a second, closes
// the database, and opens it again half a second later. Then prints "sessions S reads N failures
// F rows R" on stdout (R: usage rows in its last read) and exits 0 when every open and read
// succeeded, else 1; each failure is named on stderr.
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
    const QString path = QString::fromLocal8Bit(argv[1]);
    std::atomic_bool stop = false;
    std::thread watcher([&stop] {
        char c;
        while (::read(STDIN_FILENO, &c, 1) > 0) {
        }
        stop = true;
    });
    constexpr int kReadsPerSession = 10;
    constexpr int kReadPauseMs = 100;
    constexpr int kClosedMs = 500;
    qint64 sessions = 0;
    qint64 reads = 0;
    qint64 failures = 0;
    qint64 rows = 0;
    QString error;
    const auto fail = [&](const QString &what) {
        ++failures;
        err << "mp-console-reader: session " << sessions << ", read " << reads << ": " << what
            << "\n";
        err.flush();
    };
    while (!stop) {
        ++sessions;
        relay::Database db;
        if (!db.open(path, &error)) {
            fail(error);
        } else {
            relay::AdminService admin(db.db());
            for (int i = 0; i < kReadsPerSession && !stop; ++i) {
                ++reads;
                if (!readRequestLog(db.db(), &rows, &error) || !readPanels(admin, &error))
                    fail(error);
                QThread::msleep(kReadPauseMs);
            }
        }
        db.close();
        for (int waited = 0; waited < kClosedMs && !stop; waited += 50)
            QThread::msleep(50);
    }
    watcher.join();
    QTextStream(stdout) << "sessions " << sessions << " reads " << reads << " failures " << failures
                        << " rows " << rows << "\n";
    return failures == 0 ? 0 : 1;
}
