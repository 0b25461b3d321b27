// Stage 4 on its own (design.md, "One request, start to end"): a tenant's requests/min,
// tokens/min and concurrency, then its budget, with the real rate limiter and budget tracker on a
// manual clock. Each refusal is checked as the tenant gets it (status, type, code, message,
// Retry-After, retry-after-ms, x-should-retry, x-ratelimit-*), that a refusal takes nothing, that
// a budget refusal gives back what the limits had taken, that waits end exactly when the clock
// has moved far enough, and that the budget hold is the estimate priced at the chain's first
// target.

#include "billing/PriceIndex.h"
#include "budget/BudgetTracker.h"
#include "core/Clock.h"
#include "http/ApiError.h"
#include "limits/RateLimiter.h"
#include "metering/UsageMeter.h"
#include "metrics/FlowMetrics.h"
#include "proxy/Admission.h"
#include "store/UsageRecord.h"
#include "tenants/DirectorySnapshot.h"

#include <QTest>

using namespace relay;

namespace {

const QString kAcme = QStringLiteral("acme");

UpstreamConfig upstream(const QString &name)
{
    UpstreamConfig u;
    u.name = name;
    u.baseUrl = QStringLiteral("https://%1.example.com/v1").arg(name);
    return u;
}

// openai, then azure. gpt-4o is served by openai and backed by azure's deployment "gpt4o-prod"
// (unpriced); "smart" is gpt-4o on openai backed by gpt-4o-mini on azure; "fast" is an alias
// of gpt-4o-mini.
DirectorySnapshot directory()
{
    DirectorySnapshot d;
    d.upstreams = {upstream(QStringLiteral("openai")), upstream(QStringLiteral("azure"))};
    d.routes.insert(QStringLiteral("gpt-4o"),
                    {{QStringLiteral("openai"), QString()},
                     {QStringLiteral("azure"), QStringLiteral("gpt4o-prod")}});
    d.routes.insert(QStringLiteral("smart"),
                    {{QStringLiteral("openai"), QStringLiteral("gpt-4o")},
                     {QStringLiteral("azure"), QStringLiteral("gpt-4o-mini")}});
    d.routes.insert(QStringLiteral("azure-first"),
                    {{QStringLiteral("azure"), QStringLiteral("gpt4o-prod")}});
    d.aliases.insert(QStringLiteral("fast"), QStringLiteral("gpt-4o-mini"));
    d.prices = {{QStringLiteral("gpt-4o"), 2.5, 10.0}, {QStringLiteral("gpt-4o-mini"), 0.15, 0.60}};
    return d;
}

// 1,000 prompt tokens and a 1,000-token completion allowance.
constexpr UsageEstimate kEstimate{1000, 1000};
constexpr double kMiniCost = (1000 * 0.15 + 1000 * 0.60) / 1e6; // 0.00075
constexpr double kGpt4oCost = (1000 * 2.5 + 1000 * 10.0) / 1e6; // 0.0125

QByteArray header(const HttpHeaders &headers, QByteArrayView name)
{
    return headerValue(headers, name);
}

bool hasHeader(const HttpHeaders &headers, QByteArrayView name)
{
    for (const auto &h : headers)
        if (h.first == name)
            return true;
    return false;
}

} // namespace

class TestAdmission : public QObject
{
    Q_OBJECT

    struct Fixture
    {
        ManualClock clock;
        RateLimiter limiter{clock};
        BudgetTracker budgets{clock};
        Admission admission{limiter, budgets};
        std::vector<UsageRecord> rows;
        UsageMeter meter{limiter, budgets, [this](UsageRecord r) { rows.push_back(std::move(r)); }};
        FlowMetrics flow;
        DirectorySnapshot dir = directory();

        TenantConfig tenant(const QString &id = kAcme)
        {
            TenantConfig t;
            t.id = id;
            return t;
        }
        // What a directory publish does for the tenant (RelayContext::publish).
        void publish(const TenantConfig &t)
        {
            limiter.configure(t.id, TenantLimits{t.rpm, t.tpm, t.concurrency});
            budgets.configure(t.id, TenantBudget{t.budgetUsd, t.softBudget, t.alertThresholds});
        }
        std::variant<Reservation, ApiError> admit(const TenantConfig &t, const QString &model,
                                                  const UsageEstimate &estimate = kEstimate)
        {
            // Each admission's price index lives on (a reservation points into it), as the
            // published config a request holds does.
            prices.push_back(std::make_unique<PriceIndex>(dir));
            return admission.admit(t, *prices.back(), dir.resolve(model), estimate);
        }
        std::vector<std::unique_ptr<PriceIndex>> prices;
        // The request ended having used `tokens` and cost `usd`: the meter settles it.
        void settle(const TenantConfig &t, const Reservation &r, qint64 tokens, double usd)
        {
            UsageRecord record;
            record.tenantId = t.id;
            record.status = 200;
            record.promptTokens = tokens;
            record.costUsd = usd;
            meter.served(std::move(record), r, flow, nullptr);
        }
    };

