// `tenantrelay --connect URL <admin command>` (interface.md §5): every admin command of §2 run
// twice from the same state, once on a database file (--db) and once through a real `serve`
// process's admin API (real socket, admin token), with the same stdout, stderr and exit status.
// Both databases start alike (the same usage rows and alerts, written as the relay writes them)
// and each has a live relay on it; the table's commands then bring both to the same next state.
// Only what must differ is normalised: generated keys, times, and the audit's actor.

#include "CliProcess.h"
#include "ServeProcess.h"
#include "TempDir.h"
#include "TestCertificate.h"
#include "UsageRows.h"
#include "store/Database.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

static void initRelaycoreResources()
{
    Q_INIT_RESOURCE(relaycore);
}

namespace {

using Result = relay::test::CliResult;

const QByteArray kToken = "connect-test-admin-token-3f9a";
const QByteArray kReadOnlyToken = "connect-test-readonly-token-77c1";
// The local side's OS user is as long as the remote side's actor, admin-api@127.0.0.1, so that
// the audit table's columns line up alike once both are named ACTOR.
const QString kLocalUser = QStringLiteral("operator@desktop-01");
const QString kRemoteActor = QStringLiteral("admin-api@127.0.0.1");

QString normalised(QString text)
{
    static const QRegularExpression key(QStringLiteral("sk-tr-[A-Za-z0-9]+"));
    // As JSON writes them ("…T09:30:00.000Z") and as text tables do ("… 10:30:00 CET").
    static const QRegularExpression time(
        QStringLiteral("\\d{4}-\\d\\d-\\d\\d[T ]\\d\\d:\\d\\d:\\d\\d(\\.\\d{3})?"
                       "(Z| [A-Z][A-Za-z]*([+-]\\d\\d:\\d\\d)?)"));
    text.replace(key, QStringLiteral("sk-tr-KEY"));
    text.replace(time, QStringLiteral("TIME"));
    text.replace(kLocalUser, QStringLiteral("ACTOR"));
    text.replace(kRemoteActor, QStringLiteral("ACTOR"));
    return text;
}

} // namespace

class TestConnect : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void sameOutputThroughTheAdminApi_data();
    void sameOutputThroughTheAdminApi();
    void failuresOfTheConnectionExitOne_data();
    void failuresOfTheConnectionExitOne();
    void readOnlyTokenReadsButDoesNotWrite();
    void badUsageOfConnectExitsTwo_data();
    void badUsageOfConnectExitsTwo();
    void httpsTrustsOnlyTheGivenCertificate();

private:
    Result run(const QStringList &args, const QByteArray &input, const QProcessEnvironment &env);
    QProcessEnvironment environment() const;
    // The command on the database file, and through --connect.
    Result local(const QStringList &args, const QByteArray &input = {});
    Result remote(const QStringList &args, const QByteArray &input = {});
    // Fills in {prices}, {backup} and {prefix:TENANT} (the last key that side printed for it).
    QStringList resolve(const QStringList &args, const QHash<QString, QString> &keys) const;
    bool seed(const QString &dbPath);

    QString m_bin;
    relay::test::TempDb m_localDb;
    relay::test::TempDb m_remoteDb;
    relay::test::ServeProcess
        m_localRelay; // the same live relay next to the --db side, without an admin API
    relay::test::ServeProcess m_remoteRelay; // serve --admin-token-env, what --connect talks to
    QString m_prices;
    // The keys each side printed, by tenant: rows name keys by tenant, since they differ.
    QHash<QString, QString> m_localKeys;
    QHash<QString, QString> m_remoteKeys;
};

QProcessEnvironment TestConnect::environment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("TENANTRELAY_DB"));
    env.remove(QStringLiteral("TENANTRELAY_ADMIN_TOKEN"));
    env.insert(QStringLiteral("USER"), kLocalUser);
    return env;
}

Result TestConnect::run(const QStringList &args, const QByteArray &input,
                        const QProcessEnvironment &env)
{
    return relay::test::runCli(m_bin, args, input, env);
}

Result TestConnect::local(const QStringList &args, const QByteArray &input)
{
    return run(QStringList{"--db", m_localDb.path()} + args, input, environment());
}

Result TestConnect::remote(const QStringList &args, const QByteArray &input)
{
    QProcessEnvironment env = environment();
    env.insert(QStringLiteral("TENANTRELAY_ADMIN_TOKEN"), QString::fromLatin1(kToken));
    return run(QStringList{"--connect", m_remoteRelay.url()} + args, input, env);
}

