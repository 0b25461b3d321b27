// The relay's live figures end to end: GET /metrics in the Prometheus text format (interface.md
// §3, §4 "Server limits") and Engine::stats(), after real traffic through the engine to the
// simulated provider on loopback.
#include "RelayHarness.h"

#include "upstream/UpstreamSlots.h"

#include <QRegularExpression>
#include <QTest>

#include <optional>

using namespace relay;
using namespace relay::test;

namespace {

// The engine's own ~1 s stats tick would move the percentile window under the test's feet.
constexpr int kNoStatsTick = 3'600'000;

QByteArray chat(const QString &content)
{
    return RelayHarness::chatBody(QStringLiteral("gpt-4o"), content);
}

TenantChanges rpm(qint64 perMinute)
{
    TenantChanges t;
    t.rpm = LimitValue(perMinute);
    return t;
}

TenantChanges queueTimeout(qint64 ms)
{
    TenantChanges t;
    t.queueTimeoutMs = LimitValue(ms);
    return t;
}

// One sample line of the exposition.
struct Sample
{
    QString name;
    QHash<QString, QString> labels;
    double value = 0;
};

// The metric family a sample belongs to (histogram series carry a suffix).
QString familyOf(const QString &name, const QHash<QString, QString> &types)
{
    for (const char *suffix : {"_bucket", "_sum", "_count"}) {
        if (!name.endsWith(QLatin1String(suffix)))
            continue;
        const QString base = name.chopped(int(qstrlen(suffix)));
        if (types.value(base) == QLatin1String("histogram"))
            return base;
    }
    return name;
}

// `name="value",...` with the exposition's escapes; false if malformed.
bool parseLabels(const QString &text, QHash<QString, QString> *labels)
{
    static const QRegularExpression labelName(QStringLiteral("^[a-zA-Z_][a-zA-Z0-9_]*$"));
    qsizetype i = 0;
    while (i < text.size()) {
        const qsizetype eq = text.indexOf(QLatin1Char('='), i);
        if (eq < 0)
            return false;
        const QString name = text.mid(i, eq - i);
        if (!labelName.match(name).hasMatch() || labels->contains(name))
            return false;
        i = eq + 1;
        if (i >= text.size() || text.at(i) != QLatin1Char('"'))
            return false;
        ++i;
        QString value;
        bool closed = false;
        while (i < text.size()) {
            const QChar c = text.at(i++);
            if (c == QLatin1Char('"')) {
                closed = true;
                break;
            }
            if (c == QLatin1Char('\\')) {
                if (i >= text.size())
                    return false;
                const QChar e = text.at(i++);
                if (e == QLatin1Char('n'))
                    value += QLatin1Char('\n');
                else if (e == QLatin1Char('\\') || e == QLatin1Char('"'))
                    value += e;
                else
                    return false;
            } else {
                value += c;
            }
        }
        if (!closed)
            return false;
        labels->insert(name, value);
        if (i < text.size()) {
            if (text.at(i) != QLatin1Char(','))
                return false;
            ++i;
        }
    }
    return true;
}

bool parseValue(const QString &text, double *value)
{
    if (text == QLatin1String("+Inf") || text == QLatin1String("-Inf") ||
        text == QLatin1String("NaN")) {
        *value = text == QLatin1String("NaN")        ? qQNaN()
                 : text.startsWith(QLatin1Char('+')) ? qInf()
                                                     : -qInf();
        return true;
    }
    bool ok = false;
    *value = text.toDouble(&ok);
    return ok;
}

// Parses the Prometheus text format (0.0.4) strictly: every line is `# HELP name text`,
// `# TYPE name type` or `name{labels} value [timestamp]`; a family's HELP and TYPE come once,
// before its samples; a histogram's buckets are cumulative and end with le="+Inf" = _count.
// Returns the samples, or an error naming the first offending line.
std::optional<QList<Sample>> parseExposition(const QByteArray &body, QString *error)
{
    static const QRegularExpression meta(
        QStringLiteral("^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$"));
    static const QRegularExpression sample(
        QStringLiteral(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?[0-9]+))?$)"));
    static const QStringList typeNames{QStringLiteral("counter"), QStringLiteral("gauge"),
                                       QStringLiteral("histogram"), QStringLiteral("summary"),
                                       QStringLiteral("untyped")};
    if (!body.endsWith('\n')) {
        *error = QStringLiteral("the text does not end with a newline");
        return std::nullopt;
    }
    QList<Sample> samples;
    QHash<QString, QString> types;
    QSet<QString> helps;
    QSet<QString> familiesSeen; // families whose samples have started
    QString currentFamily;
    const QList<QByteArray> lines = body.chopped(1).split('\n');
    for (qsizetype n = 0; n < lines.size(); ++n) {
        const QString line = QString::fromUtf8(lines[n]);
        auto fail = [&](const QString &why) {
            *error = QStringLiteral("line %1: %2: %3").arg(n + 1).arg(why, line);
            return std::nullopt;
        };
        if (line.startsWith(QLatin1Char('#'))) {
            const QRegularExpressionMatch m = meta.match(line);
            if (!m.hasMatch())
                return fail(QStringLiteral("not a HELP or TYPE line"));
            const QString name = m.captured(2);
            if (familiesSeen.contains(name))
                return fail(QStringLiteral("HELP/TYPE after the family's samples"));
            if (m.captured(1) == QLatin1String("HELP")) {
                if (helps.contains(name))
                    return fail(QStringLiteral("second HELP"));
                helps.insert(name);
            } else {
                if (types.contains(name))
                    return fail(QStringLiteral("second TYPE"));
                if (!typeNames.contains(m.captured(3)))
                    return fail(QStringLiteral("unknown type"));
                types.insert(name, m.captured(3));
            }
            continue;
        }
        const QRegularExpressionMatch m = sample.match(line);
        if (!m.hasMatch())
            return fail(QStringLiteral("not a sample line"));
        Sample s;
        s.name = m.captured(1);
        if (!parseLabels(m.captured(2), &s.labels))
            return fail(QStringLiteral("bad labels"));
        if (!parseValue(m.captured(3), &s.value))
            return fail(QStringLiteral("bad value"));
        const QString family = familyOf(s.name, types);
        if (!types.contains(family))
            return fail(QStringLiteral("sample without a TYPE"));
        if (family != currentFamily) {
            if (familiesSeen.contains(family))
                return fail(QStringLiteral("the family's samples are not together"));
            familiesSeen.insert(family);
            currentFamily = family;
        }
        if (types.value(family) == QLatin1String("counter") && s.value < 0)
            return fail(QStringLiteral("negative counter"));
        if (s.name.endsWith(QLatin1String("_bucket")) && !s.labels.contains(QStringLiteral("le")))
            return fail(QStringLiteral("bucket without le"));
        samples.append(s);
    }

