// What metering costs per request, in isolation:
//   meter-cost [--rows N] [--rounds R]
// 1. the price and live-figure look-ups a request makes: the directory's price scan and the
//    metrics registry under its lock (as before) against the published config's price index
//    and figures (as now), in ns per look-up;
// 2. the usage writer: N rows recorded at once and committed by the real UsageWriter on a new
//    database, one INSERT per row against 16 and 32 rows per INSERT, in ns per row and rows/s
//    (medians of R interleaved rounds; rollups, last-used keys and index upkeep included).

#include "billing/PriceIndex.h"
#include "billing/PriceList.h"
#include "core/Clock.h"
#include "proxy/RelayContext.h"
#include "store/Database.h"
#include "store/UsageWriter.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <vector>

static void initRelaycoreResources()
{
    Q_INIT_RESOURCE(relaycore);
}

namespace {

using namespace relay;

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

// Keeps the optimiser from dropping a loop whose results are unused.
volatile quintptr g_sink = 0;

// ns per call of `lookup` over `names`, median of `rounds`.
template <class Lookup> double nsPerLookup(const QStringList &names, int rounds, Lookup lookup)
{
    constexpr int kPasses = 20'000;
    std::vector<double> ns;
    for (int round = 0; round < rounds; ++round) {
        QElapsedTimer timer;
        timer.start();
        quintptr sink = 0;
        for (int pass = 0; pass < kPasses; ++pass)
            for (const QString &name : names)
                sink += lookup(name);
        ns.push_back(double(timer.nsecsElapsed()) / double(kPasses * names.size()));
        g_sink = sink;
    }
    return median(ns);
}

std::shared_ptr<DirectorySnapshot> directory()
{
    QString error;
    auto d = std::make_shared<DirectorySnapshot>();
    d->prices = PriceList::load(PriceList::kShippedPath, &error).value_or(d->prices);
    UpstreamConfig openai;
    openai.name = QStringLiteral("openai");
    UpstreamConfig azure;
    azure.name = QStringLiteral("azure");
    d->upstreams = {openai, azure};
    d->aliases.insert(QStringLiteral("fast"), QStringLiteral("gpt-4o-mini"));
    d->routes.insert(QStringLiteral("gpt-4o"),
                     {{QStringLiteral("openai"), QString()},
                      {QStringLiteral("azure"), QStringLiteral("gpt4o-prod")}});
    for (const char *id : {"search", "support-bot", "analytics", "batch-jobs", "research"}) {
        TenantConfig t;
        t.id = QString::fromLatin1(id);
        d->tenants.insert(t.id, t);
    }
    return d;
}

void lookups(int rounds)
{
    const auto d = directory();
    ManualClock clock;
    RelayContext context(clock, nullptr);
    context.publish(d);
    const auto config = context.config();
    // What requests bill: a requested name, the dated name an upstream answers with, an alias
    // target, an unpriced deployment name.
    const QStringList models = {QStringLiteral("gpt-4o-mini"), QStringLiteral("gpt-4o-2024-08-06"),
                                QStringLiteral("claude-sonnet-4-5-20250929"),
                                QStringLiteral("gpt4o-prod")};
    const QStringList tenants = d->tenants.keys();
    const QStringList upstreams = {QStringLiteral("openai"), QStringLiteral("azure")};

    std::printf("price table: %zu prices (the shipped list)\n", d->prices.size());
    std::printf("%-44s %10s %10s\n", "look-up (ns each, median)", "old", "new");
    const double priceOld = nsPerLookup(
        models, rounds, [&](const QString &m) { return quintptr(d->priceFor(m).has_value()); });
    const double priceNew = nsPerLookup(
        models, rounds, [&](const QString &m) { return quintptr(config->prices.find(m)); });
    std::printf("%-44s %10.1f %10.1f\n", "price of a model", priceOld, priceNew);
    const double tenantOld = nsPerLookup(tenants, rounds, [&](const QString &t) {
        return quintptr(context.metrics().tenant(t).get());
    });
    const double tenantNew = nsPerLookup(
        tenants, rounds, [&](const QString &t) { return quintptr(&config->tenantFlow(t)); });
    std::printf("%-44s %10.1f %10.1f\n", "tenant's live figures", tenantOld, tenantNew);
    const double upstreamOld = nsPerLookup(upstreams, rounds, [&](const QString &u) {
        return quintptr(context.metrics().upstream(u).get());
    });
    const double upstreamNew = nsPerLookup(
        upstreams, rounds, [&](const QString &u) { return quintptr(config->upstreamFlow(u)); });
    std::printf("%-44s %10.1f %10.1f\n", "upstream's live figures", upstreamOld, upstreamNew);
}

std::vector<UsageRecord> records(qint64 rows, qint64 startMs)
{
    const QString tenants[] = {QStringLiteral("search"), QStringLiteral("support-bot"),
                               QStringLiteral("analytics")};
    const QString models[] = {QStringLiteral("gpt-4o-mini"), QStringLiteral("gpt-4o")};
    std::vector<UsageRecord> out;
    out.reserve(size_t(rows));
    for (qint64 i = 0; i < rows; ++i) {
        UsageRecord r;
        r.tsMs = startMs + i;
        r.requestId = "req_" + QByteArray::number(i, 16).rightJustified(24, '0');
        r.tenantId = tenants[i % 3];
        r.keyPrefix = QStringLiteral("sk-tr-bench") + QString::number(i % 3);
        r.endpoint = "chat";
        r.requestedModel = models[i % 2];
        r.servedModel = models[i % 2] + QStringLiteral("-2024-08-06");
        r.upstream = QStringLiteral("openai");
        r.status = i % 50 ? 200 : 502;
        r.promptTokens = 50 + i % 2000;
        r.completionTokens = 10 + i % 800;
        r.costUsd = double(r.promptTokens) * 1.5e-7 + double(r.completionTokens) * 6e-7;
        r.priced = true;
        r.latencyMs = 300 + i % 700;
        r.ttfbMs = 100 + i % 200;
        r.streamed = i % 2;
        out.push_back(std::move(r));
    }
    return out;
}

// Seconds for the writer to commit `rows` rows handed over at once, on a new database.
double writerSeconds(const QString &path, int rowsPerInsert, qint64 rows)
{
    {
        Database db;
        QString error;
        if (!db.open(path, &error)) {
            std::fprintf(stderr, "meter-cost: %s\n", qPrintable(error));
            return -1;
        }
    }
    UsageWriter writer(path);
    writer.setRowsPerInsert(rowsPerInsert);
    QString error;
    if (!writer.startWriter(&error)) {
        std::fprintf(stderr, "meter-cost: %s\n", qPrintable(error));
        return -1;
    }
    std::vector<UsageRecord> batch = records(rows, Clock::system().wallMs());
    QElapsedTimer timer;
    timer.start();
    for (UsageRecord &r : batch)
        writer.record(std::move(r));
    writer.flush();
    const double seconds = double(timer.nsecsElapsed()) / 1e9;
    if (writer.rowsWritten() != rows)
        std::fprintf(stderr, "meter-cost: %lld rows written of %lld\n",
                     static_cast<long long>(writer.rowsWritten()), static_cast<long long>(rows));
    writer.stopWriter();
    return seconds;
}

void writer(qint64 rows, int rounds)
{
    const int modes[] = {1, 16, 32};
    std::vector<double> seconds[std::size(modes)];
    QTemporaryDir dir;
    for (int round = 0; round < rounds; ++round) {
        for (size_t m = 0; m < std::size(modes); ++m) {
            const QString path =
                dir.filePath(QStringLiteral("usage-%1-%2.db").arg(round).arg(modes[m]));
            seconds[m].push_back(writerSeconds(path, modes[m], rows));
        }
    }
    std::printf("\nusage writer: %lld rows at once, committed (median of %d rounds)\n",
                static_cast<long long>(rows), rounds);
    std::printf("%-44s %10s %12s\n", "rows per INSERT", "ns/row", "rows/s");
    for (size_t m = 0; m < std::size(modes); ++m) {
        const double s = median(seconds[m]);
        std::printf("%-44d %10.0f %12.0f\n", modes[m], s * 1e9 / double(rows), double(rows) / s);
    }
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    initRelaycoreResources();
    qint64 rows = 200'000;
    int rounds = 5;
    const QStringList args = app.arguments().mid(1);
    for (qsizetype i = 0; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--rows"))
            rows = qMax<qint64>(1, args[i + 1].toLongLong());
        else if (args[i] == QLatin1String("--rounds"))
            rounds = qMax(1, args[i + 1].toInt());
    }
    lookups(rounds);
    writer(rows, rounds);
    return 0;
}