QStringList TestConnect::resolve(const QStringList &args, const QHash<QString, QString> &keys) const
{
    QStringList out;
    for (QString arg : args) {
        arg.replace(QStringLiteral("{prices}"), m_prices);
        if (arg.startsWith(QLatin1String("{prefix:")))
            arg = keys.value(arg.mid(8).chopped(1)).left(12);
        out << arg;
    }
    return out;
}

// The same history in both databases, written as the relay writes it: usage this month and
// budget alerts (never "pending", which a relay would go on to deliver).
bool TestConnect::seed(const QString &dbPath)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch() - 60'000;
    using relay::test::rejectedRow;
    using relay::test::servedRow;
    if (!relay::test::writeUsage(dbPath,
                                 {servedRow(now, "acme", 200, 1200, 300, 0.0021, 180),
                                  servedRow(now, "acme", 200, 800, 200, 0.0014, 240, "gpt-4o"),
                                  servedRow(now, "acme", 502, 50, 0, 0, 30),
                                  servedRow(now, "bob", 200, 400, 100, 0.0007, 90),
                                  rejectedRow(now, "bob", 429)}))
        return false;
    relay::Database db;
    QString error;
    if (!db.open(dbPath, &error)) {
        qWarning() << error;
        return false;
    }
    QSqlQuery q(db.db());
    const qint64 t = relay::test::utcMs(2026, 3, 14, 9, 30);
    if (!q.exec(
            QStringLiteral(
                "INSERT INTO alerts (id, ts, tenant_id, period, kind, threshold, spent_usd, "
                "budget_usd, forecast_usd, delivery) VALUES "
                "(1, %1, 'acme', '2026-03', 'threshold', 50, 5.0000000001, 10, NULL, 'delivered'), "
                "(2, %1 + 60000, 'bob', '2026-03', 'forecast', 100, 2, 10, 14.5, 'none'), "
                "(3, %1 + 120000, 'acme', '2026-03', 'threshold', 80, 8.25, 10, NULL, 'delivered')")
                .arg(t))) {
        qWarning() << q.lastError().text();
        return false;
    }
    return true;
}

void TestConnect::initTestCase()
{
    initRelaycoreResources();
    m_bin = qEnvironmentVariable("TENANTRELAY_BIN");
    QVERIFY2(QFileInfo(m_bin).isExecutable(), "TENANTRELAY_BIN must name the built binary");
    QVERIFY(seed(m_localDb.path()));
    QVERIFY(seed(m_remoteDb.path()));
    m_prices = m_localDb.dir() + QStringLiteral("/other-prices.json");
    QFile prices(m_prices);
    QVERIFY(prices.open(QIODevice::WriteOnly));
    prices.write(
        R"({"gpt-4o-mini": {"input": 0.1, "output": 0.4}, "gpt-4o": {"input": 2, "output": 8}})");
    prices.close();

    QVERIFY(m_localRelay.start(m_bin, m_localDb.path(), {}, environment()));
    QProcessEnvironment env = environment();
    env.insert(QStringLiteral("TR_CONNECT_ADMIN"), QString::fromLatin1(kToken));
    env.insert(QStringLiteral("TR_CONNECT_READONLY"), QString::fromLatin1(kReadOnlyToken));
    QVERIFY(m_remoteRelay.start(m_bin, m_remoteDb.path(),
                                {"--admin-token-env", "TR_CONNECT_ADMIN",
                                 "--admin-readonly-token-env", "TR_CONNECT_READONLY"},
                                env));
}

void TestConnect::cleanupTestCase()
{
    m_localRelay.stop();
    m_remoteRelay.stop();
}