    // Histograms: per series, buckets non-decreasing in le order, +Inf last and equal to _count.
    for (auto t = types.cbegin(); t != types.cend(); ++t) {
        if (t.value() != QLatin1String("histogram"))
            continue;
        QHash<QString, QList<QPair<double, double>>> buckets; // series → (le, value)
        QHash<QString, double> counts;
        auto seriesKey = [](QHash<QString, QString> labels) {
            labels.remove(QStringLiteral("le"));
            QStringList parts;
            for (auto it = labels.cbegin(); it != labels.cend(); ++it)
                parts.append(it.key() + QLatin1Char('=') + it.value());
            parts.sort();
            return parts.join(QLatin1Char(','));
        };
        for (const Sample &s : std::as_const(samples)) {
            if (s.name == t.key() + QLatin1String("_bucket")) {
                double le = 0;
                parseValue(s.labels.value(QStringLiteral("le")), &le);
                buckets[seriesKey(s.labels)].append({le, s.value});
            } else if (s.name == t.key() + QLatin1String("_count")) {
                counts.insert(seriesKey(s.labels), s.value);
            }
        }
        for (auto b = buckets.cbegin(); b != buckets.cend(); ++b) {
            const auto &list = b.value();
            for (qsizetype i = 1; i < list.size(); ++i) {
                if (!(list[i].first > list[i - 1].first) || list[i].second < list[i - 1].second) {
                    *error = QStringLiteral("%1{%2}: buckets not cumulative in le order")
                                 .arg(t.key(), b.key());
                    return std::nullopt;
                }
            }
            if (list.isEmpty() || !qIsInf(list.last().first) || !counts.contains(b.key()) ||
                list.last().second != counts.value(b.key())) {
                *error =
                    QStringLiteral("%1{%2}: no +Inf bucket equal to _count").arg(t.key(), b.key());
                return std::nullopt;
            }
        }
    }
    return samples;
}

