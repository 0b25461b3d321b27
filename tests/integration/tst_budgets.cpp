// Budgets end to end (interface.md §4 "Budgets and usage"): a hard budget refuses after the
// request that crosses it, a soft one serves and alerts, in-flight estimates hold back a burst,
// /v1/usage shows a tenant its own period only, and alerts reach a webhook (retried while it is
// down) once per threshold. The real engine on loopback; only the provider is simulated.
#include "OneShotHttpServer.h"
#include "RelayHarness.h"
#include "UsageRows.h"

#include "core/Clock.h"
#include "store/ConfigLoader.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace relay;
using namespace relay::test;

using relay::test::utcMs;

namespace {

// The simulated provider answers "hello" with 2 prompt and (at max_tokens 12) 12 completion
// tokens; at 1000 USD per million both ways a request costs 0.014 and is estimated at as much.
constexpr double kCost = 0.014;
const QString kModel = QStringLiteral("gpt-4o");

QByteArray chat()
{
    return RelayHarness::chatBody(kModel, QStringLiteral("hello"), false,
                                  QStringLiteral(R"("max_tokens":12)"));
}

void exec(QSqlDatabase &db, const QString &sql, const QVariantList &values = {})
{
    QSqlQuery q(db);
    q.prepare(sql);
    for (const QVariant &v : values)
        q.addBindValue(v);
    if (!q.exec())
        qFatal("%s: %s", qPrintable(sql), qPrintable(q.lastError().text()));
}

// A budget as `tenant set --budget USD [--soft-budget] [--alerts LIST] [--webhook URL]` writes it.
void setBudget(RelayHarness &h, const QString &tenant, double usd, bool soft = false,
               const QString &thresholds = {}, const QString &webhook = {})
{
    TenantChanges c;
    c.budgetUsd = BudgetValue(usd);
    c.softBudget = soft;
    if (!thresholds.isEmpty())
        c.alertThresholds = AlertThresholds(ConfigLoader::thresholdsFromText(thresholds));
    if (!webhook.isEmpty())
        c.webhookUrl = webhook;
    h.setTenant(tenant, c);
}

QList<QVariantMap> rows(QSqlDatabase &db, const QString &sql)
{
    return RelayHarness::queryRows(db, sql);
}

QList<QVariantMap> alertRows(QSqlDatabase &db)
{
    return rows(db, QStringLiteral("SELECT * FROM alerts ORDER BY kind, threshold"));
}

// "kind:threshold" of every stored alert, sorted.
QStringList alertKeys(QSqlDatabase &db)
{
    QStringList out;
    for (const QVariantMap &r : alertRows(db))
        out.append(r[QStringLiteral("kind")].toString() + QLatin1Char(':') +
                   r[QStringLiteral("threshold")].toString());
    return out;
}

QString deliveryOf(QSqlDatabase &db, qint64 id)
{
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT delivery FROM alerts WHERE id = ?"));
    q.addBindValue(id);
    return q.exec() && q.next() ? q.value(0).toString() : QString();
}

// A webhook endpoint: records every POST and answers it with `status`.
class WebhookReceiver
{
public:
    struct Post
    {
        QByteArray head;
        QByteArray body;
    };

    int status = 200;
    QList<Post> posts;

    bool listen(quint16 port = 0) { return m_server.listen(port); }
    quint16 port() const { return m_server.port(); }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1/hooks/budget").arg(port()); }

private:
    OneShotHttpServer m_server{[this](const QByteArray &head, const QByteArray &body) {
        posts.append({head, body});
        return "HTTP/1.1 " + QByteArray::number(status) +
               " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    }};
};

} // namespace

class TestBudgets : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<RelayHarness> h;
    std::unique_ptr<ManualClock> clock;

    TestResponse send(const QString &key)
    {
        return request(h->port(), "POST", "/v1/chat/completions", chat(),
                       TestHttpClient::bearer(key));
    }
    QJsonObject usage(const QString &key, const QByteArray &path = "/v1/usage",
                      HttpHeaders headers = {})
    {
        headers.append(TestHttpClient::bearer(key));
        const TestResponse r = request(h->port(), "GET", path, {}, headers);
        return r.status == 200 ? r.json() : QJsonObject{{QStringLiteral("status"), r.status}};
    }
    // Mid-November 2026: 15.5 days of the period are left.
    bool start(EngineOptions options = {})
    {
        options.clock = clock.get();
        return h->start(options);
    }
    void setUpPriced()
    {
        h->addSimUpstream(QStringLiteral("sim"), h->sim());
        QVERIFY(h->admin().setPrice(kModel, 1000, 1000).ok);
    }

private Q_SLOTS:
    void init()
    {
        clock = std::make_unique<ManualClock>(utcMs(2026, 11, 15, 12));
        h = std::make_unique<RelayHarness>();
    }
    void cleanup() { h.reset(); }

