#include "billing/Cost.h"
#include "tenants/DirectorySnapshot.h"

#include <QTest>

#include <charconv>

using relay::DirectorySnapshot;
using relay::ModelResolution;
using relay::PriceConfig;
using relay::TenantConfig;
using relay::UpstreamConfig;

namespace {

UpstreamConfig upstream(const QString &name, bool enabled = true)
{
    UpstreamConfig u;
    u.name = name;
    u.baseUrl = QStringLiteral("https://%1.example.com/v1").arg(name);
    u.enabled = enabled;
    return u;
}

TenantConfig tenant(std::optional<QStringList> models)
{
    TenantConfig t;
    t.id = QStringLiteral("team-a");
    t.models = std::move(models);
    return t;
}

// Upstreams in the order added: "retired" (disabled), then openai, backup (disabled), deepseek.
DirectorySnapshot directory()
{
    DirectorySnapshot d;
    d.upstreams = {upstream(QStringLiteral("retired"), false), upstream(QStringLiteral("openai")),
                   upstream(QStringLiteral("backup"), false), upstream(QStringLiteral("deepseek"))};
    d.routes.insert(QStringLiteral("gpt-4o"),
                    {{QStringLiteral("openai"), QString()},
                     {QStringLiteral("backup"), QStringLiteral("gpt-4o")},
                     {QStringLiteral("deepseek"), QStringLiteral("deepseek-chat")}});
    d.routes.insert(QStringLiteral("only-backup"), {{QStringLiteral("backup"), QString()}});
    d.routes.insert(QStringLiteral("ghost"), {{QStringLiteral("nowhere"), QString()},
                                              {QStringLiteral("deepseek"), QString()}});
    d.aliases.insert(QStringLiteral("gpt-4"), QStringLiteral("gpt-4o"));
    d.aliases.insert(QStringLiteral("fast"), QStringLiteral("gpt-4o-mini"));
    d.prices = {{QStringLiteral("gpt-4o"), 2.5, 10.0},
                {QStringLiteral("gpt-4o-mini"), 0.15, 0.60},
                {QStringLiteral("text-embedding-3-small"), 0.02, 0}};
    return d;
}

// "upstream:model" for each target of the chain.
QStringList chainOf(const ModelResolution &r)
{
    QStringList out;
    for (const auto &t : r.chain)
        out.append(t.upstream->name + QLatin1Char(':') + t.model);
    return out;
}

} // namespace

