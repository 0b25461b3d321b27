// The epoll dispatcher's timer queue with time moved by hand: deadlines of each timer type (Precise
// exact, Coarse within 5 % on round boundaries, VeryCoarse on whole seconds), firing order, one
// firing per pass, kills and restarts during a pass, a timer held back while its own event runs,
// and the wait the dispatcher hands to epoll_wait.

#include "core/TimerQueue.h"

#include <QObject>
#include <QTest>

using relay::TimerQueue;

namespace {

constexpr qint64 kMs = 1'000'000;
constexpr qint64 kSecond = 1000 * kMs;
// An arbitrary monotonic "now", not on any round boundary.
constexpr qint64 kStart = 5000 * kSecond + 123'456'789;

// Fires every due timer of one pass; returns their ids in order.
QList<int> firePass(TimerQueue &queue, qint64 now, quint64 pass)
{
    QList<int> ids;
    while (const auto due = queue.takeDue(now, pass)) {
        ids.append(due->id);
        queue.finished(*due, now);
    }
    return ids;
}

} // namespace

class TestTimerQueue : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void preciseTimersFireInDeadlineOrder()
    {
        TimerQueue q;
        QObject o;
        q.add(1, 30, Qt::PreciseTimer, &o, kStart);
        q.add(2, 10, Qt::PreciseTimer, &o, kStart);
        q.add(3, 20, Qt::PreciseTimer, &o, kStart);
        q.add(4, 10, Qt::PreciseTimer, &o, kStart); // same deadline as 2: after it
        QCOMPARE(q.waitMs(kStart), 10);
        QCOMPARE(firePass(q, kStart + 10 * kMs - 1, 1), QList<int>());
        QCOMPARE(firePass(q, kStart + 10 * kMs, 2), QList<int>({2, 4}));
        QCOMPARE(q.waitMs(kStart + 10 * kMs), 10);
        // Late: everything due fires in deadline order, each once.
        QCOMPARE(firePass(q, kStart + 35 * kMs, 3), QList<int>({3, 2, 4, 1}));
        QCOMPARE(firePass(q, kStart + 36 * kMs, 4), QList<int>());
    }

    void preciseTimerKeepsItsBeatAndDropsMissedTicks()
    {
        TimerQueue q;
        QObject o;
        q.add(1, 100, Qt::PreciseTimer, &o, kStart);
        // Fired 7 ms late: the next deadline stays on the original beat.
        QCOMPARE(firePass(q, kStart + 107 * kMs, 1), QList<int>({1}));
        QCOMPARE(q.remainingMs(1, kStart + 107 * kMs), 93);
        // Fired 350 ms late: no burst of missed ticks, the next is an interval from now.
        QCOMPARE(firePass(q, kStart + 550 * kMs, 2), QList<int>({1}));
        QCOMPARE(q.remainingMs(1, kStart + 550 * kMs), 100);
        QCOMPARE(q.remainingMs(1, kStart + 700 * kMs), 0); // overdue
        QCOMPARE(q.remainingMs(99, kStart), -1);
    }

    void coarseTimersMoveAtMostFivePercentOntoRoundBoundaries()
    {
        TimerQueue q;
        QObject o;
        const QList<qint64> intervals = {21, 37, 100, 250, 999, 1000, 4321, 19'999};
        int id = 0;
        for (const qint64 interval : intervals) {
            for (qint64 offset = 0; offset < 2 * kSecond; offset += 7 * kMs + 311) {
                const qint64 now = kStart + offset;
                q.add(++id, interval, Qt::CoarseTimer, &o, now);
                const qint64 exact = now + interval * kMs;
                const qint64 deadline = now + q.remainingMs(id, now) * kMs;
                // remainingMs rounds up to the millisecond.
                QVERIFY2(qAbs(deadline - exact) <= interval * kMs / 20 + kMs,
                         qPrintable(QStringLiteral("interval %1 moved by %2 ns")
                                        .arg(interval)
                                        .arg(deadline - exact)));
                q.remove(id);
            }
        }
        // The boundary chosen is the roundest in reach.
        QCOMPARE(TimerQueue::coarseDeadline(kStart, 1000), 5000 * kSecond + 100 * kMs);
        QCOMPARE(TimerQueue::coarseDeadline(5000 * kSecond + 980 * kMs, 1000), 5001 * kSecond);
        QCOMPARE(TimerQueue::coarseDeadline(5000 * kSecond + 3 * kMs + 400'000, 30),
                 5000 * kSecond + 4 * kMs);
        // Two timers of one interval started 3 ms apart wake the thread once.
        QCOMPARE(TimerQueue::coarseDeadline(kStart + 470 * kMs, 500),
                 TimerQueue::coarseDeadline(kStart + 473 * kMs, 500));
    }

    void coarseTypeFollowsItsInterval()
    {
        TimerQueue q;
        QObject o;
        q.add(1, 20, Qt::CoarseTimer, &o, kStart);
        q.add(2, 21, Qt::CoarseTimer, &o, kStart);
        q.add(3, 20'000, Qt::CoarseTimer, &o, kStart);
        q.add(4, 1500, Qt::VeryCoarseTimer, &o, kStart);
        q.add(5, 200, Qt::VeryCoarseTimer, &o, kStart);
        const auto timers = q.timersOf(&o);
        QCOMPARE(timers.size(), 5);
        QHash<int, QPair<int, Qt::TimerType>> byId;
        for (const auto &t : timers)
            byId.insert(t.timerId, {t.interval, t.timerType});
        QCOMPARE(byId.value(1), qMakePair(20, Qt::PreciseTimer));
        QCOMPARE(byId.value(2), qMakePair(21, Qt::CoarseTimer));
        QCOMPARE(byId.value(3), qMakePair(20'000, Qt::VeryCoarseTimer));
        QCOMPARE(byId.value(4), qMakePair(2000, Qt::VeryCoarseTimer)); // nearest second
        QCOMPARE(byId.value(5), qMakePair(1000, Qt::VeryCoarseTimer)); // at least one
        QObject other;
        QVERIFY(q.timersOf(&other).isEmpty());
    }

    void veryCoarseTimersFireOnWholeSeconds()
    {
        TimerQueue q;
        QObject o;
        // kStart is 0.123 s past a second: the nearest second is 5000, the deadline 5002.
        q.add(1, 2000, Qt::VeryCoarseTimer, &o, kStart);
        QCOMPARE(firePass(q, 5002 * kSecond - 1, 1), QList<int>());
        QCOMPARE(firePass(q, 5002 * kSecond, 2), QList<int>({1}));
        QCOMPARE(q.remainingMs(1, 5002 * kSecond), 2000);
        // Past the half second, the nearest second is the next one.
        q.add(2, 1000, Qt::VeryCoarseTimer, &o, 7000 * kSecond + 600 * kMs);
        QCOMPARE(q.remainingMs(2, 7000 * kSecond + 600 * kMs), 1400);
        // Fired late, it goes back to whole seconds.
        QCOMPARE(firePass(q, 7003 * kSecond + 250 * kMs, 3), QList<int>({1, 2}));
        QCOMPARE(q.remainingMs(1, 7003 * kSecond + 250 * kMs), 1750);
        QCOMPARE(q.remainingMs(2, 7003 * kSecond + 250 * kMs), 750);
    }

    void zeroIntervalTimerFiresOncePerPass()
    {
        TimerQueue q;
        QObject o;
        q.add(1, 0, Qt::PreciseTimer, &o, kStart);
        q.add(2, 0, Qt::CoarseTimer, &o, kStart);
        QCOMPARE(q.waitMs(kStart), 0);
        const auto first = q.takeDue(kStart, 1);
        QVERIFY(first);
        QVERIFY(!first->counts);
        q.finished(*first, kStart);
        QCOMPARE(firePass(q, kStart, 1), QList<int>({2}));
        QCOMPARE(firePass(q, kStart, 2), QList<int>({1, 2}));
    }

    void killAndRestartDuringAPass()
    {
        TimerQueue q;
        QObject o;
        q.add(1, 10, Qt::PreciseTimer, &o, kStart);
        q.add(2, 10, Qt::PreciseTimer, &o, kStart);
        q.add(3, 10, Qt::PreciseTimer, &o, kStart);
        const qint64 now = kStart + 10 * kMs;
        const auto due = q.takeDue(now, 1);
        QCOMPARE(due->id, 1);
        // Timer 1's event kills 2, and restarts 3 under the same id with a longer interval.
        QVERIFY(q.remove(2));
        QVERIFY(q.remove(3));
        q.add(3, 50, Qt::PreciseTimer, &o, now);
        q.finished(*due, now);
        QCOMPARE(firePass(q, now, 1), QList<int>());
        QCOMPARE(firePass(q, now + 49 * kMs, 2), QList<int>({1}));
        QCOMPARE(firePass(q, now + 50 * kMs, 3), QList<int>({3}));
        QVERIFY(!q.remove(2));
        // A timer killing itself in its own event.
        const auto self = q.takeDue(now + 60 * kMs, 4);
        QCOMPARE(self->id, 1);
        QVERIFY(q.remove(1));
        q.finished(*self, now + 60 * kMs);
        QCOMPARE(q.size(), 1);
    }

    void removeAllTakesOnlyThatObjectsTimers()
    {
        TimerQueue q;
        QObject a, b;
        for (int i = 1; i <= 100; ++i)
            q.add(i, i, Qt::PreciseTimer, i % 2 ? &a : &b, kStart);
        QVERIFY(q.removeAll(&a));
        QVERIFY(!q.removeAll(&a));
        QCOMPARE(q.size(), 50);
        QCOMPARE(q.timersOf(&b).size(), 50);
        QList<int> fired = firePass(q, kStart + kSecond, 1);
        QCOMPARE(fired.size(), 50);
        for (int i = 0; i < fired.size(); ++i)
            QCOMPARE(fired[i], 2 * (i + 1)); // in deadline order
    }

    void timerInItsOwnEventIsHeldBack()
    {
        TimerQueue q;
        QObject o;
        q.add(1, 10, Qt::PreciseTimer, &o, kStart);
        q.add(2, 10, Qt::PreciseTimer, &o, kStart);
        const auto outer = q.takeDue(kStart + 10 * kMs, 1);
        QCOMPARE(outer->id, 1);
        // Its event runs a nested loop long enough for it to be due again: only 2 fires there,
        // and the wait is not spent spinning on 1.
        QCOMPARE(firePass(q, kStart + 10 * kMs, 2), QList<int>({2}));
        QCOMPARE(firePass(q, kStart + 25 * kMs, 3), QList<int>({2}));
        QCOMPARE(q.waitMs(kStart + 25 * kMs), 5);
        // Back on its beat once its event returns.
        q.finished(*outer, kStart + 26 * kMs);
        QCOMPARE(q.remainingMs(1, kStart + 26 * kMs), 4);
    }
};

QTEST_GUILESS_MAIN(TestTimerQueue)
#include "tst_timerqueue.moc"
