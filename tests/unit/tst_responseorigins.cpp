// Which upstream created each Responses API response, per tenant, for 30 days: remembered in
// memory for the request path, written to response_origins through the usage writer, restored
// from there by a new relay, and forgotten (memory and database) once 30 days old — time moved
// on a manual clock.

#include "TempDir.h"
#include "core/Clock.h"
#include "proxy/ResponseOrigins.h"
#include "store/Database.h"
#include "store/ResponseOriginStore.h"
#include "store/UsageWriter.h"

#include <QSqlQuery>
#include <QTest>

using namespace relay;

static void initRelaycoreResources()
{
    Q_INIT_RESOURCE(relaycore);
}

namespace {

constexpr qint64 kHour = 3'600'000;
constexpr qint64 kDay = 24 * kHour;

qint64 count(QSqlDatabase &db, const QString &select)
{
    QSqlQuery q(db);
    if (!q.exec(select) || !q.next())
        return -1;
    return q.value(0).toLongLong();
}

// The upstream remembered, empty when none.
QString of(const ResponseOrigins &origins, const QString &tenant, const QString &responseId)
{
    return origins.upstreamOf(tenant, responseId).value_or(QString());
}

} // namespace

class TestResponseOrigins : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { initRelaycoreResources(); }

    void expiresInMemoryAfter30Days()
    {
        ManualClock clock;
        ResponseOrigins origins(clock);
        origins.remember(QStringLiteral("team-a"), QStringLiteral("resp_1"), QStringLiteral("a"));
        QCOMPARE(of(origins, QStringLiteral("team-a"), QStringLiteral("resp_1")),
                 QStringLiteral("a"));
        // Per tenant: another tenant naming the same id learns nothing.
        QCOMPARE(of(origins, QStringLiteral("team-b"), QStringLiteral("resp_1")), QString());
        clock.advance(30 * kDay);
        QCOMPARE(of(origins, QStringLiteral("team-a"), QStringLiteral("resp_1")),
                 QStringLiteral("a"));
        clock.advance(1);
        QCOMPARE(of(origins, QStringLiteral("team-a"), QStringLiteral("resp_1")), QString());
        // The next remember drops what has expired.
        origins.remember(QStringLiteral("team-a"), QStringLiteral("resp_2"), QStringLiteral("b"));
        QCOMPARE(origins.size(), qsizetype(1));
    }

    void storedRestoredAndExpiredWith30Days()
    {
        test::TempDb dir;
        Database db;
        QString error;
        QVERIFY2(db.open(dir.path(), &error), qPrintable(error));
        ManualClock clock;
        const qint64 start = clock.wallMs();
        UsageWriter writer(dir.path(), 10, clock);
        QVERIFY2(writer.startWriter(&error), qPrintable(error));
        QTRY_COMPARE(writer.retentionPasses(), qint64(1)); // the pass at start: nothing to do

        ResponseOrigins origins(clock, &writer);
        origins.remember(QStringLiteral("team-a"), QStringLiteral("resp_old"), QStringLiteral("a"));
        // An id longer than 200 bytes (from an upstream reply) is neither stored nor remembered.
        const QString tooLong = QStringLiteral("resp_") + QString(196, QLatin1Char('x'));
        QVERIFY(ResponseOriginStore::storable(tooLong.left(200)));
        QVERIFY(!ResponseOriginStore::storable(tooLong));
        QVERIFY(!ResponseOriginStore::storable(QString(67, QChar(0x00e9)) +
                                               QString(67, QLatin1Char('x'))));
        origins.remember(QStringLiteral("team-a"), tooLong, QStringLiteral("a"));
        QCOMPARE(of(origins, QStringLiteral("team-a"), tooLong), QString());
        clock.advance(2 * kDay);
        origins.remember(QStringLiteral("team-b"), QStringLiteral("resp_new"), QStringLiteral("b"));
        // The same id created again (another upstream): the newer origin wins.
        origins.remember(QStringLiteral("team-b"), QStringLiteral("resp_new"), QStringLiteral("c"));
        writer.flush();
        QCOMPARE(count(db.db(), QStringLiteral("SELECT COUNT(*) FROM response_origins")),
                 qint64(2));
        // The hourly pass two days on has nothing to delete yet.
        QTRY_COMPARE(writer.retentionPasses(), qint64(2));
        QCOMPARE(writer.originsExpired(), qint64(0));
        QCOMPARE(count(db.db(), QStringLiteral("SELECT MAX(length(response_id)) FROM "
                                               "response_origins")),
                 qint64(8));

        // A relay starting now (a new map) reads them back.
        QList<ResponseOriginRecord> stored =
            ResponseOriginStore::loadRecent(db.db(), clock.wallMs(), 1000, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(stored.size(), 2);
        QCOMPARE(stored[0].responseId, QStringLiteral("resp_new")); // newest first
        QCOMPARE(stored[0].upstream, QStringLiteral("c"));
        QCOMPARE(stored[1].tsMs, start);
        ResponseOrigins restarted(clock);
        restarted.restore(stored);
        QCOMPARE(of(restarted, QStringLiteral("team-a"), QStringLiteral("resp_old")),
                 QStringLiteral("a"));
        QCOMPARE(of(restarted, QStringLiteral("team-b"), QStringLiteral("resp_new")),
                 QStringLiteral("c"));
        QCOMPARE(of(restarted, QStringLiteral("team-a"), QStringLiteral("resp_new")), QString());

        // 30 days and an hour after the first: the writer's hourly retention pass deletes it (and
        // only it), a relay starting now does not load it, and memory forgets it.
        clock.advance(28 * kDay + kHour);
        QTRY_COMPARE(writer.retentionPasses(), qint64(3));
        QCOMPARE(writer.originsExpired(), qint64(1));
        QCOMPARE(count(db.db(), QStringLiteral("SELECT COUNT(*) FROM response_origins")),
                 qint64(1));
        stored = ResponseOriginStore::loadRecent(db.db(), clock.wallMs(), 1000, &error);
        QCOMPARE(stored.size(), 1);
        QCOMPARE(stored[0].responseId, QStringLiteral("resp_new"));
        QCOMPARE(of(restarted, QStringLiteral("team-a"), QStringLiteral("resp_old")), QString());
        QCOMPARE(of(origins, QStringLiteral("team-a"), QStringLiteral("resp_old")), QString());
        QCOMPARE(of(origins, QStringLiteral("team-b"), QStringLiteral("resp_new")),
                 QStringLiteral("c"));

        // Rows older than 30 days are not restored even before a pass has deleted them.
        ResponseOrigins late(clock);
        late.restore({ResponseOriginRecord{clock.wallMs() - 30 * kDay - 1, QStringLiteral("team-a"),
                                           QStringLiteral("resp_stale"), QStringLiteral("a")}});
        QCOMPARE(late.size(), qsizetype(0));
        writer.stopWriter();
    }
};

QTEST_GUILESS_MAIN(TestResponseOrigins)
#include "tst_responseorigins.moc"
