#include "DemoSeed.h"

#include "store/AdminService.h"
#include "store/SqlExec.h"
#include "store/UsageReport.h"

#include <QDateTime>
#include <QSqlError>
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

struct DemoPrice
{
    QString model;
    double input;
    double output;
};

const QList<DemoPrice> kPrices{
    {QStringLiteral("gpt-4o"), 2.5, 10.0},
    {QStringLiteral("gpt-4o-mini"), 0.15, 0.6},
    {QStringLiteral("claude-sonnet-4-5"), 3.0, 15.0},
    {QStringLiteral("deepseek-chat"), 0.27, 1.10},
};

double priceOf(const QString &model, qint64 prompt, qint64 completion)
{
    for (const DemoPrice &p : kPrices)
        if (p.model == model)
            return (prompt * p.input + completion * p.output) / 1e6;
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

// This month's earlier spend of one tenant: one usage row per request and the hourly rollups,
// every full hour since the month began.
bool seedHistory(QSqlDatabase &db, const DemoTenant &t, const QString &keyPrefix, qint64 nowMs,
                 QString *error)
{
    const qint64 hour = 3'600'000;
    const qint64 first = UsageReport::monthStartMs(nowMs);
    const qint64 last = nowMs / hour * hour; // the current hour stays live
    if (last <= first)
        return true;
    double totalWeight = 0;
    for (qint64 h = first; h < last; h += hour)
        totalWeight += hourWeight(h);
    const double perRequest = priceOf(t.model, t.promptTokens, t.completionTokens);
    const double target = t.budgetUsd * t.spentShare;
    QSqlQuery raw(db);
    raw.prepare(QStringLiteral(
        "INSERT INTO usage (ts, request_id, tenant_id, key_prefix, outcome, endpoint, "
        "requested_model, served_model, upstream, status, prompt_tokens, completion_tokens, "
        "cost_usd, priced, latency_ms, ttfb_ms) VALUES (?, ?, ?, ?, 'served', 'chat', ?, ?, ?, "
        "200, ?, ?, ?, 1, ?, ?)"));
    QSqlQuery rollup(db);
    quint32 seed = 11;
    qint64 carry = 0;
    double owed = 0;
    for (qint64 h = first; h < last; h += hour) {
        owed += target * hourWeight(h) / totalWeight;
        const qint64 requests = qint64(owed / perRequest);
        owed -= requests * perRequest;
        for (qint64 i = 0; i < requests; ++i) {
            seed = seed * 1103515245u + 12345u;
            const qint64 latency = 250 + (seed >> 8) % 700;
            raw.addBindValue(h + (i * hour) / qMax<qint64>(requests, 1));
            raw.addBindValue(QStringLiteral("demo-%1").arg(++carry, 8, 16, QLatin1Char('0')));
            raw.addBindValue(t.id);
            raw.addBindValue(keyPrefix);
            raw.addBindValue(t.model);
            raw.addBindValue(t.model);
            raw.addBindValue(t.upstream);
            raw.addBindValue(t.promptTokens);
            raw.addBindValue(t.completionTokens);
            raw.addBindValue(perRequest);
            raw.addBindValue(latency);
            raw.addBindValue(latency / 3);
            if (!raw.exec()) {
                *error = raw.lastError().text();
                return false;
            }
        }
        if (requests > 0 &&
            !sql::run(rollup,
                      QStringLiteral("INSERT INTO usage_hourly (hour, tenant_id, model, upstream, "
                                     "requests, prompt_tokens, completion_tokens, cost_usd) "
                                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                      {h, t.id, t.model, t.upstream, requests, requests * t.promptTokens,
                       requests * t.completionTokens, requests * perRequest},
                      error))
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
    for (const DemoPrice &p : kPrices)
        if (!check(admin.setPrice(p.model, p.input, p.output), error))
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
        const AdminValue<QString> key = admin.addTenant(t.id, c);
        if (!check(key, error))
            return false;
        keys->insert(t.id, key.value);
    }
    // Budgets and the earlier spend in one transaction (tens of thousands of rows).
    QSqlQuery q(db);
    if (!sql::run(q, QStringLiteral("BEGIN IMMEDIATE"), {}, error))
        return false;
    for (const DemoTenant &t : tenants) {
        if (!sql::run(q,
                      QStringLiteral("UPDATE tenants SET budget_usd = ?, alert_thresholds = "
                                     "'50,80,100' WHERE id = ?"),
                      {t.budgetUsd, t.id}, error) ||
            !seedHistory(db, t, keys->value(t.id).left(12), clock.wallMs(), error)) {
            sql::run(q, QStringLiteral("ROLLBACK"));
            return false;
        }
    }
    return sql::run(q, QStringLiteral("UPDATE config_state SET version = version + 1"), {},
                    error) &&
           sql::run(q, QStringLiteral("COMMIT"), {}, error);
}

} // namespace relay::DemoSeed
