// The price index a published config carries (billing/PriceIndex): it bills every name exactly
// as DirectorySnapshot::priceFor does (exact name, else the longest priced prefix), for the names
// the config knows (priced, aliased, routed, route targets) and for names it does not; the first
// priced of several names wins; the index owns its table. And through RelayContext::publish:
// a changed price is what the next config bills at while a request admitted before the reload
// keeps the config it started with, and the live figures a config reaches by pointer are the
// same objects across reloads, listed only once a request has used them.

#include "billing/PriceIndex.h"
#include "core/Clock.h"
#include "proxy/RelayContext.h"
#include "tenants/DirectorySnapshot.h"

#include <QTest>

using namespace relay;

namespace {

UpstreamConfig upstream(const QString &name)
{
    UpstreamConfig u;
    u.name = name;
    return u;
}

// Prices that are prefixes of one another, an alias, routes whose targets rename the model
// (one to a dated variant, one to an unpriced deployment name).
DirectorySnapshot directory()
{
    DirectorySnapshot d;
    d.upstreams = {upstream(QStringLiteral("openai")), upstream(QStringLiteral("azure"))};
    d.prices = {{QStringLiteral("claude-sonnet-4"), 3.0, 15.0},
                {QStringLiteral("claude-sonnet-4-5"), 3.3, 16.5},
                {QStringLiteral("gpt-4o"), 2.5, 10.0},
                {QStringLiteral("gpt-4o-mini"), 0.15, 0.60},
                {QStringLiteral("text-embedding-3-small"), 0.02, 0}};
    d.aliases.insert(QStringLiteral("fast"), QStringLiteral("gpt-4o-mini"));
    d.aliases.insert(QStringLiteral("writer"), QStringLiteral("claude-sonnet-4-5-20250929"));
    d.routes.insert(QStringLiteral("gpt-4o"),
                    {{QStringLiteral("openai"), QString()},
                     {QStringLiteral("azure"), QStringLiteral("gpt4o-prod")}});
    d.routes.insert(QStringLiteral("smart"),
                    {{QStringLiteral("openai"), QStringLiteral("gpt-4o-2024-08-06")}});
    return d;
}

// The model whose price applies, or "-".
QString pricedAs(const PriceConfig *price)
{
    return price ? price->model : QStringLiteral("-");
}

QString pricedAs(const std::optional<PriceConfig> &price)
{
    return price ? price->model : QStringLiteral("-");
}

TenantConfig tenant(const QString &id)
{
    TenantConfig t;
    t.id = id;
    return t;
}

} // namespace

