// Budget periods, admission and alerts as a tenant meets them (interface.md §4 "Budgets and
// usage"): the calendar month in UTC, the request that crosses the line, in-flight estimates,
// thresholds once per period, and the forecast. Time moves only by hand.

#include "UsageRows.h"
#include "billing/BudgetPeriod.h"
#include "budget/BudgetTracker.h"
#include "core/Clock.h"
#include "store/UsageRecord.h"

#include <QDateTime>
#include <QTest>

#include <atomic>
#include <thread>
#include <vector>

using namespace relay;

using relay::test::utcMs;

namespace {

const QString kTenant = QStringLiteral("acme");
constexpr qint64 kHour = BudgetTracker::kHourMs;
constexpr qint64 kDay = 24 * kHour;

UsageRecord cost(double usd, qint64 prompt = 10, qint64 completion = 20,
                 const QString &tenant = kTenant)
{
    UsageRecord r;
    r.tenantId = tenant;
    r.costUsd = usd;
    r.promptTokens = prompt;
    r.completionTokens = completion;
    return r;
}

TenantBudget hard(double usd, QList<int> thresholds = {50, 80, 100})
{
    return TenantBudget{usd, false, thresholds};
}

// A request admitted at its estimate and settled at its real cost.
void spend(BudgetTracker &t, double usd, const QString &tenant = kTenant)
{
    QCOMPARE(t.admit(tenant, usd), BudgetRefusal::None);
    t.settle(usd, cost(usd, 10, 20, tenant));
}

QList<int> thresholdsOf(const QList<AlertSnapshot> &alerts, const QString &kind)
{
    QList<int> out;
    for (const AlertSnapshot &a : alerts)
        if (a.kind == kind)
            out.append(a.threshold);
    return out;
}

} // namespace

