// Per-tenant limits as a tenant meets them (interface.md §4 "Limits"): which request is refused
// and why, exactly how long it must wait, what the x-ratelimit-* headers say, and that limits
// changed at run time keep what the tenant has used. Time moves only by hand.

#include "core/Clock.h"
#include "http/HttpMessage.h"
#include "limits/RateLimiter.h"

#include <QTest>

#include <atomic>
#include <thread>
#include <vector>

using relay::LimitDecision;
using relay::LimitRefusal;
using relay::RateLimiter;
using relay::TenantLimits;

namespace {

const QString kTenant = QStringLiteral("acme");

TenantLimits limits(std::optional<qint64> rpm, std::optional<qint64> tpm,
                    std::optional<qint64> concurrency = std::nullopt)
{
    return TenantLimits{rpm, tpm, concurrency};
}

QByteArray header(const LimitDecision &d, QByteArrayView name)
{
    return relay::headerValue(d.headers, name);
}

QList<QByteArray> headerNames(const LimitDecision &d)
{
    QList<QByteArray> names;
    for (const auto &[name, value] : d.headers)
        names.append(name);
    return names;
}

} // namespace

class TestRateLimiter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        m_clock = std::make_unique<relay::ManualClock>();
        m_limiter = std::make_unique<RateLimiter>(*m_clock);
    }

    void noLimitsNoHeaders()
    {
        m_limiter->configure(kTenant, {});
        for (int i = 0; i < 1000; ++i)
            QVERIFY(m_limiter->admit(kTenant, 1'000'000).admitted());
        const LimitDecision d = m_limiter->admit(kTenant, 0);
        QVERIFY(d.admitted());
        QCOMPARE(d.retryAfterMs, 0);
        QVERIFY(d.headers.isEmpty());
        // A tenant never configured has no limits either.
        QVERIFY(m_limiter->admit(QStringLiteral("stranger"), 5).admitted());
    }

    void rpmRefusesWithTheExactWait()
    {
        m_limiter->configure(kTenant, limits(2, std::nullopt)); // a request every 30 s
        LimitDecision d = m_limiter->admit(kTenant, 0);
        QVERIFY(d.admitted());
        QCOMPARE(header(d, "x-ratelimit-remaining-requests"), QByteArray("1"));
        QCOMPARE(header(d, "x-ratelimit-reset-requests"), QByteArray("30s"));
        d = m_limiter->admit(kTenant, 0);
        QVERIFY(d.admitted());
        QCOMPARE(header(d, "x-ratelimit-remaining-requests"), QByteArray("0"));
        QCOMPARE(header(d, "x-ratelimit-reset-requests"), QByteArray("1m0s"));

        d = m_limiter->admit(kTenant, 0);
        QCOMPARE(d.refusal, LimitRefusal::Requests);
        QCOMPARE(d.retryAfterMs, 30'000);
        QCOMPARE(header(d, "x-ratelimit-remaining-requests"), QByteArray("0"));

        m_clock->advance(29'999);
        d = m_limiter->admit(kTenant, 0);
        QCOMPARE(d.refusal, LimitRefusal::Requests);
        QCOMPARE(d.retryAfterMs, 1);
        m_clock->advance(1);
        QVERIFY(m_limiter->admit(kTenant, 0).admitted());

        // An awkward rate: 7 rpm, a token every 8571.43 ms.
        m_limiter->configure(QStringLiteral("odd"), limits(7, std::nullopt));
        for (int i = 0; i < 7; ++i)
            QVERIFY(m_limiter->admit(QStringLiteral("odd"), 0).admitted());
        d = m_limiter->admit(QStringLiteral("odd"), 0);
        QCOMPARE(d.refusal, LimitRefusal::Requests);
        QCOMPARE(d.retryAfterMs, 8572);
        m_clock->advance(8571);
        QCOMPARE(m_limiter->admit(QStringLiteral("odd"), 0).retryAfterMs, 1);
        m_clock->advance(1);
        QVERIFY(m_limiter->admit(QStringLiteral("odd"), 0).admitted());
    }

    void releaseUndoesAnAdmissionRefusedLater()
    {
        // A request refused for budget after passing the limits takes nothing from them.
        m_limiter->configure(kTenant, limits(2, 1000, 1));
        QVERIFY(m_limiter->admit(kTenant, 600).admitted());
        const relay::HttpHeaders after = m_limiter->release(kTenant, 600);
        QCOMPARE(relay::headerValue(after, "x-ratelimit-remaining-requests"), QByteArray("2"));
        QCOMPARE(relay::headerValue(after, "x-ratelimit-remaining-tokens"), QByteArray("1000"));
        // The concurrency place is free again, and so are both tokens of the rpm bucket.
        QVERIFY(m_limiter->admit(kTenant, 600).admitted());
        m_limiter->finish(kTenant, 600, 600);
        const LimitDecision d = m_limiter->admit(kTenant, 0);
        QVERIFY(d.admitted());
        QCOMPARE(header(d, "x-ratelimit-remaining-requests"), QByteArray("0"));
        QVERIFY(m_limiter->release(QStringLiteral("stranger"), 5).isEmpty());
    }

    void tpmReservesTheEstimateWithTheExactWait()
    {
        m_limiter->configure(kTenant, limits(std::nullopt, 1000)); // 1000 tokens/min
        LimitDecision d = m_limiter->admit(kTenant, 600);
        QVERIFY(d.admitted());
        QCOMPARE(header(d, "x-ratelimit-limit-tokens"), QByteArray("1000"));
        QCOMPARE(header(d, "x-ratelimit-remaining-tokens"), QByteArray("400"));
        QCOMPARE(header(d, "x-ratelimit-reset-tokens"), QByteArray("36s"));
        QVERIFY(header(d, "x-ratelimit-limit-requests").isNull());

        d = m_limiter->admit(kTenant, 500);
        QCOMPARE(d.refusal, LimitRefusal::Tokens);
        QCOMPARE(d.retryAfterMs, 6000); // 100 tokens at 1000/min
        QCOMPARE(header(d, "x-ratelimit-remaining-tokens"), QByteArray("400"));
        m_clock->advance(5999);
        QCOMPARE(m_limiter->admit(kTenant, 500).retryAfterMs, 1);
        m_clock->advance(1);
        d = m_limiter->admit(kTenant, 500);
        QVERIFY(d.admitted());
        QCOMPARE(header(d, "x-ratelimit-remaining-tokens"), QByteArray("0"));
    }

    void settleRefundsUnusedTokens()
    {
        m_limiter->configure(kTenant, limits(std::nullopt, 1000));
        QVERIFY(m_limiter->admit(kTenant, 800).admitted());
        QCOMPARE(m_limiter->admit(kTenant, 500).refusal, LimitRefusal::Tokens);
        m_limiter->finish(kTenant, 800, 250); // 550 come back: 750 in the bucket
        LimitDecision d = m_limiter->admit(kTenant, 500);
        QVERIFY(d.admitted());
        QCOMPARE(header(d, "x-ratelimit-remaining-tokens"), QByteArray("250"));
        // A refund never overfills the bucket.
        m_limiter->finish(kTenant, 500, 0);
        m_limiter->finish(kTenant, 100'000, 0);
        d = m_limiter->admit(kTenant, 0);
        QCOMPARE(header(d, "x-ratelimit-remaining-tokens"), QByteArray("1000"));
        QCOMPARE(header(d, "x-ratelimit-reset-tokens"), QByteArray("0s"));
    }

    void settleChargesOverspendBelowZero()
    {
        m_limiter->configure(kTenant, limits(std::nullopt, 600)); // 10 tokens a second
        QVERIFY(m_limiter->admit(kTenant, 500).admitted());
        m_limiter->finish(kTenant, 500, 800); // 300 more than reserved: level -200
        LimitDecision d = m_limiter->admit(kTenant, 100);
        QCOMPARE(d.refusal, LimitRefusal::Tokens);
        QCOMPARE(d.retryAfterMs, 30'000);
        QCOMPARE(header(d, "x-ratelimit-remaining-tokens"), QByteArray("0")); // never negative
        QCOMPARE(header(d, "x-ratelimit-reset-tokens"), QByteArray("1m20s"));
        // Even a request with no estimate waits until the debt is paid.
        QCOMPARE(m_limiter->admit(kTenant, 0).retryAfterMs, 20'000);
        m_clock->advance(30'000);
        QVERIFY(m_limiter->admit(kTenant, 100).admitted());
    }

    void estimateOverTheWholeTpmIsNever()
    {
        m_limiter->configure(kTenant, limits(10, 1000));
        LimitDecision d = m_limiter->admit(kTenant, 1001);
        QCOMPARE(d.refusal, LimitRefusal::TokensNever);
        QCOMPARE(d.retryAfterMs, 0);
        QVERIFY(!d.admitted());
        // It took nothing.
        QCOMPARE(header(d, "x-ratelimit-remaining-requests"), QByteArray("10"));
        QCOMPARE(header(d, "x-ratelimit-remaining-tokens"), QByteArray("1000"));
        // Exactly the whole tpm fits.
        d = m_limiter->admit(kTenant, 1000);
        QVERIFY(d.admitted());
        // Even when the bucket is empty, too big stays never rather than "wait".
        QCOMPARE(m_limiter->admit(kTenant, 1001).refusal, LimitRefusal::TokensNever);
    }

    void concurrencyCapsRequestsInFlight()
    {
        m_limiter->configure(kTenant, limits(std::nullopt, std::nullopt, 2));
        QVERIFY(m_limiter->admit(kTenant, 0).admitted());
        QVERIFY(m_limiter->admit(kTenant, 0).admitted());
        LimitDecision d = m_limiter->admit(kTenant, 0);
        QCOMPARE(d.refusal, LimitRefusal::Concurrency);
        QCOMPARE(d.retryAfterMs, 1000);
        QVERIFY(d.headers.isEmpty());
        // Time does not help; a finished request does.
        m_clock->advance(3'600'000);
        QCOMPARE(m_limiter->admit(kTenant, 0).refusal, LimitRefusal::Concurrency);
        m_limiter->finish(kTenant, 0, 0);
        QVERIFY(m_limiter->admit(kTenant, 0).admitted());
        QCOMPARE(m_limiter->admit(kTenant, 0).refusal, LimitRefusal::Concurrency);
        // More finishes than admits never make room for more than the cap.
        for (int i = 0; i < 5; ++i)
            m_limiter->finish(kTenant, 0, 0);
        QVERIFY(m_limiter->admit(kTenant, 0).admitted());
        QVERIFY(m_limiter->admit(kTenant, 0).admitted());
        QCOMPARE(m_limiter->admit(kTenant, 0).refusal, LimitRefusal::Concurrency);
    }

    void checksInOrderAndRefusalsTakeNothing()
    {
        // Concurrency first: a full tenant with an empty rpm bucket is told concurrency.
        m_limiter->configure(kTenant, limits(1, 100, 1));
        QVERIFY(m_limiter->admit(kTenant, 50).admitted());
        LimitDecision d = m_limiter->admit(kTenant, 500);
        QCOMPARE(d.refusal, LimitRefusal::Concurrency);
        QCOMPARE(header(d, "x-ratelimit-remaining-tokens"), QByteArray("50"));
        m_limiter->finish(kTenant, 50, 50);

        // Then rpm, before tpm.
        d = m_limiter->admit(kTenant, 500);
        QCOMPARE(d.refusal, LimitRefusal::Requests);
        QCOMPARE(d.retryAfterMs, 60'000);

        // A tpm refusal takes no rpm token and no concurrency place.
        m_limiter->configure(QStringLiteral("b"), limits(3, 100, 1));
        QVERIFY(m_limiter->admit(QStringLiteral("b"), 80).admitted());
        m_limiter->finish(QStringLiteral("b"), 80, 80);
        d = m_limiter->admit(QStringLiteral("b"), 50);
        QCOMPARE(d.refusal, LimitRefusal::Tokens);
        QCOMPARE(header(d, "x-ratelimit-remaining-requests"), QByteArray("2"));
        d = m_limiter->admit(QStringLiteral("b"), 20);
        QVERIFY(d.admitted());
        QCOMPARE(header(d, "x-ratelimit-remaining-requests"), QByteArray("1"));
        QCOMPARE(header(d, "x-ratelimit-remaining-tokens"), QByteArray("0"));

        // A concurrency refusal takes no rpm token or tpm.
        d = m_limiter->admit(QStringLiteral("b"), 0);
        QCOMPARE(d.refusal, LimitRefusal::Concurrency);
        QCOMPARE(header(d, "x-ratelimit-remaining-requests"), QByteArray("1"));
    }

    void tenantsDoNotShareBuckets()
    {
        m_limiter->configure(QStringLiteral("a"), limits(1, 100, 1));
        m_limiter->configure(QStringLiteral("b"), limits(1, 100, 1));
        QVERIFY(m_limiter->admit(QStringLiteral("a"), 100).admitted());
        QVERIFY(!m_limiter->admit(QStringLiteral("a"), 0).admitted());
        const LimitDecision d = m_limiter->admit(QStringLiteral("b"), 100);
        QVERIFY(d.admitted());
        QCOMPARE(header(d, "x-ratelimit-remaining-tokens"), QByteArray("0"));
    }

    void changedLimitKeepsTheLevel()
    {
        m_limiter->configure(kTenant, limits(10, 1000));
        for (int i = 0; i < 6; ++i)
            QVERIFY(m_limiter->admit(kTenant, 100).admitted()); // 4 requests, 400 tokens left
        m_limiter->configure(kTenant, limits(20, 2000));
        LimitDecision d = m_limiter->admit(kTenant, 0);
        QCOMPARE(header(d, "x-ratelimit-limit-requests"), QByteArray("20"));
        QCOMPARE(header(d, "x-ratelimit-remaining-requests"), QByteArray("3"));
        QCOMPARE(header(d, "x-ratelimit-limit-tokens"), QByteArray("2000"));
        QCOMPARE(header(d, "x-ratelimit-remaining-tokens"), QByteArray("400"));
        // The same limits again change nothing.
        m_limiter->configure(kTenant, limits(20, 2000));
        d = m_limiter->admit(kTenant, 0);
        QCOMPARE(header(d, "x-ratelimit-remaining-requests"), QByteArray("2"));
        // Smaller: capped at the new size.
        m_limiter->configure(kTenant, limits(2, 100));
        d = m_limiter->admit(kTenant, 0);
        QCOMPARE(header(d, "x-ratelimit-remaining-requests"), QByteArray("1"));
        QCOMPARE(header(d, "x-ratelimit-remaining-tokens"), QByteArray("100"));
    }

    void removedLimitDropsItsBucketAndAnAddedOneStartsFull()
    {
        m_limiter->configure(kTenant, limits(2, 100));
        QVERIFY(m_limiter->admit(kTenant, 100).admitted());
        QVERIFY(m_limiter->admit(kTenant, 0).admitted());
        QVERIFY(!m_limiter->admit(kTenant, 0).admitted());

        m_limiter->configure(kTenant, limits(std::nullopt, 100));
        LimitDecision d = m_limiter->admit(kTenant, 0);
        QVERIFY(d.admitted());
        QCOMPARE(headerNames(d),
                 (QList<QByteArray>{"x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens",
                                    "x-ratelimit-reset-tokens"}));
        m_limiter->configure(kTenant, {});
        QVERIFY(m_limiter->admit(kTenant, 10'000).admitted());

        m_limiter->configure(kTenant, limits(2, 100));
        d = m_limiter->admit(kTenant, 100);
        QVERIFY(d.admitted());
        QCOMPARE(header(d, "x-ratelimit-remaining-requests"), QByteArray("1"));
        QCOMPARE(header(d, "x-ratelimit-remaining-tokens"), QByteArray("0"));
    }

    void concurrencyAddedCountsRequestsAlreadyRunning()
    {
        m_limiter->configure(kTenant, {});
        for (int i = 0; i < 3; ++i)
            QVERIFY(m_limiter->admit(kTenant, 0).admitted());
        m_limiter->configure(kTenant, limits(std::nullopt, std::nullopt, 2));
        QCOMPARE(m_limiter->admit(kTenant, 0).refusal, LimitRefusal::Concurrency);
        m_limiter->finish(kTenant, 0, 0);
        QCOMPARE(m_limiter->admit(kTenant, 0).refusal, LimitRefusal::Concurrency);
        m_limiter->finish(kTenant, 0, 0);
        QVERIFY(m_limiter->admit(kTenant, 0).admitted());
    }

    void retainForgetsRemovedTenants()
    {
        m_limiter->configure(QStringLiteral("gone"), limits(1, std::nullopt, 1));
        m_limiter->configure(QStringLiteral("kept"), limits(1, std::nullopt));
        QVERIFY(m_limiter->admit(QStringLiteral("gone"), 0).admitted());
        QVERIFY(m_limiter->admit(QStringLiteral("kept"), 0).admitted());
        m_limiter->retain({QStringLiteral("kept")});
        // A request still running when its tenant went finishes harmlessly.
        m_limiter->finish(QStringLiteral("gone"), 0, 0);
        QCOMPARE(m_limiter->admit(QStringLiteral("kept"), 0).refusal, LimitRefusal::Requests);
        // Back in the directory, it starts afresh.
        m_limiter->configure(QStringLiteral("gone"), limits(1, std::nullopt, 1));
        QVERIFY(m_limiter->admit(QStringLiteral("gone"), 0).admitted());
    }

    void headersNamesAndOrder()
    {
        m_limiter->configure(kTenant, limits(60, 90'000));
        const LimitDecision d = m_limiter->admit(kTenant, 1500);
        QVERIFY(d.admitted());
        QCOMPARE(d.headers, (relay::HttpHeaders{{"x-ratelimit-limit-requests", "60"},
                                                {"x-ratelimit-remaining-requests", "59"},
                                                {"x-ratelimit-reset-requests", "1s"},
                                                {"x-ratelimit-limit-tokens", "90000"},
                                                {"x-ratelimit-remaining-tokens", "88500"},
                                                {"x-ratelimit-reset-tokens", "1s"}}));
        m_clock->advance(400);
        const LimitDecision later = m_limiter->admit(kTenant, 87'900);
        QVERIFY(later.admitted());
        // 59 + 0.4 - 1 = 58.4 requests: 58 shown; the bucket is full again 1.6 s later.
        QCOMPARE(header(later, "x-ratelimit-remaining-requests"), QByteArray("58"));
        QCOMPARE(header(later, "x-ratelimit-reset-requests"), QByteArray("1.6s"));
        // 88500 + 400 ms × 1500/s - 87900 = 1200 tokens left; 88800 missing: 59.2 s.
        QCOMPARE(header(later, "x-ratelimit-remaining-tokens"), QByteArray("1200"));
        QCOMPARE(header(later, "x-ratelimit-reset-tokens"), QByteArray("59.2s"));
    }

    void formatDuration_data()
    {
        QTest::addColumn<qint64>("ms");
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("zero") << qint64(0) << QByteArray("0s");
        QTest::newRow("negative") << qint64(-5) << QByteArray("0s");
        QTest::newRow("1 ms") << qint64(1) << QByteArray("1ms");
        QTest::newRow("120 ms") << qint64(120) << QByteArray("120ms");
        QTest::newRow("999 ms") << qint64(999) << QByteArray("999ms");
        QTest::newRow("1 s") << qint64(1000) << QByteArray("1s");
        QTest::newRow("1.001 s") << qint64(1001) << QByteArray("1.001s");
        QTest::newRow("1.01 s") << qint64(1010) << QByteArray("1.01s");
        QTest::newRow("1.5 s") << qint64(1500) << QByteArray("1.5s");
        QTest::newRow("20 s") << qint64(20'000) << QByteArray("20s");
        QTest::newRow("59.999 s") << qint64(59'999) << QByteArray("59.999s");
        QTest::newRow("1 min") << qint64(60'000) << QByteArray("1m0s");
        QTest::newRow("90 s") << qint64(90'000) << QByteArray("1m30s");
        QTest::newRow("90.5 s") << qint64(90'500) << QByteArray("1m30.5s");
        QTest::newRow("6 min") << qint64(360'000) << QByteArray("6m0s");
        QTest::newRow("1 h") << qint64(3'600'000) << QByteArray("1h0m0s");
        QTest::newRow("1h2m3s") << qint64(3'723'000) << QByteArray("1h2m3s");
        QTest::newRow("2 h") << qint64(7'200'000) << QByteArray("2h0m0s");
        QTest::newRow("2h0m0.25s") << qint64(7'200'250) << QByteArray("2h0m0.25s");
        QTest::newRow("30 h") << qint64(108'000'000) << QByteArray("30h0m0s");
    }

    void formatDuration()
    {
        QFETCH(qint64, ms);
        QFETCH(QByteArray, text);
        QCOMPARE(RateLimiter::formatDuration(ms), text);
    }

    void neverMoreThanTheConcurrencyAtOnce()
    {
        // Real threads racing on one tenant: the number running never exceeds the cap, and no
        // place leaks.
        constexpr int kCap = 3;
        constexpr int kThreads = 8;
        constexpr int kRounds = 20'000;
        m_limiter->configure(kTenant, limits(std::nullopt, std::nullopt, kCap));
        std::atomic<int> running{0};
        std::atomic<int> most{0};
        std::atomic<int> admitted{0};
        std::atomic<int> refused{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&] {
                for (int i = 0; i < kRounds; ++i) {
                    if (!m_limiter->admit(kTenant, 0).admitted()) {
                        ++refused;
                        continue;
                    }
                    ++admitted;
                    const int now = ++running;
                    int seen = most.load();
                    while (now > seen && !most.compare_exchange_weak(seen, now)) {
                    }
                    std::this_thread::yield();
                    --running;
                    m_limiter->finish(kTenant, 0, 0);
                }
            });
        }
        // Other tenants come and go meanwhile; they must not disturb this one.
        std::thread churn([&] {
            for (int i = 0; i < 2000; ++i) {
                const QString other = QStringLiteral("t%1").arg(i % 16);
                m_limiter->configure(other, limits(100, 1000, 1));
                m_limiter->admit(other, 10);
                m_limiter->retain({kTenant});
            }
        });
        for (std::thread &t : threads)
            t.join();
        churn.join();
        QVERIFY2(most.load() <= kCap, qPrintable(QString::number(most.load())));
        QVERIFY(admitted.load() > 0);
        QCOMPARE(admitted.load() + refused.load(), kThreads * kRounds);
        for (int i = 0; i < kCap; ++i)
            QVERIFY(m_limiter->admit(kTenant, 0).admitted());
        QCOMPARE(m_limiter->admit(kTenant, 0).refusal, LimitRefusal::Concurrency);
    }

private:
    std::unique_ptr<relay::ManualClock> m_clock;
    std::unique_ptr<RateLimiter> m_limiter;
};

QTEST_APPLESS_MAIN(TestRateLimiter)
#include "tst_ratelimiter.moc"