// The parsed figures of one GET /metrics.
class Exposition
{
public:
    explicit Exposition(QList<Sample> samples) : m_samples(std::move(samples)) {}

    // The value of the series `name` with exactly these labels, or nullopt.
    std::optional<double> value(const QString &name, const QHash<QString, QString> &labels) const
    {
        for (const Sample &s : m_samples)
            if (s.name == name && s.labels == labels)
                return s.value;
        return std::nullopt;
    }
    // tenantrelay_tenant<suffix>{tenant="id"}, or -1 when the series is missing.
    double tenant(const char *suffix, const QString &id) const
    {
        return value(QLatin1String("tenantrelay_tenant") + QLatin1String(suffix),
                     {{QStringLiteral("tenant"), id}})
            .value_or(-1);
    }
    double upstream(const char *suffix, const QString &name) const
    {
        return value(QLatin1String("tenantrelay_upstream") + QLatin1String(suffix),
                     {{QStringLiteral("upstream"), name}})
            .value_or(-1);
    }
    int bucketCount(const QString &name) const
    {
        int n = 0;
        for (const Sample &s : m_samples)
            n += s.name == name;
        return n;
    }

private:
    QList<Sample> m_samples;
};

const FlowSnapshot *find(const QList<FlowSnapshot> &list, const QString &name)
{
    for (const FlowSnapshot &f : list)
        if (f.name == name)
            return &f;
    return nullptr;
}

} // namespace

class TestMetrics : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<RelayHarness> h;

    TestResponse send(const QString &key, const QString &content)
    {
        return request(h->port(), "POST", "/v1/chat/completions", chat(content),
                       TestHttpClient::bearer(key));
    }
    // Starts a request that stays open; returns its client.
    std::unique_ptr<TestHttpClient> start(const QString &key, const QString &content)
    {
        auto client = std::make_unique<TestHttpClient>(h->port());
        client->send("POST", "/v1/chat/completions", chat(content), TestHttpClient::bearer(key));
        return client;
    }
    TestResponse getMetrics(const HttpHeaders &headers = {})
    {
        return request(h->port(), "GET", "/metrics", {}, headers);
    }
    // The number of answered requests metered so far. A request is metered after its figures
    // are counted, and the client may read its answer a moment before that: tests wait for
    // this before they read figures.
    int metered() { return int(h->usageRows().size()); }