class TestBudget : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void periodIsTheCalendarMonthInUtc_data()
    {
        QTest::addColumn<qint64>("now");
        QTest::addColumn<QString>("key");
        QTest::addColumn<qint64>("start");
        QTest::addColumn<qint64>("end");
        QTest::newRow("last ms of December")
            << utcMs(2026, 12, 31, 23, 59, 59, 999) << QStringLiteral("2026-12")
            << utcMs(2026, 12, 1) << utcMs(2027, 1, 1);
        QTest::newRow("exactly 00:00 on New Year") << utcMs(2027, 1, 1) << QStringLiteral("2027-01")
                                                   << utcMs(2027, 1, 1) << utcMs(2027, 2, 1);
        QTest::newRow("leap February") << utcMs(2028, 2, 29, 12) << QStringLiteral("2028-02")
                                       << utcMs(2028, 2, 1) << utcMs(2028, 3, 1);
        QTest::newRow("common February")
            << utcMs(2027, 2, 28, 23, 59, 59) << QStringLiteral("2027-02") << utcMs(2027, 2, 1)
            << utcMs(2027, 3, 1);
        QTest::newRow("century leap 2000") << utcMs(2000, 2, 29) << QStringLiteral("2000-02")
                                           << utcMs(2000, 2, 1) << utcMs(2000, 3, 1);
        QTest::newRow("before the epoch") << utcMs(1969, 12, 31, 23) << QStringLiteral("1969-12")
                                          << utcMs(1969, 12, 1) << utcMs(1970, 1, 1);
    }

    void periodIsTheCalendarMonthInUtc()
    {
        QFETCH(qint64, now);
        QFETCH(QString, key);
        QFETCH(qint64, start);
        QFETCH(qint64, end);
        const BudgetPeriod p = BudgetPeriod::containing(now);
        QCOMPARE(p.key, key);
        QCOMPARE(p.startMs, start);
        QCOMPARE(p.endMs, end);
        QVERIFY(p.contains(now));
        QVERIFY(!p.contains(end));
        QVERIFY(p.contains(start));
    }

    void periodLengthsAndIsoStart()
    {
        QCOMPARE(BudgetPeriod::containing(utcMs(2028, 2, 10)).lengthMs(), 29 * kDay);
        QCOMPARE(BudgetPeriod::containing(utcMs(2027, 2, 10)).lengthMs(), 28 * kDay);
        QCOMPARE(BudgetPeriod::containing(utcMs(2026, 4, 30, 23)).lengthMs(), 30 * kDay);
        QCOMPARE(BudgetPeriod::containing(utcMs(2026, 11, 26, 14, 3)).startIso(),
                 QStringLiteral("2026-11-01T00:00:00Z"));
    }

    void newMonthStartsFromZeroWithoutAnyJob()
    {
        ManualClock clock(utcMs(2026, 12, 31, 23, 59));
        BudgetTracker t(clock);
        t.configure(kTenant, hard(10));
        spend(t, 4);
        BudgetSnapshot s = t.snapshot(kTenant);
        QCOMPARE(s.period, QStringLiteral("2026-12"));
        QCOMPARE(s.spentUsd, 4.0);
        QCOMPARE(s.requests, 1);
        QCOMPARE(s.promptTokens, 10);
        QCOMPARE(s.completionTokens, 20);
        QCOMPARE(s.remainingUsd(), std::optional<double>(6.0));

        clock.advance(59'999); // 23:59:59.999: still December
        QCOMPARE(t.snapshot(kTenant).spentUsd, 4.0);
        clock.advance(1); // exactly 00:00 UTC
        s = t.snapshot(kTenant);
        QCOMPARE(s.period, QStringLiteral("2027-01"));
        QCOMPARE(s.periodStartMs, utcMs(2027, 1, 1));
        QCOMPARE(s.spentUsd, 0.0);
        QCOMPARE(s.requests, 0);
        QCOMPARE(s.promptTokens, 0);
    }

    void hardBudgetAdmitsWhileSpendPlusInFlightIsBelowIt()
    {
        ManualClock clock(utcMs(2026, 11, 15, 12));
        BudgetTracker t(clock);
        t.configure(kTenant, hard(1.0));
        // Nothing spent: in flight 0, 0.4, 0.8 are all below 1.0, so the third is admitted
        // although it will cross the line.
        QCOMPARE(t.admit(kTenant, 0.4), BudgetRefusal::None);
        QCOMPARE(t.admit(kTenant, 0.4), BudgetRefusal::None);
        QCOMPARE(t.admit(kTenant, 0.4), BudgetRefusal::None);
        QCOMPARE(t.snapshot(kTenant).inFlightUsd, 1.2);
        // Spend 0 is under the budget, but spend + in flight is not: it can fit later.
        QCOMPARE(t.admit(kTenant, 0.01), BudgetRefusal::HeldInFlight);
        // A refusal holds nothing.
        QCOMPARE(t.snapshot(kTenant).inFlightUsd, 1.2);

        t.settle(0.4, cost(0.3)); // cost less than estimated
        QCOMPARE(t.snapshot(kTenant).spentUsd, 0.3);
        QCOMPARE(t.admit(kTenant, 0.01), BudgetRefusal::HeldInFlight); // 0.3 + 0.8
        t.settle(0.4, cost(0.4));
        // 0.7 + 0.4 in flight still reaches 1.0.
        QCOMPARE(t.admit(kTenant, 0.01), BudgetRefusal::HeldInFlight);
        t.settle(0.4, cost(0.4)); // the crossing request is billed in full
        const BudgetSnapshot s = t.snapshot(kTenant);
        QVERIFY(qFuzzyCompare(s.spentUsd, 1.1));
        QCOMPARE(s.inFlightUsd, 0.0);
        QCOMPARE(s.remainingUsd(), std::optional<double>(0.0)); // never negative
        QCOMPARE(t.admit(kTenant, 0.01), BudgetRefusal::Exhausted);
        QCOMPARE(t.admit(kTenant, 0.0), BudgetRefusal::Exhausted); // even a free request
    }

    void softBudgetAndNoBudgetNeverRefuse()
    {
        ManualClock clock(utcMs(2026, 11, 15, 12));
        BudgetTracker t(clock);
        t.configure(kTenant, TenantBudget{1.0, true, {50, 80, 100}});
        t.configure(QStringLiteral("free"), TenantBudget{});
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(t.admit(kTenant, 0.5), BudgetRefusal::None);
            QCOMPARE(t.admit(QStringLiteral("free"), 0.5), BudgetRefusal::None);
        }
        for (int i = 0; i < 5; ++i)
            t.settle(0.5, cost(0.5));
        QCOMPARE(t.snapshot(kTenant).spentUsd, 2.5);
        QCOMPARE(t.admit(kTenant, 0.5), BudgetRefusal::None);
        QCOMPARE(t.snapshot(QStringLiteral("free")).remainingUsd(), std::nullopt);
        // The requests in flight without a budget are held, so a budget set now sees them.
        QCOMPARE(t.snapshot(QStringLiteral("free")).inFlightUsd, 2.5);
        t.configure(QStringLiteral("free"), hard(2.0));
        QCOMPARE(t.admit(QStringLiteral("free"), 0.1), BudgetRefusal::HeldInFlight);
    }

    void inFlightEstimatesCapConcurrentAdmissions()
    {
        ManualClock clock(utcMs(2026, 11, 15, 12));
        BudgetTracker t(clock);
        t.configure(kTenant, hard(1.0));
        std::atomic<int> admitted{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 8; ++i)
            threads.emplace_back([&] {
                for (int k = 0; k < 500; ++k)
                    if (t.admit(kTenant, 0.01) == BudgetRefusal::None)
                        ++admitted;
            });
        for (auto &th : threads)
            th.join();
        // In flight 0.00 … 0.99 are below 1.0: exactly 100 are admitted, whatever the order.
        QCOMPARE(admitted.load(), 100);
    }

    void thresholdsAreRaisedOncePerPeriod()
    {
        ManualClock clock(utcMs(2026, 11, 30, 20));
        BudgetTracker t(clock);
        t.configure(kTenant, hard(10));
        t.configure(QStringLiteral("nobudget"), TenantBudget{});
        spend(t, 4.9);
        spend(t, 100, QStringLiteral("nobudget")); // no budget: no alerts
        QCOMPARE(thresholdsOf(t.takeDueAlerts(), QStringLiteral("threshold")), QList<int>{});
        spend(t, 0.1); // exactly 50 %
        QList<AlertSnapshot> due = t.takeDueAlerts();
        QCOMPARE(thresholdsOf(due, QStringLiteral("threshold")), QList<int>{50});
        const AlertSnapshot a = due.first();
        QCOMPARE(a.tenant, kTenant);
        QCOMPARE(a.period, QStringLiteral("2026-11"));
        QCOMPARE(a.spentUsd, 5.0);
        QCOMPARE(a.budgetUsd, 10.0);
        QCOMPARE(a.tsMs, clock.wallMs());
        QVERIFY(!a.forecastUsd);
        QVERIFY(t.takeDueAlerts().isEmpty()); // once
        spend(t, 6);                          // 110 %: 80 and 100 at once
        QCOMPARE(thresholdsOf(t.takeDueAlerts(), QStringLiteral("threshold")),
                 (QList<int>{80, 100}));
        QVERIFY(t.takeDueAlerts().isEmpty());

        // The next month starts afresh, and raises them again.
        clock.advance(4 * kHour);
        QVERIFY(t.takeDueAlerts().isEmpty());
        spend(t, 8.5);
        due = t.takeDueAlerts();
        QCOMPARE(thresholdsOf(due, QStringLiteral("threshold")), (QList<int>{50, 80}));
        QCOMPARE(due.first().period, QStringLiteral("2026-12"));
    }

    void alertsAlreadyStoredAreNotRaisedAgainAfterARestart()
    {
        ManualClock clock(utcMs(2026, 11, 30, 20));
        BudgetTracker t(clock);
        t.configure(kTenant, hard(10, {25, 50}));
        // What the alert thread loads at start: the period's spend and its stored alerts.
        t.seedPeriod(kTenant, BudgetSeed{6, 3, 30, 60});
        t.markRaised(kTenant, QStringLiteral("2026-11"), QStringLiteral("threshold"), 25);
        t.markRaised(kTenant, QStringLiteral("2026-10"), QStringLiteral("threshold"), 50);
        QCOMPARE(thresholdsOf(t.takeDueAlerts(), QStringLiteral("threshold")), QList<int>{50});
        const BudgetSnapshot s = t.snapshot(kTenant);
        QCOMPARE(s.requests, 3);
        QCOMPARE(s.completionTokens, 60);
        // An alert the database could not take is raised at the next check.
        t.unmarkRaised(kTenant, QStringLiteral("2026-11"), QStringLiteral("threshold"), 50);
        QCOMPARE(thresholdsOf(t.takeDueAlerts(), QStringLiteral("threshold")), QList<int>{50});
    }

    void forecastProjectsTheRecentRateToThePeriodsEnd()
    {
        // 10 days into a 30-day month: 20 days left.
        ManualClock clock(utcMs(2026, 11, 11));
        BudgetTracker t(clock);
        t.configure(kTenant, hard(100, {}));
        spend(t, 10);
        // The window: from 23 whole hours before the current one (Nov 10, 01:00) to now.
        const double expected = BudgetTracker::forecast(10, 10, 23 * kHour, 20 * kDay);
        QVERIFY(qFuzzyCompare(expected, 10 + 10.0 / 23 * 480));
        QVERIFY(qFuzzyCompare(t.snapshot(kTenant).forecastUsd, expected));
        const QList<AlertSnapshot> due = t.takeDueAlerts();
        QCOMPARE(due.size(), 1);
        QCOMPARE(due.first().kind, QStringLiteral("forecast"));
        QCOMPARE(due.first().threshold, 100);
        QVERIFY(due.first().forecastUsd);
        QVERIFY(qFuzzyCompare(*due.first().forecastUsd, expected));
        QCOMPARE(due.first().spentUsd, 10.0);
        spend(t, 10);
        QVERIFY(t.takeDueAlerts().isEmpty()); // once per period
    }

    void forecastStaysQuietWhenTheRateIsLow()
    {
        ManualClock clock(utcMs(2026, 11, 11));
        BudgetTracker t(clock);
        t.configure(kTenant, hard(100, {}));
        // 30 spent earlier in the month, outside the last 24 h; 1 in the last hours.
        t.seedPeriod(kTenant, BudgetSeed{30, 0, 0, 0});
        t.seedHour(kTenant, utcMs(2026, 11, 3, 5), 30);
        spend(t, 1);
        const BudgetSnapshot s = t.snapshot(kTenant);
        QCOMPARE(s.spentUsd, 31.0);
        QVERIFY(qFuzzyCompare(s.forecastUsd, 31 + 1.0 / 23 * 480)); // about 51.9
        QVERIFY(t.takeDueAlerts().isEmpty());

        // Two days later the same hours have left the window: the projection is the spend.
        clock.advance(2 * kDay);
        QCOMPARE(t.snapshot(kTenant).forecastUsd, 31.0);
        QVERIFY(t.takeDueAlerts().isEmpty());
    }

    void forecastUsesTheTimeSinceThePeriodBeganWhenShorter()
    {
        // Six hours into December; a spend of 6 in the last of November's hours does not count.
        ManualClock clock(utcMs(2026, 11, 30, 23, 30));
        BudgetTracker t(clock);
        t.configure(kTenant, hard(1000, {}));
        spend(t, 6);
        clock.advance(6 * kHour + 30 * 60'000);
        spend(t, 6);
        const BudgetSnapshot s = t.snapshot(kTenant);
        QCOMPARE(s.spentUsd, 6.0);
        QVERIFY(qFuzzyCompare(s.forecastUsd, 6 + 6.0 / (6 * kHour) * (31 * kDay - 6 * kHour)));
        // 6 per 6 h over 31 days is 744: under 1000, so no forecast alert.
        QVERIFY(t.takeDueAlerts().isEmpty());
    }

    void forecastIsNotRaisedOnceTheMoneyIsGone()
    {
        ManualClock clock(utcMs(2026, 11, 11));
        BudgetTracker t(clock);
        t.configure(kTenant, hard(10, {100}));
        spend(t, 12);
        const QList<AlertSnapshot> due = t.takeDueAlerts();
        QCOMPARE(due.size(), 1);
        QCOMPARE(due.first().kind, QStringLiteral("threshold"));
    }
};

QTEST_GUILESS_MAIN(TestBudget)
#include "tst_budget.moc"
