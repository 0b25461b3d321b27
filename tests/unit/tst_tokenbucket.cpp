// The token bucket under both limits: refill arithmetic exact to the millisecond with a moved
// clock, all-or-nothing takes, refunds capped at capacity, overdraft, and resizing that keeps
// the level.

#include "limits/TokenBucket.h"

#include <QTest>

using relay::TokenBucket;

class TestTokenBucket : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void startsFull()
    {
        TokenBucket b(60, 0);
        QCOMPARE(b.capacity(), 60);
        QCOMPARE(b.level(0), 60);
        QCOMPARE(b.msUntilFull(0), 0);
        QCOMPARE(b.msUntilAvailable(60, 0), 0);
    }

    void refillsCapacityPerMinuteContinuously()
    {
        // 60 rpm: one request a second.
        TokenBucket b(60, 0);
        QVERIFY(b.tryTake(60, 0));
        QCOMPARE(b.level(0), 0);
        QCOMPARE(b.level(999), 0);
        QCOMPARE(b.level(1000), 1);
        QCOMPARE(b.level(30'000), 30);
        QCOMPARE(b.level(60'000), 60);
        QCOMPARE(b.level(600'000), 60); // never past capacity

        // 7 rpm: 7 tokens per 60000 ms, a token every 8571.43 ms.
        TokenBucket odd(7, 0);
        QVERIFY(odd.tryTake(7, 0));
        QCOMPARE(odd.level(8571), 0);
        QCOMPARE(odd.level(8572), 1);
        QCOMPARE(odd.level(59'999), 6);
        QCOMPARE(odd.level(60'000), 7);
    }

    void refillLosesNothingToRounding()
    {
        // Looking at the bucket every millisecond refills exactly as much as looking once.
        TokenBucket often(7, 0);
        TokenBucket once(7, 0);
        QVERIFY(often.tryTake(7, 0));
        QVERIFY(once.tryTake(7, 0));
        for (qint64 t = 1; t <= 17'143; ++t)
            often.level(t);
        QCOMPARE(often.level(17'143), 2);
        QCOMPARE(once.level(17'143), 2);
        QCOMPARE(often.msUntilFull(17'143), once.msUntilFull(17'143));
        QCOMPARE(often.msUntilFull(17'143), 60'000 - 17'143);
    }

    void waitIsExactToTheMillisecond()
    {
        TokenBucket b(7, 0);
        QVERIFY(b.tryTake(7, 0));
        // ceil(60000 / 7) = 8572 ms for one token; 2 tokens need ceil(120000 / 7) = 17143.
        QCOMPARE(b.msUntilAvailable(1, 0), 8572);
        QCOMPARE(b.msUntilAvailable(2, 0), 17'143);
        QVERIFY(!b.tryTake(1, 8571));
        QCOMPARE(b.msUntilAvailable(1, 8571), 1);
        QVERIFY(b.tryTake(1, 8572));
        QCOMPARE(b.msUntilAvailable(0, 8572), 0);

        // tpm 1000: 500 tokens missing take 30 s.
        TokenBucket tpm(1000, 0);
        QVERIFY(tpm.tryTake(800, 0));
        QCOMPARE(tpm.msUntilAvailable(700, 0), 30'000);
        QCOMPARE(tpm.msUntilAvailable(200, 0), 0);
        QCOMPARE(tpm.msUntilAvailable(1000, 0), 48'000);
        QCOMPARE(tpm.msUntilAvailable(1001, 0), -1);
        QCOMPARE(tpm.msUntilFull(0), 48'000);
    }

    void takeIsAllOrNothing()
    {
        TokenBucket b(100, 0);
        QVERIFY(b.tryTake(70, 0));
        QVERIFY(!b.tryTake(31, 0));
        QCOMPARE(b.level(0), 30);
        QVERIFY(b.tryTake(30, 0));
        QCOMPARE(b.level(0), 0);
        QVERIFY(b.tryTake(0, 0));
        QVERIFY(!b.tryTake(101, 1'000'000));
        QCOMPARE(b.level(1'000'000), 100);
    }

    void refundIsCappedAtCapacity()
    {
        TokenBucket b(1000, 0);
        QVERIFY(b.tryTake(600, 0));
        b.adjust(200, 0);
        QCOMPARE(b.level(0), 600);
        b.adjust(5000, 0);
        QCOMPARE(b.level(0), 1000);
        QCOMPARE(b.msUntilFull(0), 0);
        // A full bucket takes no refund at all.
        b.adjust(10, 0);
        QCOMPARE(b.level(0), 1000);
    }

    void overspendGoesBelowZeroAndDelays()
    {
        TokenBucket b(600, 0); // 10 tokens a second
        QVERIFY(b.tryTake(500, 0));
        b.adjust(-300, 0); // used 300 more than reserved
        QCOMPARE(b.level(0), -200);
        QVERIFY(!b.tryTake(0, 0));
        QCOMPARE(b.msUntilAvailable(0, 0), 20'000);
        QCOMPARE(b.msUntilAvailable(100, 0), 30'000);
        QCOMPARE(b.msUntilFull(0), 80'000);
        QCOMPARE(b.level(19'999), -1);
        QCOMPARE(b.level(20'000), 0);
        QCOMPARE(b.level(80'000), 600);
    }

    void resizeKeepsTheLevelCapped()
    {
        TokenBucket b(100, 0);
        QVERIFY(b.tryTake(40, 0)); // 60 left
        b.setCapacity(200, 0);
        QCOMPARE(b.level(0), 60); // not refilled
        QCOMPARE(b.capacity(), 200);
        QCOMPARE(b.level(3000), 70); // refilled at the new rate: 200/min
        b.setCapacity(50, 3000);
        QCOMPARE(b.level(3000), 50); // capped
        QCOMPARE(b.msUntilFull(3000), 0);

        // The level refilled at the old rate up to the change is kept.
        TokenBucket c(60, 0);
        QVERIFY(c.tryTake(60, 0));
        c.setCapacity(120, 10'000);
        QCOMPARE(c.level(10'000), 10);
    }

    void timeGoingBackIsNoTime()
    {
        TokenBucket b(60, 5000);
        QVERIFY(b.tryTake(60, 5000));
        QCOMPARE(b.level(4000), 0);
        QCOMPARE(b.level(6000), 1);
    }

    void hugeValuesDoNotOverflow()
    {
        TokenBucket b(TokenBucket::kMaxCapacity * 10, 0);
        QCOMPARE(b.capacity(), TokenBucket::kMaxCapacity);
        QVERIFY(b.tryTake(TokenBucket::kMaxCapacity, 0));
        b.adjust(-std::numeric_limits<qint64>::max(), 0);
        b.adjust(-std::numeric_limits<qint64>::max(), 0);
        QVERIFY(b.level(0) < 0);
        QVERIFY(b.msUntilFull(0) > 0);
        QVERIFY(b.msUntilAvailable(1, 0) > 0);
        // A very long idle time fills it without overflowing.
        QCOMPARE(b.level(std::numeric_limits<qint64>::max() / 2), TokenBucket::kMaxCapacity);

        TokenBucket zero(0, 0); // a size below 1 is taken as 1
        QCOMPARE(zero.capacity(), 1);
    }
};

QTEST_APPLESS_MAIN(TestTokenBucket)
#include "tst_tokenbucket.moc"
