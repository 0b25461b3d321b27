// Stage 8 on its own (design.md, "One request, start to end"): the price a request is billed at
// (the first priced of the name sent upstream, the one that answered and the one requested; a
// price covers dated variants by longest prefix), its cost with Anthropic's prompt-cache tokens
// at their own prices (0.1× and 1.25× the input price unless set), unpriced → 0; and what
// metering a served or a refused request does to the tenant's tokens/min, budget and live
// figures, with the real rate limiter, budget tracker and metrics registry on a manual clock.

#include "billing/PriceIndex.h"
#include "budget/BudgetTracker.h"
#include "core/Clock.h"
#include "http/HttpMessage.h"
#include "limits/RateLimiter.h"
#include "metering/Reservation.h"
#include "metering/UsageMeter.h"
#include "metrics/FlowMetrics.h"
#include "tenants/DirectorySnapshot.h"

#include <QTest>

using namespace relay;

namespace {

const QString kAcme = QStringLiteral("acme");

DirectorySnapshot directory()
{
    DirectorySnapshot d;
    UpstreamConfig openai;
    openai.name = QStringLiteral("openai");
    UpstreamConfig azure;
    azure.name = QStringLiteral("azure");
    d.upstreams = {openai, azure};
    d.routes.insert(QStringLiteral("gpt-4o"),
                    {{QStringLiteral("azure"), QStringLiteral("gpt4o-prod")}});
    d.aliases.insert(QStringLiteral("fast"), QStringLiteral("gpt-4o-mini"));
    PriceConfig opus{QStringLiteral("claude-opus-4"), 15.0, 75.0};
    opus.cacheReadPerMTok = 1.0;
    opus.cacheWritePerMTok = 20.0;
    d.prices = {opus,
                {QStringLiteral("claude-sonnet-4-5"), 3.0, 15.0},
                {QStringLiteral("gpt-4o"), 2.5, 10.0},
                {QStringLiteral("gpt-4o-mini"), 0.15, 0.60}};
    return d;
}

// The model whose price applies, or "-" for none.
QString pricedAs(const DirectorySnapshot &d, std::initializer_list<QStringView> models)
{
    const PriceIndex prices(d);
    const PriceConfig *price = prices.first(models);
    return price ? price->model : QStringLiteral("-");
}

UsageRecord record(qint64 prompt, qint64 completion, qint64 cacheRead = 0, qint64 cacheWrite = 0)
{
    UsageRecord r;
    r.tenantId = kAcme;
    r.promptTokens = prompt;
    r.completionTokens = completion;
    r.cacheReadTokens = cacheRead;
    r.cacheWriteTokens = cacheWrite;
    return r;
}

QByteArray header(const LimitDecision &d, QByteArrayView name)
{
    return headerValue(d.headers, name);
}

} // namespace

class TestUsageMeter : public QObject
{
    Q_OBJECT

    // A tenant with 10,000 tokens/min, one request at a time and a $1 budget.
    struct Fixture
    {
        ManualClock clock;
        RateLimiter limiter{clock};
        BudgetTracker budgets{clock};
        MetricsRegistry metrics;
        QList<UsageRecord> rows;
        UsageMeter meter{limiter, budgets, [this](UsageRecord r) { rows.append(r); }};