class TestDirectorySnapshot : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void resolve_data()
    {
        QTest::addColumn<QString>("requested");
        QTest::addColumn<QString>("model");
        QTest::addColumn<QStringList>("chain");
        auto row = [](const char *name, const QString &requested, const QString &model,
                      const QStringList &chain) {
            QTest::newRow(name) << requested << model << chain;
        };
        row("route", "gpt-4o", "gpt-4o", {"openai:gpt-4o", "deepseek:deepseek-chat"});
        row("alias then route", "gpt-4", "gpt-4o", {"openai:gpt-4o", "deepseek:deepseek-chat"});
        row("no route: first enabled upstream", "claude-3-5-sonnet", "claude-3-5-sonnet",
            {"openai:claude-3-5-sonnet"});
        row("alias without route", "fast", "gpt-4o-mini", {"openai:gpt-4o-mini"});
        row("route to disabled upstream only", "only-backup", "only-backup", {});
        row("unknown upstream skipped", "ghost", "ghost", {"deepseek:ghost"});
    }
    void resolve()
    {
        QFETCH(QString, requested);
        QFETCH(QString, model);
        QFETCH(QStringList, chain);
        const DirectorySnapshot d = directory();
        const ModelResolution r = d.resolve(requested);
        QCOMPARE(r.requested, requested);
        QCOMPARE(r.model, model);
        QCOMPARE(chainOf(r), chain);
    }

    void resolvePointsIntoSnapshot()
    {
        const DirectorySnapshot d = directory();
        const ModelResolution r = d.resolve(QStringLiteral("gpt-4o"));
        QCOMPARE(r.chain.front().upstream, d.upstream(QStringLiteral("openai")));
        QVERIFY(!d.upstream(QStringLiteral("nowhere")));
    }

    void noEnabledUpstream()
    {
        DirectorySnapshot d = directory();
        for (auto &u : d.upstreams)
            u.enabled = false;
        QVERIFY(d.resolve(QStringLiteral("anything")).chain.empty());
        QVERIFY(d.resolve(QStringLiteral("gpt-4o")).chain.empty());
        QVERIFY(DirectorySnapshot().resolve(QStringLiteral("gpt-4o")).chain.empty());
    }

    void firstEnabledFollowsOrder()
    {
        DirectorySnapshot d = directory();
        d.upstreams[1].enabled = false; // openai
        QCOMPARE(chainOf(d.resolve(QStringLiteral("unrouted"))), QStringList{"deepseek:unrouted"});
    }

    void allows_data()
    {
        QTest::addColumn<QStringList>("models");
        QTest::addColumn<QString>("requested");
        QTest::addColumn<bool>("allowed");
        auto row = [](const char *name, const QStringList &models, const QString &requested,
                      bool allowed) { QTest::newRow(name) << models << requested << allowed; };
        row("lists the target, asks by alias", {"gpt-4o"}, "gpt-4", true);
        row("lists the alias, asks by alias", {"gpt-4"}, "gpt-4", true);
        row("lists the target, asks by target", {"gpt-4o"}, "gpt-4o", true);
        row("lists the alias, asks by target", {"gpt-4"}, "gpt-4o", false);
        row("other model", {"gpt-4o-mini"}, "gpt-4o", false);
        row("alias to a listed model", {"gpt-4o-mini"}, "fast", true);
        row("empty list", {}, "gpt-4o", false);
        row("prefix is not enough", {"gpt-4o"}, "gpt-4o-mini", false);
    }
    void allows()
    {
        QFETCH(QStringList, models);
        QFETCH(QString, requested);
        QFETCH(bool, allowed);
        const DirectorySnapshot d = directory();
        QCOMPARE(DirectorySnapshot::allows(tenant(models), d.resolve(requested)), allowed);
    }

    void unrestrictedAllowsEverything()
    {
        const DirectorySnapshot d = directory();
        for (const char *m : {"gpt-4", "gpt-4o", "whatever"})
            QVERIFY(DirectorySnapshot::allows(tenant(std::nullopt), d.resolve(QLatin1String(m))));
    }

    void priceFor_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("priced"); // empty: unpriced
        auto row = [](const char *name, const QString &model, const QString &priced) {
            QTest::newRow(name) << model << priced;
        };
        row("exact", "gpt-4o", "gpt-4o");
        row("exact mini", "gpt-4o-mini", "gpt-4o-mini");
        row("dated mini takes the longest prefix", "gpt-4o-mini-2024-07-18", "gpt-4o-mini");
        row("dated 4o", "gpt-4o-2024-08-06", "gpt-4o");
        row("shorter name unpriced", "gpt-4", "");
        row("unknown", "claude-3-5-sonnet", "");
        row("embedding", "text-embedding-3-small", "text-embedding-3-small");
    }
    void priceFor()
    {
        QFETCH(QString, model);
        QFETCH(QString, priced);
        DirectorySnapshot d = directory();
        for (int order = 0; order < 2; ++order) {
            const auto p = d.priceFor(model);
            if (priced.isEmpty()) {
                QVERIFY(!p);
            } else {
                QVERIFY(p);
                QCOMPARE(p->model, priced);
            }
            // The longest prefix wins whatever the table's order.
            std::reverse(d.prices.begin(), d.prices.end());
        }
    }

    void priceValues()
    {
        const auto p = directory().priceFor(QStringLiteral("gpt-4o-mini-2024-07-18"));
        QVERIFY(p);
        QCOMPARE(p->inputPerMTok, 0.15);
        QCOMPARE(p->outputPerMTok, 0.60);
    }

    void usageCost_data()
    {
        QTest::addColumn<qint64>("prompt");
        QTest::addColumn<qint64>("completion");
        QTest::addColumn<double>("input");
        QTest::addColumn<double>("output");
        QTest::addColumn<double>("cost");
        QTest::newRow("gpt-4o-mini") << qint64(1000) << qint64(500) << 0.15 << 0.60 << 0.00045;
        QTest::newRow("gpt-4o") << qint64(1'000'000) << qint64(1'000'000) << 2.5 << 10.0 << 12.5;
        QTest::newRow("prompt only") << qint64(2'000) << qint64(0) << 3.0 << 15.0 << 0.006;
        QTest::newRow("completion only") << qint64(0) << qint64(10) << 3.0 << 15.0 << 0.00015;
        QTest::newRow("nothing") << qint64(0) << qint64(0) << 3.0 << 15.0 << 0.0;
        QTest::newRow("free model") << qint64(5000) << qint64(5000) << 0.0 << 0.0 << 0.0;
    }
    void usageCost()
    {
        QFETCH(qint64, prompt);
        QFETCH(qint64, completion);
        QFETCH(double, input);
        QFETCH(double, output);
        QFETCH(double, cost);
        const double got = relay::usageCost(prompt, completion, PriceConfig{{}, input, output});
        QVERIFY2(qAbs(got - cost) < 1e-12, qPrintable(QString::number(got, 'g', 17)));
    }

    void costText_data()
    {
        QTest::addColumn<double>("usd");
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("gpt-4o-mini call") << 0.00045 << QByteArray("0.00045");
        QTest::newRow("the contract's example") << 0.00022 << QByteArray("0.00022");
        QTest::newRow("whole dollars") << 12.5 << QByteArray("12.5");
        QTest::newRow("three dollars") << 3.0 << QByteArray("3");
        QTest::newRow("zero") << 0.0 << QByteArray("0");
        QTest::newRow("one picodollar") << 1e-12 << QByteArray("0.000000000001");
        QTest::newRow("below half a picodollar") << 4e-13 << QByteArray("0");
        QTest::newRow("a sum off in binary") << 0.1 + 0.2 << QByteArray("0.3");
        QTest::newRow("just below a million") << 999999.25 << QByteArray("999999.25");
        QTest::newRow("a million and more") << 2'500'000.125 << QByteArray("2500000.125");
        QTest::newRow("twelve decimals, rounded up")
            << 0.0000000000015 << QByteArray("0.000000000002");
    }
    void costText()
    {
        QFETCH(double, usd);
        QFETCH(QByteArray, text);
        QCOMPARE(relay::costText(usd), text);
    }

    // Every cost a call of up to 200k tokens each way can have at these prices prints as
    // formatting the double in fixed notation with 12 decimals prints it (what the header gave
    // before), and reads back within the contract's 1e-9 of the cost.
    void costTextMatchesFixedNotation()
    {
        const double prices[][2] = {{0.15, 0.60}, {2.5, 10.0},  {3.0, 15.0}, {0.27, 1.10},
                                    {15.0, 75.0}, {0.075, 0.3}, {1.1, 4.4}};
        int mismatches = 0;
        QByteArray first;
        for (const auto &p : prices) {
            for (qint64 prompt = 0; prompt <= 200'000; prompt += 997) {
                for (qint64 completion = 0; completion <= 200'000; completion += 4999) {
                    const double usd =
                        relay::usageCost(prompt, completion, PriceConfig{{}, p[0], p[1]});
                    char digits[64];
                    const char *end = std::to_chars(digits, digits + sizeof digits, usd,
                                                    std::chars_format::fixed, 12)
                                          .ptr;
                    QByteArray fixed(digits, end - digits);
                    while (fixed.endsWith('0'))
                        fixed.chop(1);
                    if (fixed.endsWith('.'))
                        fixed.chop(1);
                    const QByteArray text = relay::costText(usd);
                    QVERIFY(qAbs(text.toDouble() - usd) < 1e-9);
                    if (text != fixed && mismatches++ == 0)
                        first = text + " vs " + fixed;
                }
            }
        }
        QVERIFY2(mismatches == 0, first.constData());
    }

    void modelsForRestricted()
    {
        const DirectorySnapshot d = directory();
        QCOMPARE(d.modelsFor(tenant(QStringList{"text-embedding-3-small", "gpt-4o"})),
                 (QStringList{"gpt-4", "gpt-4o", "text-embedding-3-small"}));
        QCOMPARE(d.modelsFor(tenant(QStringList{"gpt-4o-mini"})),
                 (QStringList{"fast", "gpt-4o-mini"}));
        QCOMPARE(d.modelsFor(tenant(QStringList{})), QStringList{});
    }

    void modelsForUnrestricted()
    {
        const DirectorySnapshot d = directory();
        QCOMPARE(d.modelsFor(tenant(std::nullopt)),
                 (QStringList{"fast", "ghost", "gpt-4", "gpt-4o", "gpt-4o-mini", "only-backup",
                              "text-embedding-3-small"}));
    }

    void parseBaseUrl_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("tls");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<QByteArray>("path");
        auto row = [](const char *name, const QString &url, bool tls, const QString &host, int port,
                      const QByteArray &path) {
            QTest::newRow(name) << url << tls << host << port << path;
        };
        row("openai", "https://api.openai.com/v1", true, "api.openai.com", 443, "/v1");
        row("trailing slash", "https://api.deepseek.com/v1/", true, "api.deepseek.com", 443, "/v1");
        row("anthropic, no path", "https://api.anthropic.com", true, "api.anthropic.com", 443, {});
        row("root slash", "https://api.anthropic.com/", true, "api.anthropic.com", 443, {});
        row("http custom port", "http://127.0.0.1:8080/v1", false, "127.0.0.1", 8080, "/v1");
        row("http default port", "http://localhost/openai/v1", false, "localhost", 80,
            "/openai/v1");
        row("https custom port", "https://gw.internal:8443/api/v1//", true, "gw.internal", 8443,
            "/api/v1");
    }
    void parseBaseUrl()
    {
        QFETCH(QString, url);
        QFETCH(bool, tls);
        QFETCH(QString, host);
        QFETCH(int, port);
        QFETCH(QByteArray, path);
        UpstreamConfig u;
        u.baseUrl = url;
        QString error;
        QVERIFY2(u.parseBaseUrl(&error), qPrintable(error));
        QCOMPARE(u.tls, tls);
        QCOMPARE(u.host, host);
        QCOMPARE(int(u.port), port);
        QCOMPARE(u.basePath, path);
    }

    void parseBaseUrlRejects_data()
    {
        QTest::addColumn<QString>("url");
        QTest::newRow("ftp") << "ftp://files.example.com/v1";
        QTest::newRow("no scheme") << "api.openai.com/v1";
        QTest::newRow("host:port only") << "localhost:8080";
        QTest::newRow("garbage") << "not a url at all";
        QTest::newRow("empty") << "";
        QTest::newRow("scheme only") << "https://";
        QTest::newRow("bad port") << "http://localhost:99999/v1";
        QTest::newRow("file") << "file:///etc/passwd";
    }
    void parseBaseUrlRejects()
    {
        QFETCH(QString, url);
        UpstreamConfig u;
        u.baseUrl = url;
        QString error;
        QVERIFY(!u.parseBaseUrl(&error));
        QVERIFY(!error.isEmpty());
    }

    void resolveApiKey()
    {
        UpstreamConfig u;
        u.apiKey = QStringLiteral("stored-secret");
        QCOMPARE(u.resolveApiKey(), QByteArray("stored-secret"));
        const char *var = "TENANTRELAY_TST_DIRECTORY_KEY";
        qputenv(var, "from-env");
        u.apiKeyEnv = QLatin1String(var);
        QCOMPARE(u.resolveApiKey(), QByteArray("from-env"));
        qunsetenv(var);
    }
};

QTEST_GUILESS_MAIN(TestDirectorySnapshot)
#include "tst_directorysnapshot.moc"
