#include "DemoSeed.h"

#include "billing/Cost.h"
#include "store/AdminService.h"
#include "store/SqlExec.h"
#include "store/SqliteBind.h"
#include "store/UsageReport.h"
#include "store/UsageRollup.h"
#include "store/UsageWriter.h"
#include "tenants/ApiKey.h"

#include <sqlite3.h>

#include <QDateTime>
#include <QTimeZone>
#include <QtMath>

namespace relay::DemoSeed {

namespace {

struct DemoTenant
{
    QString id;
    QString name;
    QString tier;
    qint64 rpm;
    qint64 concurrency;
    double budgetUsd;
    QStringList models;
    // This month's spend before the demo starts, as a share of the budget.
    double spentShare;
    QString model; // what that earlier spend was for
    QString upstream;
    qint64 promptTokens;
    qint64 completionTokens;
};

const QList<PriceConfig> kPrices{
    {QStringLiteral("gpt-4o"), 2.5, 10.0},
    {QStringLiteral("gpt-4o-mini"), 0.15, 0.6},
    {QStringLiteral("claude-sonnet-4-5"), 3.0, 15.0},
    {QStringLiteral("deepseek-chat"), 0.27, 1.10},
};

double priceOf(const QString &model, qint64 prompt, qint64 completion)
{
    for (const PriceConfig &p : kPrices)
        if (p.model == model)
            return usageCost(prompt, completion, p);
    return 0;
}

bool check(const AdminResult &r, QString *error)
{
    if (!r.ok && error)
        *error = r.error;
    return r.ok;
}

// Busier in the (UTC) working day, quieter at night and at weekends.
double hourWeight(qint64 hourMs)
{
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(hourMs, QTimeZone::utc());
    const int h = t.time().hour();
    double w = 0.25 + qMax(0.0, qSin((h - 6) * M_PI / 14.0));
    if (t.date().dayOfWeek() >= 6)
        w *= 0.4;
    return w;
}

// This month's earlier spend of one tenant: one usage row per request, written and rolled up
// as the usage writer does, every full hour since the month began.
bool seedHistory(QSqlDatabase &db, const DemoTenant &t, const QString &keyPrefix, qint64 nowMs,
                 QString *error)
{
    const qint64 hour = UsageRollup::kHourMs;
    const qint64 first = UsageReport::monthStartMs(nowMs);
    const qint64 last = nowMs / hour * hour; // the current hour stays live
    if (last <= first)
        return true;
    double totalWeight = 0;
    for (qint64 h = first; h < last; h += hour)
        totalWeight += hourWeight(h);
    sqlite3 *handle = sqlite::handleOf(db);
    sqlite3_stmt *insert = nullptr;
    if (sqlite3_prepare_v2(handle, UsageWriter::insertSql(), -1, &insert, nullptr) != SQLITE_OK) {
        *error = QString::fromUtf8(sqlite3_errmsg(handle));
        return false;
    }
    UsageRecord r;
    r.tenantId = t.id;
    r.keyPrefix = keyPrefix;
    r.endpoint = "chat";
    r.requestedModel = t.model;
    r.servedModel = t.model;
    r.upstream = t.upstream;
    r.status = 200;
    r.promptTokens = t.promptTokens;
    r.completionTokens = t.completionTokens;
    r.costUsd = priceOf(t.model, t.promptTokens, t.completionTokens);
    r.priced = true;
    const double target = t.budgetUsd * t.spentShare;
    UsageRollup rollup;
    quint32 seed = 11;
    qint64 carry = 0;
    double owed = 0;
    bool ok = true;
    for (qint64 h = first; ok && h < last; h += hour) {
        owed += target * hourWeight(h) / totalWeight;
        const qint64 requests = qint64(owed / r.costUsd);
        owed -= requests * r.costUsd;
        for (qint64 i = 0; ok && i < requests; ++i) {
            seed = seed * 1103515245u + 12345u;
            r.tsMs = h + (i * hour) / qMax<qint64>(requests, 1);
            r.requestId =
                QByteArray("demo-") + QByteArray::number(++carry, 16).rightJustified(8, '0');
            r.latencyMs = 250 + (seed >> 8) % 700;
            r.ttfbMs = r.latencyMs / 3;
            ok = UsageWriter::insertRow(insert, r);
            rollup.add(r);
        }
    }
    sqlite3_finalize(insert);
    if (!ok || !rollup.writeTo(handle)) {
        *error = QString::fromUtf8(sqlite3_errmsg(handle));
        return false;
    }
    return true;
}

} // namespace

bool seed(QSqlDatabase &db, AdminService &admin, const DemoUpstreamUrls &urls, const Clock &clock,
          QHash<QString, QString> *keys, QString *error)
{
    struct Upstream
    {
        QString name;
        QString url;
        QString kind;
        int maxConnections;
        int slowMs;
    };
    const QList<Upstream> upstreams{
        {QStringLiteral("openai"), urls.openai, QStringLiteral("openai"), 6, 2500},
        {QStringLiteral("anthropic"), urls.anthropic, QString::fromLatin1(kBackupKind), 6, 3000},
        {QStringLiteral("deepseek"), urls.deepseek, QStringLiteral("openai"), 4, 2500},
    };
    for (const Upstream &u : upstreams) {
        UpstreamChanges c;
        c.baseUrl = u.url;
        c.kind = u.kind;
        c.maxConnections = u.maxConnections;
        c.timeoutMs = 20'000;
        c.slowMs = LimitValue(u.slowMs);
        // The simulators take any key; the demo's lives only in its throw-away database.
        c.apiKey = QStringLiteral("sk-demo-simulated-provider-key");
        if (!check(admin.addUpstream(u.name, c), error))
            return false;
    }

    const QList<QPair<QString, QStringList>> routes{
        {QStringLiteral("gpt-4o"),
         {QStringLiteral("openai"), QStringLiteral("anthropic:claude-sonnet-4-5")}},
        {QStringLiteral("gpt-4o-mini"),
         {QStringLiteral("openai"), QStringLiteral("deepseek:deepseek-chat")}},
        {QStringLiteral("claude-sonnet-4-5"),
         {QStringLiteral("anthropic"), QStringLiteral("openai:gpt-4o")}},
        {QStringLiteral("deepseek-chat"),
         {QStringLiteral("deepseek"), QStringLiteral("openai:gpt-4o-mini")}},
    };
    for (const auto &[model, targets] : routes)
        if (!check(admin.setRoute(model, targets), error))
            return false;
    if (!check(admin.setAlias(QStringLiteral("gpt-4"), QStringLiteral("gpt-4o")), error) ||
        !check(admin.setAlias(QStringLiteral("cheap"), QStringLiteral("deepseek-chat")), error))
        return false;
    for (const PriceConfig &p : kPrices)
        if (!check(admin.setPrice(p.model, p.inputPerMTok, p.outputPerMTok), error))
            return false;

    const QList<DemoTenant> tenants{
        {QStringLiteral("prod-chatbot"),
         QStringLiteral("Production chatbot"),
         QStringLiteral("dedicated"),
         500,
         16,
         500.0,
         {QStringLiteral("gpt-4o"), QStringLiteral("claude-sonnet-4-5")},
         0.46,
         QStringLiteral("gpt-4o"),
         QStringLiteral("openai"),
         900,
         250},
        {QStringLiteral("batch-email-summaries"),
         QStringLiteral("Nightly e-mail summaries"),
         QStringLiteral("best-effort"),
         100,
         0,
         200.0,
         {QStringLiteral("deepseek-chat"), QStringLiteral("gpt-4o-mini")},
         0.55,
         QStringLiteral("deepseek-chat"),
         QStringLiteral("deepseek"),
         6000,
         900},
        {QStringLiteral("internal-dev-tools"),
         QStringLiteral("Internal developer tools"),
         QStringLiteral("guaranteed"),
         50,
         0,
         50.0,
         {},
         0.79,
         QStringLiteral("gpt-4o"),
         QStringLiteral("openai"),
         2000,
         500},
    };
    for (const DemoTenant &t : tenants) {
        TenantChanges c;
        c.name = t.name;
        c.tier = t.tier;
        c.rpm = LimitValue(t.rpm);
        if (t.concurrency > 0)
            c.concurrency = LimitValue(t.concurrency);
        if (t.tier == QLatin1String("dedicated"))
            c.reserved = LimitValue(3);
        if (!t.models.isEmpty())
            c.models = ModelAllowList(t.models);
        c.budgetUsd = BudgetValue(t.budgetUsd); // alerts at the default 50, 80 and 100 %
        const AdminValue<QString> key = admin.addTenant(t.id, c);
        if (!check(key, error))
            return false;
        keys->insert(t.id, key.value);
    }
    // The earlier spend in one transaction (tens of thousands of rows).
    QSqlQuery q(db);
    if (!sql::run(q, QStringLiteral("BEGIN IMMEDIATE"), {}, error))
        return false;
    for (const DemoTenant &t : tenants) {
        if (!seedHistory(db, t, ApiKey::prefix(keys->value(t.id)), clock.wallMs(), error)) {
            sql::run(q, QStringLiteral("ROLLBACK"));
            return false;
        }
    }
    return sql::run(q, QStringLiteral("COMMIT"), {}, error);
}

} // namespace relay::DemoSeed
