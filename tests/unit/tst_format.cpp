// The one format for money, counts, milliseconds, times and audit changes that the console and
// the CLI's text tables share (core/Format).
#include "core/Format.h"

#include <QJsonDocument>
#include <QTest>

using namespace relay;

class TestFormat : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void countsAreGroupedNeverExponents()
    {
        const QLocale us(QLocale::English, QLocale::UnitedStates);
        QCOMPARE(Format::count(2'000'000, us), QStringLiteral("2,000,000"));
        QCOMPARE(Format::count(2'500, us), QStringLiteral("2,500"));
        QCOMPARE(Format::count(0, us), QStringLiteral("0"));
        const QLocale de(QLocale::German, QLocale::Germany);
        QCOMPARE(Format::count(2'000'000, de), QStringLiteral("2.000.000"));
        QCOMPARE(Format::number(1234.56, 1, de), QStringLiteral("1.234,6"));
    }

    void theCLocaleGroupsLikeEnglish()
    {
        const QLocale saved;
        QLocale::setDefault(QLocale::c());
        const QString grouped = Format::count(2'000'000);
        QLocale::setDefault(saved);
        QCOMPARE(grouped, QStringLiteral("2,000,000"));
    }

    void moneyHasOneRulePerMagnitude()
    {
        const QLocale us(QLocale::English, QLocale::UnitedStates);
        QCOMPARE(Format::money(1974, us), QStringLiteral("$1,974.00"));
        QCOMPARE(Format::money(0.0098, us), QStringLiteral("$0.0098"));
        QCOMPARE(Format::money(0.01, us), QStringLiteral("$0.0100")); // beside $0.0098
        QCOMPARE(Format::money(0, us), QStringLiteral("$0.00"));
        QCOMPARE(Format::money(0.000015, us), QStringLiteral("$0.000015"));
        QCOMPARE(Format::signedMoney(0.0225, us), QStringLiteral("+$0.0225"));
        QCOMPARE(Format::signedMoney(-0.5, us), QStringLiteral("-$0.5000"));
        QCOMPARE(Format::signedMoney(0, us), QStringLiteral("$0.00"));
        // The locale's decimal mark and grouping, and its place for the symbol.
        const QString de = Format::money(1974.5, QLocale(QLocale::German, QLocale::Germany));
        QVERIFY2(de.contains(QStringLiteral("1.974,50")) && de.contains(QLatin1Char('$')),
                 qPrintable(de));
    }

    void millisecondsAreWholeAndGrouped()
    {
        const QLocale us(QLocale::English, QLocale::UnitedStates);
        QCOMPARE(Format::millis(3000.0, us), QStringLiteral("3,000"));
        QCOMPARE(Format::millis(812.6, us), QStringLiteral("813"));
    }

    void timesNameTheirZone()
    {
        const qint64 ms =
            QDateTime(QDate(2026, 3, 14), QTime(9, 30), QTimeZone::utc()).toMSecsSinceEpoch();
        QCOMPARE(Format::dateTime(ms, QTimeZone::utc()), QStringLiteral("2026-03-14 09:30:00 UTC"));
        // A zone known only by its offset says the offset.
        QCOMPARE(Format::dateTime(ms, QTimeZone(3 * 3600)),
                 QStringLiteral("2026-03-14 12:30:00 UTC+03:00"));
        QCOMPARE(Format::dateTime(ms, QTimeZone(-(5 * 3600 + 1800))),
                 QStringLiteral("2026-03-14 04:00:00 UTC-05:30"));
        // A named zone by its abbreviation, summer time included.
        const QTimeZone berlin("Europe/Berlin");
        if (berlin.isValid()) {
            QCOMPARE(Format::dateTime(ms, berlin), QStringLiteral("2026-03-14 10:30:00 CET"));
            const qint64 july = ms + 120LL * 86'400'000;
            QCOMPARE(Format::dateTime(july, berlin), QStringLiteral("2026-07-12 11:30:00 CEST"));
        }
        // The default is the system's zone, and it is always named.
        QVERIFY(Format::dateTime(ms).size() > QStringLiteral("2026-03-14 09:30:00 ").size());
    }

    void auditChangesReadAsFieldOldNew()
    {
        const auto lines = [](const char *json) {
            return Format::changeLines(QString::fromUtf8(json));
        };
        QCOMPARE(lines(R"({"before":{"id":"acme","rpm":100,"tier":"gold","tpm":null},)"
                       R"("after":{"id":"acme","rpm":2000000,"tier":"gold","tpm":5}})"),
                 (QStringList{"rpm: 100 → 2,000,000", "tpm: none → 5"}));
        // Created and removed things list what they had.
        QCOMPARE(lines(R"({"before":null,"after":{"name":"sim","enabled":true}})"),
                 (QStringList{"enabled: none → yes", "name: none → sim"}));
        QCOMPARE(lines(R"({"before":{"model":"gpt-4o"},"after":null})"),
                 (QStringList{"model: gpt-4o → none"}));
        // A single value (a circuit's state).
        QCOMPARE(lines(R"({"before":"closed","after":"open"})"), (QStringList{"closed → open"}));
        QCOMPARE(lines(R"({"before":{"a":1},"after":{"a":1}})"), (QStringList{"no change"}));
        // Other shapes list their fields; text that is not JSON stays as it is.
        QCOMPARE(lines(R"({"reason":"timeout"})"), (QStringList{"reason: timeout"}));
        QCOMPARE(lines("not json"), (QStringList{"not json"}));
        QCOMPARE(lines(""), QStringList());
    }
};

QTEST_GUILESS_MAIN(TestFormat)
#include "tst_format.moc"
