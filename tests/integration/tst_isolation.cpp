// Tenant isolation end to end: per-tenant limits refuse with the exact codes and headers, and
// the tier scheduler serves a dedicated tenant ahead of a flood from a best-effort one.
#include "RelayHarness.h"

#include "core/Clock.h"
#include "upstream/UpstreamSlots.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace relay;
using namespace relay::test;

namespace {

QByteArray chat(const QString &content, const QString &extra = QString())
{
    return RelayHarness::chatBody(QStringLiteral("gpt-4o"), content, false, extra);
}

// The prompts of the requests that reached the simulated provider, in order ("batch 7").
QStringList prompts(Simulator &sim)
{
    QStringList out;
    for (const SimReceivedRequest &r : sim.received()) {
        const QJsonObject body = QJsonDocument::fromJson(r.body).object();
        out.append(body[QStringLiteral("messages")]
                       .toArray()
                       .first()
                       .toObject()[QStringLiteral("content")]
                       .toString());
    }
    return out;
}

// Which tenant's requests reached the simulated provider, in order (the prompt says whose).
QStringList arrivalOrder(Simulator &sim)
{
    QStringList order;
    for (const QString &prompt : prompts(sim))
        order.append(prompt.section(QLatin1Char(' '), 0, 0));
    return order;
}

// The client whose request sent `prompt` ("batch 7" → clients[7]).
TestHttpClient &clientOf(std::vector<std::unique_ptr<TestHttpClient>> &clients,
                         const QString &prompt)
{
    return *clients.at(size_t(prompt.section(QLatin1Char(' '), 1).toInt()));
}

TenantChanges tier(const char *name)
{
    TenantChanges t;
    t.tier = QString::fromLatin1(name);
    return t;
}

} // namespace

class TestIsolation : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<RelayHarness> h;
    ManualClock clock;

    TestResponse send(const QString &key, const QByteArray &body)
    {
        return request(h->port(), "POST", "/v1/chat/completions", body,
                       TestHttpClient::bearer(key));
    }

