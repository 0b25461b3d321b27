// Key and tenant controls end to end (interface.md §2 `key issue --expires`, `tenant --allow-ips`,
// §3's 401 and 403 rows): the real engine on loopback, real sockets, the simulated provider
// upstream, time moved by a manual clock.
#include "RelayHarness.h"

#include "core/Clock.h"

#include <QDateTime>
#include <QJsonObject>
#include <QTest>
#include <QTimeZone>

using namespace relay;
using namespace relay::test;

namespace {

qint64 utcMs(int y, int m, int d, int h, int min)
{
    return QDateTime(QDate(y, m, d), QTime(h, min), QTimeZone::utc()).toMSecsSinceEpoch();
}

QByteArray chatBody()
{
    return RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi"));
}

TestResponse chat(quint16 port, const QString &key, const HttpHeaders &extra = {})
{
    HttpHeaders headers = TestHttpClient::bearer(key);
    headers.append(extra);
    return request(port, "POST", "/v1/chat/completions", chatBody(), headers);
}

TenantChanges allowing(const QString &blocks)
{
    TenantChanges c;
    c.allowIps = blocks == QLatin1String("none") ? AddressBlocks()
                                                 : AddressBlocks(blocks.split(QLatin1Char(',')));
    return c;
}

// The usage rows of refused requests: status and error code.
QList<QPair<int, QString>> rejectedRows(RelayHarness &h)
{
    QList<QPair<int, QString>> out;
    for (const QVariantMap &row : h.usageRows())
        if (row.value(QStringLiteral("outcome")).toString() == QLatin1String("rejected"))
            out.append({row.value(QStringLiteral("status")).toInt(),
                        row.value(QStringLiteral("error")).toString()});
    return out;
}

} // namespace