// One row per command, in order: each changes both sides alike or reads them. exit: what both
// must answer (2 for bad usage and the API's 400, 1 for its 404 and 409).
void TestConnect::sameOutputThroughTheAdminApi_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<int>("exit");
    const auto row = [](const char *name, const QStringList &args, int exit = 0,
                        const QByteArray &input = {}) {
        QTest::newRow(name) << args << input << exit;
    };
    // tenants
    row("tenant add", {"tenant", "add", "acme", "--tier", "guaranteed", "--rpm", "600", "--budget",
                       "50", "--models", "gpt-4o,gpt-4o-mini"});
    row("tenant add options",
        {"tenant", "add", "bob", "--tier", "dedicated", "--reserved", "1", "--alerts", "50,90",
         "--webhook", "https://hooks.example.com/bob", "--soft-budget", "--name", "Bob's team"});
    row("tenant add defaults", {"tenant", "add", "carol"});
    row("tenant add taken (409)", {"tenant", "add", "acme"}, 1);
    row("tenant add bad id (400)", {"tenant", "add", "bad id!"}, 2);
    row("tenant add bad tier (400)", {"tenant", "add", "dave", "--tier", "platinum"}, 2);
    row("tenant set", {"tenant", "set", "acme", "--tpm", "90000", "--concurrency", "4", "--name",
                       "Acme Corp", "--queue-timeout-ms", "2500", "--weight", "3"});
    row("tenant set disable", {"tenant", "set", "carol", "--disable", "--alerts", "none",
                               "--models", "none", "--hard-budget"});
    row("tenant set limits none", {"tenant", "set", "acme", "--rpm", "none", "--budget", "75.5"});
    row("tenant set nothing", {"tenant", "set", "acme"}, 2);
    row("tenant set unknown (404)", {"tenant", "set", "nobody", "--rpm", "5"}, 1);
    row("tenant set bad weight (400)", {"tenant", "set", "acme", "--weight", "0"}, 2);
    row("tenant set allow-ips", {"tenant", "set", "bob", "--allow-ips", "10.1.2.3/8,::1"});
    row("tenant set bad allow-ips (400)", {"tenant", "set", "bob", "--allow-ips", "10.0.0/33"}, 2);
    row("tenant list", {"tenant", "list"});
    row("tenant list json", {"tenant", "list", "--json"});
    row("tenant show", {"tenant", "show", "acme"});
    row("tenant show json", {"tenant", "show", "acme", "--json"});
    row("tenant show set values", {"tenant", "show", "bob"});
    row("tenant show defaults json", {"tenant", "show", "carol", "--json"});
    row("tenant show unknown (404)", {"tenant", "show", "nobody"}, 1);
    // keys
    row("key issue", {"key", "issue", "acme"});
    row("key rotate", {"key", "rotate", "bob"});
    row("key issue label expires",
        {"key", "issue", "bob", "--label", "ci runner", "--expires", "2099-01-31"});
    row("key issue past expiry (400)", {"key", "issue", "bob", "--expires", "2001-01-01"}, 2);
    row("key issue unknown (404)", {"key", "issue", "nobody"}, 1);
    row("key revoke", {"key", "revoke", "{prefix:acme}"});
    row("key revoke again", {"key", "revoke", "{prefix:acme}"}, 1);
    row("key revoke unknown (404)", {"key", "revoke", "sk-tr-zzzzzz"}, 1);
    row("key revoke malformed (400)", {"key", "revoke", "xyz"}, 2);
    row("key list", {"key", "list"});
    row("key list json", {"key", "list", "--json"});
    row("key list tenant", {"key", "list", "bob", "--json"});
    row("key list unknown (404)", {"key", "list", "nobody"}, 1);
    // upstreams
    row("upstream add", {"upstream", "add", "openai", "--base-url", "https://api.openai.com/v1",
                         "--api-key-env", "OPENAI_KEY", "--max-connections", "4"});
    row("upstream add stdin key",
        {"upstream", "add", "claude", "--base-url", "https://api.anthropic.com", "--kind",
         "anthropic", "--api-key-stdin", "--slow-ms", "2000"},
        0, "sk-ant-never-shown\n");
    row("upstream add taken (409)",
        {"upstream", "add", "openai", "--base-url", "https://example.com/v1"}, 1);
    row("upstream add bad url (400)", {"upstream", "add", "bad", "--base-url", "notaurl"}, 2);
    row("upstream set", {"upstream", "set", "openai", "--timeout-ms", "30000", "--disable"});
    row("upstream set enable", {"upstream", "set", "openai", "--enable", "--slow-ms", "none"});
    row("upstream set unknown (404)", {"upstream", "set", "nobody", "--timeout-ms", "5"}, 1);
    row("upstream set nothing", {"upstream", "set", "openai"}, 2);
    row("upstream list", {"upstream", "list"});
    row("upstream list json", {"upstream", "list", "--json"});
    // routes, aliases, failover, prices
    row("route set", {"route", "set", "gpt-4o", "openai,claude:claude-sonnet-4-5"});
    row("route set unknown upstream", {"route", "set", "x", "nobody"}, 1);
    row("route list", {"route", "list"});
    row("route list json", {"route", "list", "--json"});
    row("upstream remove in a route (409)", {"upstream", "remove", "openai"}, 1);
    row("alias set", {"alias", "set", "gpt-4", "gpt-4o"});
    row("alias list", {"alias", "list"});
    row("alias list json", {"alias", "list", "--json"});
    row("alias remove unknown (404)", {"alias", "remove", "nope"}, 1);
    row("failover pin", {"failover", "pin", "claude"});
    row("failover pin unknown (404)", {"failover", "pin", "nobody"}, 1);
    row("failover unpin", {"failover", "unpin"});
    row("failover unpin again", {"failover", "unpin"}, 1);
    row("price set", {"price", "set", "gpt-4o", "--input", "2.5", "--output", "10"});
    row("price set cache", {"price", "set", "my-model", "--input", "1", "--output", "2",
                            "--cache-read", "0.5", "--cache-write", "1.5"});
    row("price list", {"price", "list"});
    row("price list json", {"price", "list", "--json"});
    row("price remove", {"price", "remove", "my-model"});
    row("price remove unknown (404)", {"price", "remove", "my-model"}, 1);
    // usage, alerts, reports, settings
    row("usage", {"usage"});
    row("usage json", {"usage", "--json"});
    row("usage csv", {"usage", "--csv"});
    row("usage tenant since", {"usage", "--tenant", "acme", "--since", "2020-01-01", "--json"});
    row("usage unknown tenant (404)", {"usage", "--tenant", "nobody"}, 1);
    row("alerts", {"alerts"});
    row("alerts json", {"alerts", "--json"});
    row("alerts tenant", {"alerts", "--tenant", "bob", "--json"});
    row("alerts ack", {"alerts", "ack", "2"});
    row("alerts ack again (409)", {"alerts", "ack", "2"}, 1);
    row("alerts ack unknown (404)", {"alerts", "ack", "99"}, 1);
    row("alerts after ack", {"alerts"});
    row("report costs", {"report", "costs"});
    row("report costs json", {"report", "costs", "--json"});
    row("report costs prices", {"report", "costs", "--prices", "{prices}"});
    row("report costs prices json since",
        {"report", "costs", "--prices", "{prices}", "--since", "2020-01-01", "--json"});
    row("settings set", {"settings", "set", "usage_retention_days", "30"});
    row("settings set webhook",
        {"settings", "set", "webhook_url", "https://hooks.example.com/all"});
    row("settings set unknown (400)", {"settings", "set", "nope", "1"}, 2);
    row("settings set bad value (400)", {"settings", "set", "usage_retention_days", "0"}, 2);
    row("settings list", {"settings", "list"});
    row("settings list json", {"settings", "list", "--json"});
    row("settings set none", {"settings", "set", "webhook_url", "none"});
    row("settings list defaults", {"settings", "list"});
    // removals, then the audit of it all
    row("route remove", {"route", "remove", "gpt-4o"});
    row("alias remove", {"alias", "remove", "gpt-4"});
    row("upstream remove", {"upstream", "remove", "openai"});
    row("tenant remove", {"tenant", "remove", "carol"});
    row("tenant remove unknown (404)", {"tenant", "remove", "carol"}, 1);
    row("tenant list after", {"tenant", "list", "--json"});
    row("audit", {"audit"});
    row("audit json", {"audit", "--json"});
    row("audit tenant", {"audit", "--tenant", "acme"});
}