        Fixture()
        {
            limiter.configure(kAcme, TenantLimits{std::nullopt, 10'000, 1});
            budgets.configure(kAcme, TenantBudget{1.0, false, {50, 80, 100}});
        }
        // What admission holds for a request estimated at `tokens` and `usd`.
        Reservation admit(qint64 tokens, double usd)
        {
            if (!limiter.admit(kAcme, tokens).admitted())
                qWarning("limiter refused");
            if (budgets.admit(kAcme, usd) != BudgetRefusal::None)
                qWarning("budget refused");
            return Reservation{tokens, usd, {}};
        }
        // Admits (and holds) a probe request: the tokens/min left, or "refused" when the
        // concurrency place is taken.
        QByteArray tokensLeft()
        {
            const LimitDecision d = limiter.admit(kAcme, 0);
            if (!d.admitted())
                return "refused";
            return header(d, "x-ratelimit-remaining-tokens");
        }
        // Metered as the relay does, counted in the tenant's figures and `upstream`'s (if any).
        void served(const UsageRecord &r, const Reservation &reservation, const QString &upstream)
        {
            meter.served(r, reservation, *metrics.tenant(kAcme),
                         upstream.isEmpty() ? nullptr : metrics.upstream(upstream).get());
        }
        void rejected(const UsageRecord &r) { meter.rejected(r, *metrics.tenant(kAcme)); }
    };

private Q_SLOTS:
    void priceLookup()
    {
        const DirectorySnapshot d = directory();
        // Exact names, and dated variants by their longest priced prefix.
        QCOMPARE(pricedAs(d, {QStringLiteral("gpt-4o-mini")}), QStringLiteral("gpt-4o-mini"));
        QCOMPARE(pricedAs(d, {QStringLiteral("gpt-4o-mini-2024-07-18")}),
                 QStringLiteral("gpt-4o-mini"));
        QCOMPARE(pricedAs(d, {QStringLiteral("gpt-4o-2024-08-06")}), QStringLiteral("gpt-4o"));
        QCOMPARE(pricedAs(d, {QStringLiteral("claude-sonnet-4-5-20250929")}),
                 QStringLiteral("claude-sonnet-4-5"));
        // A price covers longer names only, never a shorter one.
        QCOMPARE(pricedAs(d, {QStringLiteral("gpt-4")}), QStringLiteral("-"));
        // An alias is a requested name, not a price.
        QCOMPARE(pricedAs(d, {QStringLiteral("fast")}), QStringLiteral("-"));
        QCOMPARE(pricedAs(d, {QStringLiteral("llama-3-70b")}), QStringLiteral("-"));
        QCOMPARE(pricedAs(d, {}), QStringLiteral("-"));
        QCOMPARE(pricedAs(d, {QString(), QString()}), QStringLiteral("-"));
        // The first priced name wins, in the caller's order (sent, served, requested) — not the
        // longest match among them.
        QCOMPARE(pricedAs(d, {QStringLiteral("gpt-4o"), QStringLiteral("gpt-4o-mini")}),
                 QStringLiteral("gpt-4o"));
        QCOMPARE(pricedAs(d, {QStringLiteral("gpt-4o-mini"), QStringLiteral("gpt-4o")}),
                 QStringLiteral("gpt-4o-mini"));
        // Empty and unpriced names are passed over.
        QCOMPARE(pricedAs(d, {QString(), QStringLiteral("gpt4o-prod"),
                              QStringLiteral("gpt-4o-2024-08-06")}),
                 QStringLiteral("gpt-4o"));
    }

    // The names a call has after routing: alias → routed name sent upstream; the served name
    // (what the upstream answered with) covers an unpriced deployment name.
    void priceOfARoutedCall()
    {
        const DirectorySnapshot d = directory();
        const ModelResolution fast = d.resolve(QStringLiteral("fast"));
        QCOMPARE(fast.chain.size(), size_t(1));
        QCOMPARE(pricedAs(d, {fast.chain.front().model, QString(), fast.requested}),
                 QStringLiteral("gpt-4o-mini"));

        const ModelResolution routed = d.resolve(QStringLiteral("gpt-4o"));
        QCOMPARE(routed.chain.front().model, QStringLiteral("gpt4o-prod"));
        QCOMPARE(pricedAs(d, {routed.chain.front().model, QStringLiteral("gpt-4o-2024-11-20"),
                              routed.requested}),
                 QStringLiteral("gpt-4o"));
        // Nothing served (the call never got an answer): the requested name's price.
        QCOMPARE(pricedAs(d, {routed.chain.front().model, QString(), routed.requested}),
                 QStringLiteral("gpt-4o"));
    }

    void cost_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<qint64>("prompt");
        QTest::addColumn<qint64>("completion");
        QTest::addColumn<qint64>("cacheRead");
        QTest::addColumn<qint64>("cacheWrite");
        QTest::addColumn<double>("usd");

        // 1,200 × 0.15 + 300 × 0.60 per million.
        QTest::newRow("plain") << QStringLiteral("gpt-4o-mini-2024-07-18") << qint64(1200)
                               << qint64(300) << qint64(0) << qint64(0) << 0.00036;
        QTest::newRow("nothing used")
            << QStringLiteral("gpt-4o") << qint64(0) << qint64(0) << qint64(0) << qint64(0) << 0.0;
        QTest::newRow("completion only") << QStringLiteral("gpt-4o") << qint64(0) << qint64(1000)
                                         << qint64(0) << qint64(0) << 0.01;
        // Sonnet at $3/$15 with no cache prices set: reads at $0.30, writes at $3.75.
        // 2,000 × 3 + 6,000 × 0.30 + 2,000 × 3.75 + 500 × 15 = 22,800 per million.
        QTest::newRow("cache at the default shares")
            << QStringLiteral("claude-sonnet-4-5-20250929") << qint64(10'000) << qint64(500)
            << qint64(6000) << qint64(2000) << 0.0228;
        QTest::newRow("cache reads only") << QStringLiteral("claude-sonnet-4-5") << qint64(10'000)
                                          << qint64(0) << qint64(10'000) << qint64(0) << 0.003;
        QTest::newRow("cache writes only") << QStringLiteral("claude-sonnet-4-5") << qint64(4000)
                                           << qint64(0) << qint64(0) << qint64(4000) << 0.015;
        // Opus at $15/$75 with reads at $1 and writes at $20 set:
        // 2,000 × 15 + 6,000 × 1 + 2,000 × 20 + 500 × 75 = 113,500 per million.
        QTest::newRow("cache at set prices")
            << QStringLiteral("claude-opus-4") << qint64(10'000) << qint64(500) << qint64(6000)
            << qint64(2000) << 0.1135;
    }

    void cost()
    {
        QFETCH(QString, model);
        QFETCH(qint64, prompt);
        QFETCH(qint64, completion);
        QFETCH(qint64, cacheRead);
        QFETCH(qint64, cacheWrite);
        QFETCH(double, usd);
        const DirectorySnapshot d = directory();
        UsageRecord r = record(prompt, completion, cacheRead, cacheWrite);
        UsageMeter::price(r, PriceIndex(d).find(model));
        QVERIFY(r.priced);
        QVERIFY2(qAbs(r.costUsd - usd) < 1e-12, qPrintable(QString::number(r.costUsd, 'g', 17)));
        // The tokens themselves are left as they are.
        QCOMPARE(r.promptTokens, prompt);
        QCOMPARE(r.cacheReadTokens, cacheRead);
    }

    void defaultCachePrices()
    {
        const PriceIndex prices(directory());
        const PriceConfig *sonnet = prices.find(u"claude-sonnet-4-5");
        QVERIFY(sonnet);
        QCOMPARE(sonnet->cacheRead(), 0.3);
        QCOMPARE(sonnet->cacheWrite(), 3.75);
        const PriceConfig *opus = prices.find(u"claude-opus-4-1-20250805");
        QVERIFY(opus);
        QCOMPARE(opus->cacheRead(), 1.0);
        QCOMPARE(opus->cacheWrite(), 20.0);
    }

    // Unpriced: cost 0 and the row says it was not priced, whatever it held before.
    void unpricedIsFree()
    {
        UsageRecord r = record(50'000, 10'000, 1000, 1000);
        r.costUsd = 9.99;
        r.priced = true;
        UsageMeter::price(r, PriceIndex(directory()).find(u"llama-3-70b"));
        QCOMPARE(r.priced, false);
        QCOMPARE(r.costUsd, 0.0);
        QCOMPARE(r.promptTokens, 50'000);
    }

    // A served request: one row; its tokens/min settle from the estimate to what it used, its
    // concurrency place and budget hold are given back, its cost and tokens are spent, and the
    // tenant's and upstream's figures count it.
    void servedSettlesEverything()
    {
        Fixture f;
        const Reservation reservation = f.admit(2000, 0.01);
        QCOMPARE(f.budgets.snapshot(kAcme).inFlightUsd, 0.01);

        UsageRecord r = record(300, 200);
        r.status = 200;
        r.upstream = QStringLiteral("openai");
        r.latencyMs = 120;
        UsageMeter::price(r, PriceIndex(directory()).find(u"gpt-4o-mini"));
        f.served(r, reservation, QStringLiteral("openai"));

        QCOMPARE(f.rows.size(), 1);
        QCOMPARE(f.rows[0].tenantId, kAcme);
        QCOMPARE(f.rows[0].rejected, false);
        QCOMPARE(f.rows[0].priced, true);
        QCOMPARE(f.rows[0].costUsd, (300 * 0.15 + 200 * 0.60) / 1e6);
        QCOMPARE(f.rows[0].promptTokens, 300);

        // 2,000 reserved, 500 used: 1,500 back. The concurrency place is free again.
        QCOMPARE(f.tokensLeft(), QByteArray("9500"));
        const BudgetSnapshot b = f.budgets.snapshot(kAcme);
        QCOMPARE(b.inFlightUsd, 0.0);
        QCOMPARE(b.spentUsd, (300 * 0.15 + 200 * 0.60) / 1e6);
        QCOMPARE(b.requests, 1);
        QCOMPARE(b.promptTokens, 300);
        QCOMPARE(b.completionTokens, 200);

        for (const auto &flow :
             {f.metrics.tenant(kAcme), f.metrics.upstream(QStringLiteral("openai"))}) {
            QCOMPARE(flow->requests.load(), 1);
            QCOMPARE(flow->errors.load(), 0);
            QCOMPARE(flow->rateLimited.load(), 0);
            QCOMPARE(flow->overloaded.load(), 0);
            QCOMPARE(flow->latency.counts().count, 1u);
            QCOMPARE(flow->latency.counts().sumMs, 120);
        }
    }

    // Used more than reserved: the difference is charged to tokens/min (later requests wait).
    void overrunIsCharged()
    {
        Fixture f;
        const Reservation reservation = f.admit(100, 0.0);
        UsageRecord r = record(500, 100);
        r.status = 200;
        f.served(r, reservation, QString());
        QCOMPARE(f.tokensLeft(), QByteArray("9400"));
    }

    void servedErrorsAreCounted_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("error");
        QTest::addColumn<QString>("upstream");
        QTest::addColumn<qint64>("errors");
        QTest::addColumn<qint64>("overloaded");
        QTest::newRow("waited too long for a slot")
            << 503 << QByteArray("server_overloaded") << QString() << qint64(1) << qint64(1);
        QTest::newRow("an upstream's own 503") << 503 << QByteArray("upstream_error")
                                               << QStringLiteral("azure") << qint64(1) << qint64(0);
        QTest::newRow("every upstream failed") << 502 << QByteArray("upstream_error")
                                               << QStringLiteral("azure") << qint64(1) << qint64(0);
        QTest::newRow("an upstream's 400 passed back")
            << 400 << QByteArray() << QStringLiteral("azure") << qint64(1) << qint64(0);
        QTest::newRow("success") << 200 << QByteArray() << QStringLiteral("azure") << qint64(0)
                                 << qint64(0);
    }

    void servedErrorsAreCounted()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, error);
        QFETCH(QString, upstream);
        QFETCH(qint64, errors);
        QFETCH(qint64, overloaded);
        Fixture f;
        const Reservation reservation = f.admit(1000, 0.002);
        UsageRecord r = record(0, 0);
        r.status = status;
        r.error = error;
        r.latencyMs = 5000;
        f.served(r, reservation, upstream);

        const auto tenant = f.metrics.tenant(kAcme);
        QCOMPARE(tenant->requests.load(), 1);
        QCOMPARE(tenant->errors.load(), errors);
        QCOMPARE(tenant->overloaded.load(), overloaded);
        QCOMPARE(tenant->rateLimited.load(), 0);
        // Only the upstream it counts for has figures.
        const auto upstreams = f.metrics.upstreams();
        QCOMPARE(upstreams.size(), upstream.isEmpty() ? 0 : 1);
        if (!upstream.isEmpty()) {
            QCOMPARE(upstreams[0].first, upstream);
            QCOMPARE(upstreams[0].second->requests.load(), 1);
            QCOMPARE(upstreams[0].second->errors.load(), errors);
            QCOMPARE(upstreams[0].second->overloaded.load(), overloaded);
        }
        // Nothing used: the whole estimate and hold are given back; still a request.
        QCOMPARE(f.tokensLeft(), QByteArray("10000"));
        const BudgetSnapshot b = f.budgets.snapshot(kAcme);
        QCOMPARE(b.inFlightUsd, 0.0);
        QCOMPARE(b.spentUsd, 0.0);
        QCOMPARE(b.requests, 1);
    }

    // A refusal of the relay's own: a rejected row, counted as an error (and a 429 as rate
    // limited), no latency sample, and nothing settled — it held nothing.
    void rejected_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<qint64>("rateLimited");
        QTest::newRow("429") << 429 << qint64(1);
        QTest::newRow("404") << 404 << qint64(0);
        QTest::newRow("400") << 400 << qint64(0);
        QTest::newRow("413") << 413 << qint64(0);
    }

    void rejected()
    {
        QFETCH(int, status);
        QFETCH(qint64, rateLimited);
        Fixture f;
        const Reservation held = f.admit(3000, 0.05); // another request of the tenant, running
        UsageRecord r = record(0, 0);
        r.status = status;
        r.latencyMs = 3;
        f.rejected(r);

        QCOMPARE(f.rows.size(), 1);
        QCOMPARE(f.rows[0].rejected, true);
        QCOMPARE(f.rows[0].status, status);
        const auto tenant = f.metrics.tenant(kAcme);
        QCOMPARE(tenant->requests.load(), 1);
        QCOMPARE(tenant->errors.load(), 1);
        QCOMPARE(tenant->rateLimited.load(), rateLimited);
        QCOMPARE(tenant->overloaded.load(), 0);
        QCOMPARE(tenant->latency.counts().count, 0u);
        QVERIFY(f.metrics.upstreams().isEmpty());
        // The running request keeps its place, tokens and budget hold; nothing was spent.
        QCOMPARE(f.tokensLeft(), QByteArray("refused"));
        const BudgetSnapshot b = f.budgets.snapshot(kAcme);
        QCOMPARE(b.inFlightUsd, 0.05);
        QCOMPARE(b.requests, 0);
        QCOMPARE(b.spentUsd, 0.0);
        f.served(record(0, 0), held, QString());
        QCOMPARE(f.tokensLeft(), QByteArray("10000"));
    }
};

QTEST_GUILESS_MAIN(TestUsageMeter)
#include "tst_usagemeter.moc"
