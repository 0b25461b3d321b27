// The usage writer's rows, field by field: N records handed over become exactly N rows, in
// order, every column as recorded (nulls included), whether the batch goes through the
// multi-row insert, row by row, or both (a batch that is not a whole number of groups), and
// across several batches. And a writer process killed (SIGKILL) while it writes loses none of
// the rows it had committed, and leaves no partial batch: the rows present are a whole prefix
// of what was recorded, each exact.

#include "TempDir.h"

#include "core/Clock.h"
#include "store/Database.h"
#include "store/UsageWriter.h"

#include <QProcess>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTest>

#include <cstdio>

static void initRelaycoreResources()
{
    Q_INIT_RESOURCE(relaycore);
}

namespace {

const char kChildEnv[] = "TR_USAGE_WRITER_CHILD_DB";
constexpr qint64 kStartMs = 1'780'000'000'000;

// Record `i` of a deterministic sequence whose fields all differ from row to row, with every
// optional column both set and unset somewhere.
relay::UsageRecord recordAt(qint64 i)
{
    relay::UsageRecord r;
    r.tsMs = kStartMs + i * 7;
    r.requestId = "req_" + QByteArray::number(i);
    r.tenantId = QStringLiteral("tenant-%1").arg(i % 5);
    r.keyPrefix = i % 4 ? QStringLiteral("sk-tr-%1").arg(i % 3) : QStringLiteral(""); // NOT NULL
    r.rejected = i % 9 == 0;
    r.endpoint = i % 3 ? QByteArray("chat") : QByteArray("messages");
    r.requestedModel = QStringLiteral("model-%1-é").arg(i % 7);
    r.servedModel = i % 6 ? QStringLiteral("model-%1-2024").arg(i % 7) : QString();
    r.upstream = i % 8 ? QStringLiteral("up-%1").arg(i % 2) : QString();
    r.status = r.rejected ? 429 : (i % 11 ? 200 : 502);
    r.promptTokens = i * 3 + 1;
    r.completionTokens = i * 5;
    r.cacheReadTokens = i % 4;
    r.cacheWriteTokens = i % 3;
    r.costUsd = double(i) / 1024.0; // exact in binary
    r.priced = i % 10 != 0;
    r.latencyMs = 100 + i;
    r.ttfbMs = i % 5 ? 10 + i : -1;
    r.streamed = i % 2;
    r.estimated = i % 13 == 0;
    r.error = r.status >= 400 ? QByteArray("upstream_error") : QByteArray();
    return r;
}

// The rows an SQL query gives on the database at `path`, each column as text ("NULL" for null).
QList<QStringList> selectRows(const QString &path, const QString &sql)
{
    relay::Database db;
    QString error;
    QList<QStringList> rows;
    if (!db.open(path, &error))
        return rows;
    QSqlQuery q(db.db());
    if (!q.exec(sql))
        return rows;
    while (q.next()) {
        QStringList row;
        for (int c = 0; c < q.record().count(); ++c)
            row << (q.isNull(c) ? QStringLiteral("NULL") : q.value(c).toString());
        rows << row;
    }
    return rows;
}

// Every row, every column, in id order.
QList<QStringList> tableRows(const QString &path)
{
    return selectRows(
        path,
        QStringLiteral(
            "SELECT id, ts, request_id, tenant_id, key_prefix, outcome, endpoint, "
            "requested_model, served_model, upstream, status, prompt_tokens, completion_tokens, "
            "cost_usd, priced, latency_ms, ttfb_ms, streamed, estimated, error, "
            "cache_read_tokens, cache_write_tokens FROM usage ORDER BY id"));
}

// Row `i` as it must read back (id i + 1).
QStringList expectedRow(qint64 i)
{
    const relay::UsageRecord r = recordAt(i);
    const auto text = [](const QString &s) { return s.isNull() ? QStringLiteral("NULL") : s; };
    const auto bytes = [](const QByteArray &b) {
        return b.isNull() ? QStringLiteral("NULL") : QString::fromUtf8(b);
    };
    return {QString::number(i + 1),
            QString::number(r.tsMs),
            bytes(r.requestId),
            r.tenantId,
            text(r.keyPrefix),
            r.rejected ? QStringLiteral("rejected") : QStringLiteral("served"),
            bytes(r.endpoint),
            r.requestedModel,
            text(r.servedModel),
            text(r.upstream),
            QString::number(r.status),
            QString::number(r.promptTokens),
            QString::number(r.completionTokens),
            QString::number(r.costUsd, 'g', QLocale::FloatingPointShortest),
            QString::number(r.priced ? 1 : 0),
            QString::number(r.latencyMs),
            r.ttfbMs < 0 ? QStringLiteral("NULL") : QString::number(r.ttfbMs),
            QString::number(r.streamed ? 1 : 0),
            QString::number(r.estimated ? 1 : 0),
            bytes(r.error),
            QString::number(r.cacheReadTokens),
            QString::number(r.cacheWriteTokens)};
}

// A new database with its schema, as the relay creates it before its writer starts.
bool createDatabase(const QString &path)
{
    relay::Database db;
    QString error;
    return db.open(path, &error);
}

// The child process: commits `committed` rows, says so on stdout, then keeps the writer busy
// with more batches until it is killed.
int childMain(const QString &path, qint64 committed)
{
    relay::UsageWriter writer(path, 1);
    QString error;
    if (!writer.startWriter(&error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    qint64 i = 0;
    for (; i < committed; ++i)
        writer.record(recordAt(i));
    writer.flush();
    std::printf("committed %lld\n", static_cast<long long>(i));
    std::fflush(stdout);
    for (;;) {
        for (int n = 0; n < 997; ++n, ++i)
            writer.record(recordAt(i));
        if (writer.pending() > 100'000)
            writer.flush();
    }
}

} // namespace

class TestUsageWriterRows : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { initRelaycoreResources(); }

    void everyFieldExact_data()
    {
        QTest::addColumn<int>("rowsPerInsert");
        QTest::addColumn<int>("rows");
        QTest::newRow("one row, groups of 32") << 32 << 1;
        QTest::newRow("one short of a group") << 32 << 31;
        QTest::newRow("one group") << 32 << 32;
        QTest::newRow("a group and one") << 32 << 33;
        QTest::newRow("three groups and some") << 32 << 3 * 32 + 17;
        QTest::newRow("groups of 16") << 16 << 16 * 5 + 3;
        QTest::newRow("row by row") << 1 << 45;
    }
    void everyFieldExact()
    {
        QFETCH(int, rowsPerInsert);
        QFETCH(int, rows);
        relay::test::TempDb dir;
        QVERIFY(createDatabase(dir.path()));
        relay::ManualClock clock(kStartMs);
        {
            relay::UsageWriter writer(dir.path(), 10, clock);
            writer.setRowsPerInsert(rowsPerInsert);
            QString error;
            QVERIFY2(writer.startWriter(&error), qPrintable(error));
            // Handed over at once: as a rule one batch for all of them.
            for (int i = 0; i < rows; ++i)
                writer.record(recordAt(i));
            writer.flush();
            QCOMPARE(writer.rowsWritten(), qint64(rows));
        }
        const QList<QStringList> table = tableRows(dir.path());
        QCOMPARE(table.size(), rows);
        for (int i = 0; i < rows; ++i)
            QCOMPARE(table[i], expectedRow(i));
    }

    // Batches of every size, one after another: rows keep their order and their fields.
    void acrossBatches()
    {
        relay::test::TempDb dir;
        QVERIFY(createDatabase(dir.path()));
        relay::ManualClock clock(kStartMs);
        const int sizes[] = {5, 32, 64, 1, 40, 31, 33};
        int total = 0;
        {
            relay::UsageWriter writer(dir.path(), 10, clock);
            QString error;
            QVERIFY2(writer.startWriter(&error), qPrintable(error));
            for (const int size : sizes) {
                for (int n = 0; n < size; ++n)
                    writer.record(recordAt(total++));
                writer.flush();
                QCOMPARE(writer.rowsWritten(), qint64(total));
            }
        }
        const QList<QStringList> table = tableRows(dir.path());
        QCOMPARE(table.size(), total);
        for (int i = 0; i < total; ++i)
            QCOMPARE(table[i], expectedRow(i));
    }

    // Text columns that repeat from row to row (the writer converts a value once while it
    // repeats), in runs, interrupted by nulls and empty strings, in multi-row statements and
    // row by row: each row reads back with its own values.
    void repeatedTextsAcrossRows_data()
    {
        QTest::addColumn<int>("rowsPerInsert");
        QTest::newRow("groups of 4") << 4;
        QTest::newRow("row by row") << 1;
    }
    void repeatedTextsAcrossRows()
    {
        QFETCH(int, rowsPerInsert);
        const auto texts = [](int i) {
            const QString tenant = (i / 3) % 2 ? QStringLiteral("acme") : QStringLiteral("globex");
            const QString prefix = i % 5 == 4 ? QStringLiteral("") : QStringLiteral("sk-tr-ab");
            const QString requested = i % 7 < 3 ? QStringLiteral("gpt-4o") : QStringLiteral("m-é");
            const QString served = i % 4 == 1 ? QString() : requested + QStringLiteral("-2024");
            const QString upstream = i % 6 == 5 ? QString() : QStringLiteral("openai");
            return QStringList{tenant, prefix, requested, served, upstream};
        };
        relay::test::TempDb dir;
        QVERIFY(createDatabase(dir.path()));
        relay::ManualClock clock(kStartMs);
        constexpr int kRows = 41;
        {
            relay::UsageWriter writer(dir.path(), 10, clock);
            writer.setRowsPerInsert(rowsPerInsert);
            QString error;
            QVERIFY2(writer.startWriter(&error), qPrintable(error));
            for (int i = 0; i < kRows; ++i) {
                relay::UsageRecord r = recordAt(i);
                const QStringList t = texts(i);
                r.tenantId = t[0];
                r.keyPrefix = t[1];
                r.requestedModel = t[2];
                r.servedModel = t[3];
                r.upstream = t[4];
                writer.record(r);
            }
            writer.flush();
        }
        const QList<QStringList> rows =
            selectRows(dir.path(), QStringLiteral("SELECT tenant_id, key_prefix, requested_model, "
                                                  "served_model, upstream FROM usage ORDER BY id"));
        QCOMPARE(rows.size(), kRows);
        for (int i = 0; i < kRows; ++i) {
            QStringList want = texts(i);
            for (QString &text : want) {
                if (text.isNull())
                    text = QStringLiteral("NULL");
            }
            QCOMPARE(rows[i], want);
        }
    }

    // Text a tenant sent that is not valid Unicode (a lone surrogate from a JSON "\ud800"
    // escape) is stored as QString::toUtf8() gives it, the same bytes in the usage row and in
    // the hourly rollup, so the request log and the per-model totals name the same model.
    void invalidUnicodeStoredAsEveryReaderSeesIt()
    {
        relay::test::TempDb dir;
        QVERIFY(createDatabase(dir.path()));
        relay::ManualClock clock(kStartMs);
        const QString odd = QStringLiteral("x") + QChar(0xD800) + QStringLiteral("y");
        const QString tenant = QStringLiteral("t") + QChar(0xDC00) + QStringLiteral("z");
        {
            relay::UsageWriter writer(dir.path(), 10, clock);
            QString error;
            QVERIFY2(writer.startWriter(&error), qPrintable(error));
            relay::UsageRecord r = recordAt(1);
            r.tenantId = tenant;
            r.requestedModel = odd;
            r.servedModel = odd;
            writer.record(r);
            writer.flush();
            QCOMPARE(writer.rowsWritten(), qint64(1));
        }
        // The stored bytes, as hex: what SQLite holds, not what a reader decodes of it.
        const auto hex = [](const QString &text) {
            return QString::fromLatin1(text.toUtf8().toHex().toUpper());
        };
        QCOMPARE(
            selectRows(dir.path(), QStringLiteral("SELECT hex(tenant_id), hex(requested_model), "
                                                  "hex(served_model) FROM usage")),
            (QList<QStringList>{{hex(tenant), hex(odd), hex(odd)}}));
        QCOMPARE(selectRows(dir.path(), QStringLiteral("SELECT COUNT(*) FROM usage u JOIN "
                                                       "usage_hourly h ON h.tenant_id = "
                                                       "u.tenant_id AND h.model = u.served_model "
                                                       "AND h.upstream = u.upstream")),
                 (QList<QStringList>{{QStringLiteral("1")}}));
    }

    // SIGKILL while the writer is writing batch after batch: every row it had committed is
    // there, and what else is there is whole batches of exact rows, in order (no gap, no
    // partial row or batch), and the database is sound.
    void killedWriterKeepsCommittedRows()
    {
        relay::test::TempDb dir;
        QVERIFY(createDatabase(dir.path()));
        constexpr qint64 kCommitted = 1000;
        QProcess child;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QString::fromLatin1(kChildEnv), dir.path());
        child.setProcessEnvironment(env);
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QCoreApplication::applicationFilePath(), {QString::number(kCommitted)});
        QVERIFY(child.waitForStarted());
        QByteArray said;
        while (!said.contains('\n') && child.waitForReadyRead(30'000))
            said += child.readAll();
        QCOMPARE(said.trimmed(), QByteArray("committed ") + QByteArray::number(kCommitted));
        child.kill();
        QVERIFY(child.waitForFinished());

        const QList<QStringList> table = tableRows(dir.path());
        QVERIFY2(table.size() >= kCommitted, qPrintable(QString::number(table.size())));
        for (qsizetype i = 0; i < table.size(); ++i)
            QCOMPARE(table[i], expectedRow(i));
        relay::Database db;
        QString error;
        QVERIFY2(db.open(dir.path(), &error), qPrintable(error));
        QSqlQuery check(db.db());
        QVERIFY(check.exec(QStringLiteral("PRAGMA integrity_check")) && check.next());
        QCOMPARE(check.value(0).toString(), QStringLiteral("ok"));
    }
};

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsSet(kChildEnv)) {
        QCoreApplication app(argc, argv);
        initRelaycoreResources();
        return childMain(qEnvironmentVariable(kChildEnv), app.arguments().value(1).toLongLong());
    }
    QCoreApplication app(argc, argv);
    TestUsageWriterRows test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_usagewriterrows.moc"