void TestConnect::sameOutputThroughTheAdminApi()
{
    QFETCH(QStringList, args);
    QFETCH(QByteArray, input);
    QFETCH(int, exit);
    const Result l = local(resolve(args, m_localKeys), input);
    const Result r = remote(resolve(args, m_remoteKeys), input);
    QVERIFY2(l.code == exit,
             qPrintable(QStringLiteral("on the file: %1 %2").arg(l.code).arg(l.err)));
    QVERIFY2(r.code == exit,
             qPrintable(QStringLiteral("through --connect: %1 %2").arg(r.code).arg(r.err)));
    if (normalised(r.out) != normalised(l.out)) {
        const QStringList rl = normalised(r.out).split(QLatin1Char('\n'));
        const QStringList ll = normalised(l.out).split(QLatin1Char('\n'));
        for (qsizetype i = 0; i < qMax(rl.size(), ll.size()); ++i)
            if (rl.value(i) != ll.value(i))
                qWarning("line %d\n through --connect: %s\n on the file:      %s", int(i),
                         qPrintable(rl.value(i)), qPrintable(ll.value(i)));
    }
    QCOMPARE(normalised(r.out), normalised(l.out));
    QCOMPARE(normalised(r.err), normalised(l.err));
    // A command that prints a key prints only that.
    static const QRegularExpression keyLine(QStringLiteral("^(sk-tr-[A-Za-z0-9]{32,})\\n$"));
    const QRegularExpressionMatch lk = keyLine.match(l.out);
    const QRegularExpressionMatch rk = keyLine.match(r.out);
    QCOMPARE(lk.hasMatch(), rk.hasMatch());
    if (lk.hasMatch() && args.size() > 2) {
        const QString tenant = args.at(2);
        m_localKeys.insert(tenant, lk.captured(1));
        m_remoteKeys.insert(tenant, rk.captured(1));
        QVERIFY(lk.captured(1) != rk.captured(1));
    }
    if (args == QStringList{"audit", "--json"}) {
        // The writes through the API are the relay's admin API's, by address.
        const QJsonArray rows = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QVERIFY(rows.size() > 20);
        QCOMPARE(rows.last().toObject().value("actor").toString(), kRemoteActor);
        QCOMPARE(QJsonDocument::fromJson(l.out.toUtf8()).array().last().toObject().value("actor"),
                 QJsonValue(kLocalUser));
        QVERIFY(!r.out.contains(QLatin1String("sk-ant-never-shown")));
    }
}

