#include "tenants/ApiKey.h"

#include <QCryptographicHash>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

namespace ApiKey = relay::ApiKey;

namespace {

const QRegularExpression kKeyShape(QStringLiteral("^sk-tr-[0-9A-Za-z]{32,}$"));

} // namespace

class TestApiKey : public QObject
{
    Q_OBJECT

private Q_SLOTS:
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

QTEST_GUILESS_MAIN(TestApiKey)
#include "tst_apikey.moc"