private Q_SLOTS:
    void init() { h = std::make_unique<RelayHarness>(); }
    void cleanup() { h.reset(); }

    void rpmLimitRefusesWithExactRetryAfterAndLeavesOthersAlone()
    {
        h->addSimUpstream(QStringLiteral("sim"), h->sim());
        TenantChanges limited;
        limited.rpm = LimitValue(2);
        const QString a = h->addTenant(QStringLiteral("batch"), limited);
        const QString b = h->addTenant(QStringLiteral("prod"));
        EngineOptions options;
        options.clock = &clock; // time stands still unless the test moves it
        QVERIFY(h->start(options));

        TestResponse r = send(a, chat(QStringLiteral("one")));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-ratelimit-limit-requests"), QByteArray("2"));
        QCOMPARE(r.header("x-ratelimit-remaining-requests"), QByteArray("1"));
        QVERIFY(r.header("x-ratelimit-limit-tokens").isEmpty()); // no tpm limit
        QCOMPARE(send(a, chat(QStringLiteral("two"))).status, 200);
        r = send(a, chat(QStringLiteral("three")));
        QCOMPARE(r.status, 429);
        QCOMPARE(r.errorField("type"), QStringLiteral("requests"));
        QCOMPARE(r.errorField("code"), QStringLiteral("rate_limit_exceeded"));
        // 2 per minute refill one request every 30 s; the clock has not moved.
        QCOMPARE(r.header("retry-after-ms"), QByteArray("30000"));
        QCOMPARE(r.header("retry-after"), QByteArray("30"));
        QCOMPARE(r.header("x-ratelimit-remaining-requests"), QByteArray("0"));
        QCOMPARE(h->sim().stats().requests, 2); // the refusal never reached the upstream

        // Another tenant is not affected at all.
        for (int i = 0; i < 5; ++i)
            QCOMPARE(send(b, chat(QStringLiteral("prod"))).status, 200);

        h->advance(30'000);
        QCOMPARE(send(a, chat(QStringLiteral("four"))).status, 200);
        const auto rows = h->usageRows();
        int rejected = 0;
        for (const auto &row : rows)
            rejected += row[QStringLiteral("outcome")].toString() == QLatin1String("rejected");
        QCOMPARE(rejected, 1);
    }

    void tpmLimitReservesTheEstimateAndSettles()
    {
        h->addSimUpstream(QStringLiteral("sim"), h->sim());
        TenantChanges limited;
        limited.tpm = LimitValue(1000);
        const QString key = h->addTenant(QStringLiteral("batch"), limited);
        EngineOptions options;
        options.clock = &clock;
        QVERIFY(h->start(options));

        // Reserves ceil(4/4) + 600 = 601 tokens; really uses 1 + 12 = 13.
        TestResponse r =
            send(key, chat(QStringLiteral("abcd"), QStringLiteral(R"("max_tokens":600)")));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-ratelimit-limit-tokens"), QByteArray("1000"));
        QCOMPARE(r.header("x-ratelimit-remaining-tokens"), QByteArray("399"));
        // After settling, 987 are left: another 601 fits.
        r = send(key, chat(QStringLiteral("abcd"), QStringLiteral(R"("max_tokens":600)")));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("x-ratelimit-remaining-tokens"), QByteArray("386"));
        // 974 left after settling; 991 do not fit until 17 tokens refill (1000/min: 1.02 s).
        r = send(key, chat(QStringLiteral("abcd"), QStringLiteral(R"("max_tokens":990)")));
        QCOMPARE(r.status, 429);
        QCOMPARE(r.errorField("type"), QStringLiteral("tokens"));
        QCOMPARE(r.errorField("code"), QStringLiteral("rate_limit_exceeded"));
        QCOMPARE(r.header("retry-after-ms"), QByteArray("1020"));
        QCOMPARE(r.header("retry-after"), QByteArray("2"));
        // More than the whole limit can never fit: SDKs are told not to retry.
        r = send(key, chat(QStringLiteral("abcd"), QStringLiteral(R"("max_tokens":5000)")));
        QCOMPARE(r.status, 429);
        QCOMPARE(r.errorField("type"), QStringLiteral("tokens"));
        QCOMPARE(r.header("x-should-retry"), QByteArray("false"));
        QCOMPARE(h->sim().stats().requests, 2);
    }

    void concurrencyLimitRefusesTheSecondInFlight()
    {
        h->addSimUpstream(QStringLiteral("sim"), h->sim());
        TenantChanges limited;
        limited.concurrency = LimitValue(1);
        const QString key = h->addTenant(QStringLiteral("batch"), limited);
        QVERIFY(h->start());
        h->sim().pushFault({SimFault::Hang});
        TestHttpClient first(h->port());
        first.send("POST", "/v1/chat/completions", chat(QStringLiteral("hangs")),
                   TestHttpClient::bearer(key));
        QTRY_COMPARE(h->sim().stats().inFlight, 1);
        const TestResponse r = send(key, chat(QStringLiteral("second")));
        QCOMPARE(r.status, 429);
        QCOMPARE(r.errorField("type"), QStringLiteral("requests"));
        QCOMPARE(r.header("retry-after"), QByteArray("1"));
        QCOMPARE(r.header("retry-after-ms"), QByteArray("1000"));
        first.close();
        // The place is given back when the first request ends (here: its client left).
        QTRY_COMPARE(send(key, chat(QStringLiteral("third"))).status, 200);
    }

    void liveRpmChangeTakesEffectWithinTwoSeconds()
    {
        h->addSimUpstream(QStringLiteral("sim"), h->sim());
        const QString key = h->addTenant(QStringLiteral("batch"));
        EngineOptions options;
        options.clock = &clock;
        QVERIFY(h->start(options));
        for (int i = 0; i < 3; ++i)
            QCOMPARE(send(key, chat(QStringLiteral("free"))).status, 200);
        TenantChanges limited;
        limited.rpm = LimitValue(1);
        h->setTenant(QStringLiteral("batch"), limited); // no reload: the engine polls
        // The poll comes well inside the 2 s of interface.md §1: at most a quarter second on
        // the relay's clock. (The bucket keeps its level, capped at 1: one more request fits.)
        h->advance(250);
        QCOMPARE(send(key, chat(QStringLiteral("limited"))).status, 200);
        QCOMPARE(send(key, chat(QStringLiteral("limited"))).status, 429);
    }

    void dedicatedTenantIsServedAheadOfAQueuedFlood()
    {
        // Pool of 4: prod (dedicated) and reports (guaranteed) reserve one slot each, so batch
        // (best-effort) may use the 2 shared slots only. The first four requests the provider
        // gets hold their slots until their clients leave, so nothing frees a slot before the
        // test says so.
        h->addSimUpstream(QStringLiteral("sim"), h->sim(), 4);
        h->sim().pushFault({SimFault::Hang}, 4);
        const QString batch = h->addTenant(QStringLiteral("batch"));
        const QString prod = h->addTenant(QStringLiteral("prod"), tier("dedicated"));
        const QString reports = h->addTenant(QStringLiteral("reports"), tier("guaranteed"));
        QVERIFY(h->start());
        const auto pool = h->engine().upstreamSlots(QStringLiteral("sim"));

        std::vector<std::unique_ptr<TestHttpClient>> flood;
        for (int i = 0; i < 20; ++i) {
            flood.push_back(std::make_unique<TestHttpClient>(h->port()));
            flood.back()->send("POST", "/v1/chat/completions",
                               chat(QStringLiteral("batch %1").arg(i)),
                               TestHttpClient::bearer(batch));
        }
        QTRY_COMPARE(pool->waiting(), 18);
        QCOMPARE(pool->inFlight(), 2);

        // prod and reports each get their reserved slot at once, ahead of 18 queued requests.
        TestHttpClient p(h->port());
        p.send("POST", "/v1/chat/completions", chat(QStringLiteral("prod 0")),
               TestHttpClient::bearer(prod));
        TestHttpClient r(h->port());
        r.send("POST", "/v1/chat/completions", chat(QStringLiteral("reports 0")),
               TestHttpClient::bearer(reports));
        QTRY_COMPARE(pool->inFlight(), 4);
        QCOMPARE(pool->waiting(), 18);
        // A granted request is on its way to the provider a moment after it got its slot.
        QTRY_COMPARE(h->sim().received().size(), 4);
        QStringList order = arrivalOrder(h->sim());
        QCOMPARE(order.size(), 4);
        QVERIFY(order.contains(QStringLiteral("prod")));
        QVERIFY(order.contains(QStringLiteral("reports")));

        // With its reserved slot busy, prod's next requests still go before every batch one:
        // a freed shared slot goes to the higher tier first.
        std::vector<std::unique_ptr<TestHttpClient>> more;
        for (int i = 1; i <= 2; ++i) {
            more.push_back(std::make_unique<TestHttpClient>(h->port()));
            more.back()->send("POST", "/v1/chat/completions",
                              chat(QStringLiteral("prod %1").arg(i)), TestHttpClient::bearer(prod));
        }
        QTRY_COMPARE(pool->waiting(), 20);
        // One batch request holding a shared slot leaves: its slot serves both of prod's
        // queued requests, one after the other, before any batch one. (One slot at a time, so
        // the order the provider sees is the order of the grants.)
        QStringList holding;
        for (const QString &prompt : prompts(h->sim()))
            if (prompt.startsWith(QLatin1String("batch")))
                holding.append(prompt);
        QCOMPARE(holding.size(), 2);
        clientOf(flood, holding[0]).close();
        for (auto &c : more) {
            QVERIFY(c->waitDone());
            QCOMPARE(c->response().status, 200);
        }
        clientOf(flood, holding[1]).close();
        for (int i = 0; i < int(flood.size()); ++i) {
            if (holding.contains(QStringLiteral("batch %1").arg(i)))
                continue;
            QVERIFY(flood[size_t(i)]->waitDone(30'000));
            QCOMPARE(flood[size_t(i)]->response().status, 200);
        }
        order = arrivalOrder(h->sim());
        QCOMPARE(order.size(), 24);
        // Arrivals 5 and 6 are prod's queued ones; then batch's 18, in their order.
        QCOMPARE(order.mid(4, 2), (QStringList{QStringLiteral("prod"), QStringLiteral("prod")}));
        QCOMPARE(order.mid(6).count(QStringLiteral("batch")), 18);
        QVERIFY(!p.response().complete); // still holding prod's reserved slot
        QCOMPARE(pool->peakInFlight(), 4);
    }

    void queueDeadlinesFollowTheTier()
    {
        // One slot, held by a request that never ends: a dedicated tenant waits at most 5 s, a
        // guaranteed one 15 s (interface.md §4), measured on the injected clock.
        h->addSimUpstream(QStringLiteral("sim"), h->sim(), 1);
        const QString batch = h->addTenant(QStringLiteral("batch"));
        const QString prod = h->addTenant(QStringLiteral("prod"), tier("dedicated"));
        const QString reports = h->addTenant(QStringLiteral("reports"), tier("guaranteed"));
        EngineOptions options;
        options.clock = &clock;
        QVERIFY(h->start(options));
        h->sim().pushFault({SimFault::Hang});
        TestHttpClient hung(h->port());
        hung.send("POST", "/v1/chat/completions", chat(QStringLiteral("batch hangs")),
                  TestHttpClient::bearer(batch));
        QTRY_COMPARE(h->sim().stats().inFlight, 1);
        TestHttpClient p(h->port());
        p.send("POST", "/v1/chat/completions", chat(QStringLiteral("prod waits")),
               TestHttpClient::bearer(prod));
        TestHttpClient r(h->port());
        r.send("POST", "/v1/chat/completions", chat(QStringLiteral("reports waits")),
               TestHttpClient::bearer(reports));
        const auto pool = h->engine().upstreamSlots(QStringLiteral("sim"));
        QTRY_COMPARE(pool->waiting(), 2);
        h->advance(4'900);
        QVERIFY(!p.response().complete);
        h->advance(200);
        QVERIFY(p.waitDone(3000));
        QCOMPARE(p.response().status, 503);
        QCOMPARE(p.response().errorField("code"), QStringLiteral("server_overloaded"));
        QVERIFY(!p.response().header("retry-after").isEmpty());
        QVERIFY(!r.response().complete);
        h->advance(9'800); // 14.9 s
        QVERIFY(!r.response().complete);
        h->advance(200);
        QVERIFY(r.waitDone(3000));
        QCOMPARE(r.response().status, 503);
        QCOMPARE(h->sim().stats().requests, 1);
    }

    void oneTenantsBacklogNeverDelaysAnotherTenantOfTheSameTier()
    {
        // Two best-effort tenants share one slot: a backlog of 10 from A, then 1 from B. Deficit
        // round robin serves B's request next, not after A's whole backlog. A's first request
        // holds the slot until its client leaves.
        h->addSimUpstream(QStringLiteral("sim"), h->sim(), 1);
        h->sim().pushFault({SimFault::Hang});
        const QString a = h->addTenant(QStringLiteral("alpha"));
        const QString b = h->addTenant(QStringLiteral("bravo"));
        QVERIFY(h->start());
        const auto pool = h->engine().upstreamSlots(QStringLiteral("sim"));
        std::vector<std::unique_ptr<TestHttpClient>> clients;
        for (int i = 0; i < 10; ++i) {
            clients.push_back(std::make_unique<TestHttpClient>(h->port()));
            clients.back()->send("POST", "/v1/chat/completions",
                                 chat(QStringLiteral("alpha %1").arg(i)),
                                 TestHttpClient::bearer(a));
        }
        QTRY_COMPARE(pool->waiting(), 9);
        clients.push_back(std::make_unique<TestHttpClient>(h->port()));
        clients.back()->send("POST", "/v1/chat/completions", chat(QStringLiteral("bravo 0")),
                             TestHttpClient::bearer(b));
        QTRY_COMPARE(pool->waiting(), 10);
        QTRY_COMPARE(prompts(h->sim()).size(), 1); // on its way to the provider
        TestHttpClient &holding = clientOf(clients, prompts(h->sim()).first());
        holding.close();
        for (auto &c : clients)
            if (c.get() != &holding)
                QVERIFY(c->waitDone(30'000));
        const QStringList order = arrivalOrder(h->sim());
        QCOMPARE(order.size(), 11);
        QVERIFY2(order.indexOf(QStringLiteral("bravo")) <= 2, qPrintable(order.join(u',')));
    }
};

QTEST_GUILESS_MAIN(TestIsolation)
#include "tst_isolation.moc"
