// The admin API (interface.md §5) over real HTTP on loopback: every resource's create, read,
// update and delete against a real engine and its database, validation errors naming the field,
// 401/403/404/409/429, writes live in the relay at once and audited as admin-api@ADDRESS, and no
// answer ever holding a provider key or a tenant key after its creation.
#include "RelayHarness.h"

#include "admin/AdminJson.h"
#include "store/AuditLog.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>
#include <QTimeZone>

using namespace relay;
using namespace relay::test;

namespace {

const QByteArray kAdminToken = "adm-token-for-tests";
const QByteArray kReadOnlyToken = "ro-token-for-tests";
const QByteArray kProviderKey = "sk-provider-secret-never-shown";

} // namespace

class TestAdminApi : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<RelayHarness> m_relay;
    ManualClock m_clock;
    QList<QByteArray> m_bodies; // every answer body of the test, searched for secrets

    TestResponse call(const QByteArray &method, const QByteArray &path,
                      const QJsonObject &body = {}, const QByteArray &token = kAdminToken)
    {
        HttpHeaders headers;
        if (!token.isEmpty())
            headers.emplaceBack("authorization", "Bearer " + token);
        const QByteArray bytes =
            body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact);
        if (!bytes.isEmpty())
            headers.emplaceBack("content-type", "application/json");
        TestResponse r = request(m_relay->port(), method, "/admin/v1" + path, bytes, headers);
        m_bodies.append(r.body);
        return r;
    }
    TestResponse callRaw(const QByteArray &method, const QByteArray &path, const QByteArray &body)
    {
        TestResponse r = request(m_relay->port(), method, "/admin/v1" + path, body,
                                 {{"authorization", "Bearer " + kAdminToken}});
        m_bodies.append(r.body);
        return r;
    }
    static QJsonArray data(const TestResponse &r) { return r.json().value("data").toArray(); }
    int chat(const QString &key, const char *model)
    {
        return request(m_relay->port(), "POST", "/v1/chat/completions",
                       RelayHarness::chatBody(QLatin1String(model), QStringLiteral("hi")),
                       TestHttpClient::bearer(key))
            .status;
    }
    // How many rows GET /requests?QUERY answers, or minus its status when it refuses.
    int requestCount(const QByteArray &query)
    {
        const TestResponse r = call("GET", "/requests?" + query);
        return r.status == 200 ? int(data(r).size()) : -r.status;
    }
    // Every row of a list from the cursor `before` on (empty: from the start), page after page
    // through `next` (limit=`pageSize`).
    QJsonArray allPages(const QByteArray &path, int pageSize, QString before = QString())
    {
        QJsonArray rows;
        const QByteArray pagePath =
            path + (path.contains('?') ? "&" : "?") + "limit=" + QByteArray::number(pageSize);
        for (;;) {
            const TestResponse page =
                call("GET", before.isEmpty() ? pagePath : pagePath + "&before=" + before.toUtf8());
            if (page.status != 200)
                return {};
            for (const QJsonValue row : data(page))
                rows.append(row);
            before = page.json().value("next").toString();
            if (before.isEmpty())
                return rows;
        }
    }
    // Opens the circuit of the only upstream: five failures in a row (Retry-After: 0, so the
    // retries need no clock).
    void tripCircuit(const QString &key)
    {
        m_relay->sim().pushFault({SimFault::Status, 500, 0, 0}, 5);
        for (int i = 0; i < 2; ++i)
            QVERIFY(chat(key, "gpt-4o") >= 500);
        QTRY_COMPARE(m_relay->engine().stats().circuits.value(0).state, CircuitState::Open);
    }

