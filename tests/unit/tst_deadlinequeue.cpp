// The deadline queue with time moved by hand: earliest-first firing of each deadline exactly once
// and only when due, disarming from the middle of the heap, moving an armed deadline, deadlines
// and queues destroyed while armed, callbacks that arm and disarm during a pass, nextDueMs(), and
// one pass through a real event loop on the system clock.

#include "core/Clock.h"
#include "core/DeadlineQueue.h"

#include <QEventLoop>
#include <QObject>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <functional>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <vector>

using relay::Clock;
using relay::Deadline;
using relay::DeadlineQueue;
using relay::ManualClock;

namespace {

// The owner of one deadline: logs its id when the deadline fires, then runs its hook if any.
struct Owner
{
    Owner(int ownerId, std::vector<int> *firedLog) : id(ownerId), log(firedLog) {}

    int id;
    std::vector<int> *log;
    std::function<void(Owner &)> onFire;
    int fireCount = 0;
    Deadline deadline{this, [](void *owner) {
                          auto *self = static_cast<Owner *>(owner);
                          ++self->fireCount;
                          self->log->push_back(self->id);
                          if (self->onFire)
                              self->onFire(*self);
                      }};
};

using Owners = std::vector<std::unique_ptr<Owner>>;

Owners makeOwners(int count, std::vector<int> *log)
{
    Owners owners;
    for (int i = 0; i < count; ++i)
        owners.push_back(std::make_unique<Owner>(i, log));
    return owners;
}

// The ids 0 .. count-1 in an order shuffled with `seed`.
std::vector<int> shuffledIds(int count, unsigned seed)
{
    std::vector<int> ids(static_cast<size_t>(count));
    std::iota(ids.begin(), ids.end(), 0);
    std::mt19937 rng(seed);
    std::shuffle(ids.begin(), ids.end(), rng);
    return ids;
}

} // namespace