    static Reservation admitted(const std::variant<Reservation, ApiError> &result)
    {
        if (const ApiError *e = std::get_if<ApiError>(&result))
            qWarning("refused: %d %s", e->status, e->message.constData());
        return std::get<Reservation>(result);
    }

    static ApiError refused(const std::variant<Reservation, ApiError> &result)
    {
        if (!std::holds_alternative<ApiError>(result))
            qWarning("admitted where a refusal was expected");
        return std::get<ApiError>(result);
    }

private Q_SLOTS:
    void admitsAndHoldsTheEstimate()
    {
        Fixture f;
        const TenantConfig t = f.tenant();
        f.publish(t);
        const auto result = f.admit(t, QStringLiteral("gpt-4o-mini"));
        QVERIFY(std::holds_alternative<Reservation>(result));
        const Reservation r = admitted(result);
        QCOMPARE(r.tokens, 2000);
        QCOMPARE(r.costUsd, kMiniCost);
        // No limits configured, no x-ratelimit-* headers.
        QVERIFY(r.limitHeaders.isEmpty());
        const BudgetSnapshot b = f.budgets.snapshot(kAcme);
        QCOMPARE(b.inFlightUsd, kMiniCost);
        QCOMPARE(b.spentUsd, 0.0);
    }

    void admissionCarriesTheRateLimitHeaders()
    {
        Fixture f;
        TenantConfig t = f.tenant();
        t.rpm = 60;
        t.tpm = 10'000;
        f.publish(t);
        const Reservation r =
            admitted(f.admit(t, QStringLiteral("gpt-4o-mini"), UsageEstimate{2000, 500}));
        QCOMPARE(r.tokens, 2500);
        const HttpHeaders expected{
            {"x-ratelimit-limit-requests", "60"},     {"x-ratelimit-remaining-requests", "59"},
            {"x-ratelimit-reset-requests", "1s"},     {"x-ratelimit-limit-tokens", "10000"},
            {"x-ratelimit-remaining-tokens", "7500"}, {"x-ratelimit-reset-tokens", "15s"},
        };
        QCOMPARE(r.limitHeaders, expected);
    }

