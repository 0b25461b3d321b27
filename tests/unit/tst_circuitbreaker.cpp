// The circuit breaker's rules (interface.md §4 "Failover") on a moved clock: consecutive
// failures, the error rate and the slow-ms rule of the rolling 30 s window, cooldowns that
// double on repeated trips up to 5 min, the single half-open probe, idle checks that extend the
// cooldown, and every change reported with its reason.

#include "core/Clock.h"
#include "upstream/CircuitBreaker.h"

#include <QTest>

using namespace relay;

class TestCircuitBreaker : public QObject
{
    Q_OBJECT

    struct Fixture
    {
        ManualClock clock;
        QList<CircuitTransition> changes;
        CircuitBreaker breaker{QStringLiteral("openai"), clock,
                               [this](const CircuitTransition &t) { changes.append(t); }};

        void fail(int times)
        {
            for (int i = 0; i < times; ++i) {
                QCOMPARE(breaker.admit(), CircuitBreaker::Admit::Yes);
                breaker.recordFailure(QStringLiteral("HTTP 500"), false);
            }
        }
        void succeed(int times, qint64 firstByteMs = 10)
        {
            for (int i = 0; i < times; ++i) {
                QCOMPARE(breaker.admit(), CircuitBreaker::Admit::Yes);
                breaker.recordSuccess(firstByteMs, false);
            }
        }
        // Opens the circuit with 5 failures.
        void trip() { fail(5); }
    };

private Q_SLOTS:
    void opensAfterFiveConsecutiveFailures()
    {
        Fixture f;
        f.fail(4);
        QCOMPARE(f.breaker.state(), CircuitState::Closed);
        f.succeed(1); // a success resets the run
        f.fail(4);
        QCOMPARE(f.breaker.state(), CircuitState::Closed);
        f.fail(1);
        QCOMPARE(f.breaker.state(), CircuitState::Open);
        QCOMPARE(f.changes.size(), 1);
        QCOMPARE(f.changes[0].from, CircuitState::Closed);
        QCOMPARE(f.changes[0].to, CircuitState::Open);
        QVERIFY2(f.changes[0].reason.contains(QLatin1String("5 consecutive failures")),
                 qPrintable(f.changes[0].reason));
        QVERIFY(f.changes[0].reason.contains(QLatin1String("HTTP 500")));
        QCOMPARE(f.changes[0].upstream, QStringLiteral("openai"));
        QCOMPARE(f.changes[0].openUntilWallMs, f.changes[0].wallMs + 30'000);
        QCOMPARE(f.breaker.admit(), CircuitBreaker::Admit::No);
    }

    void opensOnErrorRateOverHalfOfTwentyOrMore()
    {
        Fixture f;
        // Alternating: never 5 in a row, 10 of 19 failed — too few requests to judge.
        for (int i = 0; i < 9; ++i) {
            f.fail(1);
            f.succeed(1);
        }
        f.fail(1);
        QCOMPARE(f.breaker.state(), CircuitState::Closed); // 10 of 19
        f.fail(1);                                         // 11 of 20: over 50 %
        QCOMPARE(f.breaker.state(), CircuitState::Open);
        QVERIFY2(f.changes.last().reason.startsWith(QLatin1String("error rate 55 %")),
                 qPrintable(f.changes.last().reason));
    }

    void exactlyHalfDoesNotOpen()
    {
        Fixture f;
        for (int i = 0; i < 10; ++i) {
            f.fail(1);
            f.succeed(1);
        }
        QCOMPARE(f.breaker.state(), CircuitState::Closed); // 10 of 20 is not over 50 %
    }

    void theWindowForgetsAfterThirtySeconds()
    {
        Fixture f;
        for (int i = 0; i < 9; ++i) {
            f.fail(1);
            f.succeed(1);
        }
        f.fail(2); // 11 of 20 within the window: open
        QCOMPARE(f.breaker.state(), CircuitState::Open);

        Fixture g;
        for (int i = 0; i < 9; ++i) {
            g.fail(1);
            g.succeed(1);
        }
        g.clock.advance(31'000);
        g.fail(2);
        QCOMPARE(g.breaker.state(), CircuitState::Closed);
    }

    void slowFirstBytesOpenOnlyWithSlowMs()
    {
        Fixture f;
        f.succeed(30, 2000);
        QCOMPARE(f.breaker.state(), CircuitState::Closed); // no --slow-ms

        Fixture g;
        g.breaker.setSlowMs(500);
        g.succeed(19, 2000);
        QCOMPARE(g.breaker.state(), CircuitState::Closed); // fewer than 20
        g.succeed(1, 2000);
        QCOMPARE(g.breaker.state(), CircuitState::Open);
        QVERIFY2(g.changes.last().reason.contains(QLatin1String("slow-ms 500")),
                 qPrintable(g.changes.last().reason));

        Fixture fast;
        fast.breaker.setSlowMs(500);
        fast.succeed(100, 20);
        fast.succeed(4, 2000); // 4 of 104 slow: the p95 is still fast
        QCOMPARE(fast.breaker.state(), CircuitState::Closed);
    }

    void halfOpenLetsExactlyOneProbeThrough()
    {
        Fixture f;
        f.trip();
        f.clock.advance(29'999);
        QCOMPARE(f.breaker.admit(), CircuitBreaker::Admit::No);
        f.clock.advance(1);
        QCOMPARE(f.breaker.admit(), CircuitBreaker::Admit::Probe);
        QCOMPARE(f.breaker.state(), CircuitState::HalfOpen);
        QCOMPARE(f.breaker.admit(), CircuitBreaker::Admit::No); // one probe at a time
        f.breaker.releaseProbe();                               // its client left
        QCOMPARE(f.breaker.admit(), CircuitBreaker::Admit::Probe);
        f.breaker.recordSuccess(10, true);
        QCOMPARE(f.breaker.state(), CircuitState::Closed);
        QCOMPARE(f.breaker.admit(), CircuitBreaker::Admit::Yes);
        QCOMPARE(f.changes.size(), 3); // open, half-open, closed
        QCOMPARE(f.changes[1].to, CircuitState::HalfOpen);
        QCOMPARE(f.changes[2].to, CircuitState::Closed);
        QCOMPARE(f.changes[2].reason, QStringLiteral("probe request succeeded"));
    }

    void cooldownDoublesOnRepeatedTripsUpToFiveMinutes()
    {
        Fixture f;
        f.trip();
        const qint64 expected[] = {60'000, 120'000, 240'000, 300'000, 300'000};
        qint64 cooldown = 30'000;
        for (const qint64 next : expected) {
            f.clock.advance(cooldown);
            QCOMPARE(f.breaker.admit(), CircuitBreaker::Admit::Probe);
            f.breaker.recordFailure(QStringLiteral("reset"), true);
            QCOMPARE(f.breaker.state(), CircuitState::Open);
            QCOMPARE(f.changes.last().openUntilWallMs - f.changes.last().wallMs, next);
            QVERIFY(f.changes.last().reason.startsWith(QLatin1String("probe request failed")));
            f.clock.advance(next - 1);
            QCOMPARE(f.breaker.admit(), CircuitBreaker::Admit::No);
            cooldown = 1;
        }
        // A success closes and resets: the next trip starts at 30 s again.
        f.clock.advance(1);
        QCOMPARE(f.breaker.admit(), CircuitBreaker::Admit::Probe);
        f.breaker.recordSuccess(5, true);
        f.trip();
        QCOMPARE(f.changes.last().openUntilWallMs - f.changes.last().wallMs, 30'000);
    }

    void lateAnswersWhileOpenChangeNothing()
    {
        Fixture f;
        f.trip();
        const int changes = f.changes.size();
        f.breaker.recordFailure(QStringLiteral("HTTP 500"), false);
        f.breaker.recordSuccess(10, false);
        QCOMPARE(f.breaker.state(), CircuitState::Open);
        QCOMPARE(f.changes.size(), changes);
    }

    void idleChecksWhileOpenExtendTheCooldownWhenTheyFail()
    {
        Fixture f;
        QVERIFY(!f.breaker.beginIdleCheck()); // closed: no checks
        f.trip();
        QVERIFY(!f.breaker.beginIdleCheck()); // not yet due
        f.clock.advance(CircuitBreaker::kIdleCheckIntervalMs);
        QVERIFY(f.breaker.beginIdleCheck());
        QVERIFY(!f.breaker.beginIdleCheck()); // one at a time
        f.clock.advance(5'000);               // 15 s into a 30 s cooldown
        f.breaker.endIdleCheck(false, QStringLiteral("HTTP 503"));
        QCOMPARE(f.breaker.state(), CircuitState::Open);
        QVERIFY(f.changes.last().reason.contains(QLatin1String("idle check failed (HTTP 503)")));
        // Open until 30 s after the failed check, not 30 s after the trip.
        f.clock.advance(29'999);
        QCOMPARE(f.breaker.admit(), CircuitBreaker::Admit::No);
        f.clock.advance(1);
        QCOMPARE(f.breaker.admit(), CircuitBreaker::Admit::Probe);

        // A successful check leaves the cooldown as it is.
        Fixture g;
        g.trip();
        g.clock.advance(CircuitBreaker::kIdleCheckIntervalMs);
        QVERIFY(g.breaker.beginIdleCheck());
        g.breaker.endIdleCheck(true, QString());
        g.clock.advance(20'000);
        QCOMPARE(g.breaker.admit(), CircuitBreaker::Admit::Probe);
    }

    void boardKeepsBreakersAndCollectsTransitions()
    {
        ManualClock clock;
        CircuitBoard board(clock);
        auto a = board.breaker(QStringLiteral("a"));
        QCOMPARE(board.breaker(QStringLiteral("a")), a); // one per upstream, kept
        for (int i = 0; i < 5; ++i)
            a->recordFailure(QStringLiteral("timed out"), false);
        a->noteFailover(QStringLiteral("timed out → b"));
        const QList<CircuitTransition> changes = board.takeTransitions();
        QCOMPARE(changes.size(), 1);
        QCOMPARE(changes[0].upstream, QStringLiteral("a"));
        QVERIFY(board.takeTransitions().isEmpty());
        const QList<CircuitSnapshot> snaps = board.snapshots();
        QCOMPARE(snaps.size(), 1);
        QCOMPARE(snaps[0].state, CircuitState::Open);
        QCOMPARE(snaps[0].lastFailover, QStringLiteral("timed out → b"));
        QCOMPARE(circuitStateName(CircuitState::HalfOpen), QStringLiteral("half-open"));
    }
};

QTEST_GUILESS_MAIN(TestCircuitBreaker)
#include "tst_circuitbreaker.moc"