class TestPriceIndex : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sameRuleAsTheDirectory_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("priced");
        const auto row = [](const char *name, const char *model, const char *priced) {
            QTest::newRow(name) << QString::fromUtf8(model) << QString::fromUtf8(priced);
        };
        row("exact", "gpt-4o", "gpt-4o");
        row("exact, a longer price exists", "gpt-4o-mini", "gpt-4o-mini");
        row("dated variant: longest prefix", "gpt-4o-mini-2024-07-18", "gpt-4o-mini");
        row("dated variant of the shorter", "gpt-4o-2024-08-06", "gpt-4o");
        row("longest of three prefixes", "claude-sonnet-4-5-20250929", "claude-sonnet-4-5");
        row("between two prices", "claude-sonnet-4-1", "claude-sonnet-4");
        row("shorter than any price", "gpt-4", "-");
        row("an alias is no price", "fast", "-");
        row("a route key without a price", "smart", "-");
        row("an unpriced route target", "gpt4o-prod", "-");
        row("unknown", "llama-3-70b", "-");
        row("empty", "", "-");
        row("a price name with more after it", "text-embedding-3-small-v2",
            "text-embedding-3-small");
    }
    void sameRuleAsTheDirectory()
    {
        QFETCH(QString, model);
        QFETCH(QString, priced);
        const DirectorySnapshot d = directory();
        const PriceIndex index(d);
        QCOMPARE(pricedAs(index.find(model)), priced);
        QCOMPARE(pricedAs(d.priceFor(model)), priced);
        if (const PriceConfig *p = index.find(model)) {
            QCOMPARE(p->inputPerMTok, d.priceFor(model)->inputPerMTok);
            QCOMPARE(p->outputPerMTok, d.priceFor(model)->outputPerMTok);
        }
    }

    // What a request is billed at after alias and route: the name sent upstream first (here a
    // dated variant or a deployment name), then the one requested.
    void aliasAndRouteResolveAsBefore()
    {
        const DirectorySnapshot d = directory();
        const PriceIndex index(d);
        const auto billed = [&](const QString &requested) {
            const ModelResolution r = d.resolve(requested);
            return pricedAs(index.first({r.chain.front().model, r.requested}));
        };
        QCOMPARE(billed(QStringLiteral("fast")), QStringLiteral("gpt-4o-mini"));
        QCOMPARE(billed(QStringLiteral("writer")), QStringLiteral("claude-sonnet-4-5"));
        QCOMPARE(billed(QStringLiteral("smart")), QStringLiteral("gpt-4o"));
        QCOMPARE(billed(QStringLiteral("gpt-4o")), QStringLiteral("gpt-4o"));
        // The backup target's deployment name has no price: the requested name's applies.
        const ModelResolution r = d.resolve(QStringLiteral("gpt-4o"));
        QCOMPARE(r.chain.at(1).model, QStringLiteral("gpt4o-prod"));
        QCOMPARE(pricedAs(index.first({r.chain.at(1).model, r.requested})),
                 QStringLiteral("gpt-4o"));
    }

    // The first priced name wins in the caller's order, not the longest match; empty names are
    // skipped.
    void firstPricedNameWins()
    {
        const PriceIndex index(directory());
        QCOMPARE(pricedAs(index.first({u"gpt-4o", u"gpt-4o-mini"})), QStringLiteral("gpt-4o"));
        QCOMPARE(pricedAs(index.first({u"", u"llama", u"gpt-4o-mini-2024-07-18"})),
                 QStringLiteral("gpt-4o-mini"));
        QCOMPARE(pricedAs(index.first({u"", u""})), QStringLiteral("-"));
        QCOMPARE(pricedAs(index.first({})), QStringLiteral("-"));
        QCOMPARE(pricedAs(PriceIndex().find(u"gpt-4o")), QStringLiteral("-"));
    }

    // The index keeps its own table: the directory it came from may go, and moving it keeps
    // what it hands out valid.
    void ownsItsTable()
    {
        auto d = std::make_unique<DirectorySnapshot>(directory());
        PriceIndex built(*d);
        const PriceConfig *before = built.find(u"gpt-4o-mini-2024-07-18");
        d.reset();
        const PriceIndex moved(std::move(built));
        const PriceConfig *after = moved.find(u"gpt-4o-mini-2024-07-18");
        QCOMPARE(after, before);
        QCOMPARE(after->model, QStringLiteral("gpt-4o-mini"));
        QCOMPARE(after->outputPerMTok, 0.60);
    }

    // `price set` then a reload: the new config bills at the new price; a request admitted
    // before keeps the config (and the price) it started with.
    void priceChangeAppliesOnPublish()
    {
        ManualClock clock;
        RelayContext context(clock, nullptr);
        DirectorySnapshot d = directory();
        context.publish(std::make_shared<DirectorySnapshot>(d));
        const auto before = context.config();
        QCOMPARE(before->prices.find(u"gpt-4o-mini-2024-07-18")->inputPerMTok, 0.15);

        d.prices[3].inputPerMTok = 0.30; // gpt-4o-mini
        d.prices.push_back({QStringLiteral("llama-3"), 0.5, 0.5});
        context.publish(std::make_shared<DirectorySnapshot>(d));
        const auto after = context.config();
        QCOMPARE(after->prices.find(u"gpt-4o-mini-2024-07-18")->inputPerMTok, 0.30);
        QCOMPARE(pricedAs(after->prices.find(u"llama-3-70b")), QStringLiteral("llama-3"));
        QCOMPARE(before->prices.find(u"gpt-4o-mini-2024-07-18")->inputPerMTok, 0.15);
        QCOMPARE(pricedAs(before->prices.find(u"llama-3-70b")), QStringLiteral("-"));

        // A removed price bills nothing after the next reload.
        d.prices.erase(d.prices.begin() + 3);
        context.publish(std::make_shared<DirectorySnapshot>(d));
        QCOMPARE(pricedAs(context.config()->prices.find(u"gpt-4o-mini-2024-07-18")),
                 QStringLiteral("gpt-4o"));
    }

    // A config reaches each tenant's and upstream's figures by pointer: the same objects after
    // a reload (counts go on), listed only once a request has used them, as before.
    void flowsAreTheSameAcrossReloads()
    {
        ManualClock clock;
        RelayContext context(clock, nullptr);
        DirectorySnapshot d = directory();
        d.tenants.insert(QStringLiteral("acme"), tenant(QStringLiteral("acme")));
        d.tenants.insert(QStringLiteral("idle"), tenant(QStringLiteral("idle")));
        context.publish(std::make_shared<DirectorySnapshot>(d));
        QVERIFY(context.metrics().tenants().isEmpty());
        QVERIFY(context.metrics().upstreams().isEmpty());

        const auto first = context.config();
        FlowMetrics &acme = first->tenantFlow(QStringLiteral("acme"));
        acme.requests.fetch_add(1);
        FlowMetrics *openai = first->upstreamFlow(QStringLiteral("openai"));
        QVERIFY(openai);
        QCOMPARE(first->upstreamFlow(QString()), nullptr);

        d.tenants.insert(QStringLiteral("new"), tenant(QStringLiteral("new")));
        context.publish(std::make_shared<DirectorySnapshot>(d));
        const auto second = context.config();
        QCOMPARE(&second->tenantFlow(QStringLiteral("acme")), &acme);
        QCOMPARE(second->upstreamFlow(QStringLiteral("openai")), openai);
        QCOMPARE(second->tenantFlow(QStringLiteral("acme")).requests.load(), 1);

        const auto tenants = context.metrics().tenants();
        QCOMPARE(tenants.size(), 1);
        QCOMPARE(tenants[0].first, QStringLiteral("acme"));
        QCOMPARE(tenants[0].second.get(), &acme);
        QCOMPARE(context.metrics().upstreams().size(), 1);
        // A name the config does not know still has figures (made on first use).
        FlowMetrics &unknown = second->tenantFlow(QStringLiteral("gone"));
        QCOMPARE(&unknown, context.metrics().tenant(QStringLiteral("gone")).get());
        QCOMPARE(context.metrics().tenants().size(), 2);
    }
};

QTEST_GUILESS_MAIN(TestPriceIndex)
#include "tst_priceindex.moc"