    void hardBudgetRefusesOnceSpendAloneReachesIt()
    {
        setUpPriced();
        const QString key = h->addTenant(QStringLiteral("team"));
        setBudget(*h, QStringLiteral("team"), 0.05);
        QVERIFY(start());

        // 0, 0.014, 0.028 and 0.042 are under 0.05: the fourth crosses the line and is served.
        for (int i = 0; i < 4; ++i)
            QCOMPARE(send(key).status, 200);
        const TestResponse r = send(key);
        QCOMPARE(r.status, 429);
        QCOMPARE(r.errorField("type"), QStringLiteral("insufficient_quota"));
        QCOMPARE(r.errorField("code"), QStringLiteral("insufficient_quota"));
        QCOMPARE(r.header("x-should-retry"), QByteArray("false"));
        QVERIFY(r.header("retry-after").isNull());
        QVERIFY(!r.header("x-request-id").isEmpty());
        QCOMPARE(h->sim().stats().requests, 4);

        // The crossing request was billed in full.
        const QList<QVariantMap> usageRows = h->usageRows();
        QCOMPARE(usageRows.size(), 5);
        double billed = 0;
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(usageRows[i][QStringLiteral("outcome")].toString(), QStringLiteral("served"));
            QVERIFY(qFuzzyCompare(usageRows[i][QStringLiteral("cost_usd")].toDouble(), kCost));
            billed += usageRows[i][QStringLiteral("cost_usd")].toDouble();
        }
        QCOMPARE(usageRows[4][QStringLiteral("outcome")].toString(), QStringLiteral("rejected"));
        QCOMPARE(usageRows[4][QStringLiteral("status")].toInt(), 429);
        QCOMPARE(usageRows[4][QStringLiteral("error")].toString(),
                 QStringLiteral("insufficient_quota"));
        const QJsonObject u = usage(key);
        QVERIFY(qFuzzyCompare(u[QStringLiteral("spent_usd")].toDouble(), billed));
        QCOMPARE(u[QStringLiteral("remaining_usd")].toDouble(), 0.0); // never negative
        QCOMPARE(u[QStringLiteral("requests")].toInt(), 4);

        // A larger budget applies to the running relay.
        setBudget(*h, QStringLiteral("team"), 1.0);
        h->reload();
        QCOMPARE(send(key).status, 200);
    }

    void softBudgetServesAndRaisesEachAlertOnce()
    {
        setUpPriced();
        const QString key = h->addTenant(QStringLiteral("team"));
        setBudget(*h, QStringLiteral("team"), 0.05, true);
        QVERIFY(start());
        QSignalSpy raised(&h->engine(), &Engine::alertRaised);

        // 0.014 in the last 23 hours, 372 hours left: heading for about 0.24 — a forecast
        // alert while the spend is still under the budget.
        QCOMPARE(send(key).status, 200);
        QTRY_COMPARE(alertKeys(h->db()), QStringList{QStringLiteral("forecast:100")});
        const QVariantMap forecast = alertRows(h->db()).first();
        QVERIFY(forecast[QStringLiteral("forecast_usd")].toDouble() > 0.05);
        QCOMPARE(forecast[QStringLiteral("period")].toString(), QStringLiteral("2026-11"));
        QCOMPARE(forecast[QStringLiteral("delivery")].toString(), QStringLiteral("none"));

        // Past the budget: still served.
        for (int i = 0; i < 5; ++i)
            QCOMPARE(send(key).status, 200);
        const QStringList all{QStringLiteral("forecast:100"), QStringLiteral("threshold:50"),
                              QStringLiteral("threshold:80"), QStringLiteral("threshold:100")};
        QTRY_COMPARE(alertKeys(h->db()), all);
        QCOMPARE(h->sim().stats().requests, 6);
        // More spend raises nothing new.
        QCOMPARE(send(key).status, 200);
        h->sweep(); // an alert check, now
        QCOMPARE(alertKeys(h->db()), all);

        QTRY_COMPARE(raised.size(), 4);
        const auto first = raised.first().first().value<AlertSnapshot>();
        QCOMPARE(first.kind, QStringLiteral("forecast"));
        QCOMPARE(first.tenant, QStringLiteral("team"));
        QCOMPARE(first.id, forecast[QStringLiteral("id")].toLongLong());
        QCOMPARE(first.tsMs, clock->wallMs());

        // The console's figures.
        const EngineStatsSnapshot stats = h->engine().stats();
        QCOMPARE(stats.budgets.size(), 1);
        const BudgetSnapshot &b = stats.budgets.first();
        QCOMPARE(b.tenant, QStringLiteral("team"));
        QVERIFY(b.soft);
        QCOMPARE(b.budgetUsd, std::optional<double>(0.05));
        QVERIFY(qFuzzyCompare(b.spentUsd, 7 * kCost));
        QCOMPARE(b.inFlightUsd, 0.0);
        QVERIFY(b.forecastUsd > b.spentUsd);
        QCOMPARE(b.period, QStringLiteral("2026-11"));
        // And Prometheus'.
        const QByteArray metrics = request(h->port(), "GET", "/metrics").body;
        QVERIFY(metrics.contains("tenantrelay_tenant_budget_usd{tenant=\"team\"} 0.05\n"));
        QVERIFY(metrics.contains("tenantrelay_tenant_spent_usd{tenant=\"team\"} 0.098\n"));
        QVERIFY(metrics.contains("tenantrelay_tenant_in_flight_usd{tenant=\"team\"} 0\n"));
    }

