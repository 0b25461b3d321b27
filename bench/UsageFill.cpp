// Fills a TenantRelay database with usage rows as a busy relay would have written them, with the
// matching hourly rollups, or times the usage writer on an existing database:
//   usage-fill --db PATH [--rows N] [--days D]     N rows (default 10,000,000) over the last D days
//   usage-fill --db PATH --burst N                 N rows through the real UsageWriter, timed
// Prints what it did and how fast, on stdout.

#include "store/AdminService.h"
#include "store/Database.h"
#include "store/SqliteBind.h"
#include "store/UsageRollup.h"
#include "store/UsageWriter.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>

#include <sqlite3.h>

#include <cstdio>
#include <random>

static void initRelaycoreResources()
{
    Q_INIT_RESOURCE(relaycore);
}

namespace {

using relay::UsageRecord;

struct Model
{
    const char *requested;
    const char *name; // as the upstream answers
    const char *upstream;
    const char *backup; // serves about one request in ten (failover)
    double input;       // USD per million tokens
    double output;
};

const Model kModels[] = {
    {"gpt-4o", "gpt-4o-2024-08-06", "openai", "azure", 2.50, 10.0},
    {"gpt-4o-mini", "gpt-4o-mini-2024-07-18", "openai", "azure", 0.15, 0.60},
    {"claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "anthropic", "bedrock", 3.0, 15.0},
    {"deepseek-chat", "deepseek-chat", "deepseek", "openrouter", 0.28, 0.42},
};
const char *const kTenants[] = {"search", "support-bot", "analytics", "batch-jobs", "research"};

// Deterministic traffic: the same arguments give the same database.
class Traffic
{
public:
    UsageRecord next(qint64 tsMs)
    {
        const Model &m = kModels[pick(std::size(kModels))];
        UsageRecord r;
        r.tsMs = tsMs;
        r.requestId = QByteArray::number(++m_count, 16);
        r.tenantId = QString::fromLatin1(kTenants[pick(std::size(kTenants))]);
        r.keyPrefix = QStringLiteral("sk-tr-bench0");
        r.endpoint = "chat";
        r.requestedModel = QString::fromLatin1(m.requested);
        if (pick(100) < 3) { // refused by limits or budget
            r.rejected = true;
            r.status = 429;
            r.latencyMs = 0;
            return r;
        }
        r.servedModel = QString::fromLatin1(m.name);
        r.upstream = QString::fromLatin1(pick(10) == 0 ? m.backup : m.upstream);
        r.status = pick(100) < 2 ? 502 : 200;
        r.promptTokens = 50 + pick(2000);
        r.completionTokens = r.status == 200 ? 10 + pick(800) : 0;
        r.costUsd = (double(r.promptTokens) * m.input + double(r.completionTokens) * m.output) /
                    1'000'000.0;
        r.priced = true;
        r.latencyMs = qint64(std::lognormal_distribution<double>(6.5, 0.6)(m_random));
        r.ttfbMs = r.latencyMs / 3;
        r.streamed = pick(2) == 0;
        return r;
    }

private:
    quint64 pick(quint64 n) { return m_random() % n; }

    std::mt19937_64 m_random{20260301};
    quint64 m_count = 0;
};

bool exec(sqlite3 *handle, const char *sql)
{
    if (sqlite3_exec(handle, sql, nullptr, nullptr, nullptr) == SQLITE_OK)
        return true;
    std::fprintf(stderr, "usage-fill: %s: %s\n", sql, sqlite3_errmsg(handle));
    return false;
}

int fill(relay::Database &db, qint64 rows, int days)
{
    relay::AdminService admin(db.db(), relay::Clock::system(), QStringLiteral("usage-fill"));
    for (const char *tenant : kTenants)
        admin.addTenant(QString::fromLatin1(tenant), {}); // already there on a second fill: fine
    sqlite3 *handle = relay::sqlite::handleOf(db.db());
    // One big transaction without a WAL: a new database needs no undo of its own pages.
    if (!exec(handle, "PRAGMA journal_mode=DELETE") || !exec(handle, "PRAGMA synchronous=OFF") ||
        !exec(handle, "PRAGMA cache_size=-262144") || !exec(handle, "BEGIN"))
        return 1;
    sqlite3_stmt *insert = nullptr;
    if (sqlite3_prepare_v2(handle, relay::UsageWriter::insertSql(), -1, &insert, nullptr) !=
        SQLITE_OK) {
        std::fprintf(stderr, "usage-fill: %s\n", sqlite3_errmsg(handle));
        return 1;
    }
    QElapsedTimer timer;
    timer.start();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 span = qint64(days) * 86'400'000;
    Traffic traffic;
    relay::UsageRollup rollup;
    for (qint64 i = 0; i < rows; ++i) {
        // In time order, as the writer appends them; the newest a minute ago.
        const UsageRecord r = traffic.next(now - 60'000 - span + span * i / rows);
        if (!relay::UsageWriter::insertRow(insert, r)) {
            std::fprintf(stderr, "usage-fill: %s\n", sqlite3_errmsg(handle));
            return 1;
        }
        rollup.add(r);
    }
    sqlite3_finalize(insert);
    if (!rollup.writeTo(handle) || !exec(handle, "COMMIT") ||
        !exec(handle, "PRAGMA journal_mode=WAL"))
        return 1;
    std::printf("usage-fill: %lld usage rows over %d days and %zu hourly rollups in %.1f s\n",
                static_cast<long long>(rows), days, rollup.size(), double(timer.elapsed()) / 1000);
    return 0;
}

// Rows recorded at once and committed by the real writer (as after a burst of traffic): the
// writer's insert rate, rollups, index upkeep and retention check included.
int burst(const QString &path, qint64 rows)
{
    relay::UsageWriter writer(path);
    QString error;
    if (!writer.startWriter(&error)) {
        std::fprintf(stderr, "usage-fill: %s\n", qPrintable(error));
        return 1;
    }
    Traffic traffic;
    std::vector<UsageRecord> records;
    for (qint64 i = 0; i < rows; ++i)
        records.push_back(traffic.next(QDateTime::currentMSecsSinceEpoch()));
    QElapsedTimer timer;
    timer.start();
    for (UsageRecord &r : records)
        writer.record(std::move(r));
    writer.flush();
    const double seconds = double(timer.nsecsElapsed()) / 1e9;
    writer.stopWriter();
    std::printf("usage-fill: %lld rows through the usage writer in %.2f s: %.0f rows/s\n",
                static_cast<long long>(rows), seconds, double(rows) / seconds);
    return 0;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    initRelaycoreResources();
    QString path;
    qint64 rows = 10'000'000;
    qint64 burstRows = 0;
    int days = 90;
    const QStringList args = app.arguments().mid(1);
    for (qsizetype i = 0; i + 1 < args.size(); i += 2) {
        const QString &name = args.at(i);
        const QString &value = args.at(i + 1);
        if (name == QLatin1String("--db"))
            path = value;
        else if (name == QLatin1String("--rows"))
            rows = value.toLongLong();
        else if (name == QLatin1String("--days"))
            days = value.toInt();
        else if (name == QLatin1String("--burst"))
            burstRows = value.toLongLong();
    }
    if (path.isEmpty() || args.size() % 2 != 0 || rows < 1 || days < 1) {
        std::fprintf(stderr, "usage: usage-fill --db PATH [--rows N] [--days D] | --db PATH "
                             "--burst N\n");
        return 2;
    }
    if (burstRows > 0)
        return burst(path, burstRows);
    relay::Database db;
    QString error;
    if (!db.open(path, &error)) {
        std::fprintf(stderr, "usage-fill: %s\n", qPrintable(error));
        return 1;
    }
    return fill(db, rows, days);
}
