// Stage 7's rules on their own (interface.md §4 "Failover"): which upstream statuses move a
// request to the next target, how an upstream's Retry-After is read, the exact backoff of the
// last target's retries with an injected random source, the limit of two retries and of 30 s
// waits, and the relay-wide retry budget (20 % of the calls in flight, at least 3) that every
// call holds a share of until it finishes.

#include "core/Random.h"
#include "proxy/RetryPolicy.h"

#include <QTest>

#include <memory>
#include <vector>

using namespace relay;

namespace {

// nullopt as -1, so that data rows can hold it.
qint64 orMinusOne(const std::optional<qint64> &v)
{
    return v ? *v : -1;
}

std::vector<std::unique_ptr<RetryPolicy>> policies(int n, RetryBudget &budget, RandomSource &random)
{
    std::vector<std::unique_ptr<RetryPolicy>> out;
    for (int i = 0; i < n; ++i)
        out.push_back(std::make_unique<RetryPolicy>(budget, random));
    return out;
}

} // namespace

class TestRetryPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void failsOver_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<bool>("failsOver");
        // Passed back to the client as they are.
        for (int status : {200, 201, 204, 301, 400, 401, 403, 404, 409, 413, 422, 499})
            QTest::addRow("%d", status) << status << false;
        // The next target answers instead.
        for (int status : {408, 429, 500, 501, 502, 503, 504, 529, 599})
            QTest::addRow("%d", status) << status << true;
    }

    void failsOver()
    {
        QFETCH(int, status);
        QFETCH(bool, failsOver);
        QCOMPARE(RetryPolicy::failsOver(status), failsOver);
    }

    void upstreamRetryAfter_data()
    {
        QTest::addColumn<HttpHeaders>("headers");
        QTest::addColumn<qint64>("ms");
        QTest::newRow("neither") << HttpHeaders{{"content-type", "application/json"}} << qint64(-1);
        QTest::newRow("seconds") << HttpHeaders{{"retry-after", "2"}} << qint64(2000);
        QTest::newRow("milliseconds") << HttpHeaders{{"retry-after-ms", "1500"}} << qint64(1500);
        QTest::newRow("milliseconds win")
            << HttpHeaders{{"retry-after", "20"}, {"retry-after-ms", "1500"}} << qint64(1500);
        QTest::newRow("blanks") << HttpHeaders{{"retry-after", " 3 "}} << qint64(3000);
        QTest::newRow("zero") << HttpHeaders{{"retry-after", "0"}} << qint64(0);
        QTest::newRow("negative seconds") << HttpHeaders{{"retry-after", "-5"}} << qint64(0);
        QTest::newRow("negative milliseconds")
            << HttpHeaders{{"retry-after-ms", "-5"}} << qint64(0);
        QTest::newRow("unreadable milliseconds, seconds read")
            << HttpHeaders{{"retry-after-ms", "soon"}, {"retry-after", "4"}} << qint64(4000);
        QTest::newRow("HTTP date")
            << HttpHeaders{{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}} << qint64(-1);
        QTest::newRow("empty") << HttpHeaders{{"retry-after", ""}} << qint64(-1);
        QTest::newRow("no headers") << HttpHeaders{} << qint64(-1);
    }

    void upstreamRetryAfter()
    {
        QFETCH(HttpHeaders, headers);
        QFETCH(qint64, ms);
        QCOMPARE(orMinusOne(RetryPolicy::upstreamRetryAfterMs(headers)), ms);
    }

    // Without Retry-After: 250 ms doubling per retry, jittered to [base/2, 1.5 × base) by the
    // injected source. At most two retries.
    void backoffWithJitter_data()
    {
        QTest::addColumn<quint32>("first");
        QTest::addColumn<quint32>("second");
        QTest::addColumn<qint64>("firstDelay");
        QTest::addColumn<qint64>("secondDelay");
        QTest::newRow("lowest") << 0u << 0u << qint64(125) << qint64(250);
        QTest::newRow("middle") << 125u << 250u << qint64(250) << qint64(500);
        QTest::newRow("highest") << 249u << 499u << qint64(374) << qint64(749);
        QTest::newRow("arbitrary") << 137u << 333u << qint64(262) << qint64(583);
    }

    void backoffWithJitter()
    {
        QFETCH(quint32, first);
        QFETCH(quint32, second);
        QFETCH(qint64, firstDelay);
        QFETCH(qint64, secondDelay);
        RetryBudget budget;
        SequenceRandom random{first, second};
        RetryPolicy policy(budget, random);
        QCOMPARE(policy.retries(), 0);
        QCOMPARE(orMinusOne(policy.scheduleRetry({})), firstDelay);
        QCOMPARE(policy.retries(), 1);
        QCOMPARE(orMinusOne(policy.scheduleRetry({})), secondDelay);
        QCOMPARE(policy.retries(), 2);
        // Retries used up.
        QCOMPARE(orMinusOne(policy.scheduleRetry({})), qint64(-1));
        QCOMPARE(orMinusOne(policy.scheduleRetry({{"retry-after", "1"}})), qint64(-1));
        QCOMPARE(policy.retries(), 2);
    }

    // The upstream's wait is taken as it is, with no jitter drawn for it.
    void retryAfterIsHonoured()
    {
        RetryBudget budget;
        SequenceRandom random{100, 200};
        RetryPolicy policy(budget, random);
        QCOMPARE(orMinusOne(policy.scheduleRetry({{"retry-after", "2"}})), qint64(2000));
        // Second retry without a Retry-After: base 500, the source's first value.
        QCOMPARE(orMinusOne(policy.scheduleRetry({})), qint64(250 + 100));
    }

    void retryAfterUpTo30Seconds_data()
    {
        QTest::addColumn<HttpHeaders>("headers");
        QTest::addColumn<qint64>("delay");
        QTest::newRow("0 s") << HttpHeaders{{"retry-after", "0"}} << qint64(0);
        QTest::newRow("30 s") << HttpHeaders{{"retry-after", "30"}} << qint64(30'000);
        QTest::newRow("30000 ms") << HttpHeaders{{"retry-after-ms", "30000"}} << qint64(30'000);
        QTest::newRow("31 s") << HttpHeaders{{"retry-after", "31"}} << qint64(-1);
        QTest::newRow("30001 ms") << HttpHeaders{{"retry-after-ms", "30001"}} << qint64(-1);
        QTest::newRow("an hour") << HttpHeaders{{"retry-after", "3600"}} << qint64(-1);
    }

    void retryAfterUpTo30Seconds()
    {
        QFETCH(HttpHeaders, headers);
        QFETCH(qint64, delay);
        RetryBudget budget;
        SequenceRandom random{0};
        RetryPolicy policy(budget, random);
        QCOMPARE(orMinusOne(policy.scheduleRetry(headers)), delay);
        QCOMPARE(policy.retries(), delay < 0 ? 0 : 1);
        // A refused retry holds none of the budget: three other calls may still retry.
        if (delay < 0) {
            auto others = policies(3, budget, random);
            for (auto &p : others)
                QVERIFY(p->scheduleRetry({}).has_value());
        }
    }

    // With few calls in flight the budget still allows three retries at once.
    void budgetAllowsAtLeastThree()
    {
        RetryBudget budget;
        SequenceRandom random{0};
        auto calls = policies(4, budget, random); // 20 % of 4 is 0: the floor of 3 applies
        for (int i = 0; i < 3; ++i)
            QCOMPARE(orMinusOne(calls[i]->scheduleRetry({})), qint64(125));
        QCOMPARE(orMinusOne(calls[3]->scheduleRetry({})), qint64(-1));
        QCOMPARE(calls[3]->retries(), 0);
        // A retry that ends gives its unit back.
        calls[0]->retryEnded();
        QCOMPARE(orMinusOne(calls[3]->scheduleRetry({})), qint64(125));
        QCOMPARE(calls[3]->retries(), 1);
    }

    void budgetIsTwentyPercentOfTheCallsInFlight()
    {
        RetryBudget budget;
        SequenceRandom random{0};
        auto calls = policies(25, budget, random); // 5 retries at once
        for (int i = 0; i < 5; ++i)
            QVERIFY(calls[i]->scheduleRetry({}).has_value());
        QVERIFY(!calls[5]->scheduleRetry({}).has_value());
        // A Retry-After does not get past the budget either.
        QVERIFY(!calls[6]->scheduleRetry({{"retry-after", "1"}}).has_value());
    }

    // A call's next retry first gives back the unit its last one held, so a call that already
    // holds a unit is never refused for the budget it is itself using.
    void nextRetryReusesTheCallsOwnUnit()
    {
        RetryBudget budget;
        SequenceRandom random{0};
        auto calls = policies(3, budget, random);
        for (auto &c : calls)
            QVERIFY(c->scheduleRetry({}).has_value());
        QCOMPARE(orMinusOne(calls[0]->scheduleRetry({})), qint64(250));
        RetryPolicy late(budget, random);
        QVERIFY(!late.scheduleRetry({}).has_value());
    }

    // retryEnded() gives back one unit once, however often it is called.
    void retryEndedIsIdempotent()
    {
        RetryBudget budget;
        SequenceRandom random{0};
        auto calls = policies(5, budget, random); // 3 at once
        for (int i = 0; i < 3; ++i)
            QVERIFY(calls[i]->scheduleRetry({}).has_value());
        calls[0]->retryEnded();
        calls[0]->retryEnded();
        calls[0]->retryEnded();
        QVERIFY(calls[3]->scheduleRetry({}).has_value());
        QVERIFY(!calls[4]->scheduleRetry({}).has_value());
    }

    // finish() takes the call out of the calls in flight once, however often it is called.
    void finishIsIdempotent()
    {
        RetryBudget budget;
        SequenceRandom random{0};
        auto calls = policies(25, budget, random);
        for (int i = 20; i < 25; ++i) {
            calls[i]->finish();
            calls[i]->finish();
        }
        // 20 in flight: 4 retries at once (15 would have allowed only 3).
        for (int i = 0; i < 4; ++i)
            QVERIFY(calls[i]->scheduleRetry({}).has_value());
        QVERIFY(!calls[4]->scheduleRetry({}).has_value());
    }

    // A call that ends, by finish() or by going away, gives back the retry it held.
    void anEndedCallGivesItsRetryBack()
    {
        RetryBudget budget;
        SequenceRandom random{0};
        auto calls = policies(3, budget, random);
        for (auto &c : calls)
            QVERIFY(c->scheduleRetry({}).has_value());
        calls[0]->finish();
        calls[1].reset();
        auto fresh = policies(2, budget, random);
        QVERIFY(fresh[0]->scheduleRetry({}).has_value());
        QVERIFY(fresh[1]->scheduleRetry({}).has_value());
        fresh.clear();
        calls.clear();
        // Everything given back: the floor of three retries with no call in flight.
        for (int i = 0; i < 3; ++i)
            QVERIFY(budget.tryBeginRetry());
        QVERIFY(!budget.tryBeginRetry());
    }
};

QTEST_GUILESS_MAIN(TestRetryPolicy)
#include "tst_retrypolicy.moc"