private Q_SLOTS:
    void init() { h = std::make_unique<RelayHarness>(); }
    void cleanup() { h.reset(); }

    void theCheckerRejectsMalformedText_data()
    {
        QTest::addColumn<QByteArray>("text");
        const QByteArray head = "# HELP x_total Things.\n# TYPE x_total counter\n";
        const QByteArray hist = "# TYPE h histogram\n";
        QTest::newRow("no final newline") << head + "x_total{a=\"1\"} 1";
        QTest::newRow("no value") << head + "x_total{a=\"1\"}\n";
        QTest::newRow("bad value") << head + "x_total{a=\"1\"} one\n";
        QTest::newRow("unquoted label") << head + "x_total{a=1} 1\n";
        QTest::newRow("bad escape") << head + "x_total{a=\"\\q\"} 1\n";
        QTest::newRow("no TYPE") << QByteArray("y 1\n");
        QTest::newRow("second TYPE") << head + "# TYPE x_total counter\nx_total 1\n";
        QTest::newRow("bad comment") << head + "# hello\nx_total 1\n";
        QTest::newRow("blank line") << head + "\nx_total 1\n";
        QTest::newRow("not cumulative")
            << hist + "h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n";
        QTest::newRow("+Inf is not the count")
            << hist + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n";
        QTest::newRow("no +Inf") << hist + "h_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n";
    }
    void theCheckerRejectsMalformedText()
    {
        QFETCH(QByteArray, text);
        QString error;
        QVERIFY(!parseExposition(text, &error));
        QVERIFY(!error.isEmpty());
        const QByteArray good = "# HELP x_total Things.\n# TYPE x_total counter\n"
                                "x_total{a=\"q\\\"\\\\\\n\",b=\"\"} 1.5e+06\n"
                                "# TYPE h histogram\nh_bucket{le=\"0.5\"} 1\n"
                                "h_bucket{le=\"+Inf\"} 2\nh_sum 0.7\nh_count 2\n";
        const auto samples = parseExposition(good, &error);
        QVERIFY2(samples, qPrintable(error));
        QCOMPARE(
            Exposition(*samples)
                .value(QStringLiteral("x_total"), {{QStringLiteral("a"), QStringLiteral("q\"\\\n")},
                                                   {QStringLiteral("b"), QString()}})
                .value_or(-1),
            1.5e6);
    }

    void prometheusTextCountsWhatWasSent()
    {
        h->sim().setLatencyMs(20);
        h->addSimUpstream(QStringLiteral("sim"), h->sim(), 1);
        const QString alpha = h->addTenant(QStringLiteral("alpha"), rpm(1));
        const QString bravo = h->addTenant(QStringLiteral("bravo"));
        const QString charlie = h->addTenant(QStringLiteral("charlie"), queueTimeout(300));
        const QString delta = h->addTenant(QStringLiteral("delta"));
        EngineOptions options;
        options.statsIntervalMs = kNoStatsTick;
        QVERIFY(h->start(options));
        const auto pool = h->engine().upstreamSlots(QStringLiteral("sim"));
        QVERIFY(pool);

        // alpha: one served, one refused by its rpm limit.
        QCOMPARE(send(alpha, QStringLiteral("alpha 1")).status, 200);
        const TestResponse limited = send(alpha, QStringLiteral("alpha 2"));
        QCOMPARE(limited.status, 429);
        QCOMPARE(limited.errorField("code"), QStringLiteral("rate_limit_exceeded"));
        // bravo: three served.
        for (int i = 0; i < 3; ++i)
            QCOMPARE(send(bravo, QStringLiteral("bravo %1").arg(i)).status, 200);
        // charlie: one holds the only slot (the provider never answers); the next waits past
        // its 300 ms queue timeout.
        h->sim().pushFault({SimFault::Hang});
        const auto hanging = start(charlie, QStringLiteral("charlie hangs"));
        QTRY_COMPARE(h->sim().stats().inFlight, 1);
        const TestResponse overloaded = send(charlie, QStringLiteral("charlie waits"));
        QCOMPARE(overloaded.status, 503);
        QCOMPARE(overloaded.errorField("code"), QStringLiteral("server_overloaded"));
        // delta: waits (best-effort, 30 s) while the figures are read.
        const auto waiting = start(delta, QStringLiteral("delta waits"));
        QTRY_COMPARE(pool->waiting(), 1);
        QTRY_COMPARE(metered(), 6);

        const TestResponse r = getMetrics();
        QCOMPARE(r.status, 200);
        const QByteArray type = r.header("content-type");
        QVERIFY2(type.startsWith("text/plain"), type.constData());
        QVERIFY2(type.contains("version=0.0.4"), type.constData());
        QString error;
        const auto samples = parseExposition(r.body, &error);
        QVERIFY2(samples, qPrintable(error + QLatin1Char('\n') + QString::fromUtf8(r.body)));
        const Exposition m(*samples);

        // Per tenant: counters.
        QCOMPARE(m.tenant("_requests_total", QStringLiteral("alpha")), 2.0);
        QCOMPARE(m.tenant("_requests_total", QStringLiteral("bravo")), 3.0);
        QCOMPARE(m.tenant("_requests_total", QStringLiteral("charlie")), 1.0);
        QCOMPARE(m.tenant("_requests_total", QStringLiteral("delta")), 0.0);
        QCOMPARE(m.tenant("_rate_limited_total", QStringLiteral("alpha")), 1.0);
        QCOMPARE(m.tenant("_rate_limited_total", QStringLiteral("bravo")), 0.0);
        QCOMPARE(m.tenant("_rate_limited_total", QStringLiteral("charlie")), 0.0);
        QCOMPARE(m.tenant("_overloaded_total", QStringLiteral("charlie")), 1.0);
        QCOMPARE(m.tenant("_overloaded_total", QStringLiteral("alpha")), 0.0);
        QCOMPARE(m.tenant("_overloaded_total", QStringLiteral("bravo")), 0.0);
        QCOMPARE(m.tenant("_errors_total", QStringLiteral("alpha")), 1.0);
        QCOMPARE(m.tenant("_errors_total", QStringLiteral("bravo")), 0.0);
        QCOMPARE(m.tenant("_errors_total", QStringLiteral("charlie")), 1.0);
        // Per tenant: gauges.
        QCOMPARE(m.tenant("_in_flight", QStringLiteral("charlie")), 1.0);
        QCOMPARE(m.tenant("_in_flight", QStringLiteral("bravo")), 0.0);
        QCOMPARE(m.tenant("_in_flight", QStringLiteral("alpha")), 0.0);
        QCOMPARE(m.tenant("_queued", QStringLiteral("delta")), 1.0);
        QCOMPARE(m.tenant("_queued", QStringLiteral("charlie")), 0.0);
        QCOMPARE(m.tenant("_queued", QStringLiteral("bravo")), 0.0);
        // Per tenant: histograms.
        const QString bucket = QStringLiteral("tenantrelay_tenant_request_duration_seconds_bucket");
        QCOMPARE(m.bucketCount(bucket) % int(LatencyHistogram::kBuckets), 0);
        QVERIFY(m.value(bucket, {{QStringLiteral("tenant"), QStringLiteral("bravo")},
                                 {QStringLiteral("le"), QStringLiteral("+Inf")}}));
        QCOMPARE(m.tenant("_request_duration_seconds_count", QStringLiteral("bravo")), 3.0);
        QVERIFY(m.tenant("_request_duration_seconds_sum", QStringLiteral("bravo")) > 0);
        QCOMPARE(m.tenant("_request_duration_seconds_count", QStringLiteral("charlie")), 1.0);
        QVERIFY(m.tenant("_request_duration_seconds_sum", QStringLiteral("charlie")) > 0);
        QVERIFY(m.tenant("_request_duration_seconds_count", QStringLiteral("alpha")) >= 1.0);
        QCOMPARE(m.tenant("_queue_wait_seconds_count", QStringLiteral("bravo")), 3.0);
        QCOMPARE(m.tenant("_queue_wait_seconds_count", QStringLiteral("delta")), 0.0);
        QVERIFY(m.value(QStringLiteral("tenantrelay_tenant_queue_wait_seconds_bucket"),
                        {{QStringLiteral("tenant"), QStringLiteral("bravo")},
                         {QStringLiteral("le"), QStringLiteral("0.005")}}));

        // Per upstream: alpha's 1 + bravo's 3 + charlie's 503 (it waited for this upstream);
        // the refusal never reached it.
        QCOMPARE(m.upstream("_requests_total", QStringLiteral("sim")), 5.0);
        QCOMPARE(m.upstream("_errors_total", QStringLiteral("sim")), 1.0);
        QCOMPARE(m.upstream("_rate_limited_total", QStringLiteral("sim")), 0.0);
        QCOMPARE(m.upstream("_overloaded_total", QStringLiteral("sim")), 1.0);
        QCOMPARE(m.upstream("_in_flight", QStringLiteral("sim")), 1.0);
        QCOMPARE(m.upstream("_queued", QStringLiteral("sim")), 1.0);
        QCOMPARE(m.upstream("_request_duration_seconds_count", QStringLiteral("sim")), 5.0);
        QVERIFY(m.upstream("_request_duration_seconds_sum", QStringLiteral("sim")) > 0);
        // Waits: alpha's, bravo's three and charlie's hanging one, which got slots, and the
        // wait of the request that gave up with 503 (the longest waits must not go missing).
        QCOMPARE(m.upstream("_queue_wait_seconds_count", QStringLiteral("sim")), 6.0);
    }

    void everyConfiguredUpstreamIsListed()
    {
        h->addSimUpstream(QStringLiteral("sim"), h->sim());
        h->addSimUpstream(QStringLiteral("idle"), h->sim(), 3);
        h->addTenant(QStringLiteral("alpha"));
        QVERIFY(h->start());
        const TestResponse r = getMetrics();
        QCOMPARE(r.status, 200);
        QString error;
        const auto samples = parseExposition(r.body, &error);
        QVERIFY2(samples, qPrintable(error));
        const Exposition m(*samples);
        for (const QString &name : {QStringLiteral("sim"), QStringLiteral("idle")}) {
            QCOMPARE(m.upstream("_requests_total", name), 0.0);
            QCOMPARE(m.upstream("_in_flight", name), 0.0);
            QCOMPARE(m.upstream("_queued", name), 0.0);
            QCOMPARE(m.upstream("_request_duration_seconds_count", name), 0.0);
        }
        const EngineStatsSnapshot s = h->engine().stats();
        QCOMPARE(s.upstreams.size(), 2);
        QVERIFY(find(s.upstreams, QStringLiteral("sim")));
        QVERIFY(find(s.upstreams, QStringLiteral("idle")));
        QCOMPARE(find(s.upstreams, QStringLiteral("idle"))->poolSize, 3);
        QCOMPARE(find(s.upstreams, QStringLiteral("sim"))->poolSize, 8);
    }

    void statsListUpstreamsInTheOrderTheyWereAdded()
    {
        // EngineStatsSnapshot::upstreams come in the order they were added (the order `upstream
        // list` and the default routing use).
        h->addSimUpstream(QStringLiteral("sim"), h->sim());
        h->addSimUpstream(QStringLiteral("idle"), h->sim(), 3);
        QVERIFY(h->start());
        QStringList upstreams;
        for (const FlowSnapshot &f : h->engine().stats().upstreams)
            upstreams.append(f.name);
        QCOMPARE(upstreams, (QStringList{QStringLiteral("sim"), QStringLiteral("idle")}));
    }

    void metricsNeedTheAdminTokenWhenOneIsSet()
    {
        h->addSimUpstream(QStringLiteral("sim"), h->sim());
        const QString key = h->addTenant(QStringLiteral("alpha"));
        EngineOptions options;
        options.adminToken = "s3cret";
        QVERIFY(h->start(options));
        QCOMPARE(send(key, QStringLiteral("hello")).status, 200);
        QTRY_COMPARE(metered(), 1);

        TestResponse r = getMetrics();
        QCOMPARE(r.status, 401);
        QCOMPARE(r.errorField("code"), QStringLiteral("invalid_api_key"));
        QVERIFY(!r.body.contains("tenantrelay_"));
        r = getMetrics({{"authorization", "Bearer wrong"}});
        QCOMPARE(r.status, 401);
        QVERIFY(!r.body.contains("tenantrelay_"));
        r = getMetrics({{"authorization", "Bearer s3cret-and-more"}});
        QCOMPARE(r.status, 401);
        // A tenant's key is not the admin token.
        r = getMetrics(TestHttpClient::bearer(key));
        QCOMPARE(r.status, 401);

        r = getMetrics({{"authorization", "Bearer s3cret"}});
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("content-type").startsWith("text/plain"));
        QString error;
        const auto samples = parseExposition(r.body, &error);
        QVERIFY2(samples, qPrintable(error));
        QCOMPARE(Exposition(*samples).tenant("_requests_total", QStringLiteral("alpha")), 1.0);
    }

    void engineStatsReportTenantsAndUpstreams()
    {
        h->sim().setLatencyMs(20);
        h->addSimUpstream(QStringLiteral("sim"), h->sim(), 1);
        const QString prod = h->addTenant(QStringLiteral("prod"));
        const QString limited = h->addTenant(QStringLiteral("limited"), rpm(1));
        const QString impatient = h->addTenant(QStringLiteral("impatient"), queueTimeout(300));
        EngineOptions options;
        options.statsIntervalMs = kNoStatsTick;
        QVERIFY(h->start(options));
        const auto pool = h->engine().upstreamSlots(QStringLiteral("sim"));

        QCOMPARE(send(limited, QStringLiteral("limited 1")).status, 200);
        QCOMPARE(send(limited, QStringLiteral("limited 2")).status, 429);
        for (int i = 0; i < 2; ++i)
            QCOMPARE(send(prod, QStringLiteral("prod %1").arg(i)).status, 200);
        QTRY_COMPARE(metered(), 4);

        EngineStatsSnapshot s = h->engine().stats();
        QCOMPARE(s.tenants.size(), 2); // the tenants seen so far, by id
        QCOMPARE(s.tenants[0].name, QStringLiteral("limited"));
        QCOMPARE(s.tenants[1].name, QStringLiteral("prod"));
        const FlowSnapshot *t = find(s.tenants, QStringLiteral("limited"));
        QVERIFY(t);
        QCOMPARE(t->requests, 2);
        QCOMPARE(t->rateLimited, 1);
        QCOMPARE(t->errors, 1);
        QCOMPARE(t->overloaded, 0);
        t = find(s.tenants, QStringLiteral("prod"));
        QVERIFY(t);
        QCOMPARE(t->requests, 2);
        QCOMPARE(t->errors, 0);
        QCOMPARE(t->inFlight, 0);
        QCOMPARE(t->queued, 0);
        QVERIFY2(t->latencyP50Ms > 0, qPrintable(QString::number(t->latencyP50Ms)));
        QVERIFY(t->latencyP95Ms >= t->latencyP50Ms);
        QVERIFY(t->latencyP99Ms >= t->latencyP95Ms);
        QCOMPARE(s.upstreams.size(), 1);
        const FlowSnapshot *u = find(s.upstreams, QStringLiteral("sim"));
        QVERIFY(u);
        QCOMPARE(u->requests, 3);
        QCOMPARE(u->poolSize, 1);
        QCOMPARE(u->inFlight, 0);
        QCOMPARE(u->queued, 0);
        QVERIFY(u->latencyP50Ms > 0);

        // prod: one request holds the only slot, two more wait for it.
        h->sim().pushFault({SimFault::Hang});
        const auto hanging = start(prod, QStringLiteral("prod hangs"));
        QTRY_COMPARE(h->sim().stats().inFlight, 1);
        std::vector<std::unique_ptr<TestHttpClient>> queued;
        for (int i = 0; i < 2; ++i)
            queued.push_back(start(prod, QStringLiteral("prod queued %1").arg(i)));
        QTRY_COMPARE(pool->waiting(), 2);
        // impatient gives up after its 300 ms queue timeout.
        const TestResponse r = send(impatient, QStringLiteral("impatient"));
        QCOMPARE(r.status, 503);
        QTRY_COMPARE(metered(), 5);

        s = h->engine().stats();
        t = find(s.tenants, QStringLiteral("prod"));
        QVERIFY(t);
        QCOMPARE(t->queued, 2);
        QVERIFY(t->inFlight >= 1);
        QCOMPARE(t->requests, 2);
        t = find(s.tenants, QStringLiteral("impatient"));
        QVERIFY(t);
        QCOMPARE(t->requests, 1);
        QCOMPARE(t->overloaded, 1);
        QCOMPARE(t->errors, 1);
        QCOMPARE(t->rateLimited, 0);
        QCOMPARE(t->queued, 0);
        QCOMPARE(t->inFlight, 0);
        u = find(s.upstreams, QStringLiteral("sim"));
        QVERIFY(u);
        QCOMPARE(u->inFlight, 1);
        QCOMPARE(u->queued, 2);
        QCOMPARE(u->poolSize, 1);
        QCOMPARE(u->requests, 4);
        QCOMPARE(u->overloaded, 1);
        QVERIFY(s.inFlight >= 1);

        // The hanging client leaves: the two queued requests are served.
        hanging->close();
        for (auto &c : queued) {
            QVERIFY(c->waitDone());
            QCOMPARE(c->response().status, 200);
        }
        QTRY_COMPARE(pool->inFlight(), 0);
        QTRY_COMPARE(metered(), 8);
        s = h->engine().stats();
        t = find(s.tenants, QStringLiteral("prod"));
        QVERIFY(t);
        QCOMPARE(t->requests, 5); // 2 + the abandoned one + 2 served after waiting
        QCOMPARE(t->inFlight, 0);
        QCOMPARE(t->queued, 0);
        QVERIFY(t->requestsPerSec > 0);
        QVERIFY2(t->latencyP50Ms > 0, qPrintable(QString::number(t->latencyP50Ms)));
        QVERIFY(t->latencyP99Ms >= t->latencyP50Ms);
        // Both served requests waited for the slot.
        QVERIFY2(t->queueWaitP50Ms > 0, qPrintable(QString::number(t->queueWaitP50Ms)));
        QVERIFY(t->queueWaitP95Ms >= t->queueWaitP50Ms);
        u = find(s.upstreams, QStringLiteral("sim"));
        QVERIFY(u);
        QCOMPARE(u->requests, 7);
        QCOMPARE(u->inFlight, 0);
        QCOMPARE(u->queued, 0);
        QVERIFY(u->latencyP50Ms > 0);
        QVERIFY(u->queueWaitP50Ms > 0);
        QCOMPARE(s.inFlight, 0);
        QCOMPARE(s.requests, 8); // every tenant request answered, refusals included
    }

    void aTenantsQueuedRequestsAreNotCountedInFlight()
    {
        // in flight = holding an upstream slot, as the upstream's gauge counts it; queued =
        // waiting for one. A request is one or the other, for a tenant as for its upstream.
        h->addSimUpstream(QStringLiteral("sim"), h->sim(), 1);
        const QString prod = h->addTenant(QStringLiteral("prod"));
        EngineOptions options;
        options.statsIntervalMs = kNoStatsTick;
        QVERIFY(h->start(options));
        const auto pool = h->engine().upstreamSlots(QStringLiteral("sim"));
        h->sim().pushFault({SimFault::Hang});
        const auto hanging = start(prod, QStringLiteral("prod hangs"));
        QTRY_COMPARE(h->sim().stats().inFlight, 1);
        std::vector<std::unique_ptr<TestHttpClient>> queued;
        for (int i = 0; i < 2; ++i)
            queued.push_back(start(prod, QStringLiteral("prod queued %1").arg(i)));
        QTRY_COMPARE(pool->waiting(), 2);

        const TestResponse r = getMetrics();
        QCOMPARE(r.status, 200);
        QString error;
        const auto samples = parseExposition(r.body, &error);
        QVERIFY2(samples, qPrintable(error));
        const Exposition m(*samples);
        QCOMPARE(m.upstream("_in_flight", QStringLiteral("sim")), 1.0);
        QCOMPARE(m.upstream("_queued", QStringLiteral("sim")), 2.0);
        QCOMPARE(m.tenant("_queued", QStringLiteral("prod")), 2.0);
        QCOMPARE(m.tenant("_in_flight", QStringLiteral("prod")), 1.0);

        const EngineStatsSnapshot s = h->engine().stats();
        const FlowSnapshot *t = find(s.tenants, QStringLiteral("prod"));
        QVERIFY(t);
        QCOMPARE(t->queued, 2);
        QCOMPARE(t->inFlight, 1);
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
