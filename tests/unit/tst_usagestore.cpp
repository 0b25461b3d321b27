// The usage store at scale: hourly rollups kept by the real usage writer in step with the raw
// rows, reports read from them, retention of raw rows that never touches them, and the shipped
// price list seeded once.

#include "TempDir.h"
#include "UsageRows.h"
#include "billing/PriceList.h"
#include "core/Clock.h"
#include "metrics/LatencyHistogram.h"
#include "store/AdminService.h"
#include "store/Database.h"
#include "store/UsageRollup.h"
#include "store/UsageWriter.h"

#include <QDateTime>
#include <QFile>
#include <QRegularExpression>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTest>

#include <algorithm>
#include <limits>
#include <map>
#include <random>

static void initRelaycoreResources()
{
    Q_INIT_RESOURCE(relaycore);
}

using relay::test::utcMs;

namespace {

constexpr qint64 kHour = 3'600'000;
constexpr qint64 kDay = 24 * kHour;

// A whole table as text rows, for before/after comparisons.
QStringList tableRows(QSqlDatabase &db, const QString &select)
{
    QStringList rows;
    QSqlQuery q(db);
    if (!q.exec(select))
        qWarning() << q.lastError().text();
    while (q.next()) {
        QStringList cells;
        for (int i = 0; i < q.record().count(); ++i)
            cells << q.value(i).toString();
        rows << cells.join(QLatin1Char('|'));
    }
    return rows;
}

qint64 count(QSqlDatabase &db, const QString &select)
{
    QSqlQuery q(db);
    if (!q.exec(select) || !q.next()) {
        qWarning() << q.lastError().text();
        return -1;
    }
    return q.value(0).toLongLong();
}

// Runs a migration script from the resources as Database does: statements split at ";" lines.
bool runScript(QSqlDatabase &db, const QString &resource)
{
    QFile file(resource);
    if (!file.open(QIODevice::ReadOnly))
        return false;
    const QString script = QString::fromUtf8(file.readAll());
    for (const QString &statement :
         script.split(QRegularExpression(QStringLiteral("\\n;\\s*\\n?")), Qt::SkipEmptyParts)) {
        QSqlQuery q(db);
        if (!statement.trimmed().isEmpty() && !q.exec(statement)) {
            qWarning() << q.lastError().text();
            return false;
        }
    }
    return true;
}

} // namespace

class TestUsageStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { initRelaycoreResources(); }
    void init();
    void cleanup();

    void latencyBucketsHoldTheirUpperBound();
    void histogramsMergeAndRoundTrip();
    void rollupAddsEachRowToItsOwnKey();
    void rollupsMatchTheRawRows();
    void reportEqualsTheSumOfRawRows();
    void retentionDeletesOldRawRowsOnly();
    void retentionSettingIsRead();
    void retentionCountsFromTheNewestRow();
    void shippedPricesSeedANewDatabaseOnce();
    void migrationToVersion3KeepsPricesAndRollsUpOldUsage();
    void errorFiltersReadTheirIndexes();

private:
    std::vector<relay::UsageRecord> traffic(qint64 fromMs, int hours, int rows);

    std::unique_ptr<relay::test::TempDb> m_dir;
    std::unique_ptr<relay::Database> m_db;
    std::unique_ptr<relay::ManualClock> m_clock;
};

void TestUsageStore::init()
{
    m_dir = std::make_unique<relay::test::TempDb>();
    m_db = std::make_unique<relay::Database>();
    QString error;
    QVERIFY2(m_db->open(m_dir->path(), &error), qPrintable(error));
    m_clock = std::make_unique<relay::ManualClock>(utcMs(2026, 3, 15, 12));
}

void TestUsageStore::cleanup()
{
    m_db.reset();
    m_clock.reset();
    m_dir.reset();
}

// Mixed traffic over a few tenants, models and upstreams: served, errors, rejected.
std::vector<relay::UsageRecord> TestUsageStore::traffic(qint64 fromMs, int hours, int rows)
{
    std::mt19937 random(7);
    const QStringList tenants{"acme", "bob", "carol"};
    const QStringList models{"gpt-4o-mini", "gpt-4o-2024-08-06", "deepseek-chat"};
    const QStringList upstreams{"openai", "backup"};
    std::vector<relay::UsageRecord> out;
    for (int i = 0; i < rows; ++i) {
        const qint64 ts = fromMs + qint64(random() % quint32(hours * kHour));
        const QString &tenant = tenants.at(int(random() % 3));
        const QString &model = models.at(int(random() % 3));
        if (random() % 10 == 0) {
            out.push_back(relay::test::rejectedRow(ts, tenant, random() % 2 ? 429 : 404, model));
            continue;
        }
        const int status = random() % 15 == 0 ? 502 : 200;
        out.push_back(relay::test::servedRow(ts, tenant, status, random() % 3000, random() % 900,
                                             double(random() % 1000) / 1e5, 1 + random() % 4000,
                                             model, upstreams.at(int(random() % 2))));
    }
    return out;
}