// Exit 1 with one line on stderr naming the URL and the cause, never the token.
void TestConnect::failuresOfTheConnectionExitOne_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<QString>("cause");
    QTest::newRow("wrong token") << QString() << QByteArray("not-the-admin-token")
                                 << QStringLiteral("refused the admin token from $TR_OTHER");
    QTest::newRow("tenant key as token")
        << QString() << QByteArray("sk-tr-abcdefghijklmnopqrstuvwxyz0123456789")
        << QStringLiteral("refused the admin token");
    QTest::newRow("unreachable port") << QStringLiteral("http://127.0.0.1:1") << kToken
                                      << QStringLiteral("cannot reach the relay at "
                                                        "http://127.0.0.1:1");
    QTest::newRow("relay without admin API")
        << QStringLiteral("local") << kToken << QStringLiteral("has no admin API");
}

void TestConnect::failuresOfTheConnectionExitOne()
{
    QFETCH(QString, url);
    QFETCH(QByteArray, token);
    QFETCH(QString, cause);
    if (url.isEmpty())
        url = m_remoteRelay.url();
    else if (url == QLatin1String("local"))
        url = m_localRelay.url();
    QProcessEnvironment env = environment();
    env.insert(QStringLiteral("TR_OTHER"), QString::fromLatin1(token));
    for (const QStringList &command :
         {QStringList{"tenant", "list"}, QStringList{"tenant", "add", "eve"}}) {
        const Result r =
            run(QStringList{"--connect", url, "--admin-token-env", "TR_OTHER"} + command, {}, env);
        QCOMPARE(r.code, 1);
        QCOMPARE(r.out, QString());
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY2(r.err.startsWith(QLatin1String("tenantrelay: ")), qPrintable(r.err));
        QVERIFY2(r.err.contains(url), qPrintable(r.err));
        QVERIFY2(r.err.contains(cause), qPrintable(r.err));
        QVERIFY2(!r.err.contains(QString::fromLatin1(token)), qPrintable(r.err));
    }
    // Nothing was written on the way.
    QVERIFY(!remote({"tenant", "list"}).out.contains(QLatin1String("eve")));
}

// A read-only admin token lists what the full one lists; a write is refused (403, exit 1).
void TestConnect::readOnlyTokenReadsButDoesNotWrite()
{
    QProcessEnvironment env = environment();
    env.insert(QStringLiteral("TR_READ"), QString::fromLatin1(kReadOnlyToken));
    const QStringList connect{"--connect", m_remoteRelay.url(), "--admin-token-env", "TR_READ"};
    Result r = run(connect + QStringList{"tenant", "list"}, {}, env);
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, remote({"tenant", "list"}).out);
    r = run(connect + QStringList{"tenant", "add", "mallory"}, {}, env);
    QCOMPARE(r.code, 1);
    QCOMPARE(r.out, QString());
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.contains(QLatin1String("HTTP 403")), qPrintable(r.err));
    QVERIFY2(!r.err.contains(QString::fromLatin1(kReadOnlyToken)), qPrintable(r.err));
    QVERIFY(!remote({"tenant", "list"}).out.contains(QLatin1String("mallory")));
}