class TestDeadlineQueue : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void firesEarliestFirstOnceAndOnlyWhenDue()
    {
        ManualClock clock;
        DeadlineQueue queue(clock);
        std::vector<int> log;
        constexpr int kCount = 50;
        Owners owners = makeOwners(kCount, &log);

        // Distinct due times, 7 ms apart, armed in a shuffled order.
        const qint64 base = clock.monotonicMs();
        const std::vector<int> armOrder = shuffledIds(kCount, 20240611);
        auto dueOf = [&](int id) { return base + 100 + 7 * qint64(id); };
        for (int id : armOrder) {
            queue.arm(owners[size_t(id)]->deadline, dueOf(id));
            QVERIFY(owners[size_t(id)]->deadline.isArmed());
            QCOMPARE(owners[size_t(id)]->deadline.dueMs(), dueOf(id));
        }
        QCOMPARE(queue.size(), qsizetype(kCount));
        QCOMPARE(queue.nextDueMs(), dueOf(0));

        // Nothing is due before the earliest deadline.
        QCOMPARE(queue.fireDue(dueOf(0) - 1), 0);
        QVERIFY(log.empty());

        // Move time on in steps of 11 ms (not a multiple of the 7 ms spacing): each pass runs
        // exactly the deadlines that came due since the previous pass, earliest first.
        qint64 previous = dueOf(0) - 1;
        for (qint64 now = previous + 11; now <= dueOf(kCount - 1) + 11; now += 11) {
            const size_t logged = log.size();
            const int fired = queue.fireDue(now);
            QCOMPARE(size_t(fired), log.size() - logged);
            for (size_t i = logged; i < log.size(); ++i) {
                const qint64 due = dueOf(log[i]);
                QVERIFY2(due <= now, "fired before it was due");
                QVERIFY2(due > previous, "not fired in the first pass it was due");
                QVERIFY(!owners[size_t(log[i])]->deadline.isArmed());
            }
            QVERIFY(queue.nextDueMs() == -1 || queue.nextDueMs() > now);
            QCOMPARE(queue.size(), qsizetype(kCount) - qsizetype(log.size()));
            previous = now;
        }

        std::vector<int> expected(kCount);
        for (int i = 0; i < kCount; ++i)
            expected[size_t(i)] = i;
        QCOMPARE(log, expected); // sorted by due time, each exactly once
        for (const auto &owner : owners) {
            QCOMPARE(owner->fireCount, 1);
            QVERIFY(!owner->deadline.isArmed());
        }
        QCOMPARE(queue.size(), qsizetype(0));
        QCOMPARE(queue.nextDueMs(), qint64(-1));
        QCOMPARE(queue.fireDue(dueOf(kCount - 1) + 1'000'000), 0);
        QCOMPARE(log.size(), size_t(kCount));
    }

    void disarmFromTheMiddleOfTheHeap()
    {
        ManualClock clock;
        DeadlineQueue queue(clock);
        std::vector<int> log;
        constexpr int kCount = 60;
        Owners owners = makeOwners(kCount, &log);

        const qint64 base = clock.monotonicMs();
        const std::vector<int> armOrder = shuffledIds(kCount, 77);
        auto dueOf = [&](int id) { return base + 10 + 3 * qint64(id); };
        for (int id : armOrder)
            queue.arm(owners[size_t(id)]->deadline, dueOf(id));

        // Disarm every third deadline, in the (shuffled) arming order so the removals hit the
        // root, leaves and inner nodes alike.
        qsizetype disarmed = 0;
        for (int id : armOrder) {
            if (id % 3 != 1)
                continue;
            queue.disarm(owners[size_t(id)]->deadline);
            QVERIFY(!owners[size_t(id)]->deadline.isArmed());
            ++disarmed;
            QCOMPARE(queue.size(), qsizetype(kCount) - disarmed);
        }
        // Disarming again, or disarming a deadline that was never armed, changes nothing.
        queue.disarm(owners[1]->deadline);
        queue.disarm(owners[1]->deadline);
        Owner neverArmed(-1, &log);
        queue.disarm(neverArmed.deadline);
        QVERIFY(!neverArmed.deadline.isArmed());
        QCOMPARE(queue.size(), qsizetype(kCount) - disarmed);
        QCOMPARE(queue.nextDueMs(), dueOf(0));

        std::vector<int> expected;
        for (int i = 0; i < kCount; ++i) {
            if (i % 3 != 1)
                expected.push_back(i);
        }
        QCOMPARE(queue.fireDue(dueOf(kCount - 1)), int(expected.size()));
        QCOMPARE(log, expected);
        QCOMPARE(queue.size(), qsizetype(0));
        for (int i = 0; i < kCount; ++i)
            QCOMPARE(owners[size_t(i)]->fireCount, i % 3 == 1 ? 0 : 1);
        QCOMPARE(neverArmed.fireCount, 0);

        // A disarmed deadline can be armed again and then fires.
        queue.arm(owners[1]->deadline, dueOf(kCount));
        QCOMPARE(queue.fireDue(dueOf(kCount)), 1);
        QCOMPARE(log.back(), 1);
    }

    void rearmMovesAnArmedDeadline()
    {
        ManualClock clock;
        DeadlineQueue queue(clock);
        std::vector<int> log;
        constexpr int kCount = 20;
        Owners owners = makeOwners(kCount, &log);
        const qint64 base = clock.monotonicMs();
        auto dueOf = [&](int id) { return base + 100 * qint64(id + 1); }; // 100 .. 2000
        for (int id = kCount - 1; id >= 0; --id)
            queue.arm(owners[size_t(id)]->deadline, dueOf(id));

        // 13 moves earlier than everything, 2 moves later than everything, 9 moves a little
        // later (past 10, 11 and 12).
        queue.arm(owners[13]->deadline, base + 50);
        queue.arm(owners[2]->deadline, base + 5000);
        queue.arm(owners[9]->deadline, base + 1350);
        QCOMPARE(queue.size(), qsizetype(kCount)); // moved, not added
        QCOMPARE(owners[13]->deadline.dueMs(), base + 50);
        QCOMPARE(owners[2]->deadline.dueMs(), base + 5000);
        QCOMPARE(queue.nextDueMs(), base + 50);

        QCOMPARE(queue.fireDue(base + 50), 1);
        QCOMPARE(log, std::vector<int>({13}));
        // 2's old time passes without it.
        QCOMPARE(queue.fireDue(base + 300), 2);
        QCOMPARE(log, std::vector<int>({13, 0, 1}));
        // 13's old time passes without it; 9 waits for its new time.
        QCOMPARE(queue.fireDue(base + 1400), 10);
        QCOMPARE(log, std::vector<int>({13, 0, 1, 3, 4, 5, 6, 7, 8, 10, 11, 12, 9}));
        QCOMPARE(queue.fireDue(base + 4999), 6);
        QCOMPARE(log.back(), 19);
        QCOMPARE(queue.size(), qsizetype(1));
        QCOMPARE(queue.nextDueMs(), base + 5000);
        QCOMPARE(queue.fireDue(base + 5000), 1);
        QCOMPARE(log.back(), 2);
        for (const auto &owner : owners)
            QCOMPARE(owner->fireCount, 1);

        // Arming a deadline that is armed on another queue moves it there.
        DeadlineQueue other(clock);
        queue.arm(owners[0]->deadline, base + 6000);
        other.arm(owners[0]->deadline, base + 6000);
        QCOMPARE(queue.size(), qsizetype(0));
        QCOMPARE(other.size(), qsizetype(1));
        QCOMPARE(queue.fireDue(base + 7000), 0);
        QCOMPARE(other.fireDue(base + 7000), 1);
        QCOMPARE(owners[0]->fireCount, 2);
    }

    void deadlineDestroyedWhileArmedLeavesTheQueue()
    {
        ManualClock clock;
        DeadlineQueue queue(clock);
        std::vector<int> log;
        const qint64 base = clock.monotonicMs();
        Owners owners = makeOwners(10, &log);
        for (int id = 0; id < 10; ++id)
            queue.arm(owners[size_t(id)]->deadline, base + 10 * qint64(id + 1));

        // Owners destroyed while armed: the root, an inner node, the last leaf.
        owners[0].reset();
        owners[4].reset();
        owners[9].reset();
        QCOMPARE(queue.size(), qsizetype(7));
        QCOMPARE(queue.nextDueMs(), base + 20);

        // A bare Deadline in an optional.
        std::optional<Deadline> bare;
        int bareFired = 0;
        bare.emplace(&bareFired, [](void *counter) { ++*static_cast<int *>(counter); });
        queue.arm(*bare, base + 15);
        QCOMPARE(queue.size(), qsizetype(8));
        QCOMPARE(queue.nextDueMs(), base + 15);
        bare.reset();
        QCOMPARE(queue.size(), qsizetype(7));
        QCOMPARE(queue.nextDueMs(), base + 20);

        QCOMPARE(queue.fireDue(base + 1000), 7);
        QCOMPARE(log, std::vector<int>({1, 2, 3, 5, 6, 7, 8}));
        QCOMPARE(bareFired, 0);
        QCOMPARE(queue.size(), qsizetype(0));
    }

    void callbackRearmingItselfWaitsForTheNextPass()
    {
        ManualClock clock;
        DeadlineQueue queue(clock);
        std::vector<int> log;
        const qint64 base = clock.monotonicMs();
        Owner self(1, &log);
        // Re-armed for a time already past, and once more for exactly now.
        self.onFire = [&](Owner &owner) {
            if (owner.fireCount == 1)
                queue.arm(owner.deadline, base);
            else if (owner.fireCount == 2)
                queue.arm(owner.deadline, base + 10);
        };
        queue.arm(self.deadline, base + 10);

        QCOMPARE(queue.fireDue(base + 10), 1);
        QCOMPARE(self.fireCount, 1);
        QVERIFY(self.deadline.isArmed());
        QCOMPARE(queue.nextDueMs(), base);

        QCOMPARE(queue.fireDue(base + 10), 1);
        QCOMPARE(self.fireCount, 2);
        QVERIFY(self.deadline.isArmed());
        QCOMPARE(queue.nextDueMs(), base + 10);

        QCOMPARE(queue.fireDue(base + 10), 1);
        QCOMPARE(self.fireCount, 3);
        QVERIFY(!self.deadline.isArmed());
        QCOMPARE(queue.fireDue(base + 10), 0);
        QCOMPARE(log, std::vector<int>({1, 1, 1}));
    }

    void callbackDisarmingAnotherDueDeadlinePreventsIt()
    {
        ManualClock clock;
        DeadlineQueue queue(clock);
        std::vector<int> log;
        const qint64 base = clock.monotonicMs();
        Owner first(1, &log);
        Owner victim(2, &log);
        Owner last(3, &log);
        first.onFire = [&](Owner &) { queue.disarm(victim.deadline); };
        queue.arm(last.deadline, base + 30);
        queue.arm(victim.deadline, base + 20);
        queue.arm(first.deadline, base + 10);

        QCOMPARE(queue.fireDue(base + 30), 2);
        QCOMPARE(log, std::vector<int>({1, 3}));
        QCOMPARE(victim.fireCount, 0);
        QVERIFY(!victim.deadline.isArmed());
        QCOMPARE(queue.size(), qsizetype(0));
        QCOMPARE(queue.fireDue(base + 1000), 0);
        QCOMPARE(victim.fireCount, 0);
    }

    void callbackArmingANewDueDeadlineWaitsForTheNextPass()
    {
        ManualClock clock;
        DeadlineQueue queue(clock);
        std::vector<int> log;
        const qint64 base = clock.monotonicMs();
        Owner first(1, &log);
        Owner fresh(2, &log);
        first.onFire = [&](Owner &) { queue.arm(fresh.deadline, base + 20); };
        queue.arm(first.deadline, base + 10);

        QCOMPARE(queue.fireDue(base + 20), 1);
        QCOMPARE(log, std::vector<int>({1}));
        QVERIFY(fresh.deadline.isArmed());
        QCOMPARE(queue.nextDueMs(), base + 20);
        QCOMPARE(queue.fireDue(base + 20), 1);
        QCOMPARE(log, std::vector<int>({1, 2}));
    }

    void deadlineArmedDuringAPassDoesNotHoldBackOlderDueOnes()
    {
        // "Deadlines armed during the pass wait for the next one" - but the deadlines that were
        // armed before the pass and are due still run in it, even when one armed during the pass
        // sorts before them.
        ManualClock clock;
        DeadlineQueue queue(clock);
        std::vector<int> log;
        const qint64 base = clock.monotonicMs();
        Owner self(1, &log);
        Owner fresh(2, &log);
        Owner older(3, &log);
        Owner later(4, &log);
        self.onFire = [&](Owner &owner) {
            if (owner.fireCount == 1) {
                queue.arm(owner.deadline, base + 10); // itself again, earlier than `older`
                queue.arm(fresh.deadline, base + 5);  // a new one, earlier than `older`
            }
        };
        queue.arm(self.deadline, base + 10);
        queue.arm(older.deadline, base + 20);
        queue.arm(later.deadline, base + 30);

        QCOMPARE(queue.fireDue(base + 20), 2);
        QCOMPARE(log, std::vector<int>({1, 3}));
        QCOMPARE(queue.size(), qsizetype(3));
        QCOMPARE(queue.fireDue(base + 20), 2);
        QCOMPARE(log, std::vector<int>({1, 3, 2, 1}));
        QCOMPARE(queue.fireDue(base + 30), 1);
        QCOMPARE(log, std::vector<int>({1, 3, 2, 1, 4}));
    }

    void heldDeadlineDisarmedOrDestroyedDuringThePass()
    {
        // A deadline armed during a pass and already due is held until the pass ends; a later
        // callback of the same pass that disarms it, destroys its owner or re-arms it decides
        // what becomes of it.
        ManualClock clock;
        DeadlineQueue queue(clock);
        std::vector<int> log;
        const qint64 base = clock.monotonicMs();
        Owner first(1, &log);
        Owner second(2, &log);
        Owner disarmed(3, &log);
        auto destroyed = std::make_unique<Owner>(4, &log);
        Owner moved(5, &log);
        first.onFire = [&](Owner &) {
            queue.arm(disarmed.deadline, base + 1);
            queue.arm(destroyed->deadline, base + 2);
            queue.arm(moved.deadline, base + 3);
        };
        second.onFire = [&](Owner &) {
            QVERIFY(disarmed.deadline.isArmed());
            queue.disarm(disarmed.deadline);
            destroyed.reset();
            queue.arm(moved.deadline, base + 50);
        };
        queue.arm(first.deadline, base + 10);
        queue.arm(second.deadline, base + 20);

        QCOMPARE(queue.fireDue(base + 20), 2);
        QCOMPARE(log, std::vector<int>({1, 2}));
        QVERIFY(!disarmed.deadline.isArmed());
        QVERIFY(moved.deadline.isArmed());
        QCOMPARE(queue.size(), qsizetype(1));
        QCOMPARE(queue.nextDueMs(), base + 50);
        QCOMPARE(queue.fireDue(base + 49), 0);
        QCOMPARE(queue.fireDue(base + 50), 1);
        QCOMPARE(log, std::vector<int>({1, 2, 5}));
        QCOMPARE(queue.size(), qsizetype(0));
    }

    void nextDueIsTheEarliest()
    {
        ManualClock clock;
        DeadlineQueue queue(clock);
        std::vector<int> log;
        QCOMPARE(queue.nextDueMs(), qint64(-1));
        Owners owners = makeOwners(4, &log);
        const qint64 base = clock.monotonicMs();
        queue.arm(owners[0]->deadline, base + 40);
        QCOMPARE(queue.nextDueMs(), base + 40);
        queue.arm(owners[1]->deadline, base + 60);
        QCOMPARE(queue.nextDueMs(), base + 40);
        queue.arm(owners[2]->deadline, base + 20);
        QCOMPARE(queue.nextDueMs(), base + 20);
        queue.arm(owners[3]->deadline, base + 30);
        QCOMPARE(queue.nextDueMs(), base + 20);
        queue.disarm(owners[2]->deadline);
        QCOMPARE(queue.nextDueMs(), base + 30);
        queue.arm(owners[3]->deadline, base + 50); // the earliest moves later
        QCOMPARE(queue.nextDueMs(), base + 40);
        queue.arm(owners[1]->deadline, base + 10); // another moves to the front
        QCOMPARE(queue.nextDueMs(), base + 10);
        QCOMPARE(queue.fireDue(base + 40), 2);
        QCOMPARE(queue.nextDueMs(), base + 50);
        queue.disarm(owners[3]->deadline);
        QCOMPARE(queue.nextDueMs(), qint64(-1));
    }

    void queueDestroyedWithDeadlinesArmed()
    {
        ManualClock clock;
        std::vector<int> log;
        const qint64 base = clock.monotonicMs();
        Owners owners = makeOwners(8, &log);
        auto queue = std::make_unique<DeadlineQueue>(clock);
        for (int id = 0; id < 8; ++id)
            queue->arm(owners[size_t(id)]->deadline, base + 10 * qint64(8 - id));
        QCOMPARE(queue->size(), qsizetype(8));
        queue.reset();
        for (const auto &owner : owners)
            QVERIFY(!owner->deadline.isArmed());

        // Disarming through a new queue, arming there, and destroying the owners afterwards is
        // harmless (the old queue's memory is not touched; ASan would see it).
        DeadlineQueue next(clock);
        next.disarm(owners[0]->deadline);
        next.arm(owners[1]->deadline, base + 5);
        QCOMPARE(next.size(), qsizetype(1));
        owners.clear();
        QCOMPARE(next.size(), qsizetype(0));
        QCOMPARE(next.fireDue(base + 1000), 0);
        QVERIFY(log.empty());
    }

    // Under a clock moved by hand, the queue's timer was set to wait for as long as the earliest
    // deadline then needed; a deadline armed after the clock has moved, and already due, must
    // not wait for that timer.
    void dueDeadlineDoesNotWaitForATimerSetBeforeTheClockMoved()
    {
        ManualClock clock;
        DeadlineQueue queue(clock);
        std::vector<int> log;
        Owner far(1, &log);
        Owner due(2, &log);
        queue.arm(far.deadline, clock.monotonicMs() + 60'000); // its timer: 60 s of real time
        queue.disarm(far.deadline);
        clock.advance(61'000);
        queue.arm(due.deadline, clock.monotonicMs());
        QTRY_COMPARE_WITH_TIMEOUT(due.fireCount, 1, 5000);
        QCOMPARE(log, std::vector<int>({2}));
    }

    void realEventLoopFiresInDueOrder()
    {
        Clock &clock = Clock::system();
        DeadlineQueue queue(clock);
        std::vector<int> log;
        QEventLoop loop;
        QTimer::singleShot(2000, &loop, &QEventLoop::quit); // safety

        Owner slow(1, &log);
        Owner quick(2, &log);
        qint64 slowRanAt = -1;
        qint64 quickRanAt = -1;
        slow.onFire = [&](Owner &) {
            slowRanAt = clock.monotonicMs();
            if (log.size() == 2)
                loop.quit();
        };
        quick.onFire = [&](Owner &) {
            quickRanAt = clock.monotonicMs();
            if (log.size() == 2)
                loop.quit();
        };
        const qint64 start = clock.monotonicMs();
        queue.arm(slow.deadline, start + 30);
        queue.arm(quick.deadline, start + 5);
        loop.exec();

        QCOMPARE(log, std::vector<int>({2, 1}));
        QVERIFY2(quickRanAt >= start + 5, "ran before it was due");
        QVERIFY2(slowRanAt >= start + 30, "ran before it was due");
        QCOMPARE(queue.size(), qsizetype(0));

        // A deadline disarmed before its time never runs, while one armed after it still does.
        log.clear();
        Owner dropped(3, &log);
        Owner kept(4, &log);
        const qint64 again = clock.monotonicMs();
        queue.arm(dropped.deadline, again + 20);
        queue.arm(kept.deadline, again + 40);
        queue.disarm(dropped.deadline);
        QTRY_VERIFY_WITH_TIMEOUT(kept.fireCount == 1, 2000);
        QTest::qWait(20);
        QVERIFY(clock.monotonicMs() >= again + 40);
        QCOMPARE(log, std::vector<int>({4}));
        QCOMPARE(dropped.fireCount, 0);
    }
};

QTEST_GUILESS_MAIN(TestDeadlineQueue)
#include "tst_deadlinequeue.moc"