// A duration falls in the first bucket whose upper bound is at or above it; past the last bound
// it falls in +Inf.
void TestUsageStore::latencyBucketsHoldTheirUpperBound()
{
    using H = relay::LatencyHistogram;
    QCOMPARE(H::bucketOf(0), size_t(0));
    QCOMPARE(H::bucketOf(1), size_t(0));
    QCOMPARE(H::bucketOf(2), size_t(1));
    QCOMPARE(H::bucketOf(4), size_t(3)); // 3 < 4 <= 5
    QCOMPARE(H::bucketOf(5), size_t(3));
    QCOMPARE(H::bucketOf(6), size_t(4));
    for (size_t i = 0; i < H::kUpperBoundsMs.size(); ++i) {
        QCOMPARE(H::bucketOf(H::kUpperBoundsMs[i]), i);
        QCOMPARE(H::bucketOf(H::kUpperBoundsMs[i] + 1), i + 1);
    }
    QCOMPARE(H::bucketOf(120'001), H::kBuckets - 1);
    QCOMPARE(H::bucketOf(std::numeric_limits<qint64>::max()), H::kBuckets - 1);
}

void TestUsageStore::histogramsMergeAndRoundTrip()
{
    relay::LatencyHistogram::Counts a;
    relay::LatencyHistogram::Counts b;
    for (const qint64 ms : {0, 1, 7, 30, 31, 999, 250'000})
        a.add(ms);
    for (const qint64 ms : {7, 8, 120'000})
        b.add(ms);
    const QByteArray blobA = a.toBlob();
    QCOMPARE(blobA.size(), qsizetype(relay::LatencyHistogram::kBuckets * 8));
    const relay::LatencyHistogram::Counts back =
        relay::LatencyHistogram::Counts::fromBlob(blobA.constData(), blobA.size());
    QVERIFY(back.buckets == a.buckets);
    QCOMPARE(back.count, quint64(7));

    relay::LatencyHistogram::Counts sum = a;
    sum += b;
    QCOMPARE(sum.count, quint64(10));
    QCOMPARE(sum.buckets[relay::LatencyHistogram::bucketOf(7)], quint64(3));  // 7, 7, 8 in 5-10
    QCOMPARE(sum.buckets[relay::LatencyHistogram::kBuckets - 1], quint64(1)); // over 120 s

    // The same merge in SQL, as the writer's upsert does it.
    QSqlQuery q(m_db->db());
    QVERIFY(q.prepare(QStringLiteral("SELECT relay_hist_merge(?, ?), relay_hist_merge(NULL, ?), "
                                     "relay_hist_merge(NULL, NULL)")));
    q.addBindValue(blobA);
    q.addBindValue(b.toBlob());
    q.addBindValue(b.toBlob());
    QVERIFY2(q.exec() && q.next(), qPrintable(q.lastError().text()));
    const QByteArray merged = q.value(0).toByteArray();
    QVERIFY(relay::LatencyHistogram::Counts::fromBlob(merged.constData(), merged.size()).buckets ==
            sum.buckets);
    QCOMPARE(q.value(1).toByteArray(), b.toBlob());
    QVERIFY(q.value(2).isNull());

    // One sample is its own percentile; a spread lands in the right bucket.
    relay::LatencyHistogram::Counts one;
    one.add(30);
    QCOMPARE(one.percentileMs(0.5), 30.0);
    QCOMPARE(one.percentileMs(0.95), 30.0);
}

// Rows of one key in a row, then another key, then the first again, and keys that differ in
// one part only (the hour, the tenant, the model, the upstream): each row counts under its own.
void TestUsageStore::rollupAddsEachRowToItsOwnKey()
{
    using Key = relay::UsageRollup::Key;
    const qint64 hour = utcMs(2026, 3, 10);
    const QString acme = QStringLiteral("acme"), globex = QStringLiteral("globex");
    const QString mini = QStringLiteral("gpt-4o-mini"), openai = QStringLiteral("openai");
    const std::vector<Key> keys = {
        {hour, acme, mini, openai},         {hour, acme, mini, openai},
        {hour, globex, mini, openai},       {hour, acme, mini, openai},
        {hour + kHour, acme, mini, openai}, {hour, acme, QStringLiteral("gpt-4o"), openai},
        {hour, acme, mini, QString()},      {hour, acme, mini, openai},
    };
    relay::UsageRollup rollup;
    for (size_t i = 0; i < keys.size(); ++i)
        rollup.add(keys[i], false, 200, qint64(1) << i, 0, 0, 10);
    QCOMPARE(rollup.size(), size_t(5));
    const auto &figures = rollup.figures();
    // Each row's prompt tokens are a bit of its own: a key's sum says which rows it got.
    const auto tokensOf = [&](const Key &k) { return figures.at(k).promptTokens; };
    QCOMPARE(tokensOf(keys[0]), qint64(0b10001011));
    QCOMPARE(figures.at(keys[0]).requests, qint64(4));
    QCOMPARE(tokensOf(keys[2]), qint64(0b100));
    QCOMPARE(tokensOf(keys[4]), qint64(0b10000));
    QCOMPARE(tokensOf(keys[5]), qint64(0b100000));
    QCOMPARE(tokensOf(keys[6]), qint64(0b1000000));

    // Cleared (between two batches of the writer): the next row starts the key afresh.
    rollup.clear();
    rollup.add(keys[0], true, 429, 7, 0, 0, 0);
    rollup.add(keys[0], false, 200, 1, 0, 0, 0);
    QCOMPARE(rollup.size(), size_t(1));
    QCOMPARE(rollup.figures().at(keys[0]).promptTokens, qint64(8));
    QCOMPARE(rollup.figures().at(keys[0]).rejected, qint64(1));
    QCOMPARE(rollup.figures().at(keys[0]).requests, qint64(1));
}

void TestUsageStore::rollupsMatchTheRawRows()
{
    const std::vector<relay::UsageRecord> rows = traffic(utcMs(2026, 3, 10), 30, 3000);
    // In several writer batches, so that upserts add to rows of earlier batches.
    for (size_t from = 0; from < rows.size(); from += 700)
        QVERIFY(relay::test::writeUsage(
            m_dir->path(),
            std::vector<relay::UsageRecord>(rows.begin() + qint64(from),
                                            rows.begin() + qint64(qMin(rows.size(), from + 700))),
            *m_clock));
    QCOMPARE(count(m_db->db(), QStringLiteral("SELECT COUNT(*) FROM usage")), qint64(rows.size()));

    // The rollups, recomputed from the raw rows with SQL.
    const QStringList expected =
        tableRows(m_db->db(),
                  QStringLiteral("SELECT ts - ts % 3600000 AS h, tenant_id, COALESCE(served_model, "
                                 "requested_model) AS m, COALESCE(upstream, '') AS u, "
                                 "SUM(outcome = 'served'), SUM(outcome = 'rejected'), "
                                 "SUM(outcome = 'served' AND status >= 400), SUM(prompt_tokens), "
                                 "SUM(completion_tokens), ROUND(SUM(cost_usd), 9) FROM usage "
                                 "GROUP BY h, tenant_id, m, u ORDER BY h, tenant_id, m, u"));
    const QStringList rollups = tableRows(
        m_db->db(),
        QStringLiteral("SELECT hour, tenant_id, model, upstream, requests, rejected, errors, "
                       "prompt_tokens, completion_tokens, ROUND(cost_usd, 9) FROM usage_hourly "
                       "ORDER BY hour, tenant_id, model, upstream"));
    QVERIFY(expected.size() > 100);
    QCOMPARE(rollups, expected);

    // Each histogram counts the served requests of its hour, in their buckets.
    QSqlQuery q(m_db->db());
    QVERIFY(q.exec(QStringLiteral("SELECT hour, tenant_id, model, upstream, latency_hist, "
                                  "requests FROM usage_hourly")));
    int checked = 0;
    while (q.next()) {
        const QByteArray blob = q.value(4).toByteArray();
        const relay::LatencyHistogram::Counts counts =
            relay::LatencyHistogram::Counts::fromBlob(blob.constData(), blob.size());
        QCOMPARE(qint64(counts.count), q.value(5).toLongLong());
        relay::LatencyHistogram::Counts fromRaw;
        for (const relay::UsageRecord &r : rows)
            if (!r.rejected && r.tsMs - r.tsMs % kHour == q.value(0).toLongLong() &&
                r.tenantId == q.value(1).toString() && r.servedModel == q.value(2).toString() &&
                r.upstream == q.value(3).toString())
                fromRaw.add(r.latencyMs);
        QVERIFY(counts.buckets == fromRaw.buckets);
        ++checked;
    }
    QVERIFY(checked > 100);
}

void TestUsageStore::reportEqualsTheSumOfRawRows()
{
    relay::AdminService admin(m_db->db(), *m_clock, QStringLiteral("test"));
    QVERIFY(admin.addTenant(QStringLiteral("acme"), {}).ok);
    // Last month's last day and this month so far.
    const std::vector<relay::UsageRecord> rows = traffic(utcMs(2026, 2, 28), 14 * 24, 4000);
    QVERIFY(relay::test::writeUsage(m_dir->path(), rows, *m_clock));

    const relay::AdminValue<QList<relay::UsageReportRow>> report = admin.usageReport({});
    QVERIFY(report.ok);
    QCOMPARE(report.value.size(), 3);
    for (const relay::UsageReportRow &row : report.value) {
        relay::UsageReportRow sum;
        QList<qint64> latencies;
        for (const relay::UsageRecord &r : rows) {
            if (r.tenantId != row.tenant || r.tsMs < utcMs(2026, 3, 1))
                continue;
            sum.requests += r.rejected ? 0 : 1;
            sum.rejected += r.rejected ? 1 : 0;
            sum.errors += !r.rejected && r.status >= 400 ? 1 : 0;
            sum.promptTokens += r.promptTokens;
            sum.completionTokens += r.completionTokens;
            sum.costUsd += r.costUsd;
            if (!r.rejected)
                latencies << r.latencyMs;
        }
        QVERIFY(sum.requests > 100);
        QCOMPARE(row.requests, sum.requests);
        QCOMPARE(row.rejected, sum.rejected);
        QCOMPARE(row.errors, sum.errors);
        QCOMPARE(row.promptTokens, sum.promptTokens);
        QCOMPARE(row.completionTokens, sum.completionTokens);
        QVERIFY(qAbs(row.costUsd - sum.costUsd) < 1e-9);
        // Percentiles from histograms: inside the bucket of the exact nearest-rank value.
        std::sort(latencies.begin(), latencies.end());
        for (const auto &[p, value] : {std::pair{50, row.p50Ms}, std::pair{95, row.p95Ms}}) {
            QVERIFY(value.has_value());
            const qint64 exact = latencies.at((latencies.size() * p + 99) / 100 - 1);
            const size_t bucket = relay::LatencyHistogram::bucketOf(exact);
            const qint64 lower =
                bucket == 0 ? 0 : relay::LatencyHistogram::kUpperBoundsMs[bucket - 1];
            const qint64 upper = relay::LatencyHistogram::kUpperBoundsMs[bucket];
            QVERIFY2(
                *value >= lower && *value <= upper,
                qPrintable(QStringLiteral("p%1 %2 for exact %3").arg(p).arg(*value).arg(exact)));
        }
        QVERIFY(*row.p50Ms <= *row.p95Ms);
    }
    // tenant list: this month's spend, the same sums.
    for (const relay::TenantRecord &t : admin.listTenants().value)
        QVERIFY(qAbs(t.spentUsd - report.value.at(0).costUsd) < 1e-9);
}

void TestUsageStore::retentionDeletesOldRawRowsOnly()
{
    relay::AdminService admin(m_db->db(), *m_clock, QStringLiteral("test"));
    QVERIFY(admin.setSetting(QStringLiteral("usage_retention_days"), QStringLiteral("30")).ok);
    const qint64 now = m_clock->wallMs();
    // 5,000 rows 40 days old (several deletion slices), 100 rows 29 days old and one from now,
    // written by a writer whose clock is 39 days back, so that none is old for it yet.
    std::vector<relay::UsageRecord> rows = traffic(now - 40 * kDay, 2, 5000);
    const std::vector<relay::UsageRecord> young = traffic(now - 29 * kDay, 1, 100);
    rows.insert(rows.end(), young.begin(), young.end());
    rows.push_back(relay::test::servedRow(now, QStringLiteral("acme"), 200, 1, 1, 0.5, 9));
    relay::ManualClock past(now - 39 * kDay);
    QVERIFY(relay::test::writeUsage(m_dir->path(), rows, past));
    QCOMPARE(count(m_db->db(), QStringLiteral("SELECT COUNT(*) FROM usage")), qint64(5101));
    const QString allRollups =
        QStringLiteral("SELECT * FROM usage_hourly ORDER BY hour, tenant_id, model, upstream");
    const QStringList rollups = tableRows(m_db->db(), allRollups);
    const relay::AdminValue<QList<relay::UsageReportRow>> before =
        admin.usageReport({QString(), QDate(2026, 1, 1)});

    // A writer starting now deletes the old raw rows at once, and nothing else.
    relay::UsageWriter writer(m_dir->path(), 10, *m_clock);
    QString error;
    QVERIFY2(writer.startWriter(&error), qPrintable(error));
    QTRY_COMPARE(writer.retentionPasses(), qint64(1));
    QCOMPARE(writer.rowsExpired(), qint64(5000));
    QCOMPARE(count(m_db->db(), QStringLiteral("SELECT COUNT(*) FROM usage")), qint64(101));
    QCOMPARE(count(m_db->db(), QStringLiteral("SELECT MIN(ts) FROM usage")) >= now - 30 * kDay,
             true);
    QCOMPARE(tableRows(m_db->db(), allRollups), rollups);

    // It keeps writing meanwhile; the next pass comes an hour later by its clock.
    // (The writer looks at its clock after each batch it commits: half an hour on, it commits
    // one and runs no pass.)
    const qint64 later = now + 2 * kDay + kHour;
    m_clock->advance(30 * 60'000);
    writer.record(relay::test::servedRow(later, QStringLiteral("acme"), 200, 1, 1, 0.5, 9));
    writer.flush();
    QCOMPARE(writer.retentionPasses(), qint64(1));
    // Two days on, the 29-day-old rows are over 30 days old: the hourly pass takes them.
    m_clock->advance(later - m_clock->wallMs());
    QTRY_COMPARE(writer.retentionPasses(), qint64(2));
    QCOMPARE(writer.rowsExpired(), qint64(5100));
    QCOMPARE(count(m_db->db(), QStringLiteral("SELECT COUNT(*) FROM usage")), qint64(2));
    writer.stopWriter();

    // Reports and budgets read rollups: unchanged but for the new row.
    const relay::AdminValue<QList<relay::UsageReportRow>> after =
        admin.usageReport({QString(), QDate(2026, 1, 1)});
    QCOMPARE(after.value.size(), before.value.size());
    qint64 requestsBefore = 0;
    qint64 requestsAfter = 0;
    for (int i = 0; i < after.value.size(); ++i) {
        requestsBefore += before.value.at(i).requests;
        requestsAfter += after.value.at(i).requests;
    }
    QCOMPARE(requestsAfter, requestsBefore + 1);
    QCOMPARE(count(m_db->db(), QStringLiteral("SELECT COUNT(*) FROM usage_hourly")),
             qint64(rollups.size()) + 1);
}

void TestUsageStore::retentionCountsFromTheNewestRow()
{
    // A clock far ahead of the rows (set wrong, or a relay idle for months) empties nothing:
    // the period counts back from the newest row.
    const qint64 now = m_clock->wallMs();
    relay::ManualClock past(now - 200 * kDay);
    QVERIFY(relay::test::writeUsage(
        m_dir->path(),
        {relay::test::servedRow(now - 200 * kDay, "acme", 200, 1, 1, 0.1, 5),
         relay::test::servedRow(now - 150 * kDay, "acme", 200, 1, 1, 0.1, 5)},
        past));
    relay::UsageWriter writer(m_dir->path(), 10, *m_clock);
    QString error;
    QVERIFY(writer.startWriter(&error));
    QTRY_COMPARE(writer.retentionPasses(), qint64(1));
    QCOMPARE(writer.rowsExpired(), qint64(0));
    QCOMPARE(count(m_db->db(), QStringLiteral("SELECT COUNT(*) FROM usage")), qint64(2));
}

void TestUsageStore::retentionSettingIsRead()
{
    // Default 90 days: a row 60 days old stays, one 100 days old goes.
    const qint64 now = m_clock->wallMs();
    relay::ManualClock past(now - 100 * kDay);
    QVERIFY(relay::test::writeUsage(
        m_dir->path(),
        {relay::test::servedRow(now - 100 * kDay, "acme", 200, 1, 1, 0.1, 5),
         relay::test::servedRow(now - 60 * kDay, "acme", 200, 1, 1, 0.1, 5),
         relay::test::servedRow(now, "acme", 200, 1, 1, 0.1, 5)},
        past));
    {
        relay::UsageWriter writer(m_dir->path(), 10, *m_clock);
        QString error;
        QVERIFY(writer.startWriter(&error));
        QTRY_COMPARE(writer.retentionPasses(), qint64(1));
        QCOMPARE(writer.rowsExpired(), qint64(1));
    }
    QCOMPARE(count(m_db->db(), QStringLiteral("SELECT COUNT(*) FROM usage")), qint64(2));
    relay::AdminService admin(m_db->db(), *m_clock, QStringLiteral("test"));
    QVERIFY(admin.setSetting(QStringLiteral("usage_retention_days"), QStringLiteral("7")).ok);
    relay::UsageWriter writer(m_dir->path(), 10, *m_clock);
    QString error;
    QVERIFY(writer.startWriter(&error));
    QTRY_COMPARE(writer.retentionPasses(), qint64(1));
    QCOMPARE(writer.rowsExpired(), qint64(1));
    QCOMPARE(count(m_db->db(), QStringLiteral("SELECT COUNT(*) FROM usage")), qint64(1));
    QCOMPARE(count(m_db->db(), QStringLiteral("SELECT SUM(requests) FROM usage_hourly")),
             qint64(3));
}

void TestUsageStore::shippedPricesSeedANewDatabaseOnce()
{
    // The source file, not numbers copied into this test.
    QString error;
    const auto shipped = relay::PriceList::load(qEnvironmentVariable("TENANTRELAY_SOURCE_DIR") +
                                                    QStringLiteral("/resources/pricing.json"),
                                                &error);
    QVERIFY2(shipped, qPrintable(error));
    for (const QString model :
         {"gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-flash", "deepseek-chat"})
        QVERIFY2(std::any_of(shipped->begin(), shipped->end(),
                             [&](const relay::PriceConfig &p) { return p.model == model; }),
                 qPrintable(model));

    relay::AdminService admin(m_db->db(), *m_clock, QStringLiteral("test"));
    QList<relay::PriceRecord> prices = admin.listPrices().value;
    QCOMPARE(prices.size(), qsizetype(shipped->size()));
    for (size_t i = 0; i < shipped->size(); ++i) {
        QCOMPARE(prices.at(qsizetype(i)).model, shipped->at(i).model);
        QCOMPARE(prices.at(qsizetype(i)).input, shipped->at(i).inputPerMTok);
        QCOMPARE(prices.at(qsizetype(i)).output, shipped->at(i).outputPerMTok);
    }

    // Removed and changed prices stay as the user left them when the database opens again.
    QVERIFY(admin.removePrice(QStringLiteral("gpt-4o")).ok);
    QVERIFY(admin.setPrice(QStringLiteral("deepseek-chat"), 0.5, 0.5).ok);
    m_db->close();
    QVERIFY(m_db->open(m_dir->path(), &error));
    relay::AdminService reopened(m_db->db(), *m_clock, QStringLiteral("test"));
    prices = reopened.listPrices().value;
    QCOMPARE(prices.size(), qsizetype(shipped->size()) - 1);
    for (const relay::PriceRecord &p : prices) {
        QVERIFY(p.model != QLatin1String("gpt-4o"));
        if (p.model == QLatin1String("deepseek-chat"))
            QCOMPARE(p.input, 0.5);
    }
}

void TestUsageStore::migrationToVersion3KeepsPricesAndRollsUpOldUsage()
{
    // A database as version 2 left it: the user's own price for gpt-4o, and usage rows.
    m_db.reset();
    const QString path = m_dir->dir() + QStringLiteral("/v2.db");
    {
        QSqlDatabase v2 =
            QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("v2"));
        v2.setDatabaseName(path);
        QVERIFY(v2.open());
        QVERIFY(runScript(v2, QStringLiteral(":/relaycore/migrations/001_initial.sql")));
        QVERIFY(runScript(v2, QStringLiteral(":/relaycore/migrations/002_tenant_limits.sql")));
        QSqlQuery q(v2);
        QVERIFY(q.exec(QStringLiteral("PRAGMA user_version=2")));
        QVERIFY(q.exec(QStringLiteral("INSERT INTO prices VALUES ('gpt-4o', 1.0, 2.0)")));
        const qint64 t = utcMs(2026, 3, 2, 10);
        QVERIFY(q.exec(
            QStringLiteral(
                "INSERT INTO usage (ts, request_id, tenant_id, key_prefix, outcome, endpoint, "
                "requested_model, served_model, upstream, status, prompt_tokens, "
                "completion_tokens, "
                "cost_usd, latency_ms) VALUES "
                "(%1, 'a', 'acme', 'p', 'served', 'chat', 'gpt-4o', 'gpt-4o-x', 'u', 200, 10, 5, "
                "0.25, "
                "40), "
                "(%1 + 1000, 'b', 'acme', 'p', 'served', 'chat', 'gpt-4o', 'gpt-4o-x', 'u', 500, "
                "1, 0, "
                "0, 70), "
                "(%1 + 2000, 'c', 'acme', 'p', 'rejected', 'chat', 'gpt-4o', NULL, NULL, 429, 0, "
                "0, 0, "
                "0)")
                .arg(t)));
        v2.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("v2"));

    relay::Database db;
    QString error;
    QVERIFY2(db.open(path, &error), qPrintable(error));
    QCOMPARE(count(db.db(), QStringLiteral("PRAGMA user_version")),
             qint64(relay::Database::schemaVersion()));
    relay::AdminService admin(db.db(), *m_clock, QStringLiteral("test"));
    for (const relay::PriceRecord &p : admin.listPrices().value)
        if (p.model == QLatin1String("gpt-4o"))
            QCOMPARE(p.output, 2.0);
    QVERIFY(admin.listPrices().value.size() > 5);
    QCOMPARE(tableRows(db.db(), QStringLiteral("SELECT model, upstream, requests, rejected, "
                                               "errors, prompt_tokens, cost_usd FROM "
                                               "usage_hourly ORDER BY model")),
             (QStringList{"gpt-4o||0|1|0|0|0", "gpt-4o-x|u|2|0|1|11|0.25"}));
    const relay::UsageReportRow row = admin.usageReport({}).value.at(0);
    QCOMPARE(row.requests, 2);
    QCOMPARE(row.rejected, 1);
    // The slower one (70 ms) is alone in the 50-75 ms bucket: its upper bound.
    QCOMPARE(row.p95Ms, std::optional<qint64>(75));
}

// The console's request log pages "errors" and "rejected by limits" newest first; each filter
// has a partial index holding exactly its rows, read in order (no sort), from the top or from a
// page's cursor.
void TestUsageStore::errorFiltersReadTheirIndexes()
{
    QVERIFY(relay::test::writeUsage(m_dir->path(), traffic(m_clock->wallMs() - kDay, 24, 3000),
                                    *m_clock));
    QSqlDatabase &db = m_db->db();
    const QList<QPair<QString, QString>> filters{
        {QStringLiteral("status >= 400"), QStringLiteral("usage_errors_ts")},
        {QStringLiteral("outcome = 'rejected'"), QStringLiteral("usage_rejected_ts")}};
    for (const auto &[where, index] : filters) {
        const qint64 rows =
            count(db, QStringLiteral("SELECT COUNT(*) FROM usage WHERE %1").arg(where));
        QVERIFY(rows > 100);
        QCOMPARE(count(db, QStringLiteral("SELECT COUNT(*) FROM usage INDEXED BY %1 WHERE %2")
                               .arg(index, where)),
                 rows);
        for (const QString &cursor :
             {QString(), QStringLiteral(" AND (ts, id) < (%1, 1000000)").arg(m_clock->wallMs())}) {
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("EXPLAIN QUERY PLAN SELECT id, ts, status FROM usage "
                                          "WHERE %1%2 ORDER BY ts DESC, id DESC LIMIT 201")
                               .arg(where, cursor)));
            QString plan;
            while (q.next())
                plan += q.value(3).toString() + QLatin1Char('\n');
            QVERIFY2(plan.contains(index), qPrintable(where + cursor + ": " + plan));
            QVERIFY2(!plan.contains(QLatin1String("TEMP B-TREE")),
                     qPrintable(where + cursor + ": " + plan));
        }
    }
}

QTEST_GUILESS_MAIN(TestUsageStore)
#include "tst_usagestore.moc"