class TestKeyControls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // A key that ends at the next 00:00 UTC works until then and is refused from that moment,
    // with nothing written to the database in between: the relay reads its clock on every
    // request, it does not wait for a config change.
    void keyExpiresAtMidnightWithoutAConfigChange()
    {
        ManualClock clock(utcMs(2026, 12, 5, 23, 59));
        RelayHarness h;
        AdminService admin(h.db(), clock);
        h.addSimUpstream(QStringLiteral("sim"), h.sim());
        const QString lasting = admin.addTenant(QStringLiteral("team"), TenantChanges()).value;
        const AdminValue<QString> expiring = admin.issueKey(
            QStringLiteral("team"), {QStringLiteral("nightly CI"), QStringLiteral("2026-12-06")});
        QVERIFY2(expiring.ok, qPrintable(expiring.error));
        KeyRecord record;
        for (const KeyRecord &k : admin.listKeys(QStringLiteral("team")).value)
            if (k.prefix == expiring.value.left(12))
                record = k;
        QCOMPARE(record.label, QStringLiteral("nightly CI"));
        QCOMPARE(record.expiresMs, std::optional<qint64>(utcMs(2026, 12, 6, 0, 0)));
        EngineOptions options;
        options.clock = &clock;
        QVERIFY(h.start(options));
        const qint64 version = admin.configVersion();

        QCOMPARE(chat(h.port(), expiring.value).status, 200);
        h.advance(59'999); // 23:59:59.999
        QCOMPARE(chat(h.port(), expiring.value).status, 200);
        h.advance(1); // 00:00:00.000
        const TestResponse refused = chat(h.port(), expiring.value);
        QCOMPARE(refused.status, 401);
        QCOMPARE(refused.errorField("type"), QStringLiteral("invalid_request_error"));
        QCOMPARE(refused.errorField("code"), QStringLiteral("invalid_api_key"));
        QVERIFY2(refused.errorField("message").contains(QStringLiteral("expired")),
                 qPrintable(refused.errorField("message")));
        // Refused before its body is read, on every path a key opens.
        const TestResponse models =
            request(h.port(), "GET", "/v1/models", {}, TestHttpClient::bearer(expiring.value));
        QCOMPARE(models.status, 401);
        QCOMPARE(models.errorField("code"), QStringLiteral("invalid_api_key"));
        // The tenant's other key goes on working, and nothing was written or reloaded.
        QCOMPARE(chat(h.port(), lasting).status, 200);
        QCOMPARE(admin.configVersion(), version);
        QCOMPARE(h.sim().received().size(), 3);
    }

    // A caller outside the tenant's blocks gets 403 ip_not_allowed and is metered as rejected;
    // X-Forwarded-For changes nothing; `tenant set --allow-ips` opens it, `none` removes it.
    void callerOutsideTheBlocksIsRefused()
    {
        RelayHarness h;
        h.addSimUpstream(QStringLiteral("sim"), h.sim());
        const QString key =
            h.addTenant(QStringLiteral("team"), allowing(QStringLiteral("10.0.0.0/8")));
        QVERIFY(h.start());

        const TestResponse refused = chat(h.port(), key, {{"x-forwarded-for", "10.1.2.3"}});
        QCOMPARE(refused.status, 403);
        QCOMPARE(refused.errorField("type"), QStringLiteral("invalid_request_error"));
        QCOMPARE(refused.errorField("code"), QStringLiteral("ip_not_allowed"));
        QVERIFY(!refused.header("x-request-id").isEmpty());
        const TestResponse models =
            request(h.port(), "GET", "/v1/models", {}, TestHttpClient::bearer(key));
        QCOMPARE(models.status, 403);
        QCOMPARE(models.errorField("code"), QStringLiteral("ip_not_allowed"));
        // Anthropic's dialect: its own shape for a 403.
        HttpHeaders anthropic{{"x-api-key", key.toUtf8()}, {"anthropic-version", "2023-06-01"}};
        const TestResponse messages = request(
            h.port(), "POST", "/v1/messages",
            R"({"model":"gpt-4o","max_tokens":16,"messages":[{"role":"user","content":"hi"}]})",
            anthropic);
        QCOMPARE(messages.status, 403);
        QCOMPARE(messages.json()[QStringLiteral("error")].toObject()[QStringLiteral("type")],
                 QStringLiteral("permission_error"));
        QCOMPARE(h.sim().received().size(), 0);
        const QList<QPair<int, QString>> rows = rejectedRows(h);
        QCOMPARE(rows.size(), 3);
        for (const auto &row : rows)
            QCOMPARE(row, (QPair<int, QString>(403, QStringLiteral("ip_not_allowed"))));
        const AdminValue<QList<UsageReportRow>> usage = h.admin().usageReport({});
        QVERIFY(usage.ok && usage.value.size() == 1);
        QCOMPARE(usage.value.first().rejected, 3);
        QCOMPARE(usage.value.first().requests, 0);

        h.setTenant(QStringLiteral("team"), allowing(QStringLiteral("10.0.0.0/8,127.0.0.0/8")));
        h.reload();
        QCOMPARE(chat(h.port(), key).status, 200);
        h.setTenant(QStringLiteral("team"), allowing(QStringLiteral("10.0.0.0/8")));
        h.reload();
        QCOMPARE(chat(h.port(), key).status, 403);
        h.setTenant(QStringLiteral("team"), allowing(QStringLiteral("none")));
        h.reload();
        QCOMPARE(chat(h.port(), key).status, 200);
    }

    // What the listener sees decides: an IPv4 caller of a dual-stack listener arrives as
    // ::ffff:127.0.0.1 and is matched as 127.0.0.1; a block written in the mapped form is its
    // IPv4 block; an IPv6 caller is matched against IPv6 blocks.
    void addressFamilies_data()
    {
        QTest::addColumn<QString>("listen");
        QTest::addColumn<QString>("connect");
        QTest::addColumn<QString>("blocks");
        QTest::addColumn<int>("status");
        QTest::newRow("ipv4 listener, 127/8") << "127.0.0.1"
                                              << "127.0.0.1"
                                              << "127.0.0.0/8" << 200;
        QTest::newRow("ipv4 listener, 10/8") << "127.0.0.1"
                                             << "127.0.0.1"
                                             << "10.0.0.0/8" << 403;
        QTest::newRow("ipv4 listener, mapped block") << "127.0.0.1"
                                                     << "127.0.0.1"
                                                     << "::ffff:127.0.0.1/128" << 200;
        QTest::newRow("dual-stack, mapped caller in 127/8") << "any"
                                                            << "127.0.0.1"
                                                            << "127.0.0.0/8" << 200;
        QTest::newRow("dual-stack, mapped caller not in 10/8") << "any"
                                                               << "127.0.0.1"
                                                               << "10.0.0.0/8" << 403;
        QTest::newRow("ipv6 caller, ::1") << "::1"
                                          << "::1"
                                          << "::1" << 200;
        QTest::newRow("ipv6 caller, ipv4 blocks") << "::1"
                                                  << "::1"
                                                  << "127.0.0.0/8,0.0.0.0/0" << 403;
    }
    void addressFamilies()
    {
        QFETCH(QString, listen);
        QFETCH(QString, connect);
        QFETCH(QString, blocks);
        QFETCH(int, status);
        RelayHarness h;
        h.addSimUpstream(QStringLiteral("sim"), h.sim());
        const QString key = h.addTenant(QStringLiteral("team"), allowing(blocks));
        EngineOptions options;
        options.server.host =
            listen == QLatin1String("any") ? QHostAddress(QHostAddress::Any) : QHostAddress(listen);
        QVERIFY(h.start(options));
        TestHttpClient client(h.port());
        client.socket().connectToHost(QHostAddress(connect), h.port());
        QVERIFY(client.socket().waitForConnected(5000));
        client.send("POST", "/v1/chat/completions", chatBody(), TestHttpClient::bearer(key));
        QVERIFY(client.waitDone());
        QCOMPARE(client.response().status, status);
        if (status == 403) {
            const QString message = client.response().errorField("message");
            // The caller's address as the listener saw it.
            if (listen == QLatin1String("any"))
                QVERIFY2(message.contains(QStringLiteral("::ffff:127.0.0.1")), qPrintable(message));
            else
                QVERIFY2(message.contains(connect), qPrintable(message));
            QCOMPARE(client.response().errorField("code"), QStringLiteral("ip_not_allowed"));
        }
    }
};

QTEST_GUILESS_MAIN(TestKeyControls)
#include "tst_keycontrols.moc"