private Q_SLOTS:
    void init()
    {
        m_relay = std::make_unique<RelayHarness>();
        m_bodies.clear();
        qputenv("TR_TEST_UPSTREAM_KEY", "sk-sim");
        EngineOptions options;
        options.clock = &m_clock;
        options.adminToken = kAdminToken;
        options.adminReadOnlyToken = kReadOnlyToken;
        QVERIFY(m_relay->start(options));
    }
    void cleanup()
    {
        // No answer of the API ever holds a provider key or a tenant key, but the one creation
        // answer that hands a new key over (checked in the tests that make keys).
        for (const QByteArray &body : std::as_const(m_bodies))
            QVERIFY2(!body.contains(kProviderKey), body.constData());
        m_relay.reset();
    }

    void withoutTokenEveryAdminPathIsUnknown()
    {
        RelayHarness plain;
        QVERIFY(plain.start());
        const TestResponse r = request(plain.port(), "GET", "/admin/v1/tenants", {},
                                       {{"authorization", "Bearer " + kAdminToken}});
        QCOMPARE(r.status, 404);
        QCOMPARE(r.errorField("type"), QStringLiteral("invalid_request_error"));
    }

    void tokensAreChecked()
    {
        QCOMPARE(call("GET", "/tenants", {}, QByteArray()).status, 401);
        QCOMPARE(call("GET", "/tenants", {}, "wrong").errorField("code"),
                 QStringLiteral("invalid_api_key"));
        // A tenant key is no admin token.
        m_relay->addSimUpstream(QStringLiteral("sim"), m_relay->sim());
        const QString tenantKey = m_relay->addTenant(QStringLiteral("t1"));
        QCOMPARE(call("GET", "/tenants", {}, tenantKey.toUtf8()).status, 401);
        // The read-only token reads, and may not write.
        QCOMPARE(call("GET", "/tenants", {}, kReadOnlyToken).status, 200);
        const TestResponse write = call("PATCH", "/tenants/t1", {{"rpm", 5}}, kReadOnlyToken);
        QCOMPARE(write.status, 403);
        QCOMPARE(m_relay->admin().tenant(QStringLiteral("t1")).value.tenant.rpm,
                 std::optional<qint64>());
    }

    void failedAttemptsAreLimitedPerAddress()
    {
        for (int i = 0; i < 9; ++i)
            QCOMPARE(call("GET", "/tenants", {}, "guess-" + QByteArray::number(i)).status, 401);
        QCOMPARE(call("GET", "/tenants").status, 200);                 // not yet blocked
        QCOMPARE(call("GET", "/tenants", {}, "guess-10").status, 401); // the tenth failure
        // Now refused for 60 s, the right token included, with Retry-After.
        const TestResponse blocked = call("GET", "/tenants");
        QCOMPARE(blocked.status, 429);
        QCOMPARE(blocked.header("retry-after"), QByteArray("60"));
        m_relay->advance(59'000);
        QCOMPARE(call("GET", "/tenants").status, 429);
        m_relay->advance(1'001);
        QCOMPARE(call("GET", "/tenants").status, 200);
        // Failures spread over more than a minute never block.
        for (int i = 0; i < 20; ++i) {
            QCOMPARE(call("GET", "/tenants", {}, "slow-guess").status, 401);
            m_relay->advance(7'000);
        }
        QCOMPARE(call("GET", "/tenants").status, 200);
    }

    void tenantsLifecycle()
    {
        m_relay->addSimUpstream(QStringLiteral("sim"), m_relay->sim());
        TestResponse created =
            call("POST", "/tenants", {{"id", "team-a"}, {"rpm", 600}, {"tier", "guaranteed"}});
        QCOMPARE(created.status, 201);
        const QString key = created.json().value("key").toString();
        QVERIFY(key.startsWith(QLatin1String("sk-tr-")));
        QCOMPARE(created.json().value("rpm").toInt(), 600);
        // Live in the relay at once: the new key is served.
        TestResponse chat =
            request(m_relay->port(), "POST", "/v1/chat/completions",
                    RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")),
                    TestHttpClient::bearer(key));
        QCOMPARE(chat.status, 200);
        // The key is never shown again.
        QVERIFY(!call("GET", "/tenants/team-a").body.contains(key.toUtf8()));
        QVERIFY(!call("GET", "/tenants").body.contains(key.toUtf8()));
        QVERIFY(!call("GET", "/keys?tenant=team-a").body.contains(key.toUtf8()));
        QVERIFY(!call("GET", "/audit").body.contains(key.toUtf8()));

        QCOMPARE(call("POST", "/tenants", {{"id", "team-a"}}).status, 409);
        QCOMPARE(call("GET", "/tenants/nobody").status, 404);

        // What a GET answers can be sent back as it is.
        const QJsonObject shown = call("GET", "/tenants/team-a").json();
        QCOMPARE(call("PATCH", "/tenants/team-a", shown).status, 200);
        // null is `none`; an absent field is unchanged.
        TestResponse patched =
            call("PATCH", "/tenants/team-a", {{"rpm", QJsonValue()}, {"budget_usd", 50}});
        QCOMPARE(patched.status, 200);
        QVERIFY(patched.json().value("rpm").isNull());
        QCOMPARE(patched.json().value("budget_usd").toDouble(), 50.0);
        QCOMPARE(patched.json().value("tier").toString(), QStringLiteral("guaranteed"));
        // Disabled through the API: refused by the relay at once.
        QCOMPARE(call("PATCH", "/tenants/team-a", {{"enabled", false}}).status, 200);
        chat = request(m_relay->port(), "POST", "/v1/chat/completions",
                       RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")),
                       TestHttpClient::bearer(key));
        QCOMPARE(chat.status, 401);

        // Validation: the CLI's, naming the field.
        TestResponse bad = call("PATCH", "/tenants/team-a", {{"rpm", "fast"}});
        QCOMPARE(bad.status, 400);
        QCOMPARE(bad.json().value("error").toObject().value("param").toString(),
                 QStringLiteral("rpm"));
        bad = call("PATCH", "/tenants/team-a", {{"colour", "red"}});
        QCOMPARE(bad.status, 400);
        QCOMPARE(bad.json().value("error").toObject().value("param").toString(),
                 QStringLiteral("colour"));
        bad = call("PATCH", "/tenants/team-a", {{"rpm", 1.5}});
        QCOMPARE(bad.status, 400);
        bad = call("PATCH", "/tenants/team-a", {{"tier", "gold"}});
        QCOMPARE(bad.status, 400);
        QVERIFY(bad.errorField("message").contains(QLatin1String("tier")));
        QCOMPARE(bad.errorField("param"), QStringLiteral("tier"));
        bad = call("PATCH", "/tenants/team-a", {{"weight", 1e12}});
        QCOMPARE(bad.status, 400);
        // Out of range: the admin service's check, still naming the field.
        for (const auto &[field, value] :
             QList<QPair<QString, QJsonValue>>{{"rpm", -5},
                                               {"concurrency", 0},
                                               {"budget_usd", -1},
                                               {"alert_thresholds", QJsonArray{0, 50}},
                                               {"webhook_url", "https://u:p@hooks.example/x"},
                                               {"models", QJsonArray{"two words"}}}) {
            bad = call("PATCH", "/tenants/team-a", {{field, value}});
            QCOMPARE(bad.status, 400);
            QCOMPARE(bad.errorField("param"), field);
        }
        QCOMPARE(callRaw("PATCH", "/tenants/team-a", "{not json").status, 400);
        QCOMPARE(callRaw("PATCH", "/tenants/team-a", "[1,2]").status, 400);
        QCOMPARE(m_relay->admin().tenant(QStringLiteral("team-a")).value.tenant.weight, 1);

        QCOMPARE(call("DELETE", "/tenants/team-a").status, 204);
        QCOMPARE(call("GET", "/tenants/team-a").status, 404);
        QCOMPARE(call("DELETE", "/tenants/team-a").status, 404);
    }

    void keysIssueRotateRevoke()
    {
        m_relay->addTenant(QStringLiteral("t1"));
        TestResponse issued = call("POST", "/tenants/t1/keys");
        QCOMPARE(issued.status, 201);
        const QString second = issued.json().value("key").toString();
        QCOMPARE(data(call("GET", "/keys?tenant=t1")).size(), 2);
        TestResponse rotated = call("POST", "/tenants/t1/keys", {{"rotate", true}});
        QCOMPARE(rotated.status, 201);
        int active = 0;
        for (const QJsonValue k : data(call("GET", "/tenants/t1/keys")))
            active += k.toObject().value("revoked").toBool() ? 0 : 1;
        QCOMPARE(active, 1);
        const QString prefix = rotated.json().value("prefix").toString();
        QCOMPARE(call("POST", "/keys/" + prefix.toUtf8() + "/revoke").status, 204);
        QCOMPARE(call("POST", "/keys/sk-tr-nothin/revoke").status,
                 404); // a prefix is 12 characters
        QCOMPARE(call("POST", "/keys/sk-tr-toolong1/revoke").status, 400);
        QCOMPARE(call("POST", "/tenants/ghost/keys").status, 404);
        QCOMPARE(call("POST", "/tenants/t1/keys", {{"rotate", "yes"}}).status, 400);
        QVERIFY(!call("GET", "/keys").body.contains(second.toUtf8()));
    }

    // {"label", "expires", "rotate"}: the CLI's `key issue --label --expires`, checked the
    // same way; the key rows carry label and expires (ISO 8601 UTC, null = never).
    void keyLabelAndExpiry()
    {
        m_relay->addSimUpstream(QStringLiteral("sim"), m_relay->sim());
        const QString first = m_relay->addTenant(QStringLiteral("t1"));
        TestResponse issued =
            call("POST", "/tenants/t1/keys", {{"label", "ci runner"}, {"expires", "30d"}});
        QCOMPARE(issued.status, 201);
        const QString key = issued.json().value("key").toString();
        QVERIFY(key.startsWith(QLatin1String("sk-tr-")));
        QCOMPARE(issued.json().value("label").toString(), QStringLiteral("ci runner"));
        const qint64 end = m_clock.wallMs() + 30 * 86'400'000LL;
        QCOMPARE(issued.json().value("expires").toString(),
                 QDateTime::fromMSecsSinceEpoch(end).toUTC().toString(Qt::ISODateWithMs));
        QCOMPARE(issued.json().value("tenant").toString(), QStringLiteral("t1"));
        QCOMPARE(issued.json().value("prefix").toString(), key.left(12));
        // A day ends the key at its 00:00 UTC; a rotation takes the same fields.
        const QString day = QDateTime::fromMSecsSinceEpoch(m_clock.wallMs(), QTimeZone::utc())
                                .date()
                                .addDays(2)
                                .toString(Qt::ISODate);
        TestResponse rotated = call("POST", "/tenants/t1/keys",
                                    {{"rotate", true}, {"expires", day}, {"label", QJsonValue()}});
        QCOMPARE(rotated.status, 201);
        QCOMPARE(rotated.json().value("expires").toString(),
                 day + QStringLiteral("T00:00:00.000Z"));
        QVERIFY(rotated.json().value("label").isNull());
        const QString rotatedKey = rotated.json().value("key").toString();

        const QJsonArray rows = data(call("GET", "/keys?tenant=t1"));
        QCOMPARE(rows.size(), 3);
        const QStringList fields{"prefix",  "tenant",    "label",  "created",
                                 "expires", "last_used", "revoked"};
        for (const QJsonValue row : rows)
            QCOMPARE(row.toObject().keys().size(), fields.size());
        QHash<QString, QJsonObject> byPrefix;
        for (const QJsonValue row : rows)
            byPrefix.insert(row.toObject().value("prefix").toString(), row.toObject());
        for (const QString &field : fields)
            QVERIFY2(byPrefix[first.left(12)].contains(field), qPrintable(field));
        QVERIFY(byPrefix[first.left(12)].value("expires").isNull()); // the tenant's first key
        QVERIFY(byPrefix[first.left(12)].value("label").isNull());
        QCOMPARE(byPrefix[key.left(12)].value("label").toString(), QStringLiteral("ci runner"));

        // Checked as the CLI checks: naming the field, nothing issued.
        const QList<QPair<QJsonObject, QString>> bad{
            {{{"expires", "2020-01-01"}}, "expires"},
            {{{"expires", "soon"}}, "expires"},
            {{{"expires", 30}}, "expires"},
            {{{"label", 7}}, "label"},
            {{{"owner", "me"}}, "owner"},
        };
        for (const auto &[body, field] : bad) {
            const TestResponse refused = call("POST", "/tenants/t1/keys", body);
            QCOMPARE(refused.status, 400);
            QCOMPARE(refused.json().value("error").toObject().value("param").toString(), field);
        }
        QCOMPARE(
            call("POST", "/tenants/t1/keys", {{"label", QString(300, QLatin1Char('x'))}}).status,
            400);
        QCOMPARE(data(call("GET", "/keys?tenant=t1")).size(), 3);
        // The rotated key works; the rotation revoked the others.
        const auto chat = [this](const QString &k) {
            return request(m_relay->port(), "POST", "/v1/chat/completions",
                           RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")),
                           TestHttpClient::bearer(k))
                .status;
        };
        QCOMPARE(chat(rotatedKey), 200);
        QCOMPARE(chat(first), 401);
        QCOMPARE(chat(key), 401);
    }

    // allow_ips: an array of CIDR blocks (null = every address) on a tenant's object, sent back
    // as a GET answers it, checked as the CLI checks --allow-ips.
    void tenantAllowIps()
    {
        m_relay->addSimUpstream(QStringLiteral("sim"), m_relay->sim());
        TestResponse created =
            call("POST", "/tenants", {{"id", "net"}, {"allow_ips", QJsonArray{"10.1.2.3/8"}}});
        QCOMPARE(created.status, 201);
        QCOMPARE(created.json().value("allow_ips").toArray(), QJsonArray{"10.0.0.0/8"});
        const QString key = created.json().value("key").toString();
        const auto chat = [this, key] {
            return request(m_relay->port(), "POST", "/v1/chat/completions",
                           RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")),
                           TestHttpClient::bearer(key));
        };
        QCOMPARE(chat().errorField("code"), QStringLiteral("ip_not_allowed"));
        // The list keeps its contract's fields; the tenant's own object has allow_ips.
        QVERIFY(!data(call("GET", "/tenants")).first().toObject().contains("allow_ips"));
        const QJsonObject shown = call("GET", "/tenants/net").json();
        QCOMPARE(shown.value("allow_ips").toArray(), QJsonArray{"10.0.0.0/8"});
        TestResponse patched = call("PATCH", "/tenants/net", shown);
        QCOMPARE(patched.status, 200);
        QCOMPARE(patched.json().value("allow_ips").toArray(), QJsonArray{"10.0.0.0/8"});
        patched = call("PATCH", "/tenants/net", {{"allow_ips", QJsonArray{"127.0.0.1", "::1"}}});
        QCOMPARE(patched.status, 200);
        QCOMPARE(patched.json().value("allow_ips").toArray(),
                 (QJsonArray{"127.0.0.1/32", "::1/128"}));
        QCOMPARE(chat().status, 200);
        patched = call("PATCH", "/tenants/net", {{"allow_ips", QJsonValue()}});
        QCOMPARE(patched.status, 200);
        QVERIFY(patched.json().value("allow_ips").isNull());

        for (const QJsonValue &value :
             {QJsonValue(QJsonArray{"10.0.0.300/8"}), QJsonValue("10.0.0.0/8"),
              QJsonValue(QJsonArray{"10.0.0.0/8", "nowhere"}), QJsonValue(QJsonArray{5})}) {
            const TestResponse bad = call("PATCH", "/tenants/net", {{"allow_ips", value}});
            QCOMPARE(bad.status, 400);
            QCOMPARE(bad.json().value("error").toObject().value("param").toString(),
                     QStringLiteral("allow_ips"));
        }
        QCOMPARE(call("PATCH", "/tenants/net", {{"allow_ips", QJsonArray{}}}).status, 400);
        QVERIFY(call("GET", "/tenants/net").json().value("allow_ips").isNull());
    }

    void upstreamsRoutesAliasesPrices()
    {
        TestResponse up = call("POST", "/upstreams",
                               {{"name", "prov"},
                                {"base_url", "http://127.0.0.1:9/v1"},
                                {"api_key", QString::fromUtf8(kProviderKey)},
                                {"max_connections", 3}});
        QCOMPARE(up.status, 201);
        QCOMPARE(up.json().value("api_key_stored").toBool(), true);
        QVERIFY(!up.json().contains("api_key"));
        QCOMPARE(call("POST", "/upstreams", {{"name", "prov"}, {"base_url", "http://x/v1"}}).status,
                 409);
        QCOMPARE(call("POST", "/upstreams", {{"name", "p2"}, {"base_url", "ftp://x"}}).status, 400);
        QCOMPARE(call("POST", "/upstreams", {{"name", "p2"}, {"base_url", "https://u:p@x/v1"}})
                     .errorField("param"),
                 QStringLiteral("base_url"));
        QCOMPARE(call("PATCH", "/upstreams/prov", {{"max_connections", 0}}).errorField("param"),
                 QStringLiteral("max_connections"));
        const QJsonObject shown = call("GET", "/upstreams/prov").json();
        QCOMPARE(call("PATCH", "/upstreams/prov", shown).status, 200);
        // The stored key survives a GET sent back (api_key_env null leaves it).
        QCOMPARE(call("GET", "/upstreams/prov").json().value("api_key_stored").toBool(), true);
        QCOMPARE(call("PATCH", "/upstreams/prov", {{"max_connections", 5}})
                     .json()
                     .value("max_connections")
                     .toInt(),
                 5);

        TestResponse route = call("PUT", "/routes/gpt-4o", {{"targets", QJsonArray{"prov"}}});
        QCOMPARE(route.status, 200);
        QCOMPARE(route.json().value("targets").toArray().first().toString(),
                 QStringLiteral("prov:gpt-4o"));
        QCOMPARE(call("PUT", "/routes/gpt-4o", {{"targets", QJsonArray{"nowhere"}}}).status, 404);
        QCOMPARE(call("PUT", "/routes/gpt-4o", {{"targets", QJsonArray{}}}).status, 400);
        // A route still names it.
        QCOMPARE(call("DELETE", "/upstreams/prov").status, 409);
        QCOMPARE(data(call("GET", "/routes")).size(), 1);

        QCOMPARE(call("PUT", "/aliases/fast", {{"model", "gpt-4o"}}).status, 200);
        QCOMPARE(data(call("GET", "/aliases")).first().toObject().value("model").toString(),
                 QStringLiteral("gpt-4o"));
        QCOMPARE(call("PUT", "/prices/my-model", {{"input", 1.5}, {"output", 6}}).status, 200);
        QCOMPARE(call("PUT", "/prices/my-model", {{"input", "cheap"}, {"output", 6}}).status, 400);
        QCOMPARE(call("PUT", "/prices/my-model", {{"output", 6}}).status, 400);
        bool found = false;
        for (const QJsonValue p : data(call("GET", "/prices?limit=1000")))
            found = found || p.toObject().value("model").toString() == QLatin1String("my-model");
        QVERIFY(found);

        QCOMPARE(call("DELETE", "/aliases/fast").status, 204);
        QCOMPARE(call("DELETE", "/routes/gpt-4o").status, 204);
        QCOMPARE(call("DELETE", "/routes/gpt-4o").status, 404);
        QCOMPARE(call("DELETE", "/prices/my-model").status, 204);
        QCOMPARE(call("DELETE", "/upstreams/prov").status, 204);
        QCOMPARE(call("GET", "/upstreams/prov").status, 404);
    }

    void settingsFailoverReports()
    {
        m_relay->addSimUpstream(QStringLiteral("sim"), m_relay->sim());
        m_relay->addTenant(QStringLiteral("t1"));
        TestResponse settings = call("PUT", "/settings", {{"usage_retention_days", 30}});
        QCOMPARE(settings.status, 200);
        QCOMPARE(settings.json().value("usage_retention_days").toInt(), 30);
        QCOMPARE(call("PUT", "/settings", {{"usage_retention_days", 0}}).status, 400);
        QCOMPARE(call("PUT", "/settings", {{"no_such_setting", 1}}).status, 400);
        QCOMPARE(call("GET", "/settings").json().value("usage_retention_days").toInt(), 30);

        QCOMPARE(call("POST", "/failover/pin", {{"upstream", "sim"}}).status, 200);
        QCOMPARE(m_relay->admin().pinnedUpstream().value, QStringLiteral("sim"));
        QCOMPARE(call("POST", "/failover/pin", {{"upstream", "ghost"}}).status, 404);
        QCOMPARE(call("POST", "/failover/unpin").json().value("unpinned").toString(),
                 QStringLiteral("sim"));

        QCOMPARE(call("GET", "/usage?tenant=t1").status, 200);
        QCOMPARE(data(call("GET", "/usage?tenant=t1")).first().toObject().value("tenant"),
                 QJsonValue("t1"));
        QCOMPARE(call("GET", "/usage?since=yesterday").status, 400);
        QCOMPARE(call("GET", "/usage?tenant=ghost").status, 404);
        QCOMPARE(call("GET", "/report/costs").status, 200);
        QCOMPARE(
            call("POST", "/report/costs",
                 {{"prices", QJsonObject{{"gpt-4o", QJsonObject{{"input", 1}, {"output", 2}}}}}})
                .status,
            200);
        QCOMPARE(call("POST", "/report/costs", {{"prices", 5}}).status, 400);
        QCOMPARE(call("GET", "/alerts").status, 200);
        QCOMPARE(call("POST", "/alerts/999/ack").status, 404);
        QCOMPARE(call("GET", "/nothing-here").status, 404);
        QCOMPARE(call("DELETE", "/usage").status, 405);
    }

    void writesAreAuditedWithTheCallersAddress()
    {
        QCOMPARE(call("POST", "/tenants", {{"id", "audited"}}).status, 201);
        const QJsonArray audit = data(call("GET", "/audit?tenant=audited"));
        QVERIFY(!audit.isEmpty());
        QCOMPARE(audit.first().toObject().value("actor").toString(),
                 QStringLiteral("admin-api@127.0.0.1"));
    }

    void pauseAndUnpauseTheRelay()
    {
        m_relay->addSimUpstream(QStringLiteral("sim"), m_relay->sim());
        const QString key = m_relay->addTenant(QStringLiteral("team"));
        m_relay->reload();
        const auto chat = [&] {
            return request(m_relay->port(), "POST", "/v1/chat/completions",
                           RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")),
                           TestHttpClient::bearer(key));
        };
        QCOMPARE(chat().status, 200);
        QCOMPARE(call("POST", "/pause", {}, kReadOnlyToken).status, 403);
        QCOMPARE(call("GET", "/pause").status, 405);
        QCOMPARE(call("POST", "/pause", {{"for", 10}}).status, 400);
        QCOMPARE(chat().status, 200); // none of those paused it

        const TestResponse paused = call("POST", "/pause");
        QCOMPARE(paused.status, 200);
        QCOMPARE(paused.json().value("paused").toBool(), true);
        const TestResponse refused = chat();
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.errorField("code"), QStringLiteral("relay_paused"));
        // The engine itself knows (the console's state, the stats the console draws).
        QTRY_VERIFY_WITH_TIMEOUT(m_relay->engine().isPaused(), 2000);

        QCOMPARE(call("POST", "/unpause").json().value("paused").toBool(), false);
        QCOMPARE(chat().status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(!m_relay->engine().isPaused(), 2000);
        QStringList actions;
        for (const QJsonValue row : data(call("GET", "/audit")))
            if (row.toObject().value("actor").toString() == QLatin1String("admin-api@127.0.0.1"))
                actions.append(row.toObject().value("action").toString());
        QVERIFY2(actions.contains(QStringLiteral("relay.pause")) &&
                     actions.contains(QStringLiteral("relay.unpause")),
                 qPrintable(actions.join(QLatin1Char(' '))));
    }

    void statsAndEventsAreLive()
    {
        m_relay->addSimUpstream(QStringLiteral("sim"), m_relay->sim());
        const QString key =
            call("POST", "/tenants", {{"id", "team"}}).json().value("key").toString();
        QCOMPARE(call("PUT", "/prices/gpt-4o", {{"input", 1000}, {"output", 1000}}).status, 200);
        QCOMPARE(
            call("PATCH", "/tenants/team", {{"budget_usd", 0.0001}, {"soft_budget", true}}).status,
            200);
        // The read-only token may watch.
        TestHttpClient events(m_relay->port());
        events.send("GET", "/admin/v1/events", {}, {{"authorization", "Bearer " + kReadOnlyToken}});
        QVERIFY(events.waitFirstBody());
        QCOMPARE(events.response().status, 200);
        QCOMPARE(events.response().header("content-type"), QByteArray("text/event-stream"));
        QVERIFY(events.response().body.startsWith("event: stats\ndata: {"));
        // Another snapshot about a second later.
        QTRY_VERIFY_WITH_TIMEOUT(events.response().body.count("event: stats") >= 2, 10'000);

        const TestResponse chat =
            request(m_relay->port(), "POST", "/v1/chat/completions",
                    RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")),
                    TestHttpClient::bearer(key));
        QCOMPARE(chat.status, 200);
        // Over its (soft) budget: the alert reaches the stream as it is raised.
        QTRY_VERIFY_WITH_TIMEOUT(events.response().body.contains("event: alert\ndata: {"), 10'000);
        QVERIFY(events.response().body.contains("\"tenant\":\"team\""));
        // The snapshot counts the request.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const QJsonObject stats = call("GET", "/stats", {}, kReadOnlyToken).json();
                for (const QJsonValue t : stats.value("tenants").toArray())
                    if (t.toObject().value("name") == QLatin1String("team"))
                        return t.toObject().value("requests").toInt() == 1;
                return false;
            }(),
            10'000);
        QVERIFY(!events.response().complete);
        QCOMPARE(call("POST", "/stats").status, 405);
        // No keys in the stream.
        QVERIFY(!events.response().body.contains(key.toUtf8()));
        events.close();
    }

    void statsTellWhenEachCircuitChanged()
    {
        m_relay->addSimUpstream(QStringLiteral("sim"), m_relay->sim());
        const QString key = m_relay->addTenant(QStringLiteral("team"));
        m_relay->reload();
        const auto simEntry = [&] {
            for (const QJsonValue u : call("GET", "/stats").json().value("upstreams").toArray())
                if (u.toObject().value("name") == QLatin1String("sim"))
                    return u.toObject();
            return QJsonObject();
        };
        QTRY_VERIFY(!simEntry().isEmpty());
        // Never changed since the relay started.
        QVERIFY(simEntry().contains("circuit_since"));
        QCOMPARE(simEntry().value("circuit_since"), QJsonValue());
        QCOMPARE(simEntry().value("circuit").toString(), QStringLiteral("closed"));

        m_relay->advance(5'000);
        const qint64 openedAt = m_clock.wallMs();
        tripCircuit(key);
        QTRY_COMPARE(simEntry().value("circuit").toString(), QStringLiteral("open"));
        // The change's time by the relay's clock, as the circuit event and the audit give it.
        QCOMPARE(simEntry().value("circuit_since"), AdminJson::time(openedAt));
        QCOMPARE(simEntry().value("circuit_since").toString(),
                 QDateTime::fromMSecsSinceEpoch(openedAt, QTimeZone::utc())
                     .toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzzZ")));

        // The same in the stream's snapshot.
        TestHttpClient events(m_relay->port());
        events.send("GET", "/admin/v1/events", {}, {{"authorization", "Bearer " + kAdminToken}});
        QVERIFY(events.waitFirstBody());
        QVERIFY(events.response().body.contains(
            "\"circuit_since\":\"" + AdminJson::time(openedAt).toString().toUtf8() + "\""));
        events.close();
    }

    void eventsKeepTheConnectionAlive()
    {
        TestHttpClient events(m_relay->port());
        events.send("GET", "/admin/v1/events", {}, {{"authorization", "Bearer " + kAdminToken}});
        QVERIFY(events.waitFirstBody());
        // Silent for 15 s (on the relay's clock): a comment keeps proxies from closing it.
        m_relay->advance(15'000);
        QTRY_VERIFY(events.response().body.contains(": keep-alive\n\n"));
        events.close();
    }

    void historyHasTheChartSeries()
    {
        m_relay->addSimUpstream(QStringLiteral("sim"), m_relay->sim());
        const QString key = m_relay->addTenant(QStringLiteral("team"));
        m_relay->reload();
        for (int i = 0; i < 3; ++i)
            QCOMPARE(request(m_relay->port(), "POST", "/v1/chat/completions",
                             RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")),
                             TestHttpClient::bearer(key))
                         .status,
                     200);
        // The provider refuses one (passed through, not retried): an error in the series.
        m_relay->sim().pushFault({SimFault::Status, 400, -1, 0});
        QCOMPARE(request(m_relay->port(), "POST", "/v1/chat/completions",
                         RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("x")),
                         TestHttpClient::bearer(key))
                     .status,
                 400);
        m_relay->usageRows(); // flushed
        for (const char *window : {"1h", "24h", "7d"}) {
            const TestResponse r = call("GET", QByteArray("/history?window=") + window);
            QCOMPARE(r.status, 200);
            const QJsonObject h = r.json();
            const int buckets = QByteArray(window) == "1h"    ? 60
                                : QByteArray(window) == "24h" ? 24
                                                              : 168;
            const QJsonArray tenants = h.value("tenants").toArray();
            QCOMPARE(tenants.size(), 1);
            const QJsonArray points = tenants.first().toObject().value("points").toArray();
            QCOMPARE(points.size(), buckets);
            qint64 requests = 0;
            for (const QJsonValue p : points)
                requests += p.toObject().value("requests").toInteger();
            QCOMPARE(requests, 4);
            const QJsonObject last = points.last().toObject();
            QCOMPARE(last.value("requests").toInteger(), 4);
            QCOMPARE(last.value("errors").toInteger(), 1);
            QVERIFY(!last.value("p95_ms").isNull());
            QVERIFY(points.first().toObject().value("p50_ms").isNull());
            const QJsonArray upstreams = h.value("upstreams").toArray();
            QCOMPARE(upstreams.size(), 1);
            QCOMPARE(upstreams.first().toObject().value("name").toString(), QStringLiteral("sim"));
        }
        QCOMPARE(call("GET", "/history?window=2d").status, 400);
    }

    void spendHasTheBudgetPanelsSeries()
    {
        m_relay->addSimUpstream(QStringLiteral("sim"), m_relay->sim());
        QCOMPARE(call("PUT", "/prices/gpt-4o", {{"input", 1000}, {"output", 1000}}).status, 200);
        const QString a = m_relay->addTenant(QStringLiteral("a"));
        const QString b = m_relay->addTenant(QStringLiteral("b"));
        m_relay->reload();
        QCOMPARE(chat(a, "gpt-4o"), 200);
        QCOMPARE(chat(a, "gpt-4o"), 200);
        QCOMPARE(chat(b, "gpt-4o"), 200);
        QHash<QString, double> spent;
        for (const QVariantMap &row : m_relay->usageRows()) // flushed
            spent[row.value("tenant_id").toString()] += row.value("cost_usd").toDouble();
        QVERIFY(spent.value("a") > 0 && spent.value("b") > 0);
        const auto near = [](const QJsonValue &v, double usd) {
            return v.isDouble() && qAbs(v.toDouble() - usd) < 1e-9;
        };

        // The relay's clock (not this machine's) says which month and day it is.
        const QDate today =
            QDateTime::fromMSecsSinceEpoch(m_clock.wallMs(), QTimeZone::utc()).date();
        QVERIFY2(today.day() < today.daysInMonth(), "the test's clock leaves a day in its month");
        TestResponse r = call("GET", "/spend", {}, kReadOnlyToken);
        QCOMPARE(r.status, 200);
        QJsonObject spend = r.json();
        QCOMPARE(
            spend.value("month_start").toString(),
            QStringLiteral("%1-01T00:00:00.000Z").arg(today.toString(QStringLiteral("yyyy-MM"))));
        QJsonArray daily = spend.value("daily").toArray();
        QCOMPARE(daily.size(), today.day());
        for (qsizetype i = 0; i + 1 < daily.size(); ++i)
            QCOMPARE(daily.at(i).toDouble(), 0.0);
        QVERIFY(near(daily.last(), spent.value("a") + spent.value("b")));
        QJsonArray lastDay = spend.value("last_24h").toArray();
        QCOMPARE(lastDay.size(), 2);
        QCOMPARE(lastDay.at(0).toObject().value("tenant").toString(), QStringLiteral("a"));
        QVERIFY(near(lastDay.at(0).toObject().value("spent_usd"), spent.value("a")));
        QCOMPARE(lastDay.at(1).toObject().value("tenant").toString(), QStringLiteral("b"));
        QVERIFY(near(lastDay.at(1).toObject().value("spent_usd"), spent.value("b")));

        // One tenant's days; the last 24 hours stay every tenant's.
        spend = call("GET", "/spend?tenant=a").json();
        QVERIFY(near(spend.value("daily").toArray().last(), spent.value("a")));
        QCOMPARE(spend.value("last_24h").toArray(), lastDay);
        // A tenant without usage (or without existence) has spent nothing.
        spend = call("GET", "/spend?tenant=ghost").json();
        QCOMPARE(spend.value("daily").toArray().size(), today.day());
        for (const QJsonValue usd : spend.value("daily").toArray())
            QCOMPARE(usd.toDouble(), 0.0);

        // A day later by the relay's clock: a new day in the month, nothing in the last 24 hours.
        m_relay->advance(86'400'000);
        spend = call("GET", "/spend").json();
        daily = spend.value("daily").toArray();
        QCOMPARE(daily.size(), today.day() + 1);
        QVERIFY(near(daily.at(today.day() - 1), spent.value("a") + spent.value("b")));
        QCOMPARE(daily.last().toDouble(), 0.0);
        QCOMPARE(spend.value("last_24h").toArray(), QJsonArray());

        // The next month starts afresh.
        m_relay->advance(qint64(today.daysInMonth() - today.day()) * 86'400'000);
        spend = call("GET", "/spend").json();
        QCOMPARE(spend.value("month_start").toString(),
                 QStringLiteral("%1-01T00:00:00.000Z")
                     .arg(today.addMonths(1).toString(QStringLiteral("yyyy-MM"))));
        QCOMPARE(spend.value("daily").toArray(), QJsonArray{0.0});
        QCOMPARE(spend.value("last_24h").toArray(), QJsonArray());

        QCOMPARE(call("POST", "/spend").status, 405);
        QCOMPARE(call("DELETE", "/spend").status, 405);
        QCOMPARE(call("POST", "/spend", {}, kReadOnlyToken).status, 403);
    }

    void requestLogFiltersAndPagesByKeyset()
    {
        m_relay->addSimUpstream(QStringLiteral("sim"), m_relay->sim());
        const QString a = m_relay->addTenant(QStringLiteral("a"));
        const QString b = m_relay->addTenant(QStringLiteral("b"), QStringList{"gpt-4o"});
        m_relay->reload();
        for (int i = 0; i < 3; ++i)
            QCOMPARE(chat(a, "gpt-4o"), 200);
        m_relay->sim().pushFault({SimFault::Status, 400, -1, 0});
        QCOMPARE(chat(a, "gpt-4o"), 400); // the provider's refusal, passed through
        QCOMPARE(chat(b, "gpt-4o"), 200);
        QCOMPARE(chat(b, "gpt-4o-mini"), 404);    // not among b's models: refused by the relay
        QCOMPARE(m_relay->usageRows().size(), 6); // flushed

        const TestResponse all = call("GET", "/requests");
        QCOMPARE(all.status, 200);
        QVERIFY(all.json().value("next").isNull());
        const QJsonArray rows = data(all);
        QCOMPARE(rows.size(), 6);
        const QJsonObject newest = rows.first().toObject();
        for (const char *field :
             {"id", "time", "tenant", "key_prefix", "dialect", "endpoint", "requested_model",
              "served_model", "upstream", "status", "prompt_tokens", "completion_tokens",
              "cost_usd", "latency_ms", "ttfb_ms", "streamed", "estimated", "error"})
            QVERIFY2(newest.contains(QLatin1String(field)), field);
        QCOMPARE(newest.value("tenant").toString(), QStringLiteral("b"));
        QCOMPARE(newest.value("status").toInt(), 404);
        QCOMPARE(newest.value("requested_model").toString(), QStringLiteral("gpt-4o-mini"));
        QCOMPARE(newest.value("dialect").toString(), QStringLiteral("openai"));
        QCOMPARE(newest.value("key_prefix").toString(), b.left(12));
        QVERIFY(!all.body.contains(a.toUtf8()) && !all.body.contains(b.toUtf8()));
        // Newest first: ids fall.
        for (qsizetype i = 1; i < rows.size(); ++i)
            QVERIFY(rows.at(i - 1).toObject().value("id").toInteger() >
                    rows.at(i).toObject().value("id").toInteger());

        QCOMPARE(requestCount("tenant=a"), 4);
        QCOMPARE(requestCount("tenant=nobody"), 0);
        QCOMPARE(requestCount("status=errors"), 2);
        QCOMPARE(requestCount("status=4xx"), 2);
        QCOMPARE(requestCount("status=5xx"), 0);
        QCOMPARE(requestCount("status=200"), 4);
        QCOMPARE(requestCount("status=404"), 1);
        QCOMPARE(requestCount("status=refused"), 1);
        QCOMPARE(requestCount("tenant=a&status=errors"), 1);
        QCOMPARE(requestCount("status=teapot"), -400);
        QCOMPARE(call("GET", "/requests?status=teapot").errorField("param"),
                 QStringLiteral("status"));
        QCOMPARE(requestCount("before=12"), -400);
        QCOMPARE(requestCount("limit=0"), -400);
        QCOMPARE(requestCount("limit=1001"), -400);
        QCOMPARE(call("POST", "/requests").status, 405);
        QCOMPARE(call("GET", "/requests", {}, kReadOnlyToken).status, 200);

        // Pages of two: every row once, in order; a request answered while someone pages
        // does not shift the pages that follow (keyset, not offset).
        QList<qint64> ids;
        TestResponse page = call("GET", "/requests?limit=2");
        QCOMPARE(data(page).size(), 2);
        QCOMPARE(chat(a, "gpt-4o"), 200);
        m_relay->usageRows();
        for (;;) {
            for (const QJsonValue row : data(page))
                ids.append(row.toObject().value("id").toInteger());
            const QString next = page.json().value("next").toString();
            if (next.isEmpty())
                break;
            page = call("GET", "/requests?limit=2&before=" + next.toUtf8());
            QCOMPARE(page.status, 200);
        }
        QList<qint64> expected;
        for (const QJsonValue row : rows)
            expected.append(row.toObject().value("id").toInteger());
        QCOMPARE(ids, expected);
    }

    void requestLogByOutcomeDialectAndModel()
    {
        m_relay->addSimUpstream(QStringLiteral("sim"), m_relay->sim());
        const QString a = m_relay->addTenant(QStringLiteral("a"));
        const QString b = m_relay->addTenant(QStringLiteral("b"), QStringList{"gpt-4o"});
        m_relay->reload();
        QCOMPARE(chat(a, "gpt-4o"), 200);
        QCOMPARE(chat(a, "gpt-4o"), 200);
        QCOMPARE(chat(b, "gpt-4o-mini"), 404); // not among b's models: refused
        // The same refusal in Anthropic's dialect.
        const TestResponse messages = request(
            m_relay->port(), "POST", "/v1/messages",
            R"({"model":"gpt-4o-mini","max_tokens":16,"messages":[{"role":"user","content":"hi"}]})",
            {{"x-api-key", b.toUtf8()}, {"anthropic-version", "2023-06-01"}});
        QVERIFY2(messages.status >= 400, messages.body.constData());
        const QList<QVariantMap> usage = m_relay->usageRows(); // flushed
        QCOMPARE(usage.size(), 4);
        QHash<qint64, QString> outcomes; // the usage rows' own outcome, by id
        for (const QVariantMap &row : usage)
            outcomes.insert(row.value("id").toLongLong(), row.value("outcome").toString());

        const QJsonArray rows = data(call("GET", "/requests"));
        QCOMPARE(rows.size(), 4);
        for (const QJsonValue v : rows) {
            const QJsonObject row = v.toObject();
            QCOMPARE(row.value("outcome").toString(), outcomes.value(row.value("id").toInteger()));
            QCOMPARE(row.value("outcome").toString(), row.value("status").toInt() == 200
                                                          ? QStringLiteral("served")
                                                          : QStringLiteral("rejected"));
        }
        const QJsonObject newest = rows.first().toObject();
        QCOMPARE(newest.value("dialect").toString(), QStringLiteral("anthropic"));
        QCOMPARE(newest.value("endpoint").toString(), QStringLiteral("messages"));
        QCOMPARE(newest.value("outcome").toString(), QStringLiteral("rejected"));

        // status= takes the console's kinds too; model= finds the text in the requested model,
        // as typed (no wildcards).
        const QList<std::pair<const char *, int>> counts{
            {"status=served", 2},
            {"status=refused", 2},
            {"status=anthropic", 1},
            {"status=openai", 3},
            {"status=served&tenant=b", 0},
            {"model=mini", 2},
            {"model=gpt-4o", 4},
            {"model=4o-mini&status=anthropic", 1},
            {"model=mini&tenant=a", 0},
            {"model=claude", 0},
            {"model=%25", 0},
            {"model=gpt_4o", 0},
            {"model=", 4},
        };
        for (const auto &[query, expected] : counts)
            QVERIFY2(requestCount(query) == expected, query);
        for (const QJsonValue row : data(call("GET", "/requests?status=openai")))
            QCOMPARE(row.toObject().value("dialect").toString(), QStringLiteral("openai"));
        // Pages of one through a filter: the same rows.
        QCOMPARE(allPages("/requests?model=mini", 1), data(call("GET", "/requests?model=mini")));

        const TestResponse bad = call("GET", "/requests?status=teapot");
        QCOMPARE(bad.status, 400);
        QCOMPARE(bad.errorField("param"), QStringLiteral("status"));
        QCOMPARE(bad.errorField("message"),
                 QStringLiteral("status must be a code (404), 4xx, 5xx, errors, refused, served, "
                                "anthropic or openai"));
    }

    void auditFiltersAndPagesByKeyset()
    {
        // Every change through the API (on the relay's clock, as a relay's audit is written).
        if (m_relay->sim().port() == 0)
            m_relay->sim().start();
        QCOMPARE(call("POST", "/upstreams",
                      {{"name", "sim"},
                       {"base_url", m_relay->sim().baseUrl()},
                       {"api_key_env", "TR_TEST_UPSTREAM_KEY"}})
                     .status,
                 201);
        for (int i = 0; i < 4; ++i)
            QCOMPARE(call("POST", "/tenants", {{"id", QStringLiteral("t%1").arg(i)}}).status, 201);
        QCOMPARE(call("PATCH", "/tenants/t1", {{"rpm", 60}}).status, 200);
        QCOMPARE(call("PUT", "/settings", {{"usage_retention_days", 30}}).status, 200);
        const QString key =
            call("POST", "/tenants", {{"id", "team"}}).json().value("key").toString();
        m_relay->reload();
        tripCircuit(key); // the relay's own event, actor "relay"
        QTRY_VERIFY(!data(call("GET", "/audit?kind=relay")).isEmpty());

        // Every row as `audit --json` prints it from the database file, oldest first.
        const QJsonArray all = data(call("GET", "/audit?limit=1000"));
        QCOMPARE(all, AdminJson::toJsonArray(m_relay->admin().auditLog().value));
        QVERIFY(all.size() > 8);
        QCOMPARE(data(call("GET", "/audit?tenant=t1")),
                 AdminJson::toJsonArray(m_relay->admin().auditLog(QStringLiteral("t1")).value));
        QCOMPARE(data(call("GET", "/audit?tenant=ghost")), QJsonArray());
        QCOMPARE(QJsonObject(all.first().toObject()).keys(),
                 (QStringList{"action", "actor", "details", "target", "tenant", "time"}));

        // Page after page, every row once, in the same order; a write while someone pages
        // lands on a later page.
        QCOMPARE(allPages("/audit", 3), all);
        TestResponse page = call("GET", "/audit?limit=4");
        QCOMPARE(data(page).size(), 4);
        QCOMPARE(call("POST", "/tenants", {{"id", "late"}}).status, 201);
        QJsonArray paged = data(page);
        for (const QJsonValue row : allPages("/audit", 4, page.json().value("next").toString()))
            paged.append(row);
        const QJsonArray withLate = data(call("GET", "/audit"));
        QCOMPARE(paged, withLate);
        QCOMPARE(withLate.last().toObject().value("tenant").toString(), QStringLiteral("late"));
        // Newest first (the console's order), paged back: a write meanwhile shifts nothing.
        page = call("GET", "/audit?order=newest&limit=2");
        QJsonArray newest = data(page);
        QCOMPARE(call("DELETE", "/tenants/late").status, 204);
        for (const QJsonValue row :
             allPages("/audit?order=newest", 2, page.json().value("next").toString()))
            newest.append(row);
        QJsonArray reversed;
        for (qsizetype i = withLate.size() - 1; i >= 0; --i)
            reversed.append(withLate.at(i));
        QCOMPARE(newest, reversed);

        // kind: the relay's own events or everybody else's.
        const QJsonArray relayRows = allPages("/audit?kind=relay", 1000);
        const QJsonArray adminRows = allPages("/audit?kind=admin", 1000);
        QVERIFY(!relayRows.isEmpty() && !adminRows.isEmpty());
        QCOMPARE(relayRows.size() + adminRows.size(), data(call("GET", "/audit")).size());
        for (const QJsonValue row : relayRows) {
            QCOMPARE(row.toObject().value("actor").toString(), QStringLiteral("relay"));
            QVERIFY(
                row.toObject().value("action").toString().startsWith(QLatin1String("circuit.")));
        }
        for (const QJsonValue row : adminRows)
            QVERIFY(row.toObject().value("actor").toString() != QLatin1String("relay"));
        // action: contains the text.
        const QJsonArray tenantAdds = data(call("GET", "/audit?action=tenant.add"));
        QCOMPARE(tenantAdds.size(), 6); // t0 to t3, team, late
        QCOMPARE(data(call("GET", "/audit?action=circuit&kind=relay")), relayRows);
        QCOMPARE(data(call("GET", "/audit?action=circuit&kind=admin")), QJsonArray());
        QCOMPARE(data(call("GET", "/audit?action=set&tenant=t1")).size(), 1);
        QCOMPARE(data(call("GET", "/audit?action=%25")), QJsonArray());
        QCOMPARE(allPages("/audit?action=tenant.", 2), data(call("GET", "/audit?action=tenant.")));

        const auto refused = [&](const QByteArray &query, const char *param) {
            const TestResponse r = call("GET", "/audit?" + query);
            return r.status == 400 && r.errorField("param") == QLatin1String(param);
        };
        QVERIFY(refused("kind=robots", "kind"));
        QVERIFY(refused("before=abc", "before"));
        QVERIFY(refused("before=-3", "before"));
        QVERIFY(refused("order=sideways", "order"));
        QVERIFY(refused("limit=0", "limit"));
        QVERIFY(refused("limit=1001", "limit"));
        QCOMPARE(call("POST", "/audit").status, 405);
        QCOMPARE(call("GET", "/audit?kind=relay", {}, kReadOnlyToken).status, 200);
    }

    void upstreamTestListsModelsOrTheError()
    {
        m_relay->addSimUpstream(QStringLiteral("sim"), m_relay->sim());
        TestResponse ok = call("POST", "/upstreams/sim/test");
        QCOMPARE(ok.status, 200);
        QVERIFY(!ok.json().value("models").toArray().isEmpty());
        // The provider's own key went with it.
        QCOMPARE(m_relay->sim().received().last().authorization, QByteArray("Bearer sk-sim"));
        QCOMPARE(m_relay->sim().received().last().path, QByteArray("/v1/models"));

        // The provider refuses the key: its message, with anything like a key masked.
        m_relay->sim().pushFault({SimFault::Status, 401, -1, 0});
        TestResponse refused = call("POST", "/upstreams/sim/test");
        QCOMPARE(refused.status, 502);
        QVERIFY(refused.errorField("message").startsWith(QLatin1String("HTTP 401")));

        // Nothing listens there.
        QCOMPARE(
            call("POST", "/upstreams",
                 {{"name", "closed"}, {"base_url", "http://127.0.0.1:1/v1"}, {"api_key", "sk-x"}})
                .status,
            201);
        TestResponse unreachable = call("POST", "/upstreams/closed/test");
        QCOMPARE(unreachable.status, 502);
        QVERIFY(!unreachable.errorField("message").isEmpty());
        QCOMPARE(call("POST", "/upstreams/ghost/test").status, 404);
        QCOMPARE(call("GET", "/upstreams/sim/test").status, 405);
        QCOMPARE(call("POST", "/upstreams/sim/test", {}, kReadOnlyToken).status, 403);
    }

    // An admin call is answered from the admin thread once the provider has answered; by then
    // its client may have left, or the relay may be stopping and its connections gone.
    void answersThatFindTheirClientGoneAreDropped()
    {
        m_relay->addSimUpstream(QStringLiteral("sim"), m_relay->sim());
        m_relay->sim().setLatencyMs(400);
        const auto modelsAsked = [this](qsizetype atLeast) {
            qsizetype n = 0;
            for (const auto &r : m_relay->sim().received())
                n += r.path == "/v1/models" ? 1 : 0;
            return n >= atLeast;
        };
        const HttpHeaders auth{{"authorization", "Bearer " + kAdminToken}};
        {
            // The client leaves while the provider is being asked.
            TestHttpClient gone(m_relay->port());
            gone.send("POST", "/admin/v1/upstreams/sim/test", {}, auth);
            QTRY_VERIFY(modelsAsked(1));
            gone.close();
        }
        // An events subscriber leaves too.
        {
            TestHttpClient events(m_relay->port());
            events.send("GET", "/admin/v1/events", {}, auth);
            QVERIFY(events.waitFirstBody());
            events.close();
        }
        QTest::qWait(600); // the provider's answer arrives for nobody
        m_relay->advance(15'000);
        m_relay->sim().setLatencyMs(0);
        TestResponse after = call("POST", "/upstreams/sim/test");
        QCOMPARE(after.status, 200);
        QCOMPARE(call("GET", "/tenants").status, 200);

        // The relay stops while a check is under way: its answer finds no connection. And an
        // events subscriber has just left: its stream ends as the relay stops, which closes its
        // connection then (the sweep, every 250 ms, has most likely not seen it go yet).
        TestHttpClient leaving(m_relay->port());
        leaving.send("GET", "/admin/v1/events", {}, auth);
        QVERIFY(leaving.waitFirstBody());
        m_relay->sim().setLatencyMs(400);
        TestHttpClient stopping(m_relay->port());
        stopping.send("POST", "/admin/v1/upstreams/sim/test", {}, auth);
        QTRY_VERIFY(modelsAsked(3));
        leaving.close();
        QTest::qWait(20);
        m_relay->stopEngine();
        QVERIFY(stopping.waitClosed());
        QTest::qWait(600);
    }

    // POST /upstreams/test: an upstream not saved, as a form describes it, checked as a save
    // checks it; the relay asks the provider with the key given (never answered back, never
    // audited) and saves nothing. POST /upstreams/NAME/test with a body: the saved one changed.
    void unsavedUpstreamTestListsModelsOrTheError()
    {
        const QString simUrl = m_relay->sim().baseUrl();
        const qsizetype auditBefore = data(call("GET", "/audit")).size();

        TestResponse ok = call("POST", "/upstreams/test",
                               {{"name", "new-one"},
                                {"kind", "openai"},
                                {"base_url", simUrl + "/"},
                                {"api_key", QString::fromLatin1(kProviderKey)},
                                {"timeout_ms", 5000}});
        QCOMPARE(ok.status, 200);
        QVERIFY(ok.json().value("ok").toBool());
        QVERIFY2(ok.json().value("models").toArray().contains(QStringLiteral("gpt-4o")),
                 ok.body.constData());
        QCOMPARE(m_relay->sim().received().last().path, QByteArray("/v1/models"));
        QCOMPARE(m_relay->sim().received().last().authorization, "Bearer " + kProviderKey);
        // The key from a variable of the relay's environment, as a saved upstream reads it.
        QCOMPARE(call("POST", "/upstreams/test",
                      {{"base_url", simUrl}, {"api_key_env", "TR_TEST_UPSTREAM_KEY"}})
                     .status,
                 200);
        QCOMPARE(m_relay->sim().received().last().authorization, QByteArray("Bearer sk-sim"));

        // Nothing listens there: the error, still without the key.
        TestResponse closed = call("POST", "/upstreams/test",
                                   {{"base_url", "http://127.0.0.1:1/v1"},
                                    {"api_key", QString::fromLatin1(kProviderKey)}});
        QCOMPARE(closed.status, 502);
        QCOMPARE(closed.errorField("code"), QStringLiteral("upstream_test_failed"));
        QVERIFY(!closed.errorField("message").isEmpty());
        // The provider refuses: its status and message.
        m_relay->sim().pushFault({SimFault::Status, 401, -1, 0});
        TestResponse refused = call("POST", "/upstreams/test", {{"base_url", simUrl}});
        QCOMPARE(refused.status, 502);
        QVERIFY2(refused.errorField("message").startsWith(QLatin1String("HTTP 401")),
                 refused.body.constData());

        // Checked as `upstream add` checks it, the field named.
        const auto refusedField = [&](const QJsonObject &body) {
            const TestResponse r = call("POST", "/upstreams/test", body);
            return r.status == 400 ? r.errorField("param") : QString::number(r.status);
        };
        QCOMPARE(refusedField({{"kind", "openai"}}), QStringLiteral("base_url"));
        QCOMPARE(refusedField({{"base_url", "ftp://x.example"}}), QStringLiteral("base_url"));
        QCOMPARE(refusedField({{"base_url", simUrl}, {"kind", "cohere"}}), QStringLiteral("kind"));
        QCOMPARE(refusedField({{"base_url", simUrl}, {"api_key", "has blank"}}),
                 QStringLiteral("api_key"));
        QCOMPARE(refusedField({{"base_url", simUrl}, {"api_key_env", "NOT-A-NAME"}}),
                 QStringLiteral("api_key_env"));
        QCOMPARE(refusedField({{"base_url", simUrl}, {"colour", "red"}}), QStringLiteral("colour"));
        QCOMPARE(callRaw("POST", "/upstreams/test", "[1]").status, 400);
        QCOMPARE(call("POST", "/upstreams/test", {{"base_url", simUrl}}, kReadOnlyToken).status,
                 403);

        // Nothing was saved or audited.
        QCOMPARE(data(call("GET", "/upstreams")).size(), 0);
        QCOMPARE(data(call("GET", "/audit")).size(), auditBefore);
        // Other methods on /upstreams/test are an upstream named "test"'s, which does not exist.
        QCOMPARE(call("GET", "/upstreams/test").status, 404);

        // A saved upstream tested with changes it does not have yet: its stored key goes with
        // the new base URL; what is saved does not change.
        QCOMPARE(call("POST", "/upstreams",
                      {{"name", "saved"},
                       {"base_url", "http://127.0.0.1:1/v1"},
                       {"api_key", QString::fromLatin1(kProviderKey)}})
                     .status,
                 201);
        QCOMPARE(call("POST", "/upstreams/saved/test").status, 502);
        QCOMPARE(call("POST", "/upstreams/saved/test", {{"base_url", simUrl}}).status, 200);
        QCOMPARE(m_relay->sim().received().last().authorization, "Bearer " + kProviderKey);
        QCOMPARE(call("GET", "/upstreams/saved").json().value("base_url").toString(),
                 QStringLiteral("http://127.0.0.1:1/v1"));
        QCOMPARE(call("POST", "/upstreams/saved/test", {{"max_connections", 0}}).status, 400);
        QCOMPARE(call("POST", "/upstreams/ghost/test", {{"base_url", simUrl}}).status, 404);
        for (const QJsonValue row : data(call("GET", "/audit")))
            QVERIFY(!QJsonDocument(row.toObject()).toJson().contains(kProviderKey));
    }

    void listsPage()
    {
        for (int i = 0; i < 7; ++i)
            m_relay->addTenant(QStringLiteral("t%1").arg(i));
        TestResponse first = call("GET", "/tenants?limit=3");
        QCOMPARE(data(first).size(), 3);
        QStringList seen;
        QString next = first.json().value("next").toString();
        for (const QJsonValue t : data(first))
            seen.append(t.toObject().value("id").toString());
        while (!next.isEmpty()) {
            TestResponse page = call("GET", "/tenants?limit=3&before=" + next.toUtf8());
            for (const QJsonValue t : data(page))
                seen.append(t.toObject().value("id").toString());
            next = page.json().value("next").toString();
        }
        QCOMPARE(seen.size(), 7);
        QCOMPARE(call("GET", "/tenants?limit=0").status, 400);
        QCOMPARE(call("GET", "/tenants?limit=1001").status, 400);
    }
};

QTEST_GUILESS_MAIN(TestAdminApi)
#include "tst_adminapi.moc"