    void burstAgainstANearlyExhaustedBudgetServesOnlyWhatFits()
    {
        setUpPriced();
        const QString key = h->addTenant(QStringLiteral("team"));
        setBudget(*h, QStringLiteral("team"), 0.05);
        QVERIFY(start());
        QCOMPARE(send(key).status, 200); // 0.014 spent, 0.036 left
        h->sim().setLatencyMs(300);

        std::vector<std::unique_ptr<TestHttpClient>> burst;
        for (int i = 0; i < 50; ++i) {
            burst.push_back(std::make_unique<TestHttpClient>(h->port()));
            burst.back()->send("POST", "/v1/chat/completions", chat(), TestHttpClient::bearer(key));
        }
        int served = 0;
        int heldInFlight = 0;
        int exhausted = 0;
        for (auto &c : burst) {
            QVERIFY(c->waitDone(30'000));
            const TestResponse &r = c->response();
            if (r.status == 200) {
                ++served;
                continue;
            }
            QCOMPARE(r.status, 429);
            if (r.errorField("type") == QLatin1String("tokens")) {
                // Spend is still under the budget: it may fit once those in flight finish.
                ++heldInFlight;
                QCOMPARE(r.errorField("code"), QStringLiteral("rate_limit_exceeded"));
                QCOMPARE(r.header("retry-after"), QByteArray("1"));
                QCOMPARE(r.header("retry-after-ms"), QByteArray("1000"));
            } else {
                ++exhausted;
                QCOMPARE(r.errorField("type"), QStringLiteral("insufficient_quota"));
                QCOMPARE(r.header("x-should-retry"), QByteArray("false"));
            }
        }
        // Admitted while spend + in flight < 0.05: at 0.014, 0.028 and 0.042 — three.
        QCOMPARE(served, 3);
        QCOMPARE(heldInFlight + exhausted, 47);
        QVERIFY(heldInFlight > 0); // the three were in flight while the rest arrived
        QCOMPARE(h->sim().stats().requests, 4);
        const double spent = usage(key)[QStringLiteral("spent_usd")].toDouble();
        QVERIFY(qFuzzyCompare(spent, 4 * kCost));
        QVERIFY(spent <= 0.05 + kCost + 1e-12); // over by at most one request
        int rejected = 0;
        for (const QVariantMap &row : h->usageRows())
            rejected += row[QStringLiteral("outcome")].toString() == QLatin1String("rejected");
        QCOMPARE(rejected, 47);
    }

    void estimatesInFlightAreReleasedHoweverARequestEnds()
    {
        setUpPriced();
        const QString key = h->addTenant(QStringLiteral("team"));
        setBudget(*h, QStringLiteral("team"), kCost);
        QVERIFY(start());
        h->sim().pushFault({SimFault::Hang});
        TestHttpClient hanging(h->port());
        hanging.send("POST", "/v1/chat/completions", chat(), TestHttpClient::bearer(key));
        QTRY_COMPARE(h->sim().stats().inFlight, 1);
        QCOMPARE(h->engine().stats().budgets.first().inFlightUsd, kCost);
        // Nothing spent, but the request in flight holds the whole budget.
        TestResponse r = send(key);
        QCOMPARE(r.status, 429);
        QCOMPARE(r.errorField("type"), QStringLiteral("tokens"));
        QCOMPARE(r.header("retry-after"), QByteArray("1"));

        // The client leaves: its estimate is released and the prompt it sent is billed.
        hanging.close();
        QTRY_COMPARE(h->engine().stats().budgets.first().inFlightUsd, 0.0);
        const double billed = h->engine().stats().budgets.first().spentUsd;
        QVERIFY(qFuzzyCompare(billed, 0.002)); // 2 prompt tokens, no completion

        // An upstream failure (502) releases its estimate too, and costs nothing.
        // The only target is retried twice, at once (Retry-After: 0).
        h->sim().pushFault({SimFault::Status, 500, 0}, 3);
        TestHttpClient failing(h->port());
        failing.send("POST", "/v1/chat/completions", chat(), TestHttpClient::bearer(key));
        QVERIFY(failing.waitDone());
        QCOMPARE(failing.response().status, 502);
        QCOMPARE(h->sim().stats().requests, 4); // the hanging one, then three tries
        QCOMPARE(h->engine().stats().budgets.first().inFlightUsd, 0.0);
        QCOMPARE(h->engine().stats().budgets.first().spentUsd, billed);
        QCOMPARE(send(key).status, 200); // 0.002 < 0.014: this one crosses the line
        QCOMPARE(send(key).errorField("type"), QStringLiteral("insufficient_quota"));
    }

    void usageShowsTheCallersOwnPeriodOnly()
    {
        setUpPriced();
        const QString a = h->addTenant(QStringLiteral("alpha"));
        const QString b = h->addTenant(QStringLiteral("beta"));
        setBudget(*h, QStringLiteral("alpha"), 1.0);
        QVERIFY(start());
        QCOMPARE(send(a).status, 200);
        QCOMPARE(send(a).status, 200);
        QCOMPARE(send(b).status, 200);

        // A finished request shows within a second.
        QTRY_COMPARE_WITH_TIMEOUT(usage(a)[QStringLiteral("requests")].toInt(), 2, 1000);
        const QJsonObject ua = usage(a);
        QCOMPARE(ua[QStringLiteral("tenant")].toString(), QStringLiteral("alpha"));
        QCOMPARE(ua[QStringLiteral("period_start")].toString(),
                 QStringLiteral("2026-11-01T00:00:00Z"));
        QCOMPARE(ua[QStringLiteral("budget_usd")].toDouble(), 1.0);
        QVERIFY(qFuzzyCompare(ua[QStringLiteral("spent_usd")].toDouble(), 2 * kCost));
        QVERIFY(qFuzzyCompare(ua[QStringLiteral("remaining_usd")].toDouble(), 1.0 - 2 * kCost));
        QCOMPARE(ua[QStringLiteral("prompt_tokens")].toInt(), 4);
        QCOMPARE(ua[QStringLiteral("completion_tokens")].toInt(), 24);

        const auto isBeta = [](const QJsonObject &u) {
            return u[QStringLiteral("tenant")].toString() == QLatin1String("beta") &&
                   u[QStringLiteral("requests")].toInt() == 1 &&
                   u[QStringLiteral("budget_usd")].isNull() &&
                   u[QStringLiteral("remaining_usd")].isNull();
        };
        QTRY_VERIFY(isBeta(usage(b)));
        // Nothing but the key decides whose figures these are.
        QVERIFY(isBeta(usage(b, "/v1/usage?tenant=alpha")));
        QVERIFY(isBeta(usage(b, "/v1/usage?tenant_id=alpha&user=alpha")));
        QVERIFY(isBeta(usage(b, "/v1/usage", {{"x-tenant-id", "alpha"}})));
        QVERIFY(isBeta(usage(b, "/v1/usage", {{"x-api-key", a.toUtf8()}})));
        QVERIFY(isBeta(usage(b, "/v1/usage", {{"openai-organization", "alpha"}})));

        TestResponse r = request(h->port(), "GET", "/v1/usage?tenant=alpha");
        QCOMPARE(r.status, 401);
        QCOMPARE(r.errorField("code"), QStringLiteral("invalid_api_key"));
        r = request(h->port(), "GET", "/v1/usage", {}, {{"x-api-key", "sk-tr-unknown"}});
        QCOMPARE(r.status, 401);
        r = request(h->port(), "POST", "/v1/usage", {}, TestHttpClient::bearer(b));
        QCOMPARE(r.status, 405);
    }

    void webhookReceivesEachAlertAsJson()
    {
        WebhookReceiver receiver;
        QVERIFY(receiver.listen());
        setUpPriced();
        const QString key = h->addTenant(QStringLiteral("team"));
        setBudget(*h, QStringLiteral("team"), 0.02, false, QStringLiteral("50"), receiver.url());
        QVERIFY(start());
        QCOMPARE(send(key).status, 200); // 70 %, and heading far past the budget

        QTRY_COMPARE(receiver.posts.size(), 2);
        QTRY_COMPARE(rows(h->db(), QStringLiteral("SELECT id FROM alerts WHERE delivery = "
                                                  "'delivered'"))
                         .size(),
                     2);
        for (const WebhookReceiver::Post &post : receiver.posts) {
            QVERIFY(post.head.startsWith("POST /hooks/budget HTTP/1.1"));
            QVERIFY(post.head.toLower().contains("content-type: application/json"));
            const QJsonObject o = QJsonDocument::fromJson(post.body).object();
            QCOMPARE(o[QStringLiteral("event")].toString(), QStringLiteral("budget_alert"));
            QCOMPARE(o[QStringLiteral("tenant")].toString(), QStringLiteral("team"));
            QCOMPARE(o[QStringLiteral("time")].toString(), QStringLiteral("2026-11-15T12:00:00Z"));
            QVERIFY(qFuzzyCompare(o[QStringLiteral("spent_usd")].toDouble(), kCost));
            QCOMPARE(o[QStringLiteral("budget_usd")].toDouble(), 0.02);
            QCOMPARE(o[QStringLiteral("acknowledged")].toBool(true), false);
            QCOMPARE(o[QStringLiteral("delivery")].toString(), QStringLiteral("pending"));
            const QString kind = o[QStringLiteral("kind")].toString();
            QVERIFY(kind == QLatin1String("threshold") || kind == QLatin1String("forecast"));
            QCOMPARE(o[QStringLiteral("threshold")].toInt(),
                     kind == QLatin1String("threshold") ? 50 : 100);
            QCOMPARE(o.contains(QStringLiteral("forecast_usd")), kind == QLatin1String("forecast"));
            const qint64 id = o[QStringLiteral("id")].toInteger();
            QCOMPARE(deliveryOf(h->db(), id), QStringLiteral("delivered"));
        }
    }

    void webhookIsRetriedUntilTheReceiverIsUp()
    {
        // The receiver's port, free for now: the first attempts find nobody there.
        quint16 port = 0;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost));
            port = probe.serverPort();
        }
        setUpPriced();
        const QString key = h->addTenant(QStringLiteral("team"));
        // No webhook of its own: the global setting applies.
        setBudget(*h, QStringLiteral("team"), 0.02, false, QStringLiteral("50"));
        QVERIFY(h->admin()
                    .setSetting(QStringLiteral("webhook_url"),
                                QStringLiteral("http://127.0.0.1:%1/hooks/budget").arg(port))
                    .ok);
        EngineOptions options;
        options.webhookRetryBaseMs = 500; // attempts at 0, 0.5, 1.5, 3.5 and 7.5 s
        QVERIFY(start(options));
        QSignalSpy deliveries(&h->engine(), &Engine::alertDeliveryChanged);
        QCOMPARE(send(key).status, 200);
        QTRY_COMPARE(rows(h->db(), QStringLiteral("SELECT id FROM alerts WHERE kind = 'threshold' "
                                                  "AND delivery = 'pending'"))
                         .size(),
                     1);
        QCOMPARE(deliveries.size(), 0);