    void requestsPerMinuteRefusal()
    {
        Fixture f;
        TenantConfig t = f.tenant();
        t.rpm = 2; // one request every 30 s
        f.publish(t);
        admitted(f.admit(t, QStringLiteral("gpt-4o-mini")));
        admitted(f.admit(t, QStringLiteral("gpt-4o-mini")));

        const ApiError e = refused(f.admit(t, QStringLiteral("gpt-4o-mini")));
        QCOMPARE(e.status, 429);
        QCOMPARE(e.type, QByteArray("requests"));
        QCOMPARE(e.code, QByteArray("rate_limit_exceeded"));
        QCOMPARE(e.message,
                 QByteArray("Rate limit reached for requests per minute. Please try again later."));
        const HttpHeaders expected{
            {"retry-after", "30"},
            {"retry-after-ms", "30000"},
            {"x-ratelimit-limit-requests", "2"},
            {"x-ratelimit-remaining-requests", "0"},
            {"x-ratelimit-reset-requests", "1m0s"},
        };
        QCOMPARE(e.extraHeaders, expected);
        // The refusal held nothing of the budget: only the two admitted requests are in flight.
        QCOMPARE(f.budgets.snapshot(kAcme).inFlightUsd, 2 * kMiniCost);

        // The wait is exact: one millisecond short is still refused (and says so) …
        f.clock.advance(29'999);
        const ApiError almost = refused(f.admit(t, QStringLiteral("gpt-4o-mini")));
        QCOMPARE(header(almost.extraHeaders, "retry-after-ms"), QByteArray("1"));
        QCOMPARE(header(almost.extraHeaders, "retry-after"), QByteArray("1"));
        // … and the next millisecond admits.
        f.clock.advance(1);
        const Reservation r = admitted(f.admit(t, QStringLiteral("gpt-4o-mini")));
        QCOMPARE(header(r.limitHeaders, "x-ratelimit-remaining-requests"), QByteArray("0"));
    }

    // Retry-After is whole seconds rounded up; retry-after-ms is exact.
    void retryAfterRoundsUp()
    {
        Fixture f;
        TenantConfig t = f.tenant();
        t.rpm = 7; // one request every 8571.43 ms
        f.publish(t);
        for (int i = 0; i < 7; ++i)
            admitted(f.admit(t, QStringLiteral("gpt-4o-mini")));
        const ApiError e = refused(f.admit(t, QStringLiteral("gpt-4o-mini")));
        QCOMPARE(header(e.extraHeaders, "retry-after-ms"), QByteArray("8572"));
        QCOMPARE(header(e.extraHeaders, "retry-after"), QByteArray("9"));
        f.clock.advance(8571);
        QVERIFY(std::holds_alternative<ApiError>(f.admit(t, QStringLiteral("gpt-4o-mini"))));
        f.clock.advance(1);
        QVERIFY(std::holds_alternative<Reservation>(f.admit(t, QStringLiteral("gpt-4o-mini"))));
    }

    void tokensPerMinuteRefusal()
    {
        Fixture f;
        TenantConfig t = f.tenant();
        t.tpm = 1000;
        t.rpm = 100;
        f.publish(t);
        const UsageEstimate estimate{400, 200};
        admitted(f.admit(t, QStringLiteral("gpt-4o-mini"), estimate)); // 400 tokens left

        const ApiError e = refused(f.admit(t, QStringLiteral("gpt-4o-mini"), estimate));
        QCOMPARE(e.status, 429);
        QCOMPARE(e.type, QByteArray("tokens"));
        QCOMPARE(e.code, QByteArray("rate_limit_exceeded"));
        QCOMPARE(e.message,
                 QByteArray("Rate limit reached for tokens per minute. Please try again later."));
        // 200 tokens short at 1,000 per minute: 12 s.
        const HttpHeaders expected{
            {"retry-after", "12"},
            {"retry-after-ms", "12000"},
            {"x-ratelimit-limit-requests", "100"},
            {"x-ratelimit-remaining-requests", "99"},
            {"x-ratelimit-reset-requests", "600ms"},
            {"x-ratelimit-limit-tokens", "1000"},
            {"x-ratelimit-remaining-tokens", "400"},
            {"x-ratelimit-reset-tokens", "36s"},
        };
        QCOMPARE(e.extraHeaders, expected);
        // The refusal took no request and no tokens: a second one sees the same figures.
        QCOMPARE(refused(f.admit(t, QStringLiteral("gpt-4o-mini"), estimate)).extraHeaders,
                 expected);

        f.clock.advance(11'999);
        QCOMPARE(header(refused(f.admit(t, QStringLiteral("gpt-4o-mini"), estimate)).extraHeaders,
                        "retry-after-ms"),
                 QByteArray("1"));
        f.clock.advance(1);
        const Reservation r = admitted(f.admit(t, QStringLiteral("gpt-4o-mini"), estimate));
        QCOMPARE(header(r.limitHeaders, "x-ratelimit-remaining-tokens"), QByteArray("0"));
    }

    // A request larger than the whole tokens/min limit can never fit: no Retry-After, and
    // x-should-retry: false so SDKs give up.
    void estimateBeyondTheWholeLimitIsFinal()
    {
        Fixture f;
        TenantConfig t = f.tenant();
        t.tpm = 1000;
        f.publish(t);
        const ApiError e =
            refused(f.admit(t, QStringLiteral("gpt-4o-mini"), UsageEstimate{800, 201}));
        QCOMPARE(e.status, 429);
        QCOMPARE(e.type, QByteArray("tokens"));
        QCOMPARE(e.code, QByteArray("rate_limit_exceeded"));
        QCOMPARE(e.message, QByteArray("This request needs more tokens than the tenant's whole "
                                       "tokens-per-minute limit."));
        const HttpHeaders expected{
            {"x-should-retry", "false"},
            {"x-ratelimit-limit-tokens", "1000"},
            {"x-ratelimit-remaining-tokens", "1000"},
            {"x-ratelimit-reset-tokens", "0s"},
        };
        QCOMPARE(e.extraHeaders, expected);
        QVERIFY(!hasHeader(e.extraHeaders, "retry-after"));
        // Exactly the whole limit fits.
        const Reservation r =
            admitted(f.admit(t, QStringLiteral("gpt-4o-mini"), UsageEstimate{800, 200}));
        QCOMPARE(r.tokens, 1000);
    }

    void concurrencyRefusal()
    {
        Fixture f;
        TenantConfig t = f.tenant();
        t.concurrency = 2;
        f.publish(t);
        const Reservation first = admitted(f.admit(t, QStringLiteral("gpt-4o-mini")));
        admitted(f.admit(t, QStringLiteral("gpt-4o-mini")));

        const ApiError e = refused(f.admit(t, QStringLiteral("gpt-4o-mini")));
        QCOMPARE(e.status, 429);
        QCOMPARE(e.type, QByteArray("requests"));
        QCOMPARE(e.code, QByteArray("rate_limit_exceeded"));
        QCOMPARE(e.message, QByteArray("Too many requests in flight at once for this key."));
        // Without rpm or tpm limits there are no x-ratelimit-* headers.
        const HttpHeaders expected{{"retry-after", "1"}, {"retry-after-ms", "1000"}};
        QCOMPARE(e.extraHeaders, expected);

        // Time alone frees nothing; a request ending does.
        f.clock.advance(120'000);
        QVERIFY(std::holds_alternative<ApiError>(f.admit(t, QStringLiteral("gpt-4o-mini"))));
        f.settle(t, first, 1500, 0.0005);
        admitted(f.admit(t, QStringLiteral("gpt-4o-mini")));
        QVERIFY(std::holds_alternative<ApiError>(f.admit(t, QStringLiteral("gpt-4o-mini"))));
    }

    // A request settles against the limits and budget it was admitted under. The tenant removed
    // and added back while it ran has new limits that never counted it: its end must not give
    // a concurrency place back to them (which would let a third request past a cap of one), nor
    // take its estimate off the budget's requests in flight that are not its own.
    void settlesWhereItWasAdmitted()
    {
        Fixture f;
        TenantConfig t = f.tenant();
        t.concurrency = 1;
        f.publish(t);
        const Reservation before = admitted(f.admit(t, QStringLiteral("gpt-4o-mini")));
        QVERIFY(before.limits && before.budget);

        f.limiter.retain({}); // the tenant leaves the directory...
        f.publish(t);         // ...and comes back with the same id and limits
        const Reservation after = admitted(f.admit(t, QStringLiteral("gpt-4o-mini")));
        QVERIFY(after.limits != before.limits);

        f.settle(t, before, 1500, 0.0005);
        QCOMPARE(f.rows.size(), size_t(1));
        const auto third = f.admit(t, QStringLiteral("gpt-4o-mini"));
        QVERIFY2(std::holds_alternative<ApiError>(third),
                 "a second request in flight past a concurrency cap of one");
        QCOMPARE(std::get<ApiError>(third).message,
                 QByteArray("Too many requests in flight at once for this key."));
        f.settle(t, after, 1500, 0.0005);
        admitted(f.admit(t, QStringLiteral("gpt-4o-mini")));
    }

    // Concurrency is checked before rpm: a tenant at its cap is told to come back in 1 s even
    // when its rpm bucket is empty too.
    void concurrencyIsCheckedFirst()
    {
        Fixture f;
        TenantConfig t = f.tenant();
        t.concurrency = 1;
        t.rpm = 1;
        f.publish(t);
        admitted(f.admit(t, QStringLiteral("gpt-4o-mini")));
        const ApiError e = refused(f.admit(t, QStringLiteral("gpt-4o-mini")));
        QCOMPARE(e.message, QByteArray("Too many requests in flight at once for this key."));
        QCOMPARE(header(e.extraHeaders, "retry-after-ms"), QByteArray("1000"));
        QCOMPARE(header(e.extraHeaders, "x-ratelimit-remaining-requests"), QByteArray("0"));
    }

    // Spend alone at the hard budget: 429 insufficient_quota, never to be retried; the limits
    // the request had passed are given back, so that refusals cost the tenant nothing.
    void exhaustedBudgetRefusesAndGivesTheLimitsBack()
    {
        Fixture f;
        TenantConfig t = f.tenant();
        t.rpm = 5;
        t.tpm = 2000;
        t.concurrency = 1;
        t.budgetUsd = 1.0;
        f.publish(t);
        f.budgets.seedPeriod(kAcme, BudgetSeed{1.0, 100, 0, 0});

        for (int i = 0; i < 8; ++i) {
            const ApiError e = refused(f.admit(t, QStringLiteral("gpt-4o-mini")));
            QCOMPARE(e.status, 429);
            QCOMPARE(e.type, QByteArray("insufficient_quota"));
            QCOMPARE(e.code, QByteArray("insufficient_quota"));
            QCOMPARE(e.message, QByteArray("You exceeded your current quota: this tenant's budget "
                                           "for the month is used up."));
            const HttpHeaders expected{
                {"x-should-retry", "false"},
                {"x-ratelimit-limit-requests", "5"},
                {"x-ratelimit-remaining-requests", "5"},
                {"x-ratelimit-reset-requests", "0s"},
                {"x-ratelimit-limit-tokens", "2000"},
                {"x-ratelimit-remaining-tokens", "2000"},
                {"x-ratelimit-reset-tokens", "0s"},
            };
            QCOMPARE(e.extraHeaders, expected);
        }
        QCOMPARE(f.budgets.snapshot(kAcme).inFlightUsd, 0.0);

        // A bigger budget: the full rpm, tpm and concurrency place are there (the clock never
        // moved, so nothing was refilled).
        t.budgetUsd = 2.0;
        f.publish(t);
        const Reservation r = admitted(f.admit(t, QStringLiteral("gpt-4o-mini")));
        QCOMPARE(header(r.limitHeaders, "x-ratelimit-remaining-requests"), QByteArray("4"));
        QCOMPARE(header(r.limitHeaders, "x-ratelimit-remaining-tokens"), QByteArray("0"));
        QCOMPARE(r.costUsd, kMiniCost);
    }

    // Spend under the budget but spend + the estimates in flight at it: come back in 1 s.
    void budgetHeldByRequestsInFlight()
    {
        Fixture f;
        TenantConfig t = f.tenant();
        t.budgetUsd = 0.02;
        f.publish(t);
        const Reservation a = admitted(f.admit(t, QStringLiteral("gpt-4o")));
        QCOMPARE(a.costUsd, kGpt4oCost);
        // 0.0125 in flight is below 0.02: admitted (the request that crosses the line is served).
        const Reservation b = admitted(f.admit(t, QStringLiteral("gpt-4o")));

        const ApiError e = refused(f.admit(t, QStringLiteral("gpt-4o")));
        QCOMPARE(e.status, 429);
        QCOMPARE(e.type, QByteArray("tokens"));
        QCOMPARE(e.code, QByteArray("rate_limit_exceeded"));
        QCOMPARE(e.message, QByteArray("This tenant's budget is held by requests in flight. "
                                       "Please try again shortly."));
        const HttpHeaders expected{{"retry-after", "1"}, {"retry-after-ms", "1000"}};
        QCOMPARE(e.extraHeaders, expected);
        QCOMPARE(f.budgets.snapshot(kAcme).inFlightUsd, 2 * kGpt4oCost);

        // The first ends having cost far less than its estimate: room again.
        f.settle(t, a, 300, 0.001);
        const Reservation c = admitted(f.admit(t, QStringLiteral("gpt-4o")));
        // The other two end dearer; spend alone is now past the budget.
        f.settle(t, b, 2000, 0.01);
        f.settle(t, c, 2000, 0.01);
        QCOMPARE(f.budgets.snapshot(kAcme).spentUsd, 0.021);
        const ApiError exhausted = refused(f.admit(t, QStringLiteral("gpt-4o")));
        QCOMPARE(exhausted.code, QByteArray("insufficient_quota"));
        QCOMPARE(header(exhausted.extraHeaders, "x-should-retry"), QByteArray("false"));
    }

    void softBudgetIsNeverRefused()
    {
        Fixture f;
        TenantConfig t = f.tenant();
        t.budgetUsd = 0.01;
        t.softBudget = true;
        f.publish(t);
        f.budgets.seedPeriod(kAcme, BudgetSeed{5.0, 10, 0, 0});
        for (int i = 0; i < 3; ++i)
            QCOMPARE(admitted(f.admit(t, QStringLiteral("gpt-4o"))).costUsd, kGpt4oCost);
        QCOMPARE(f.budgets.snapshot(kAcme).inFlightUsd, 3 * kGpt4oCost);
    }

    // The budget hold is the estimate at the price of the chain's first target (after alias,
    // route and pin), else of the requested name; unpriced costs nothing.
    void holdIsPricedAtTheFirstTarget_data()
    {
        QTest::addColumn<QString>("requested");
        QTest::addColumn<QString>("pinned");
        QTest::addColumn<double>("cost");
        // The price kept for billing at the first target: its own name's only (empty: none).
        QTest::addColumn<QString>("firstTargetPrice");
        const QString mini = QStringLiteral("gpt-4o-mini");
        QTest::newRow("routed, first target gpt-4o")
            << QStringLiteral("smart") << QString() << kGpt4oCost << QStringLiteral("gpt-4o");
        QTest::newRow("pin puts azure's gpt-4o-mini first")
            << QStringLiteral("smart") << QStringLiteral("azure") << kMiniCost << mini;
        QTest::newRow("alias") << QStringLiteral("fast") << QString() << kMiniCost << mini;
        QTest::newRow("dated variant, longest prefix")
            << QStringLiteral("gpt-4o-mini-2024-07-18") << QString() << kMiniCost << mini;
        QTest::newRow("unpriced deployment first: the requested name's price")
            << QStringLiteral("gpt-4o") << QStringLiteral("azure") << kGpt4oCost << QString();
        QTest::newRow("unpriced everywhere")
            << QStringLiteral("llama-3-70b") << QString() << 0.0 << QString();
        QTest::newRow("unpriced route name and target")
            << QStringLiteral("azure-first") << QString() << 0.0 << QString();
    }

    void holdIsPricedAtTheFirstTarget()
    {
        QFETCH(QString, requested);
        QFETCH(QString, pinned);
        QFETCH(double, cost);
        QFETCH(QString, firstTargetPrice);
        Fixture f;
        f.dir.pinnedUpstream = pinned;
        const TenantConfig t = f.tenant();
        f.publish(t);
        const Reservation r = admitted(f.admit(t, requested));
        QCOMPARE(r.tokens, 2000);
        QCOMPARE(r.costUsd, cost);
        QCOMPARE(r.firstTargetPrice ? r.firstTargetPrice->model : QString(), firstTargetPrice);
        QCOMPARE(f.budgets.snapshot(kAcme).inFlightUsd, cost);
    }

    // An unpriced model holds nothing, but spend alone at the budget still refuses it.
    void unpricedModelAgainstASpentBudget()
    {
        Fixture f;
        TenantConfig t = f.tenant();
        t.budgetUsd = 1.0;
        f.publish(t);
        QCOMPARE(admitted(f.admit(t, QStringLiteral("llama-3-70b"))).costUsd, 0.0);
        f.budgets.seedPeriod(kAcme, BudgetSeed{1.0, 0, 0, 0});
        QCOMPARE(refused(f.admit(t, QStringLiteral("llama-3-70b"))).code,
                 QByteArray("insufficient_quota"));
    }

    // count_tokens reserves no tokens: it passes an empty tpm bucket but still takes a request.
    void zeroEstimateUsesRequestsOnly()
    {
        Fixture f;
        TenantConfig t = f.tenant();
        t.rpm = 3;
        t.tpm = 1000;
        f.publish(t);
        admitted(f.admit(t, QStringLiteral("gpt-4o-mini"), UsageEstimate{1000, 0}));
        const Reservation r = admitted(f.admit(t, QStringLiteral("gpt-4o-mini"), UsageEstimate{}));
        QCOMPARE(r.tokens, 0);
        QCOMPARE(r.costUsd, 0.0);
        QCOMPARE(header(r.limitHeaders, "x-ratelimit-remaining-tokens"), QByteArray("0"));
        QCOMPARE(header(r.limitHeaders, "x-ratelimit-remaining-requests"), QByteArray("1"));
    }

    // One tenant's empty buckets and spent budget refuse nobody else.
    void tenantsAreKeptApart()
    {
        Fixture f;
        TenantConfig acme = f.tenant();
        acme.rpm = 1;
        acme.budgetUsd = 0.001;
        TenantConfig other = f.tenant(QStringLiteral("globex"));
        other.rpm = 1;
        other.budgetUsd = 0.001;
        f.publish(acme);
        f.publish(other);
        admitted(f.admit(acme, QStringLiteral("gpt-4o-mini")));
        QCOMPARE(refused(f.admit(acme, QStringLiteral("gpt-4o-mini"))).type,
                 QByteArray("requests"));
        f.budgets.seedPeriod(kAcme, BudgetSeed{1.0, 0, 0, 0});
        const Reservation r = admitted(f.admit(other, QStringLiteral("gpt-4o-mini")));
        QCOMPARE(header(r.limitHeaders, "x-ratelimit-remaining-requests"), QByteArray("0"));
        QCOMPARE(f.budgets.snapshot(QStringLiteral("globex")).inFlightUsd, kMiniCost);
    }
};

QTEST_GUILESS_MAIN(TestAdmission)
#include "tst_admission.moc"
