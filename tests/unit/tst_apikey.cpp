#include "tenants/ApiKey.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QRegularExpression>
#include <QSet>
#include <QTest>
#include <QTimeZone>

namespace ApiKey = relay::ApiKey;

namespace {

const QRegularExpression kKeyShape(QStringLiteral("^sk-tr-[0-9A-Za-z]{32,}$"));

qint64 utcMs(int y, int m, int d, int h = 0, int min = 0)
{
    return QDateTime(QDate(y, m, d), QTime(h, min), QTimeZone::utc()).toMSecsSinceEpoch();
}

constexpr qint64 kDayMs = 86'400'000;

} // namespace

class TestApiKey : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void expiry_data();
    void expiry();

    void generatedShape()
    {
        const QString key = ApiKey::generate();
        QVERIFY2(kKeyShape.match(key).hasMatch(), qPrintable(key));
        QVERIFY(ApiKey::looksValid(key.toUtf8()));
    }

    void prefixIsFirstTwelveCharacters()
    {
        QCOMPARE(ApiKey::kPrefixLength, 12);
        QCOMPARE(ApiKey::prefix(QStringLiteral("sk-tr-0123456789abcdefghijklmnopqrstuvwxyzAB")),
                 QStringLiteral("sk-tr-012345"));
        const QString key = ApiKey::generate();
        QCOMPARE(ApiKey::prefix(key), key.left(12));
        QCOMPARE(ApiKey::prefix(key).size(), 12);
    }

    void hashKnownVectors_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QByteArray>("sha256");
        // Computed with: printf %s 'KEY' | sha256sum
        QTest::newRow("digits and letters")
            << QByteArray("sk-tr-0123456789abcdefghijklmnopqrstuvwxyzAB")
            << QByteArray("5ccc512b1584a092571d8621247feeb58ec28db2a5219c434741c2a36828798a");
        QTest::newRow("test vector")
            << QByteArray("sk-tr-TenantRelayUnitTestVector00000000000000")
            << QByteArray("d7ad7af6ca42dfe8e5962228eced10fe8e4209cfa51ced1f2de43f6052afc84d");
    }
    void hashKnownVectors()
    {
        QFETCH(QByteArray, key);
        QFETCH(QByteArray, sha256);
        QCOMPARE(ApiKey::hash(key), sha256);
    }

    void hashMatchesQtSha256()
    {
        for (int i = 0; i < 20; ++i) {
            const QByteArray key = ApiKey::generate().toUtf8();
            const QByteArray expected =
                QCryptographicHash::hash(key, QCryptographicHash::Sha256).toHex().toLower();
            const QByteArray h = ApiKey::hash(key);
            QCOMPARE(h, expected);
            QCOMPARE(h.size(), 64);
            QCOMPARE(h, h.toLower());
            QVERIFY(!h.contains(key.mid(6)));
        }
    }

    void hashDiffersPerKey()
    {
        QVERIFY(ApiKey::hash("sk-tr-0123456789abcdefghijklmnopqrstuvwxyzAB") !=
                ApiKey::hash("sk-tr-0123456789abcdefghijklmnopqrstuvwxyzAC"));
    }

    void thousandKeysUniqueAndValid()
    {
        QSet<QString> keys;
        QSet<QString> prefixes;
        QSet<QChar> alphabet;
        for (int i = 0; i < 1000; ++i) {
            const QString key = ApiKey::generate();
            QVERIFY2(ApiKey::looksValid(key.toUtf8()), qPrintable(key));
            QVERIFY2(kKeyShape.match(key).hasMatch(), qPrintable(key));
            keys.insert(key);
            prefixes.insert(ApiKey::prefix(key));
            for (qsizetype c = 6; c < key.size(); ++c)
                alphabet.insert(key.at(c));
        }
        QCOMPARE(keys.size(), 1000);
        // 6 random characters in the prefix: collisions among 1000 keys are vanishingly rare, so
        // a prefix identifies its key in listings.
        QCOMPARE(prefixes.size(), 1000);
        // Every base62 character turns up (40,000 draws).
        QCOMPARE(alphabet.size(), 62);
    }

    void looksValid_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<bool>("valid");
        const QByteArray body32(32, 'a');
        QTest::newRow("exactly 32") << "sk-tr-" + body32 << true;
        QTest::newRow("mixed 40") << QByteArray("sk-tr-0123456789abcdefghijklmnopqrstuvwxyzAB")
                                  << true;
        QTest::newRow("31 characters") << "sk-tr-" + QByteArray(31, 'a') << false;
        QTest::newRow("prefix only") << QByteArray("sk-tr-") << false;
        QTest::newRow("empty") << QByteArray() << false;
        QTest::newRow("openai key") << "sk-proj-" + body32 << false;
        QTest::newRow("wrong prefix") << "sk-xx-" + body32 << false;
        QTest::newRow("upper-case prefix") << "SK-TR-" + body32 << false;
        QTest::newRow("no prefix") << QByteArray(40, 'a') << false;
        QTest::newRow("dash inside") << "sk-tr-" + body32 + "-x" << false;
        QTest::newRow("underscore") << "sk-tr-" + body32 + "_" << false;
        QTest::newRow("space") << "sk-tr-" + body32 + " " << false;
        QTest::newRow("newline") << "sk-tr-" + body32 + "\n" << false;
        QTest::newRow("non-ascii") << "sk-tr-" + body32 + "\xc3\xa9" << false;
        QTest::newRow("nul byte") << "sk-tr-" + body32 + QByteArray(1, '\0') << false;
    }
    void looksValid()
    {
        QFETCH(QByteArray, key);
        QFETCH(bool, valid);
        QCOMPARE(ApiKey::looksValid(key), valid);
    }
};