        WebhookReceiver receiver;
        QVERIFY(receiver.listen(port));
        QTRY_COMPARE_WITH_TIMEOUT(
            rows(h->db(), QStringLiteral("SELECT id FROM alerts WHERE delivery = 'delivered'"))
                .size(),
            2, 15'000);
        QCOMPARE(receiver.posts.size(), 2); // each delivered once
        QTRY_COMPARE(deliveries.size(), 2);
        QCOMPARE(deliveries.first().at(1).toString(), QStringLiteral("delivered"));
    }

    void webhookGivesUpAfterItsAttempts()
    {
        WebhookReceiver receiver;
        receiver.status = 500;
        QVERIFY(receiver.listen());
        setUpPriced();
        const QString key = h->addTenant(QStringLiteral("team"));
        setBudget(*h, QStringLiteral("team"), 1.0, false, QStringLiteral("1"), receiver.url());
        EngineOptions options;
        options.webhookRetryBaseMs = 50;
        options.webhookAttempts = 3;
        QVERIFY(start(options));
        // 1.4 % of the budget, and a forecast of about 0.24: below it, so one alert only.
        QCOMPARE(send(key).status, 200);
        QTRY_COMPARE(alertKeys(h->db()), QStringList{QStringLiteral("threshold:1")});
        QTRY_COMPARE(alertRows(h->db()).first()[QStringLiteral("delivery")].toString(),
                     QStringLiteral("failed: HTTP 500"));
        QCOMPARE(receiver.posts.size(), 3);
    }