void TestConnect::badUsageOfConnectExitsTwo_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<bool>("withToken");
    QTest::addColumn<QString>("message");
    const QString url = QStringLiteral("URL");
    QTest::newRow("with --db") << QStringList{"--connect", url, "--db", "x.db", "tenant", "list"}
                               << true << QStringLiteral("cannot be combined with --db");
    // Without a command, the console: a bad URL is refused before any window opens.
    QTest::newRow("console, not a URL")
        << QStringList{"--connect", "relay:8700"} << true
        << QStringLiteral("--connect needs the relay's http:// or https://");
    QTest::newRow("backup") << QStringList{"--connect", url, "backup", "copy.db"} << true
                            << QStringLiteral("backup copies the database file");
    QTest::newRow("serve") << QStringList{"--connect", url, "serve"} << true
                           << QStringLiteral("serve runs a relay here");
    QTest::newRow("no token") << QStringList{"--connect", url, "tenant", "list"} << false
                              << QStringLiteral("$TENANTRELAY_ADMIN_TOKEN");
    QTest::newRow("token variable unset")
        << QStringList{"--connect", url, "--admin-token-env", "TR_UNSET_VAR", "tenant", "list"}
        << true << QStringLiteral("$TR_UNSET_VAR");
    QTest::newRow("not a URL") << QStringList{"--connect", "relay:8700", "tenant", "list"} << true
                               << QStringLiteral("--connect needs the relay's http:// or https://");
    QTest::newRow("token env without connect")
        << QStringList{"--admin-token-env", "X", "tenant", "list"} << true
        << QStringLiteral("--admin-token-env goes with --connect");
    QTest::newRow("ca for http") << QStringList{"--connect", url,      "--connect-ca",
                                                "ca.pem",    "tenant", "list"}
                                 << true << QStringLiteral("--connect-ca is for an https:// URL");
}

void TestConnect::badUsageOfConnectExitsTwo()
{
    QFETCH(QStringList, args);
    QFETCH(bool, withToken);
    QFETCH(QString, message);
    args.replaceInStrings(QStringLiteral("URL"), m_remoteRelay.url());
    QProcessEnvironment env = environment();
    if (withToken)
        env.insert(QStringLiteral("TENANTRELAY_ADMIN_TOKEN"), QString::fromLatin1(kToken));
    const Result r = run(args, {}, env);
    QCOMPARE(r.code, 2);
    QCOMPARE(r.out, QString());
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QVERIFY2(!r.err.contains(QString::fromLatin1(kToken)), qPrintable(r.err));
}

// serve --tls-cert/--tls-key with a self-signed certificate: trusted with --connect-ca, refused
// (exit 1, a certificate error) without.
void TestConnect::httpsTrustsOnlyTheGivenCertificate()
{
    relay::test::TempDb db;
    const relay::test::TestCertificate cert = relay::test::makeTestCertificate(db.dir(), "relay");
    QProcessEnvironment env = environment();
    env.insert(QStringLiteral("TR_CONNECT_ADMIN"), QString::fromLatin1(kToken));
    relay::test::ServeProcess tls;
    QVERIFY(tls.start(
        m_bin, db.path(),
        {"--admin-token-env", "TR_CONNECT_ADMIN", "--tls-cert", cert.cert, "--tls-key", cert.key},
        env));
    QVERIFY2(tls.url().startsWith(QLatin1String("https://")), qPrintable(tls.url()));
    env.insert(QStringLiteral("TENANTRELAY_ADMIN_TOKEN"), QString::fromLatin1(kToken));

    Result r =
        run({"--connect", tls.url(), "--connect-ca", cert.cert, "tenant", "add", "tls"}, {}, env);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.startsWith(QLatin1String("sk-tr-")), qPrintable(r.err));
    r = run({"--connect", tls.url(), "--connect-ca", cert.cert, "tenant", "list", "--json"}, {},
            env);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QCOMPARE(QJsonDocument::fromJson(r.out.toUtf8()).array().first().toObject().value("id"),
             QJsonValue("tls"));

    r = run({"--connect", tls.url(), "tenant", "list"}, {}, env);
    QCOMPARE(r.code, 1);
    QCOMPARE(r.out, QString());
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY2(r.err.contains(tls.url()), qPrintable(r.err));
    QVERIFY2(r.err.contains(QLatin1String("certificate"), Qt::CaseInsensitive), qPrintable(r.err));

    r = run({"--connect", tls.url(), "--connect-ca", db.dir() + "/missing.pem", "tenant", "list"},
            {}, env);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(QLatin1String("missing.pem")), qPrintable(r.err));
}

QTEST_GUILESS_MAIN(TestConnect)
#include "tst_connect.moc"