// --expires (interface.md §4): a date ends the key at 00:00 UTC of that day, Nd N × 24 h from now;
// a past day, today (its 00:00 is gone) and anything else is refused with a message.
void TestApiKey::expiry_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("now");
    QTest::addColumn<qint64>("expected"); // -1 = refused
    const qint64 noon = utcMs(2026, 12, 5, 12, 30);
    QTest::newRow("date: next midnight") << "2026-12-06" << noon << utcMs(2026, 12, 6);
    QTest::newRow("date: next year") << "2027-03-01" << noon << utcMs(2027, 3, 1);
    QTest::newRow("date: leap day") << "2028-02-29" << noon << utcMs(2028, 2, 29);
    QTest::newRow("blanks around") << "  2026-12-07 " << noon << utcMs(2026, 12, 7);
    QTest::newRow("30d") << "30d" << noon << noon + 30 * kDayMs;
    QTest::newRow("1d") << "1d" << noon << noon + kDayMs;
    QTest::newRow("36500d") << "36500d" << noon << noon + 36500 * kDayMs;
    QTest::newRow("today is past") << "2026-12-05" << noon << qint64(-1);
    QTest::newRow("today at midnight is past") << "2026-12-05" << utcMs(2026, 12, 5) << qint64(-1);
    QTest::newRow("yesterday") << "2026-12-04" << noon << qint64(-1);
    QTest::newRow("long ago") << "1999-01-01" << noon << qint64(-1);
    QTest::newRow("0d") << "0d" << noon << qint64(-1);
    QTest::newRow("36501d") << "36501d" << noon << qint64(-1);
    QTest::newRow("negative days") << "-3d" << noon << qint64(-1);
    QTest::newRow("no unit") << "30" << noon << qint64(-1);
    QTest::newRow("hours") << "30h" << noon << qint64(-1);
    QTest::newRow("upper-case D") << "30D" << noon << qint64(-1);
    QTest::newRow("no such day") << "2027-02-30" << noon << qint64(-1);
    QTest::newRow("month 13") << "2027-13-01" << noon << qint64(-1);
    QTest::newRow("short date") << "2027-1-1" << noon << qint64(-1);
    QTest::newRow("with time") << "2027-01-01T00:00:00Z" << noon << qint64(-1);
    QTest::newRow("far future") << "9999-12-31" << noon << qint64(-1);
    QTest::newRow("garbage") << "soon" << noon << qint64(-1);
    QTest::newRow("empty") << "" << noon << qint64(-1);
}

void TestApiKey::expiry()
{
    QFETCH(QString, text);
    QFETCH(qint64, now);
    QFETCH(qint64, expected);
    QString error = QStringLiteral("untouched");
    const std::optional<qint64> end = ApiKey::parseExpiry(text, now, &error);
    if (expected < 0) {
        QVERIFY2(!end, qPrintable(QString::number(end.value_or(0))));
        QVERIFY(error != QLatin1String("untouched") && !error.isEmpty());
    } else {
        QCOMPARE(end, std::optional<qint64>(expected));
        QCOMPARE(error, QStringLiteral("untouched"));
    }
}

QTEST_GUILESS_MAIN(TestApiKey)
#include "tst_apikey.moc"