    void deliveriesLeftPendingResumeAtStart()
    {
        WebhookReceiver receiver;
        QVERIFY(receiver.listen());
        setUpPriced();
        h->addTenant(QStringLiteral("team"));
        setBudget(*h, QStringLiteral("team"), 1.0, false, {}, receiver.url());
        // A relay stopped while this alert's webhook was still being tried.
        exec(h->db(),
             QStringLiteral("INSERT INTO alerts (id, ts, tenant_id, period, kind, threshold, "
                            "spent_usd, budget_usd, delivery) VALUES (7, ?, 'team', '2026-11', "
                            "'threshold', 50, 0.5, 1.0, 'pending')"),
             {clock->wallMs()});
        QVERIFY(start());
        QTRY_COMPARE(deliveryOf(h->db(), 7), QStringLiteral("delivered"));
        QCOMPARE(receiver.posts.size(), 1);
        const QJsonObject o = QJsonDocument::fromJson(receiver.posts.first().body).object();
        QCOMPARE(o[QStringLiteral("id")].toInteger(), 7);
        QCOMPARE(o[QStringLiteral("event")].toString(), QStringLiteral("budget_alert"));
        QCOMPARE(o[QStringLiteral("threshold")].toInt(), 50);
    }

    void alertsAndSpendSurviveARestart()
    {
        setUpPriced();
        const QString key = h->addTenant(QStringLiteral("team"));
        setBudget(*h, QStringLiteral("team"), 1.0, false, QStringLiteral("50,80"));
        // Earlier traffic this period, as the usage writer's hourly rollups hold it.
        const qint64 hour = utcMs(2026, 11, 15, 9);
        exec(h->db(),
             QStringLiteral("INSERT INTO usage_hourly (hour, tenant_id, model, upstream, "
                            "requests, prompt_tokens, completion_tokens, cost_usd) "
                            "VALUES (?, 'team', 'earlier-model', 'earlier', 3, 30, 60, 0.6)"),
             {hour});
        // And last month's, which counts for nothing now.
        exec(h->db(),
             QStringLiteral("INSERT INTO usage_hourly (hour, tenant_id, model, upstream, "
                            "requests, prompt_tokens, completion_tokens, cost_usd) "
                            "VALUES (?, 'team', 'earlier-model', 'earlier', 9, 90, 90, 5)"),
             {utcMs(2026, 10, 31, 23)});
        QVERIFY(start());
        const QJsonObject u = usage(key);
        QVERIFY(qFuzzyCompare(u[QStringLiteral("spent_usd")].toDouble(), 0.6));
        QCOMPARE(u[QStringLiteral("requests")].toInt(), 3);
        QCOMPARE(u[QStringLiteral("completion_tokens")].toInt(), 60);
        const QStringList expected{QStringLiteral("forecast:100"), QStringLiteral("threshold:50")};
        QTRY_COMPARE(alertKeys(h->db()), expected);

        h->stopEngine();
        QVERIFY(start());
        QSignalSpy raised(&h->engine(), &Engine::alertRaised);
        h->sweep(); // an alert check, now
        QCOMPARE(alertKeys(h->db()), expected);
        QCOMPARE(raised.size(), 0);
        // Spend carries on from the rollups: 80 % is raised once reached.
        for (int i = 0; i < 15; ++i)
            QCOMPARE(send(key).status, 200); // 0.6 + 0.21
        QTRY_COMPARE(raised.size(), 1);
        QCOMPARE(raised.first().first().value<AlertSnapshot>().threshold, 80);
    }
};

QTEST_MAIN(TestBudgets)
#include "tst_budgets.moc"
