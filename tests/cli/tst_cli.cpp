// The admin command line as a user or script meets it: the real binary on a temporary
// database, checked for its stdout, stderr and exit status.

#include "CliProcess.h"
#include "TempDir.h"
#include "TestHttpClient.h"
#include "UsageRows.h"
#include "store/AdminService.h"
#include "store/ConfigLoader.h"
#include "store/Database.h"
#include "tenants/ApiKey.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QTimeZone>

#include <sys/stat.h>

#include <atomic>
#include <thread>

static void initRelaycoreResources()
{
    Q_INIT_RESOURCE(relaycore);
}

namespace {

using Result = relay::test::CliResult;

const QRegularExpression kKeyLine(QStringLiteral("^sk-tr-[A-Za-z0-9]{32,}\\n$"));

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();

    void helpEverywhereWithoutTouchingTheDatabase();
    void usageErrorsExitTwoWithAHint_data();
    void usageErrorsExitTwoWithAHint();
    void tenantLifecycle();
    void modelsNoneMeansAllModels();
    void tenantLimitsSetAndRemoved();
    void tierDefaultsForReservedAndQueueTimeout();
    void tenantOptionsExplainedInHelp();
    void upstreamListShowsScaledReservations();
    void keysAreShownOnceAndNeverListed();
    void keyRotateRevokesTheOtherKeys();
    void keyLabelsAndExpiry();
    void tenantAllowIps();
    void upstreamsAndTheirSecretNeverShown();
    void anthropicUpstreamKind();
    void failoverPinUnpinAndSlowMs();
    void routesAliasesPrices();
    void everyWriteIsAuditedAndBumpsTheVersion();
    void auditTextReadsBeforeAndAfter();
    void failedWritesLeaveNoTrace();
    void usageReport();
    void removedTenantHistoryStaysReadable();
    void budgetAlertsAndWebhookPerTenant();
    void settingsSetAndList();
    void alertsListedAndAcknowledged();
    void reportCostsUnderOtherPrices();
    void humanListsAreAlignedTables();
    void databaseFromEnvironmentWithMode0600();
    void adminChangeIsLiveWithinTwoSecondsWhileTheDatabaseIsBusy();
    void serveDemoAnswersAndStopsCleanly_data();
    void serveDemoAnswersAndStopsCleanly();

private:
    // Runs the binary with --db on this test's database.
    Result cli(const QStringList &args, const QByteArray &input = QByteArray(),
               const QProcessEnvironment &env = QProcessEnvironment());
    Result raw(const QStringList &args, const QByteArray &input = QByteArray(),
               const QProcessEnvironment &env = QProcessEnvironment());
    QJsonArray jsonArray(const QStringList &args);
    QJsonObject jsonObject(const QStringList &args);
    QString addTenant(const QString &id, const QStringList &extra = {});
    qint64 configVersion();
    int auditRows();
    QJsonObject lastAudit();
    // The tenant as the relay loads it into its snapshot.
    relay::TenantConfig loadedTenant(const QString &id);
    bool execSql(const QString &statement);
    // Every output of every read command, to search for things that must never appear.
    QString everyOutput();
    // Starts the binary with `args` (a relay on 127.0.0.1:0, TENANTRELAY_DB unset) and waits
    // for the line that says where it listens: capture 1 is the port, 2 the database. What it
    // wrote on stderr meanwhile goes to *err.
    QRegularExpressionMatch startRelay(QProcess &relay, const QStringList &args, QString *err);

    QString m_bin;
    std::unique_ptr<relay::test::TempDb> m_db;
};

void TestCli::initTestCase()
{
    initRelaycoreResources();
    m_bin = qEnvironmentVariable("TENANTRELAY_BIN");
    QVERIFY2(QFileInfo(m_bin).isExecutable(), "TENANTRELAY_BIN must name the built binary");
}

void TestCli::init()
{
    m_db = std::make_unique<relay::test::TempDb>();
}

Result TestCli::raw(const QStringList &args, const QByteArray &input,
                    const QProcessEnvironment &env)
{
    QProcessEnvironment e = env;
    if (e.isEmpty()) {
        e = QProcessEnvironment::systemEnvironment();
        e.remove(QStringLiteral("TENANTRELAY_DB"));
    }
    return relay::test::runCli(m_bin, args, input, e);
}

Result TestCli::cli(const QStringList &args, const QByteArray &input,
                    const QProcessEnvironment &env)
{
    return raw(QStringList{QStringLiteral("--db"), m_db->path()} + args, input, env);
}

QJsonArray TestCli::jsonArray(const QStringList &args)
{
    const Result r = cli(args + QStringList{QStringLiteral("--json")});
    if (r.code != 0)
        qWarning() << args << r.err;
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isArray())
        qWarning() << "not a JSON array:" << r.out;
    return doc.array();
}

QJsonObject TestCli::jsonObject(const QStringList &args)
{
    const Result r = cli(args + QStringList{QStringLiteral("--json")});
    const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8());
    if (!doc.isObject())
        qWarning() << "not a JSON object:" << r.out << r.err;
    return doc.object();
}

QString TestCli::addTenant(const QString &id, const QStringList &extra)
{
    const Result r = cli(QStringList{QStringLiteral("tenant"), QStringLiteral("add"), id} + extra);
    if (r.code != 0 || !kKeyLine.match(r.out).hasMatch())
        qWarning() << "tenant add failed:" << r.code << r.out << r.err;
    return r.out.trimmed();
}

qint64 TestCli::configVersion()
{
    relay::Database db;
    QString error;
    if (!db.open(m_db->path(), &error))
        return -1;
    return relay::AdminService(db.db()).configVersion();
}

int TestCli::auditRows()
{
    return jsonArray({QStringLiteral("audit")}).size();
}

QJsonObject TestCli::lastAudit()
{
    return jsonArray({QStringLiteral("audit")}).last().toObject();
}

relay::TenantConfig TestCli::loadedTenant(const QString &id)
{
    relay::Database db;
    QString error;
    if (!db.open(m_db->path(), &error))
        return {};
    const relay::DirectorySnapshotPtr snapshot = relay::ConfigLoader::load(db.db(), &error);
    return snapshot ? snapshot->tenants.value(id) : relay::TenantConfig();
}

bool TestCli::execSql(const QString &statement)
{
    relay::Database db;
    QString error;
    if (!db.open(m_db->path(), &error))
        return false;
    QSqlQuery q(db.db());
    if (!q.exec(statement)) {
        qWarning() << q.lastError().text();
        return false;
    }
    return true;
}

QString TestCli::everyOutput()
{
    QString all;
    const QList<QStringList> reads{{"tenant", "list"},
                                   {"key", "list"},
                                   {"upstream", "list"},
                                   {"route", "list"},
                                   {"alias", "list"},
                                   {"price", "list"},
                                   {"usage"},
                                   {"audit"},
                                   {"alerts"},
                                   {"settings", "list"},
                                   {"report", "costs"}};
    for (const QStringList &words : reads) {
        for (const QStringList &args : {words, words + QStringList{QStringLiteral("--json")}}) {
            const Result r = cli(args);
            all += r.out + r.err;
        }
    }
    return all;
}

// ---- help and usage ----

void TestCli::helpEverywhereWithoutTouchingTheDatabase()
{
    Result r = cli({QStringLiteral("--help")});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains(QLatin1String("Usage: tenantrelay")));
    QVERIFY(r.out.contains(QLatin1String("tenant")));
    QCOMPARE(r.err, QString());

    r = raw({QStringLiteral("--version")});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.startsWith(QLatin1String("tenantrelay ")));

    const QList<QStringList> commands{{"tenant"},
                                      {"tenant", "add"},
                                      {"tenant", "set"},
                                      {"tenant", "list"},
                                      {"tenant", "show"},
                                      {"tenant", "remove"},
                                      {"key"},
                                      {"key", "issue"},
                                      {"key", "rotate"},
                                      {"key", "revoke"},
                                      {"key", "list"},
                                      {"upstream"},
                                      {"upstream", "add"},
                                      {"upstream", "set"},
                                      {"upstream", "list"},
                                      {"upstream", "remove"},
                                      {"route"},
                                      {"route", "set"},
                                      {"route", "list"},
                                      {"route", "remove"},
                                      {"alias"},
                                      {"alias", "set"},
                                      {"alias", "list"},
                                      {"alias", "remove"},
                                      {"price"},
                                      {"price", "set"},
                                      {"price", "list"},
                                      {"price", "remove"},
                                      {"usage"},
                                      {"audit"},
                                      {"alerts"},
                                      {"alerts", "ack"},
                                      {"report"},
                                      {"report", "costs"},
                                      {"settings"},
                                      {"settings", "set"},
                                      {"settings", "list"}};
    for (const QStringList &command : commands) {
        for (const QString &flag : {QStringLiteral("--help"), QStringLiteral("-h")}) {
            r = cli(command + QStringList{flag});
            QVERIFY2(r.code == 0, qPrintable(command.join(' ') + ": " + r.err));
            QVERIFY2(r.out.startsWith(QLatin1String("Usage: tenantrelay [--db PATH] ") +
                                      command.join(' ')),
                     qPrintable(r.out));
            QCOMPARE(r.err, QString());
        }
    }
    r = cli({QStringLiteral("upstream"), QStringLiteral("add"), QStringLiteral("--help")});
    QVERIFY(r.out.contains(QLatin1String("--api-key-stdin")));
    QVERIFY(r.out.contains(QLatin1String("--base-url URL")));
    QVERIFY2(!QFileInfo::exists(m_db->path()), "help must not create the database");
}

void TestCli::usageErrorsExitTwoWithAHint_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("unknown command") << QStringList{"frobnicate"};
    QTest::newRow("unknown global option") << QStringList{"--frob", "tenant", "list"};
    QTest::newRow("group without command") << QStringList{"tenant"};
    QTest::newRow("unknown subcommand") << QStringList{"tenant", "frob"};
    QTest::newRow("budget negative") << QStringList{"tenant", "add", "acme", "--budget", "-5"};
    QTest::newRow("budget words") << QStringList{"tenant", "add", "acme", "--budget", "lots"};
    QTest::newRow("budget infinite") << QStringList{"tenant", "add", "acme", "--budget", "inf"};
    QTest::newRow("budget too big") << QStringList{"tenant", "set", "acme", "--budget", "1e10"};
    QTest::newRow("soft and hard budget")
        << QStringList{"tenant", "set", "acme", "--soft-budget", "--hard-budget"};
    QTest::newRow("soft budget with value")
        << QStringList{"tenant", "set", "acme", "--soft-budget=yes"};
    QTest::newRow("alerts zero") << QStringList{"tenant", "add", "acme", "--alerts", "0,50"};
    QTest::newRow("alerts over 1000") << QStringList{"tenant", "add", "acme", "--alerts", "1001"};
    QTest::newRow("alerts fraction") << QStringList{"tenant", "add", "acme", "--alerts", "50.5"};
    QTest::newRow("alerts words") << QStringList{"tenant", "set", "acme", "--alerts", "half"};
    QTest::newRow("alerts empty part") << QStringList{"tenant", "set", "acme", "--alerts", "50,"};
    QTest::newRow("webhook ftp") << QStringList{"tenant", "add", "acme", "--webhook",
                                                "ftp://x.example/hook"};
    QTest::newRow("webhook no host")
        << QStringList{"tenant", "add", "acme", "--webhook", "https://"};
    QTest::newRow("webhook not a url") << QStringList{"tenant", "set", "acme", "--webhook", "hook"};
    QTest::newRow("webhook credentials")
        << QStringList{"tenant", "set", "acme", "--webhook", "https://me:pw@x.example/h"};
    QTest::newRow("webhook blank")
        << QStringList{"tenant", "set", "acme", "--webhook", "https://x.example/a b"};
    QTest::newRow("unknown tier") << QStringList{"tenant", "add", "acme", "--tier", "gold"};
    QTest::newRow("tier none") << QStringList{"tenant", "add", "acme", "--tier", "none"};
    QTest::newRow("rpm zero") << QStringList{"tenant", "add", "acme", "--rpm", "0"};
    QTest::newRow("rpm negative") << QStringList{"tenant", "add", "acme", "--rpm", "-5"};
    QTest::newRow("rpm words") << QStringList{"tenant", "add", "acme", "--rpm", "many"};
    QTest::newRow("rpm fraction") << QStringList{"tenant", "add", "acme", "--rpm", "1.5"};
    QTest::newRow("rpm empty") << QStringList{"tenant", "add", "acme", "--rpm="};
    QTest::newRow("rpm too big") << QStringList{"tenant", "add", "acme", "--rpm", "1000000000001"};
    QTest::newRow("tpm zero") << QStringList{"tenant", "add", "acme", "--tpm", "0"};
    QTest::newRow("tpm words") << QStringList{"tenant", "set", "acme", "--tpm", "lots"};
    QTest::newRow("concurrency zero") << QStringList{"tenant", "add", "acme", "--concurrency", "0"};
    QTest::newRow("reserved negative")
        << QStringList{"tenant", "add", "acme", "--tier", "dedicated", "--reserved", "-1"};
    QTest::newRow("reserved too many")
        << QStringList{"tenant", "add", "acme", "--tier", "dedicated", "--reserved", "10001"};
    QTest::newRow("reserved for best-effort")
        << QStringList{"tenant", "add", "acme", "--reserved", "2"};
    QTest::newRow("weight zero") << QStringList{"tenant", "add", "acme", "--weight", "0"};
    QTest::newRow("weight over 1000") << QStringList{"tenant", "add", "acme", "--weight", "1001"};
    QTest::newRow("weight none") << QStringList{"tenant", "set", "acme", "--weight", "none"};
    QTest::newRow("queue timeout zero")
        << QStringList{"tenant", "add", "acme", "--queue-timeout-ms", "0"};
    QTest::newRow("queue timeout over an hour")
        << QStringList{"tenant", "add", "acme", "--queue-timeout-ms", "3600001"};
    QTest::newRow("settings unknown key") << QStringList{"settings", "set", "colour", "blue"};
    QTest::newRow("settings missing value") << QStringList{"settings", "set", "webhook_url"};
    QTest::newRow("settings bad webhook")
        << QStringList{"settings", "set", "webhook_url", "mailto:a@b.example"};
    QTest::newRow("settings retention zero")
        << QStringList{"settings", "set", "usage_retention_days", "0"};
    QTest::newRow("settings retention words")
        << QStringList{"settings", "set", "usage_retention_days", "forever"};
    QTest::newRow("settings retention none")
        << QStringList{"settings", "set", "usage_retention_days", "none"};
    QTest::newRow("settings list extra") << QStringList{"settings", "list", "x"};
    QTest::newRow("alerts ack without id") << QStringList{"alerts", "ack"};
    QTest::newRow("alerts ack words") << QStringList{"alerts", "ack", "first"};
    QTest::newRow("alerts ack zero") << QStringList{"alerts", "ack", "0"};
    QTest::newRow("alerts extra argument") << QStringList{"alerts", "first"};
    QTest::newRow("report without command") << QStringList{"report"};
    QTest::newRow("report unknown") << QStringList{"report", "profits"};
    QTest::newRow("report costs bad since")
        << QStringList{"report", "costs", "--since", "yesterday"};
    QTest::newRow("report costs csv") << QStringList{"report", "costs", "--csv"};
    QTest::newRow("missing id") << QStringList{"tenant", "add"};
    QTest::newRow("extra argument") << QStringList{"tenant", "list", "extra"};
    QTest::newRow("bad tenant id") << QStringList{"tenant", "add", "no spaces"};
    QTest::newRow("too long id") << QStringList{"tenant", "add", QString(65, 'a')};
    QTest::newRow("missing value") << QStringList{"tenant", "add", "acme", "--name"};
    QTest::newRow("flag with value") << QStringList{"tenant", "list", "--json=yes"};
    QTest::newRow("repeated option")
        << QStringList{"tenant", "add", "acme", "--name", "a", "--name", "b"};
    QTest::newRow("enable and disable")
        << QStringList{"tenant", "set", "acme", "--enable", "--disable"};
    QTest::newRow("nothing to set") << QStringList{"tenant", "set", "acme"};
    QTest::newRow("empty models") << QStringList{"tenant", "add", "acme", "--models", ","};
    QTest::newRow("db after command") << QStringList{"tenant", "list", "--db", "x.db"};
    QTest::newRow("demo with admin") << QStringList{"--demo", "tenant", "list"};
    QTest::newRow("demo with db") << QStringList{"--demo"};
    QTest::newRow("demo with db, serve") << QStringList{"--demo", "serve"};
    QTest::newRow("db with serve --demo") << QStringList{"serve", "--demo"};
    QTest::newRow("serve unknown option") << QStringList{"serve", "--bogus"};
    QTest::newRow("serve bad listen") << QStringList{"serve", "--listen", "nope"};
    QTest::newRow("serve listen twice")
        << QStringList{"serve", "--listen", "127.0.0.1:1", "--listen", "127.0.0.1:2"};
    QTest::newRow("serve zero workers") << QStringList{"serve", "--workers", "0"};
    QTest::newRow("serve huge body") << QStringList{"serve", "--max-body-mb", "4096"};
    QTest::newRow("serve unset token variable")
        << QStringList{"serve", "--admin-token-env", "TENANTRELAY_TEST_UNSET_VARIABLE"};
    // PATH: a variable that is always set, standing in for a token.
    QTest::newRow("serve admin API beyond loopback without TLS")
        << QStringList{"serve", "--admin-token-env", "PATH", "--listen", "0.0.0.0:1"};
    QTest::newRow("serve read-only token without admin token")
        << QStringList{"serve", "--admin-readonly-token-env", "PATH"};
    QTest::newRow("serve read-only token same as admin token")
        << QStringList{"serve", "--admin-token-env", "PATH", "--admin-readonly-token-env", "PATH"};
    QTest::newRow("json and csv") << QStringList{"usage", "--json", "--csv"};
    QTest::newRow("bad since") << QStringList{"usage", "--since", "2024-13-01"};
    QTest::newRow("bad prefix") << QStringList{"key", "revoke", "sk-tr-abc"};
    QTest::newRow("no base url") << QStringList{"upstream", "add", "u"};
    QTest::newRow("ftp base url") << QStringList{"upstream", "add", "u", "--base-url", "ftp://x"};
    QTest::newRow("credentials in url")
        << QStringList{"upstream", "add", "u", "--base-url", "https://me:pw@x.example"};
    QTest::newRow("unknown kind") << QStringList{
        "upstream", "add", "u", "--base-url", "https://x.example", "--kind", "gemini"};
    QTest::newRow("two key sources")
        << QStringList{"upstream",          "add",           "u", "--base-url",
                       "https://x.example", "--api-key-env", "K", "--api-key-stdin"};
    QTest::newRow("bad env name") << QStringList{
        "upstream", "add", "u", "--base-url", "https://x.example", "--api-key-env", "NOT-A-NAME"};
    QTest::newRow("bad number") << QStringList{
        "upstream", "add", "u", "--base-url", "https://x.example", "--max-connections", "many"};
    QTest::newRow("zero connections") << QStringList{
        "upstream", "add", "u", "--base-url", "https://x.example", "--max-connections", "0"};
    QTest::newRow("slow-ms zero") << QStringList{
        "upstream", "add", "u", "--base-url", "https://x.example", "--slow-ms", "0"};
    QTest::newRow("pin without upstream") << QStringList{"failover", "pin"};
    QTest::newRow("unpin with an argument") << QStringList{"failover", "unpin", "u"};
    QTest::newRow("route without targets") << QStringList{"route", "set", "gpt-4o"};
    QTest::newRow("alias to itself") << QStringList{"alias", "set", "a", "a"};
    QTest::newRow("price without output") << QStringList{"price", "set", "m", "--input", "1"};
    QTest::newRow("negative price")
        << QStringList{"price", "set", "m", "--input", "-1", "--output", "1"};
    QTest::newRow("allow-ips octet over 255")
        << QStringList{"tenant", "add", "acme", "--allow-ips", "10.0.0.300/8"};
    QTest::newRow("allow-ips host name")
        << QStringList{"tenant", "set", "acme", "--allow-ips", "localhost"};
    QTest::newRow("allow-ips prefix too long")
        << QStringList{"tenant", "add", "acme", "--allow-ips", "10.0.0.0/8,::1/129"};
    QTest::newRow("allow-ips no block") << QStringList{"tenant", "add", "acme", "--allow-ips", ","};
    QTest::newRow("allow-ips empty") << QStringList{"tenant", "add", "acme", "--allow-ips="};
    QTest::newRow("key expires in the past")
        << QStringList{"key", "issue", "acme", "--expires", "2020-01-01"};
    QTest::newRow("key expires garbage")
        << QStringList{"key", "issue", "acme", "--expires", "soon"};
    QTest::newRow("key expires no such day")
        << QStringList{"key", "issue", "acme", "--expires", "2031-02-30"};
    QTest::newRow("key expires zero days")
        << QStringList{"key", "rotate", "acme", "--expires", "0d"};
    QTest::newRow("key expires in hours")
        << QStringList{"key", "rotate", "acme", "--expires", "12h"};
    QTest::newRow("key expires without value") << QStringList{"key", "issue", "acme", "--expires"};
    QTest::newRow("key label on two lines")
        << QStringList{"key", "issue", "acme", "--label", "a\nb"};
    QTest::newRow("key revoke with label")
        << QStringList{"key", "revoke", "sk-tr-abcdef", "--label", "x"};
    QTest::newRow("price not a number")
        << QStringList{"price", "set", "m", "--input", "cheap", "--output", "1"};
}

void TestCli::usageErrorsExitTwoWithAHint()
{
    QFETCH(QStringList, args);
    const Result r = cli(args);
    QCOMPARE(r.code, 2);
    QCOMPARE(r.out, QString());
    const QStringList lines = r.err.split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 2);
    QVERIFY2(lines.at(1).contains(QLatin1String("--help")), qPrintable(r.err));
}

// ---- tenants and keys ----

void TestCli::tenantLifecycle()
{
    const QString key = addTenant(QStringLiteral("acme"), {"--name", "Acme Corp"});
    QVERIFY(relay::ApiKey::looksValid(key.toUtf8()));

    QJsonArray tenants = jsonArray({"tenant", "list"});
    QCOMPARE(tenants.size(), 1);
    QJsonObject t = tenants.at(0).toObject();
    const QStringList fields{"id",          "name",       "tier",      "rpm",     "tpm",
                             "concurrency", "budget_usd", "spent_usd", "enabled", "models"};
    for (const QString &field : fields)
        QVERIFY2(t.contains(field), qPrintable(field));
    QCOMPARE(t.value("id").toString(), QStringLiteral("acme"));
    QCOMPARE(t.value("name").toString(), QStringLiteral("Acme Corp"));
    QCOMPARE(t.value("tier").toString(), QStringLiteral("best-effort"));
    QVERIFY(t.value("rpm").isNull());
    QVERIFY(t.value("tpm").isNull());
    QVERIFY(t.value("concurrency").isNull());
    QVERIFY(t.value("budget_usd").isNull());
    QVERIFY(t.value("spent_usd").isDouble());
    QCOMPARE(t.value("spent_usd").toDouble(), 0.0);
    QVERIFY(t.value("enabled").isBool());
    QCOMPARE(t.value("enabled").toBool(), true);
    QVERIFY(t.value("models").isNull());

    Result r = cli({"tenant", "set", "acme", "--name", "Acme", "--models", "gpt-4o, gpt-4o-mini",
                    "--disable"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QString());
    QCOMPARE(r.err, QString());
    QJsonObject shown = jsonObject({"tenant", "show", "acme"});
    QCOMPARE(shown.value("name").toString(), QStringLiteral("Acme"));
    QCOMPARE(shown.value("enabled").toBool(), false);
    QCOMPARE(shown.value("models").toArray(), (QJsonArray{"gpt-4o", "gpt-4o-mini"}));
    QVERIFY(shown.value("created").toString().endsWith('Z'));
    const QJsonArray keys = shown.value("keys").toArray();
    QCOMPARE(keys.size(), 1);
    const QJsonObject k = keys.at(0).toObject();
    QCOMPARE(k.value("prefix").toString(), relay::ApiKey::prefix(key));
    QVERIFY(k.value("last_used").isNull());
    QCOMPARE(k.value("revoked").toBool(), false);
    QVERIFY(QDateTime::fromString(k.value("created").toString(), Qt::ISODateWithMs).isValid());

    QCOMPARE(cli({"tenant", "set", "acme", "--enable"}).code, 0);
    QCOMPARE(jsonObject({"tenant", "show", "acme"}).value("enabled").toBool(), true);

    // Failures: one line on stderr, status 1, nothing on stdout.
    for (const QStringList &args : QList<QStringList>{{"tenant", "add", "acme"},
                                                      {"tenant", "show", "nobody"},
                                                      {"tenant", "set", "nobody", "--enable"},
                                                      {"tenant", "remove", "nobody"},
                                                      {"key", "issue", "nobody"},
                                                      {"key", "list", "nobody"}}) {
        r = cli(args);
        QVERIFY2(r.code == 1, qPrintable(args.join(' ')));
        QCOMPARE(r.out, QString());
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY(r.err.startsWith(QLatin1String("tenantrelay: ")));
    }

    r = cli({"tenant", "remove", "acme"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QString());
    QCOMPARE(jsonArray({"tenant", "list"}).size(), 0);
    QCOMPARE(jsonArray({"key", "list"}).size(), 0);
    QCOMPARE(cli({"tenant", "remove", "acme"}).code, 1);
}

void TestCli::modelsNoneMeansAllModels()
{
    addTenant(QStringLiteral("beta"), {"--models", "gpt-4o"});
    QCOMPARE(jsonObject({"tenant", "show", "beta"}).value("models").toArray(),
             QJsonArray{"gpt-4o"});
    QCOMPARE(cli({"tenant", "set", "beta", "--models", "none"}).code, 0);
    const QJsonValue models = jsonObject({"tenant", "show", "beta"}).value("models");
    QVERIFY(models.isNull());

    addTenant(QStringLiteral("gamma"), {"--models", "none"});
    QVERIFY(jsonObject({"tenant", "show", "gamma"}).value("models").isNull());
}

void TestCli::tenantLimitsSetAndRemoved()
{
    addTenant(QStringLiteral("prod"),
              {"--tier", "dedicated", "--rpm", "600", "--tpm", "90000", "--concurrency", "8",
               "--reserved", "2", "--weight", "5", "--queue-timeout-ms", "2500"});
    addTenant(QStringLiteral("batch"));

    const QJsonArray tenants = jsonArray({"tenant", "list"});
    QCOMPARE(tenants.size(), 2);
    const QJsonObject batch = tenants.at(0).toObject();
    QCOMPARE(batch.value("tier").toString(), QStringLiteral("best-effort"));
    for (const char *field : {"rpm", "tpm", "concurrency"})
        QVERIFY2(batch.value(field).isNull(), field);
    QJsonObject prod = tenants.at(1).toObject();
    QCOMPARE(QStringList(prod.keys()),
             (QStringList{"budget_usd", "concurrency", "enabled", "id", "models", "name", "rpm",
                          "spent_usd", "tier", "tpm"}));
    QCOMPARE(prod.value("tier").toString(), QStringLiteral("dedicated"));
    QVERIFY(prod.value("rpm").isDouble());
    QCOMPARE(prod.value("rpm").toInteger(), 600);
    QCOMPARE(prod.value("tpm").toInteger(), 90000);
    QCOMPARE(prod.value("concurrency").toInteger(), 8);

    QJsonObject shown = jsonObject({"tenant", "show", "prod"});
    QCOMPARE(shown.value("rpm").toInteger(), 600);
    QVERIFY(shown.value("reserved").isDouble());
    QCOMPARE(shown.value("reserved").toInteger(), 2);
    QCOMPARE(shown.value("weight").toInteger(), 5);
    QCOMPARE(shown.value("queue_timeout_ms").toInteger(), 2500);

    // Changing one option leaves the others; "none" removes a limit; "=" works too.
    Result r = cli({"tenant", "set", "prod", "--rpm", "none", "--tpm=120000"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QString());
    QCOMPARE(r.err, QString());
    shown = jsonObject({"tenant", "show", "prod"});
    QVERIFY(shown.value("rpm").isNull());
    QCOMPARE(shown.value("tpm").toInteger(), 120000);
    QCOMPARE(shown.value("concurrency").toInteger(), 8);
    QCOMPARE(shown.value("tier").toString(), QStringLiteral("dedicated"));
    QCOMPARE(shown.value("weight").toInteger(), 5);

    // The audit row has the settings before and after, null for no limit.
    const QJsonObject last = jsonArray({"audit"}).last().toObject();
    QCOMPARE(last.value("action").toString(), QStringLiteral("tenant.set"));
    const QJsonObject before = last.value("details").toObject().value("before").toObject();
    const QJsonObject after = last.value("details").toObject().value("after").toObject();
    QCOMPARE(before.value("rpm").toInteger(), 600);
    QVERIFY(after.contains("rpm"));
    QVERIFY(after.value("rpm").isNull());
    QCOMPARE(before.value("tpm").toInteger(), 90000);
    QCOMPARE(after.value("tpm").toInteger(), 120000);
    QCOMPARE(after.value("tier").toString(), QStringLiteral("dedicated"));
    QCOMPARE(after.value("reserved").toInteger(), 2);
    QCOMPARE(after.value("weight").toInteger(), 5);
    QCOMPARE(after.value("queue_timeout_ms").toInteger(), 2500);

    QCOMPARE(cli({"tenant", "set", "prod", "--tpm", "none", "--concurrency", "none", "--tier",
                  "guaranteed", "--weight", "1000"})
                 .code,
             0);
    prod = jsonArray({"tenant", "list"}).at(1).toObject();
    for (const char *field : {"rpm", "tpm", "concurrency"})
        QVERIFY2(prod.value(field).isNull(), field);
    QCOMPARE(prod.value("tier").toString(), QStringLiteral("guaranteed"));
    QCOMPARE(jsonObject({"tenant", "show", "prod"}).value("weight").toInteger(), 1000);

    // Setting a limit on a tenant that has none; and the human table shows it.
    QCOMPARE(cli({"tenant", "set", "batch", "--rpm", "30", "--concurrency", "64"}).code, 0);
    r = cli({"tenant", "list"});
    QCOMPARE(r.code, 0);
    const QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3);
    QVERIFY(lines.at(0).contains(QLatin1String("RPM")));
    const QStringList batchCells = lines.at(1).split(' ', Qt::SkipEmptyParts);
    QCOMPARE(batchCells.mid(0, 6), (QStringList{"batch", "-", "best-effort", "30", "-", "64"}));

    // A refused change changes nothing.
    const qint64 version = configVersion();
    QCOMPARE(cli({"tenant", "set", "prod", "--rpm", "0"}).code, 2);
    QCOMPARE(cli({"tenant", "set", "batch", "--reserved", "1"}).code, 2);
    QCOMPARE(configVersion(), version);
    QVERIFY(jsonObject({"tenant", "show", "prod"}).value("rpm").isNull());
}

void TestCli::tierDefaultsForReservedAndQueueTimeout()
{
    addTenant(QStringLiteral("t"));
    auto show = [&] { return jsonObject({"tenant", "show", "t"}); };
    QJsonObject o = show();
    QCOMPARE(o.value("reserved").toInteger(), 0);
    QCOMPARE(o.value("weight").toInteger(), 1);
    QCOMPARE(o.value("queue_timeout_ms").toInteger(), 30000);

    QCOMPARE(cli({"tenant", "set", "t", "--tier", "guaranteed"}).code, 0);
    o = show();
    QCOMPARE(o.value("reserved").toInteger(), 1);
    QCOMPARE(o.value("queue_timeout_ms").toInteger(), 15000);

    QCOMPARE(cli({"tenant", "set", "t", "--tier", "dedicated"}).code, 0);
    o = show();
    QCOMPARE(o.value("reserved").toInteger(), 1);
    QCOMPARE(o.value("queue_timeout_ms").toInteger(), 5000);
    Result r = cli({"tenant", "show", "t"});
    QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral("reserved +1 \\(tier default\\)"))),
             qPrintable(r.out));
    QVERIFY(r.out.contains(QRegularExpression(QStringLiteral("queue_timeout_ms +5000 \\(tier"))));

    QCOMPARE(cli({"tenant", "set", "t", "--reserved", "3", "--queue-timeout-ms", "750"}).code, 0);
    o = show();
    QCOMPARE(o.value("reserved").toInteger(), 3);
    QCOMPARE(o.value("queue_timeout_ms").toInteger(), 750);
    r = cli({"tenant", "show", "t"});
    QVERIFY(r.out.contains(QRegularExpression(QStringLiteral("reserved +3\n"))));
    QVERIFY(r.out.contains(QRegularExpression(QStringLiteral("queue_timeout_ms +750\n"))));
    QVERIFY(r.out.contains(QRegularExpression(QStringLiteral("weight +1\n"))));

    // Zero reserved slots is a setting of its own, not the default.
    QCOMPARE(cli({"tenant", "set", "t", "--reserved", "0"}).code, 0);
    QCOMPARE(show().value("reserved").toInteger(), 0);

    // none: back to the tier's defaults.
    QCOMPARE(cli({"tenant", "set", "t", "--reserved", "none", "--queue-timeout-ms", "none"}).code,
             0);
    o = show();
    QCOMPARE(o.value("reserved").toInteger(), 1);
    QCOMPARE(o.value("queue_timeout_ms").toInteger(), 5000);
    const QJsonObject after = jsonArray({"audit"})
                                  .last()
                                  .toObject()
                                  .value("details")
                                  .toObject()
                                  .value("after")
                                  .toObject();
    QVERIFY(after.value("reserved").isNull());
    QVERIFY(after.value("queue_timeout_ms").isNull());

    // Best-effort again: its reservation is kept for later, but it reserves nothing meanwhile.
    QCOMPARE(cli({"tenant", "set", "t", "--reserved", "2"}).code, 0);
    QCOMPARE(cli({"tenant", "set", "t", "--tier", "best-effort"}).code, 0);
    o = show();
    QCOMPARE(o.value("reserved").toInteger(), 0);
    QCOMPARE(o.value("queue_timeout_ms").toInteger(), 30000);
    QCOMPARE(cli({"tenant", "set", "t", "--tier", "dedicated"}).code, 0);
    QCOMPARE(show().value("reserved").toInteger(), 2);
}

void TestCli::tenantOptionsExplainedInHelp()
{
    for (const char *command : {"add", "set"}) {
        const Result r = cli({"tenant", command, "--help"});
        QCOMPARE(r.code, 0);
        for (const char *text :
             {"--tier TIER", "--rpm N|none", "--tpm N|none", "--concurrency N|none",
              "--reserved N|none", "--weight N", "--queue-timeout-ms N|none", "dedicated",
              "guaranteed", "best-effort", "N/60 per second", "1-1000", "5000", "15000", "30000",
              "last slot"}) {
            QVERIFY2(r.out.simplified().contains(QLatin1String(text)),
                     qPrintable(QStringLiteral("tenant %1 --help: %2").arg(command, text)));
        }
    }
    QVERIFY(cli({"tenant", "set", "--help"})
                .out.simplified()
                .contains(QLatin1String("keeps the bucket's current level")));
    QVERIFY(cli({"upstream", "list", "--help"})
                .out.simplified()
                .contains(QLatin1String("never take an upstream's last slot")));
}

void TestCli::upstreamListShowsScaledReservations()
{
    QCOMPARE(cli({"upstream", "add", "pool3", "--base-url", "http://127.0.0.1:9001/v1",
                  "--max-connections", "3"})
                 .code,
             0);
    QCOMPARE(cli({"upstream", "add", "big", "--base-url", "http://127.0.0.1:9002/v1",
                  "--max-connections", "8"})
                 .code,
             0);
    QCOMPARE(cli({"upstream", "add", "single", "--base-url", "http://127.0.0.1:9003/v1",
                  "--max-connections", "1"})
                 .code,
             0);
    auto reserved = [&] {
        QHash<QString, qint64> out;
        for (const QJsonValue &v : jsonArray({"upstream", "list"})) {
            const QJsonObject u = v.toObject();
            if (!u.value("reserved").isDouble())
                qWarning() << "reserved is not a number:" << u;
            out.insert(u.value("name").toString(), u.value("reserved").toInteger());
        }
        return out;
    };
    using Reserved = QHash<QString, qint64>;
    QCOMPARE(reserved(), (Reserved{{"pool3", 0}, {"big", 0}, {"single", 0}}));

    // Two dedicated tenants reserving 2 each (unrestricted: every upstream serves them). On the
    // pool of 3 they would take 4 ≥ 3: each is scaled to 2 × 2 / 4 = 1, 2 in all, never the
    // last slot; on the pool of 8 they fit; the pool of 1 has no slot to spare.
    addTenant(QStringLiteral("prod"), {"--tier", "dedicated", "--reserved", "2"});
    addTenant(QStringLiteral("chat"), {"--tier", "dedicated", "--reserved", "2"});
    QCOMPARE(reserved(), (Reserved{{"pool3", 2}, {"big", 4}, {"single", 0}}));

    // Best-effort and disabled tenants reserve nothing; a guaranteed one its default 1.
    addTenant(QStringLiteral("batch"), {"--concurrency", "64"});
    addTenant(QStringLiteral("off"), {"--tier", "dedicated", "--reserved", "3"});
    QCOMPARE(cli({"tenant", "set", "off", "--disable"}).code, 0);
    QCOMPARE(reserved(), (Reserved{{"pool3", 2}, {"big", 4}, {"single", 0}}));
    addTenant(QStringLiteral("reports"), {"--tier", "guaranteed"});
    // pool3: 2 + 2 + 1 = 5 → 2×2/5 = 0, 0, 1×2/5 = 0; big: 5 < 8.
    QCOMPARE(reserved(), (Reserved{{"pool3", 0}, {"big", 5}, {"single", 0}}));

    QCOMPARE(cli({"tenant", "remove", "reports"}).code, 0);
    QCOMPARE(reserved(), (Reserved{{"pool3", 2}, {"big", 4}, {"single", 0}}));

    // Changing the pool size rescales at once.
    QCOMPARE(cli({"upstream", "set", "pool3", "--max-connections", "10"}).code, 0);
    QCOMPARE(reserved(), (Reserved{{"pool3", 4}, {"big", 4}, {"single", 0}}));
    QCOMPARE(cli({"upstream", "set", "pool3", "--max-connections", "3"}).code, 0);

    // A tenant restricted to one model reserves only on the upstreams of that model's chain:
    // chat leaves pool3, where prod's 2 now fit without scaling.
    QCOMPARE(cli({"route", "set", "m", "big"}).code, 0);
    QCOMPARE(cli({"tenant", "set", "chat", "--models", "m"}).code, 0);
    QCOMPARE(reserved(), (Reserved{{"pool3", 2}, {"big", 4}, {"single", 0}}));

    // The human table has the column too.
    const Result r = cli({"upstream", "list"});
    QCOMPARE(r.code, 0);
    const QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
    const qsizetype column = lines.at(0).indexOf(QLatin1String("RESERVED"));
    QVERIFY(column > 0);
    QCOMPARE(lines.at(1).mid(column).section(' ', 0, 0), QStringLiteral("2"));
}

void TestCli::keysAreShownOnceAndNeverListed()
{
    const QString first = addTenant(QStringLiteral("acme"));
    Result r = cli({"key", "issue", "acme"});
    QCOMPARE(r.code, 0);
    QVERIFY2(kKeyLine.match(r.out).hasMatch(), qPrintable(r.out));
    QCOMPARE(r.err, QString());
    const QString second = r.out.trimmed();
    QVERIFY(first != second);

    // Only the hash is stored.
    {
        relay::Database db;
        QString error;
        QVERIFY2(db.open(m_db->path(), &error), qPrintable(error));
        QSqlQuery q(db.db());
        QVERIFY(q.exec(QStringLiteral("SELECT hash, prefix FROM api_keys ORDER BY created_at")));
        QStringList hashes;
        while (q.next())
            hashes << q.value(0).toString();
        QCOMPARE(hashes.size(), 2);
        QVERIFY(hashes.contains(QString::fromLatin1(relay::ApiKey::hash(first.toUtf8()))));
        QVERIFY(hashes.contains(QString::fromLatin1(relay::ApiKey::hash(second.toUtf8()))));
    }

    const QJsonArray keys = jsonArray({"key", "list", "acme"});
    QCOMPARE(keys.size(), 2);
    for (const QJsonValue &v : keys) {
        const QJsonObject k = v.toObject();
        QCOMPARE(QStringList(k.keys()), (QStringList{"created", "expires", "label", "last_used",
                                                     "prefix", "revoked", "tenant"}));
        QVERIFY(k.value("expires").isNull());
        QVERIFY(k.value("label").isNull());
        QCOMPARE(k.value("tenant").toString(), QStringLiteral("acme"));
        QCOMPARE(k.value("prefix").toString().size(), 12);
    }
    const QString all = everyOutput();
    QVERIFY(!all.contains(first));
    QVERIFY(!all.contains(second));
    QVERIFY(all.contains(relay::ApiKey::prefix(second)));

    // Revoke by prefix.
    r = cli({"key", "revoke", relay::ApiKey::prefix(first)});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QString());
    for (const QJsonValue &v : jsonArray({"key", "list"})) {
        const QJsonObject k = v.toObject();
        QCOMPARE(k.value("revoked").toBool(),
                 k.value("prefix").toString() == relay::ApiKey::prefix(first));
    }
    QCOMPARE(cli({"key", "revoke", relay::ApiKey::prefix(first)}).code, 1);
    QCOMPARE(cli({"key", "revoke", "sk-tr-000000"}).code, 1);
}

void TestCli::keyRotateRevokesTheOtherKeys()
{
    addTenant(QStringLiteral("acme"));
    QCOMPARE(cli({"key", "issue", "acme"}).code, 0);
    addTenant(QStringLiteral("other"));
    const Result r = cli({"key", "rotate", "acme"});
    QCOMPARE(r.code, 0);
    QVERIFY(kKeyLine.match(r.out).hasMatch());
    const QString fresh = relay::ApiKey::prefix(r.out.trimmed());

    int active = 0;
    for (const QJsonValue &v : jsonArray({"key", "list"})) {
        const QJsonObject k = v.toObject();
        const bool revoked = k.value("revoked").toBool();
        if (k.value("tenant").toString() == QLatin1String("other"))
            QVERIFY2(!revoked, "another tenant's keys stay");
        else if (k.value("prefix").toString() == fresh)
            QVERIFY(!revoked);
        else
            QVERIFY(revoked);
        active += revoked ? 0 : 1;
    }
    QCOMPARE(active, 2);
    QCOMPARE(jsonArray({"key", "list", "acme"}).size(), 3);
}

// `key issue/rotate --label --expires`: the key list shows both (expires as ISO 8601 UTC), the
// relay loads the end, and a past or malformed expiry is bad usage.
void TestCli::keyLabelsAndExpiry()
{
    addTenant(QStringLiteral("acme"));
    const qint64 before = QDateTime::currentMSecsSinceEpoch();
    Result r = cli({"key", "issue", "acme", "--label", "ci runner", "--expires", "30d"});
    QCOMPARE(r.code, 0);
    QVERIFY2(kKeyLine.match(r.out).hasMatch(), qPrintable(r.out));
    const QString monthly = relay::ApiKey::prefix(r.out.trimmed());
    const qint64 after = QDateTime::currentMSecsSinceEpoch();
    const QDate day = QDateTime::currentDateTimeUtc().date().addDays(3);
    r = cli({"key", "issue", "acme", "--expires=" + day.toString(Qt::ISODate)});
    QCOMPARE(r.code, 0);
    const QString dated = relay::ApiKey::prefix(r.out.trimmed());

    QHash<QString, QJsonObject> byPrefix;
    for (const QJsonValue &v : jsonArray({"key", "list", "acme"}))
        byPrefix.insert(v.toObject().value("prefix").toString(), v.toObject());
    QCOMPARE(byPrefix.size(), 3);
    QCOMPARE(byPrefix[monthly].value("label").toString(), QStringLiteral("ci runner"));
    const qint64 monthlyEnd =
        QDateTime::fromString(byPrefix[monthly].value("expires").toString(), Qt::ISODateWithMs)
            .toMSecsSinceEpoch();
    QVERIFY2(monthlyEnd >= before + 30 * 86'400'000LL && monthlyEnd <= after + 30 * 86'400'000LL,
             qPrintable(byPrefix[monthly].value("expires").toString()));
    QVERIFY(byPrefix[monthly].value("expires").toString().endsWith(QLatin1Char('Z')));
    QCOMPARE(byPrefix[dated].value("expires").toString(),
             day.toString(Qt::ISODate) + QStringLiteral("T00:00:00.000Z"));
    QVERIFY(byPrefix[dated].value("label").isNull());
    // The relay loads the end with the key.
    {
        relay::Database db;
        QString error;
        QVERIFY2(db.open(m_db->path(), &error), qPrintable(error));
        const relay::DirectorySnapshotPtr snapshot = relay::ConfigLoader::load(db.db(), &error);
        QVERIFY2(snapshot, qPrintable(error));
        int ends = 0;
        for (const relay::KeyConfig &k : std::as_const(snapshot->keysByHash))
            if (k.prefix == dated)
                ends += k.expiresMs ==
                        QDateTime(day, QTime(0, 0), QTimeZone::utc()).toMSecsSinceEpoch();
        QCOMPARE(ends, 1);
    }
    // The text list and tenant show name both columns.
    r = cli({"key", "list"});
    QCOMPARE(r.code, 0);
    const QString header = r.out.section(QLatin1Char('\n'), 0, 0);
    QVERIFY2(
        QRegularExpression(QStringLiteral("^PREFIX +TENANT +LABEL +CREATED +EXPIRES +LAST_USED "
                                          "+REVOKED$"))
            .match(header)
            .hasMatch(),
        qPrintable(header));
    QVERIFY(r.out.contains(QStringLiteral("ci runner")));
    QVERIFY(cli({"tenant", "show", "acme"}).out.contains(QStringLiteral("ci runner")));
    const QJsonArray shownKeys = jsonObject({"tenant", "show", "acme"}).value("keys").toArray();
    QCOMPARE(shownKeys.size(), 3);
    QVERIFY(shownKeys.at(0).toObject().contains("expires"));

    // A rotation takes them too; the audit says how the new key is named, never the key.
    r = cli({"key", "rotate", "acme", "--label", "after the leak", "--expires", "7d"});
    QCOMPARE(r.code, 0);
    const QString rotated = r.out.trimmed();
    for (const QJsonValue &v : jsonArray({"key", "list", "acme"})) {
        const QJsonObject k = v.toObject();
        const bool fresh = k.value("prefix").toString() == relay::ApiKey::prefix(rotated);
        QCOMPARE(k.value("revoked").toBool(), !fresh);
        if (fresh)
            QCOMPARE(k.value("label").toString(), QStringLiteral("after the leak"));
    }
    QVERIFY(QJsonDocument(lastAudit()).toJson().contains("after the leak"));
    QVERIFY(!everyOutput().contains(rotated));

    // Bad usage changes nothing.
    const int keys = jsonArray({"key", "list", "acme"}).size();
    r = cli({"key", "issue", "acme", "--expires", "2001-01-01"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(QStringLiteral("not in the future")), qPrintable(r.err));
    QCOMPARE(jsonArray({"key", "list", "acme"}).size(), keys);
    QCOMPARE(cli({"key", "issue", "nobody", "--expires", "30d"}).code, 1);
}

// `tenant add/set --allow-ips`: canonical blocks, shown by tenant show (text and JSON, an array
// or null), loaded by the relay, removed with none; tenant list keeps its contract's fields.
void TestCli::tenantAllowIps()
{
    addTenant(QStringLiteral("acme"), {"--allow-ips", "10.1.2.3/8, ::1,::ffff:192.0.2.1"});
    const QStringList canonical{"10.0.0.0/8", "::1/128", "192.0.2.1/32"};
    QJsonObject shown = jsonObject({"tenant", "show", "acme"});
    QCOMPARE(shown.value("allow_ips").toArray(), QJsonArray::fromStringList(canonical));
    QCOMPARE(loadedTenant(QStringLiteral("acme")).allowIps.entries(), canonical);
    Result r = cli({"tenant", "show", "acme"});
    QCOMPARE(r.code, 0);
    QVERIFY2(QRegularExpression(QStringLiteral("(?m)^allow_ips +10\\.0\\.0\\.0/8,::1/128,"
                                               "192\\.0\\.2\\.1/32$"))
                 .match(r.out)
                 .hasMatch(),
             qPrintable(r.out));
    const QJsonObject listed = jsonArray({"tenant", "list"}).first().toObject();
    QCOMPARE(QStringList(listed.keys()),
             (QStringList{"budget_usd", "concurrency", "enabled", "id", "models", "name", "rpm",
                          "spent_usd", "tier", "tpm"}));

    QCOMPARE(cli({"tenant", "set", "acme", "--allow-ips", "127.0.0.0/8"}).code, 0);
    QCOMPARE(jsonObject({"tenant", "show", "acme"}).value("allow_ips").toArray(),
             QJsonArray{"127.0.0.0/8"});
    // A bad block is bad usage and changes nothing.
    r = cli({"tenant", "set", "acme", "--allow-ips", "127.0.0.0/8,10.0.0.256"});
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(QStringLiteral("10.0.0.256")), qPrintable(r.err));
    QCOMPARE(loadedTenant(QStringLiteral("acme")).allowIps.entries(), QStringList{"127.0.0.0/8"});
    QCOMPARE(cli({"tenant", "set", "acme", "--allow-ips", "none"}).code, 0);
    shown = jsonObject({"tenant", "show", "acme"});
    QVERIFY(shown.contains("allow_ips") && shown.value("allow_ips").isNull());
    QVERIFY(loadedTenant(QStringLiteral("acme")).allowIps.isEmpty());
    QVERIFY(QRegularExpression(QStringLiteral("(?m)^allow_ips +any$"))
                .match(cli({"tenant", "show", "acme"}).out)
                .hasMatch());
    QCOMPARE(cli({"tenant", "set", "nobody", "--allow-ips", "10.0.0.0/8"}).code, 1);
    // A list edited by hand into something unreadable lets nobody in rather than everybody.
    QVERIFY(execSql(QStringLiteral("UPDATE tenants SET allow_ips = '10.0.0.0/8,bogus'")));
    const relay::TenantConfig handEdited = loadedTenant(QStringLiteral("acme"));
    QCOMPARE(handEdited.id, QStringLiteral("acme"));
    QVERIFY(!handEdited.allowIps.isEmpty());
    for (const char *peer : {"10.1.2.3", "127.0.0.1", "::1", "0.0.0.1"})
        QVERIFY2(!handEdited.allowIps.allows(QHostAddress(QLatin1String(peer))), peer);
    QVERIFY(cli({"tenant", "add", "--help"}).out.contains(QStringLiteral("--allow-ips")));
    QVERIFY(cli({"key", "issue", "--help"}).out.contains(QStringLiteral("--expires")));
}

// ---- upstreams, routes, aliases, prices ----

void TestCli::upstreamsAndTheirSecretNeverShown()
{
    const QByteArray secret = "sk-upstream-Secret-7f3a9c0e1d";
    Result r = cli({"upstream", "add", "openai", "--base-url", "https://api.openai.com/v1/",
                    "--api-key-env", "OPENAI_API_KEY"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QString());
    r = cli({"upstream", "add", "deepseek", "--base-url", "https://api.deepseek.com/v1",
             "--api-key-stdin", "--max-connections", "3", "--timeout-ms", "5000"},
            secret + "\n");
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QString());
    QCOMPARE(r.err, QString());
    QCOMPARE(cli({"upstream", "add", "openai", "--base-url", "https://x.example"}).code, 1);
    QCOMPARE(cli({"upstream", "add", "empty", "--base-url", "https://x.example", "--api-key-stdin"})
                 .code,
             2);

    const QJsonArray list = jsonArray({"upstream", "list"});
    QCOMPARE(list.size(), 2);
    const QJsonObject openai = list.at(0).toObject();
    QCOMPARE(openai.value("name").toString(), QStringLiteral("openai"));
    QCOMPARE(openai.value("kind").toString(), QStringLiteral("openai"));
    QCOMPARE(openai.value("base_url").toString(), QStringLiteral("https://api.openai.com/v1"));
    QCOMPARE(openai.value("max_connections").toInt(), 8);
    QVERIFY(openai.value("reserved").isDouble());
    QCOMPARE(openai.value("reserved").toInt(), 0);
    QVERIFY(openai.value("enabled").isBool());
    QCOMPARE(openai.value("state").toString(), QStringLiteral("unknown"));
    const QJsonObject deepseek = list.at(1).toObject();
    QCOMPARE(deepseek.value("max_connections").toInt(), 3);
    QCOMPARE(deepseek.value("timeout_ms").toInt(), 5000);

    // The secret is stored (the relay needs it) and shown nowhere.
    {
        relay::Database db;
        QString error;
        QVERIFY(db.open(m_db->path(), &error));
        QSqlQuery q(db.db());
        QVERIFY(q.exec(QStringLiteral("SELECT api_key FROM upstreams WHERE name = 'deepseek'")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toString(), QString::fromUtf8(secret));
    }
    r = cli({"upstream", "set", "deepseek", "--disable", "--base-url", "https://api2.example/v1"});
    QCOMPARE(r.code, 0);
    QCOMPARE(jsonArray({"upstream", "list"}).at(1).toObject().value("enabled").toBool(), false);
    QVERIFY(!everyOutput().contains(QString::fromUtf8(secret)));

    // Naming a variable forgets the stored key.
    QCOMPARE(cli({"upstream", "set", "deepseek", "--api-key-env", "DEEPSEEK_KEY"}).code, 0);
    {
        relay::Database db;
        QString error;
        QVERIFY(db.open(m_db->path(), &error));
        QSqlQuery q(db.db());
        QVERIFY(q.exec(QStringLiteral("SELECT api_key, api_key_env FROM upstreams "
                                      "WHERE name = 'deepseek'")));
        QVERIFY(q.next());
        QVERIFY(q.value(0).isNull());
        QCOMPARE(q.value(1).toString(), QStringLiteral("DEEPSEEK_KEY"));
    }

    // An upstream a route names cannot go.
    QCOMPARE(cli({"route", "set", "gpt-4o", "openai,deepseek"}).code, 0);
    r = cli({"upstream", "remove", "deepseek"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains(QLatin1String("gpt-4o")));
    QCOMPARE(cli({"route", "set", "gpt-4o", "openai"}).code, 0);
    QCOMPARE(cli({"upstream", "remove", "deepseek"}).code, 0);
    QCOMPARE(cli({"upstream", "remove", "deepseek"}).code, 1);
    QCOMPARE(jsonArray({"upstream", "list"}).size(), 1);
}

void TestCli::anthropicUpstreamKind()
{
    QCOMPARE(cli({"upstream", "add", "claude", "--base-url", "https://api.anthropic.com/", "--kind",
                  "anthropic", "--api-key-env", "ANTHROPIC_API_KEY"})
                 .code,
             0);
    QJsonObject claude = jsonArray({"upstream", "list"}).at(0).toObject();
    QCOMPARE(claude.value("kind").toString(), QStringLiteral("anthropic"));
    QCOMPARE(claude.value("base_url").toString(), QStringLiteral("https://api.anthropic.com"));
    QCOMPARE(cli({"upstream", "set", "claude", "--kind", "openai"}).code, 0);
    claude = jsonArray({"upstream", "list"}).at(0).toObject();
    QCOMPARE(claude.value("kind").toString(), QStringLiteral("openai"));
    QCOMPARE(cli({"upstream", "set", "claude", "--kind", "gemini"}).code, 2);
}

void TestCli::failoverPinUnpinAndSlowMs()
{
    QCOMPARE(cli({"upstream", "add", "openai", "--base-url", "https://api.openai.com/v1",
                  "--slow-ms", "1500"})
                 .code,
             0);
    QCOMPARE(cli({"upstream", "add", "backup", "--base-url", "https://api.deepseek.com/v1"}).code,
             0);
    QJsonArray list = jsonArray({"upstream", "list"});
    QCOMPARE(list.at(0).toObject().value("slow_ms").toInt(), 1500);
    QVERIFY(list.at(1).toObject().value("slow_ms").isNull());
    // No relay has reported: the circuit state is unknown.
    QCOMPARE(list.at(0).toObject().value("state").toString(), QStringLiteral("unknown"));
    QCOMPARE(cli({"upstream", "set", "openai", "--slow-ms", "none"}).code, 0);
    QVERIFY(jsonArray({"upstream", "list"}).at(0).toObject().value("slow_ms").isNull());

    const qint64 version = configVersion();
    QCOMPARE(cli({"failover", "pin", "backup"}).code, 0);
    QVERIFY(configVersion() > version); // a running relay follows within 2 s
    const Result missing = cli({"failover", "pin", "nope"});
    QCOMPARE(missing.code, 1);
    QVERIFY(missing.err.contains("no upstream 'nope'"));
    // The pinned upstream cannot be removed from under the pin.
    QCOMPARE(cli({"upstream", "remove", "backup"}).code, 1);
    QCOMPARE(cli({"failover", "unpin"}).code, 0);
    const Result twice = cli({"failover", "unpin"});
    QCOMPARE(twice.code, 1);
    QVERIFY(twice.err.contains("no upstream is pinned"));
    QVERIFY(twice.out.isEmpty());

    // Who switched, when, from what to what.
    const QJsonArray audit = jsonArray({"audit"});
    QStringList actions;
    for (const QJsonValue &row : audit)
        actions.append(row.toObject().value("action").toString());
    QVERIFY(actions.contains("failover.pin"));
    QVERIFY(actions.contains("failover.unpin"));
    for (const QJsonValue &row : audit) {
        const QJsonObject o = row.toObject();
        if (o.value("action").toString() == "failover.pin") {
            QCOMPARE(o.value("target").toString(), QStringLiteral("backup"));
            QVERIFY(!o.value("actor").toString().isEmpty());
            QVERIFY(o.value("details").toObject().value("before").isNull());
            QCOMPARE(o.value("details").toObject().value("after").toString(),
                     QStringLiteral("backup"));
        }
    }
    QVERIFY(cli({"failover", "--help"}).out.contains("pin"));
}

void TestCli::routesAliasesPrices()
{
    QCOMPARE(cli({"upstream", "add", "a", "--base-url", "http://127.0.0.1:9001/v1"}).code, 0);
    QCOMPARE(cli({"upstream", "add", "b", "--base-url", "http://127.0.0.1:9002/v1"}).code, 0);

    Result r = cli({"route", "set", "gpt-4o", "a,b:gpt-4o-2024-08-06"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QString());
    QCOMPARE(cli({"route", "set", "llama", "b:llama3:8b"}).code, 0);
    r = cli({"route", "set", "x", "a,nope"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains(QLatin1String("nope")));

    const QJsonArray routes = jsonArray({"route", "list"});
    QCOMPARE(routes.size(), 2);
    QCOMPARE(routes.at(0).toObject().value("model").toString(), QStringLiteral("gpt-4o"));
    QCOMPARE(routes.at(0).toObject().value("targets").toArray(),
             (QJsonArray{"a:gpt-4o", "b:gpt-4o-2024-08-06"}));
    QCOMPARE(routes.at(1).toObject().value("targets").toArray(), QJsonArray{"b:llama3:8b"});
    QCOMPARE(cli({"route", "remove", "llama"}).code, 0);
    QCOMPARE(cli({"route", "remove", "llama"}).code, 1);
    QCOMPARE(jsonArray({"route", "list"}).size(), 1);

    QCOMPARE(cli({"alias", "set", "gpt-4", "gpt-4o"}).code, 0);
    QCOMPARE(cli({"alias", "set", "gpt-4", "gpt-4o-mini"}).code, 0);
    QJsonArray aliases = jsonArray({"alias", "list"});
    QCOMPARE(aliases.size(), 1);
    QCOMPARE(aliases.at(0).toObject(), (QJsonObject{{"alias", "gpt-4"}, {"model", "gpt-4o-mini"}}));
    QCOMPARE(cli({"alias", "remove", "gpt-4"}).code, 0);
    QCOMPARE(cli({"alias", "remove", "gpt-4"}).code, 1);
    QCOMPARE(jsonArray({"alias", "list"}).size(), 0);

    // A new database starts with the shipped price list; set overrides, remove removes.
    const int shipped = jsonArray({"price", "list"}).size();
    QVERIFY(shipped > 0);
    QCOMPARE(cli({"price", "set", "gpt-4o", "--input", "2", "--output", "9"}).code, 0);
    QCOMPARE(cli({"price", "set", "my-model", "--input=0.15", "--output=0.6"}).code, 0);
    const QJsonArray prices = jsonArray({"price", "list"});
    QCOMPARE(prices.size(), shipped + 1);
    QJsonObject byModel;
    for (const QJsonValue &p : prices)
        byModel.insert(p.toObject().value("model").toString(), p);
    QCOMPARE(byModel.value("gpt-4o").toObject(), (QJsonObject{{"model", "gpt-4o"},
                                                              {"input", 2},
                                                              {"output", 9},
                                                              {"cache_read", QJsonValue()},
                                                              {"cache_write", QJsonValue()}}));
    // Prompt-cache prices on their own; the table shows what an unset one bills.
    QCOMPARE(cli({"price", "set", "claude-x", "--input", "3", "--output", "15", "--cache-read",
                  "0.3", "--cache-write", "3.75"})
                 .code,
             0);
    QCOMPARE(
        cli({"price", "set", "claude-x", "--input", "3", "--output", "15", "--cache-read=-1"}).code,
        2);
    const QJsonObject claude = [&] {
        for (const QJsonValue &p : jsonArray({"price", "list"}))
            if (p.toObject().value("model") == QJsonValue("claude-x"))
                return p.toObject();
        return QJsonObject();
    }();
    QCOMPARE(claude.value("cache_read").toDouble(), 0.3);
    QCOMPARE(claude.value("cache_write").toDouble(), 3.75);
    QVERIFY(cli({"price", "list"}).out.contains("$2.50 (1.25x input)"));
    QCOMPARE(cli({"price", "remove", "claude-x"}).code, 0);
    QCOMPARE(byModel.value("my-model").toObject().value("input").toDouble(), 0.15);
    QCOMPARE(cli({"price", "remove", "gpt-4o"}).code, 0);
    QCOMPARE(cli({"price", "remove", "gpt-4o"}).code, 1);
    QCOMPARE(jsonArray({"price", "list"}).size(), shipped);
}

// ---- audit and the config version ----

void TestCli::everyWriteIsAuditedAndBumpsTheVersion()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("USER"), QStringLiteral("alice"));
    struct Write
    {
        QStringList args;
        QString action;
        QString target;
        QByteArray input;
    };
    const QList<Write> writes{
        {{"tenant", "add", "acme"}, "tenant.add", "acme", {}},
        {{"tenant", "set", "acme", "--name", "Acme"}, "tenant.set", "acme", {}},
        {{"tenant", "set", "acme", "--tier", "dedicated", "--rpm", "60"}, "tenant.set", "acme", {}},
        {{"key", "issue", "acme"}, "key.issue", {}, {}},
        {{"key", "rotate", "acme"}, "key.rotate", "acme", {}},
        {{"upstream", "add", "u", "--base-url", "https://u.example/v1", "--api-key-stdin"},
         "upstream.add",
         "u",
         "upstream-secret-123"},
        {{"upstream", "set", "u", "--max-connections", "4"}, "upstream.set", "u", {}},
        {{"route", "set", "m", "u"}, "route.set", "m", {}},
        {{"route", "remove", "m"}, "route.remove", "m", {}},
        {{"alias", "set", "al", "m"}, "alias.set", "al", {}},
        {{"alias", "remove", "al"}, "alias.remove", "al", {}},
        {{"price", "set", "m", "--input", "1", "--output", "2"}, "price.set", "m", {}},
        {{"price", "remove", "m"}, "price.remove", "m", {}},
        {{"upstream", "remove", "u"}, "upstream.remove", "u", {}},
        {{"tenant", "remove", "acme"}, "tenant.remove", "acme", {}},
    };
    QStringList keys;
    for (const Write &w : writes) {
        const qint64 before = configVersion();
        const int rows = auditRows();
        const Result r = cli(w.args, w.input, env);
        QVERIFY2(r.code == 0, qPrintable(w.args.join(' ') + ": " + r.err));
        if (r.out.startsWith(QLatin1String("sk-tr-")))
            keys << r.out.trimmed();
        QCOMPARE(configVersion(), before + 1);
        const QJsonArray audit = jsonArray({"audit"});
        QCOMPARE(audit.size(), rows + 1);
        const QJsonObject last = audit.last().toObject();
        QCOMPARE(last.value("actor").toString(), QStringLiteral("alice"));
        QCOMPARE(last.value("action").toString(), w.action);
        if (!w.target.isEmpty())
            QCOMPARE(last.value("target").toString(), w.target);
        QVERIFY(last.value("details").toObject().contains("before"));
        QVERIFY(last.value("details").toObject().contains("after"));
        const QDateTime time =
            QDateTime::fromString(last.value("time").toString(), Qt::ISODateWithMs);
        QVERIFY(time.isValid());
        QVERIFY(last.value("time").toString().endsWith('Z'));
        QVERIFY(qAbs(time.msecsTo(QDateTime::currentDateTimeUtc())) < 60'000);
    }
    QCOMPARE(keys.size(), 3);

    // The audit never holds a key, the tenant's or the upstream's.
    const Result audit = cli({"audit", "--json"});
    for (const QString &key : keys)
        QVERIFY(!audit.out.contains(key));
    QVERIFY(!audit.out.contains(QLatin1String("upstream-secret-123")));
    QVERIFY(!cli({"audit"}).out.contains(QLatin1String("upstream-secret-123")));

    // Filtered by tenant: tenant and key actions only.
    const QJsonArray acme = jsonArray({"audit", "--tenant", "acme"});
    QCOMPARE(acme.size(), 6);
    for (const QJsonValue &v : acme)
        QCOMPARE(v.toObject().value("tenant").toString(), QStringLiteral("acme"));

    // Without $USER the actor is the account name, still an OS user.
    env.remove(QStringLiteral("USER"));
    QCOMPARE(cli({"tenant", "add", "bob"}, {}, env).code, 0);
    QVERIFY(!jsonArray({"audit"}).last().toObject().value("actor").toString().isEmpty());
}

// `audit` as text says what changed the way the console's audit view does ("rpm: 100 → 200"),
// never the raw details; --json keeps them as they are stored.
void TestCli::auditTextReadsBeforeAndAfter()
{
    addTenant(QStringLiteral("acme"), {"--rpm", "100"});
    QCOMPARE(cli({"tenant", "set", "acme", "--rpm", "200", "--tier", "dedicated"}).code, 0);
    QCOMPARE(cli({"upstream", "add", "u", "--base-url", "https://u.example/v1", "--api-key-stdin"},
                 "upstream-secret-123")
                 .code,
             0);
    const Result text = cli({"audit"});
    QCOMPARE(text.code, 0);
    const QStringList lines = text.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 4); // the header, tenant.add, tenant.set, upstream.add
    QVERIFY2(lines.at(2).contains(QStringLiteral("tenant.set")), qPrintable(lines.at(2)));
    QVERIFY2(lines.at(2).contains(QStringLiteral("rpm: 100 → 200; tier: best-effort → dedicated")),
             qPrintable(lines.at(2)));
    // An upstream added: its settings from none, whether a key is stored, never the key.
    QVERIFY2(lines.at(3).contains(QStringLiteral("base_url: none → https://u.example/v1")),
             qPrintable(lines.at(3)));
    QVERIFY2(lines.at(3).contains(QStringLiteral("api_key_stored: none → yes")),
             qPrintable(lines.at(3)));
    QVERIFY(!text.out.contains(QStringLiteral("upstream-secret-123")));
    QVERIFY2(!text.out.contains(QStringLiteral("\"before\"")), qPrintable(text.out));
    QVERIFY(!text.out.contains(QLatin1Char('{')));

    // Machine output is unchanged: the details object as stored.
    const QJsonObject set = jsonArray({"audit"}).at(1).toObject();
    QCOMPARE(set.value("details").toObject().value("before").toObject().value("rpm").toInt(), 100);
    QCOMPARE(set.value("details").toObject().value("after").toObject().value("rpm").toInt(), 200);
}

void TestCli::failedWritesLeaveNoTrace()
{
    addTenant(QStringLiteral("acme"));
    const qint64 version = configVersion();
    const int rows = auditRows();
    const QList<QStringList> failing{
        {"tenant", "add", "acme"},         {"tenant", "set", "nobody", "--enable"},
        {"tenant", "remove", "nobody"},    {"key", "issue", "nobody"},
        {"key", "revoke", "sk-tr-zzzzzz"}, {"route", "set", "m", "nope"},
        {"route", "remove", "m"},          {"alias", "remove", "m"},
        {"price", "remove", "m"},          {"upstream", "remove", "nope"},
        {"tenant", "add", "bad id"}};
    for (const QStringList &args : failing) {
        const Result r = cli(args);
        QVERIFY2(r.code != 0, qPrintable(args.join(' ')));
    }
    QCOMPARE(configVersion(), version);
    QCOMPARE(auditRows(), rows);
}

// ---- usage ----

void TestCli::usageReport()
{
    addTenant(QStringLiteral("acme"));
    addTenant(QStringLiteral("idle"));
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const QDate today = QDateTime::currentDateTimeUtc().date();
    const qint64 monthStart =
        QDateTime(QDate(today.year(), today.month(), 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
    // Through the relay's own usage writer, which keeps the hourly rollups `usage` reads.
    std::vector<relay::UsageRecord> usage;
    // acme: 20 served with latencies 10..200, one of them a 500; 2 rejected.
    for (int i = 1; i <= 20; ++i)
        usage.push_back(
            relay::test::servedRow(now - 1000, "acme", i == 7 ? 500 : 200, 100, 10, 0.001, i * 10));
    usage.push_back(relay::test::rejectedRow(now - 1000, "acme", 429));
    usage.push_back(relay::test::rejectedRow(now - 1000, "acme", 404));
    // Last month: outside the default period.
    usage.push_back(relay::test::servedRow(monthStart - 1, "acme", 200, 1000, 1000, 5.0, 1));
    // A removed tenant's history stays.
    usage.push_back(relay::test::servedRow(now - 1000, "gone", 200, 1, 1, 0.5, 42));
    QVERIFY(relay::test::writeUsage(m_db->path(), usage));

    const QJsonArray rows = jsonArray({"usage"});
    QCOMPARE(rows.size(), 3);
    QJsonObject acme = rows.at(0).toObject();
    QCOMPARE(QStringList(acme.keys()),
             (QStringList{"completion_tokens", "cost_usd", "errors", "p50_ms", "p95_ms",
                          "prompt_tokens", "rejected", "requests", "tenant"}));
    QCOMPARE(acme.value("tenant").toString(), QStringLiteral("acme"));
    QCOMPARE(acme.value("requests").toInt(), 20);
    QCOMPARE(acme.value("rejected").toInt(), 2);
    QCOMPARE(acme.value("errors").toInt(), 1);
    QCOMPARE(acme.value("prompt_tokens").toInt(), 2000);
    QCOMPARE(acme.value("completion_tokens").toInt(), 200);
    QVERIFY(qAbs(acme.value("cost_usd").toDouble() - 0.02) < 1e-9);
    // From the merged latency histograms, interpolated inside their buckets (75-100 ms holds
    // 80, 90, 100; 150-200 ms holds 160..200): here they land on the exact values.
    QCOMPARE(acme.value("p50_ms").toInt(), 100);
    QCOMPARE(acme.value("p95_ms").toInt(), 190);
    QCOMPARE(rows.at(1).toObject().value("tenant").toString(), QStringLiteral("gone"));
    const QJsonObject idle = rows.at(2).toObject();
    QCOMPARE(idle.value("tenant").toString(), QStringLiteral("idle"));
    QCOMPARE(idle.value("requests").toInt(), 0);
    QVERIFY(idle.value("p50_ms").isNull());
    QVERIFY(idle.value("p95_ms").isNull());

    // tenant list shows this month's spend only.
    for (const QJsonValue &v : jsonArray({"tenant", "list"})) {
        if (v.toObject().value("id").toString() == QLatin1String("acme"))
            QVERIFY(qAbs(v.toObject().value("spent_usd").toDouble() - 0.02) < 1e-9);
    }

    // --since reaches back; --tenant narrows.
    const QString lastMonth =
        QDateTime::fromMSecsSinceEpoch(monthStart - 1, Qt::UTC).date().toString(Qt::ISODate);
    QJsonArray since = jsonArray({"usage", "--tenant", "acme", "--since", lastMonth});
    QCOMPARE(since.size(), 1);
    QCOMPARE(since.at(0).toObject().value("requests").toInt(), 21);
    QCOMPARE(jsonArray({"usage", "--tenant", "gone"}).size(), 1);
    Result r = cli({"usage", "--tenant", "never"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.out, QString());

    r = cli({"usage", "--csv"});
    QCOMPARE(r.code, 0);
    const QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 4);
    QCOMPARE(lines.at(0), QStringLiteral("tenant,requests,rejected,prompt_tokens,"
                                         "completion_tokens,cost_usd,errors,p50_ms,p95_ms"));
    QCOMPARE(lines.at(1), QStringLiteral("acme,20,2,2000,200,0.02,1,100,190"));
    QCOMPARE(lines.at(3), QStringLiteral("idle,0,0,0,0,0,0,,"));

    r = cli({"usage"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.startsWith(QLatin1String("TENANT")));
    QCOMPARE(r.out.split('\n', Qt::SkipEmptyParts).size(), 4);
}

// interface.md §2: `tenant remove ID` keeps its history, and `usage --tenant ID` and
// `audit --tenant ID` still read it, whether or not the tenant ever sent a request.
void TestCli::removedTenantHistoryStaysReadable()
{
    addTenant(QStringLiteral("used"));
    addTenant(QStringLiteral("quiet"));
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QVERIFY(relay::test::writeUsage(
        m_db->path(), {relay::test::servedRow(now - 1000, "used", 200, 100, 10, 0.25, 40)}));
    QCOMPARE(cli({"tenant", "remove", "used"}).code, 0);
    QCOMPARE(cli({"tenant", "remove", "quiet"}).code, 0);

    QJsonArray rows = jsonArray({"usage", "--tenant", "used"});
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.at(0).toObject().value("tenant").toString(), QStringLiteral("used"));
    QCOMPARE(rows.at(0).toObject().value("requests").toInt(), 1);
    QVERIFY(qAbs(rows.at(0).toObject().value("cost_usd").toDouble() - 0.25) < 1e-9);

    // Removed before it sent anything: its (empty) usage is still a report, not an error.
    Result r = cli({"usage", "--tenant", "quiet"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains(QLatin1String("quiet")));
    QCOMPARE(r.err, QString());
    rows = jsonArray({"usage", "--tenant", "quiet"});
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.at(0).toObject().value("tenant").toString(), QStringLiteral("quiet"));
    QCOMPARE(rows.at(0).toObject().value("requests").toInt(), 0);
    QCOMPARE(cli({"usage", "--tenant", "quiet", "--csv"}).code, 0);

    for (const QString &id : {QStringLiteral("used"), QStringLiteral("quiet")}) {
        const QJsonArray audit = jsonArray({"audit", "--tenant", id});
        QStringList actions;
        for (const QJsonValue &v : audit)
            actions << v.toObject().value("action").toString();
        QCOMPARE(actions, (QStringList{"tenant.add", "tenant.remove"}));
    }
    // A tenant that never existed is still unknown.
    r = cli({"usage", "--tenant", "never"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.out, QString());
}

// ---- budgets, settings, alerts, cost comparison ----

void TestCli::budgetAlertsAndWebhookPerTenant()
{
    addTenant(QStringLiteral("acme"), {"--budget", "25.5", "--alerts", "80, 50", "--soft-budget",
                                       "--webhook", "https://hooks.example/acme?team=1"});
    QJsonObject added = lastAudit().value("details").toObject().value("after").toObject();
    QCOMPARE(added.value("budget_usd").toDouble(), 25.5);
    QCOMPARE(added.value("soft_budget").toBool(), true);
    QCOMPARE(added.value("alert_thresholds").toArray(), (QJsonArray{50, 80}));
    QCOMPARE(added.value("webhook_url").toString(),
             QStringLiteral("https://hooks.example/acme?team=1"));

    QJsonObject listed = jsonArray({"tenant", "list"}).at(0).toObject();
    QCOMPARE(listed.value("budget_usd").toDouble(), 25.5);
    QCOMPARE(listed.value("spent_usd").toDouble(), 0.0);
    QJsonObject shown = jsonObject({"tenant", "show", "acme"});
    QCOMPARE(shown.value("budget_usd").toDouble(), 25.5);
    QCOMPARE(shown.value("soft_budget").toBool(), true);
    QCOMPARE(shown.value("alert_thresholds").toArray(), (QJsonArray{50, 80}));
    QCOMPARE(shown.value("webhook_url").toString(),
             QStringLiteral("https://hooks.example/acme?team=1"));
    // What the relay loads is what was set.
    relay::TenantConfig loaded = loadedTenant(QStringLiteral("acme"));
    QCOMPARE(loaded.budgetUsd, std::optional<double>(25.5));
    QCOMPARE(loaded.softBudget, true);
    QCOMPARE(loaded.alertThresholds, (QList<int>{50, 80}));
    QCOMPARE(loaded.webhookUrl, QStringLiteral("https://hooks.example/acme?team=1"));
    Result r = cli({"tenant", "show", "acme"});
    QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral("alert_thresholds +50%,80%\n"))),
             qPrintable(r.out));
    QVERIFY(r.out.contains(QRegularExpression(QStringLiteral("soft_budget +yes\n"))));

    // Back to a hard budget without threshold alerts; each change is one audited tenant.set.
    qint64 version = configVersion();
    r = cli({"tenant", "set", "acme", "--hard-budget", "--alerts", "none", "--budget", "40"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QString());
    QCOMPARE(configVersion(), version + 1);
    QJsonObject audit = lastAudit();
    QCOMPARE(audit.value("action").toString(), QStringLiteral("tenant.set"));
    QJsonObject before = audit.value("details").toObject().value("before").toObject();
    QJsonObject after = audit.value("details").toObject().value("after").toObject();
    QCOMPARE(before.value("budget_usd").toDouble(), 25.5);
    QCOMPARE(after.value("budget_usd").toDouble(), 40.0);
    QCOMPARE(before.value("soft_budget").toBool(), true);
    QCOMPARE(after.value("soft_budget").toBool(), false);
    QCOMPARE(after.value("alert_thresholds").toArray(), QJsonArray());
    shown = jsonObject({"tenant", "show", "acme"});
    QCOMPARE(shown.value("soft_budget").toBool(), false);
    QCOMPARE(shown.value("alert_thresholds").toArray(), QJsonArray());
    loaded = loadedTenant(QStringLiteral("acme"));
    QCOMPARE(loaded.softBudget, false);
    QVERIFY(loaded.alertThresholds.isEmpty());
    QVERIFY(cli({"tenant", "show", "acme"})
                .out.contains(QRegularExpression(QStringLiteral("alert_thresholds +none\n"))));

    // default brings back 50, 80, 100; none removes the budget and the webhook.
    QCOMPARE(cli({"tenant", "set", "acme", "--alerts", "default"}).code, 0);
    QVERIFY(lastAudit()
                .value("details")
                .toObject()
                .value("after")
                .toObject()
                .value("alert_thresholds")
                .isNull());
    QCOMPARE(jsonObject({"tenant", "show", "acme"}).value("alert_thresholds").toArray(),
             (QJsonArray{50, 80, 100}));
    QCOMPARE(loadedTenant(QStringLiteral("acme")).alertThresholds, (QList<int>{50, 80, 100}));
    QCOMPARE(cli({"tenant", "set", "acme", "--budget", "none", "--webhook", "none"}).code, 0);
    after = lastAudit().value("details").toObject().value("after").toObject();
    QVERIFY(after.value("budget_usd").isNull());
    QVERIFY(after.value("webhook_url").isNull());
    shown = jsonObject({"tenant", "show", "acme"});
    QVERIFY(shown.value("budget_usd").isNull());
    QVERIFY(shown.value("webhook_url").isNull());
    loaded = loadedTenant(QStringLiteral("acme"));
    QCOMPARE(loaded.budgetUsd, std::nullopt);
    QCOMPARE(loaded.webhookUrl, QString());

    // spent_usd: this month's cost, from the hourly rollups.
    QCOMPARE(cli({"tenant", "set", "acme", "--budget", "10"}).code, 0);
    const QDate today = QDateTime::currentDateTimeUtc().date();
    const qint64 monthStart =
        QDateTime(QDate(today.year(), today.month(), 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
    QVERIFY(relay::test::writeUsage(
        m_db->path(),
        {relay::test::servedRow(monthStart, "acme", 200, 10, 10, 1.25, 5),
         relay::test::servedRow(QDateTime::currentMSecsSinceEpoch(), "acme", 200, 10, 10, 0.5, 5),
         relay::test::servedRow(monthStart - 1, "acme", 200, 10, 10, 3.0, 5)}));
    listed = jsonArray({"tenant", "list"}).at(0).toObject();
    QCOMPARE(listed.value("budget_usd").toDouble(), 10.0);
    QCOMPARE(listed.value("spent_usd").toDouble(), 1.75);
    QCOMPARE(jsonObject({"tenant", "show", "acme"}).value("spent_usd").toDouble(), 1.75);
    r = cli({"tenant", "list"});
    QVERIFY2(r.out.contains(QLatin1String("$10.00")) && r.out.contains(QLatin1String("$1.75")),
             qPrintable(r.out));
}

void TestCli::settingsSetAndList()
{
    QJsonArray settings = jsonArray({"settings", "list"});
    QCOMPARE(settings,
             (QJsonArray{
                 QJsonObject{{"key", "usage_retention_days"}, {"value", 90}, {"default", true}},
                 QJsonObject{{"key", "webhook_url"}, {"value", QJsonValue()}, {"default", true}}}));
    Result r = cli({"settings", "list"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.startsWith(QLatin1String("KEY")));
    QVERIFY(r.out.contains(
        QRegularExpression(QStringLiteral("usage_retention_days +90 \\(default\\)"))));

    struct Step
    {
        QStringList args;
        QJsonValue before;
        QJsonValue after;
    };
    const QList<Step> steps{
        {{"webhook_url", " https://hooks.example/all "}, QJsonValue(), "https://hooks.example/all"},
        {{"usage_retention_days", "30"}, QJsonValue(), "30"},
        {{"usage_retention_days", "400"}, "30", "400"},
        {{"webhook_url", "none"}, "https://hooks.example/all", QJsonValue()},
    };
    for (const Step &step : steps) {
        const qint64 version = configVersion();
        r = cli(QStringList{"settings", "set"} + step.args);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(r.out, QString());
        QCOMPARE(configVersion(), version + 1);
        const QJsonObject audit = lastAudit();
        QCOMPARE(audit.value("action").toString(), QStringLiteral("settings.set"));
        QCOMPARE(audit.value("target").toString(), step.args.at(0));
        QCOMPARE(audit.value("details").toObject().value("before"), step.before);
        QCOMPARE(audit.value("details").toObject().value("after"), step.after);
    }
    settings = jsonArray({"settings", "list"});
    QCOMPARE(settings.at(0).toObject().value("value").toInt(), 400);
    QVERIFY(settings.at(1).toObject().value("value").isNull());

    // The relay reads them from its snapshot.
    QCOMPARE(cli({"settings", "set", "webhook_url", "http://127.0.0.1:9/hook"}).code, 0);
    relay::Database db;
    QString error;
    QVERIFY(db.open(m_db->path(), &error));
    const relay::DirectorySnapshotPtr snapshot = relay::ConfigLoader::load(db.db(), &error);
    QVERIFY2(snapshot, qPrintable(error));
    QCOMPARE(snapshot->settings.value("usage_retention_days"), QStringLiteral("400"));
    QCOMPARE(snapshot->settings.value("webhook_url"), QStringLiteral("http://127.0.0.1:9/hook"));

    // Refused values change nothing.
    const int rows = auditRows();
    QCOMPARE(cli({"settings", "set", "usage_retention_days", "-1"}).code, 2);
    QCOMPARE(cli({"settings", "set", "webhook_url", "file:///etc/passwd"}).code, 2);
    QCOMPARE(auditRows(), rows);
    QCOMPARE(jsonArray({"settings", "list"}).at(0).toObject().value("value").toInt(), 400);
}

void TestCli::alertsListedAndAcknowledged()
{
    addTenant(QStringLiteral("acme"));
    addTenant(QStringLiteral("bob"));
    QVERIFY(cli({"alerts"}).out.startsWith(QLatin1String("ID")));
    QCOMPARE(jsonArray({"alerts"}).size(), 0);
    // The relay raises alerts; here they are written as it writes them.
    const qint64 t = QDateTime(QDate(2026, 3, 14), QTime(9, 30), Qt::UTC).toMSecsSinceEpoch();
    QVERIFY(execSql(
        QStringLiteral(
            "INSERT INTO alerts (id, ts, tenant_id, period, kind, threshold, spent_usd, "
            "budget_usd, "
            "forecast_usd, delivery) VALUES "
            "(1, %1, 'acme', '2026-03', 'threshold', 50, 5.0000000001, 10, NULL, 'delivered'), "
            "(2, %1 + 60000, 'bob', '2026-03', 'forecast', 100, 2, 10, 14.5, 'failed: HTTP 500'), "
            "(3, %1 + 120000, 'acme', '2026-03', 'threshold', 80, 8.25, 10, NULL, 'pending')")
            .arg(t)));

    QJsonArray alerts = jsonArray({"alerts"});
    QCOMPARE(alerts.size(), 3);
    QJsonObject first = alerts.at(0).toObject();
    QCOMPARE(QStringList(first.keys()),
             (QStringList{"acknowledged", "budget_usd", "delivery", "id", "kind", "spent_usd",
                          "tenant", "threshold", "time"}));
    QCOMPARE(first.value("id").toInt(), 1);
    QCOMPARE(first.value("time").toString(), QStringLiteral("2026-03-14T09:30:00.000Z"));
    QCOMPARE(first.value("tenant").toString(), QStringLiteral("acme"));
    QCOMPARE(first.value("kind").toString(), QStringLiteral("threshold"));
    QCOMPARE(first.value("threshold").toInt(), 50);
    QCOMPARE(first.value("spent_usd").toDouble(), 5.0);
    QCOMPARE(first.value("budget_usd").toDouble(), 10.0);
    QCOMPARE(first.value("acknowledged").toBool(), false);
    QCOMPARE(first.value("delivery").toString(), QStringLiteral("delivered"));
    QCOMPARE(alerts.at(1).toObject().value("kind").toString(), QStringLiteral("forecast"));
    QCOMPARE(alerts.at(1).toObject().value("delivery").toString(),
             QStringLiteral("failed: HTTP 500"));
    QCOMPARE(jsonArray({"alerts", "--tenant", "bob"}).size(), 1);
    QCOMPARE(jsonArray({"alerts", "--tenant", "acme"}).size(), 2);
    Result r = cli({"alerts", "--tenant", "nobody"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err.count('\n'), 1);

    const qint64 version = configVersion();
    r = cli({"alerts", "ack", "3"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QString());
    QCOMPARE(configVersion(), version + 1);
    const QJsonObject audit = lastAudit();
    QCOMPARE(audit.value("action").toString(), QStringLiteral("alert.ack"));
    QCOMPARE(audit.value("target").toString(), QStringLiteral("3"));
    QCOMPARE(audit.value("tenant").toString(), QStringLiteral("acme"));
    QCOMPARE(audit.value("details").toObject().value("before").toObject().value("acknowledged"),
             QJsonValue(false));
    QCOMPARE(audit.value("details").toObject().value("after").toObject().value("acknowledged"),
             QJsonValue(true));
    alerts = jsonArray({"alerts"});
    QCOMPARE(alerts.at(2).toObject().value("acknowledged").toBool(), true);
    QCOMPARE(alerts.at(0).toObject().value("acknowledged").toBool(), false);
    QCOMPARE(jsonArray({"audit", "--tenant", "acme"}).last().toObject().value("action").toString(),
             QStringLiteral("alert.ack"));

    // Unknown or already acknowledged: one clear line, status 1, nothing written.
    const int rows = auditRows();
    r = cli({"alerts", "ack", "99"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.out, QString());
    QCOMPARE(r.err, QStringLiteral("tenantrelay: no alert 99\n"));
    r = cli({"alerts", "ack", "3"});
    QCOMPARE(r.code, 1);
    QCOMPARE(r.err, QStringLiteral("tenantrelay: alert 3 is already acknowledged\n"));
    QCOMPARE(auditRows(), rows);

    r = cli({"alerts"});
    QCOMPARE(r.code, 0);
    const QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 4);
    QVERIFY(lines.at(3).contains(QLatin1String("80%")));
    QVERIFY(lines.at(2).contains(QLatin1String("failed: HTTP 500")));
}

void TestCli::reportCostsUnderOtherPrices()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const QDate today = QDateTime::currentDateTimeUtc().date();
    const qint64 monthStart =
        QDateTime(QDate(today.year(), today.month(), 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
    using relay::test::servedRow;
    QVERIFY(relay::test::writeUsage(
        m_db->path(),
        {// acme on a dated gpt-4o: 3,000 prompt and 1,500 completion tokens, at 2.5 / 10
         servedRow(now, "acme", 200, 1000, 500, 0.0075, 100, "gpt-4o-2024-08-06", "openai"),
         servedRow(now, "acme", 200, 2000, 1000, 0.015, 100, "gpt-4o-2024-08-06", "azure"),
         // a model the alternative list does not price
         servedRow(now, "acme", 200, 100, 100, 0, 100, "local-llama", "ollama"),
         servedRow(now, "bob", 200, 1'000'000, 0, 0.15, 100, "gpt-4o-mini", "openai"),
         relay::test::rejectedRow(now, "bob", 429, "gpt-4o"),
         // last month
         servedRow(monthStart - 1, "bob", 200, 1'000'000, 1'000'000, 0.75, 100, "gpt-4o-mini",
                   "openai")}));
    const QString prices = m_db->dir() + QStringLiteral("/prices.json");
    QFile file(prices);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(
        R"({"gpt-4o": {"input": 5, "output": 20}, "gpt-4o-mini": {"input": 1, "output": 2}})");
    file.close();

    QJsonArray rows = jsonArray({"report", "costs", "--prices", prices});
    QCOMPARE(rows.size(), 3);
    QJsonObject gpt4o = rows.at(0).toObject();
    QCOMPARE(QStringList(gpt4o.keys()),
             (QStringList{"alt_cost_usd", "completion_tokens", "cost_usd", "delta_usd", "model",
                          "prompt_tokens", "requests", "tenant"}));
    QCOMPARE(gpt4o.value("tenant").toString(), QStringLiteral("acme"));
    QCOMPARE(gpt4o.value("model").toString(), QStringLiteral("gpt-4o-2024-08-06"));
    QCOMPARE(gpt4o.value("requests").toInt(), 2);
    QCOMPARE(gpt4o.value("prompt_tokens").toInt(), 3000);
    QCOMPARE(gpt4o.value("completion_tokens").toInt(), 1500);
    QCOMPARE(gpt4o.value("cost_usd").toDouble(), 0.0225);
    // 3,000 × 5 + 1,500 × 20 per million = 0.045
    QCOMPARE(gpt4o.value("alt_cost_usd").toDouble(), 0.045);
    QCOMPARE(gpt4o.value("delta_usd").toDouble(), 0.0225);
    const QJsonObject llama = rows.at(1).toObject();
    QCOMPARE(llama.value("model").toString(), QStringLiteral("local-llama"));
    QVERIFY(llama.value("alt_cost_usd").isNull());
    QVERIFY(llama.value("delta_usd").isNull());
    const QJsonObject bob = rows.at(2).toObject();
    QCOMPARE(bob.value("tenant").toString(), QStringLiteral("bob"));
    QCOMPARE(bob.value("requests").toInt(), 1);
    QCOMPARE(bob.value("alt_cost_usd").toDouble(), 1.0);
    QCOMPARE(bob.value("delta_usd").toDouble(), 0.85);

    // --since reaches back; without --prices, the shipped list (gpt-4o-mini: 0.15 / 0.60).
    rows = jsonArray(
        {"report", "costs", "--since",
         QDateTime::fromMSecsSinceEpoch(monthStart - 1, Qt::UTC).date().toString(Qt::ISODate)});
    QCOMPARE(rows.at(2).toObject().value("requests").toInt(), 2);
    QCOMPARE(rows.at(2).toObject().value("cost_usd").toDouble(), 0.9);
    QCOMPARE(rows.at(2).toObject().value("alt_cost_usd").toDouble(), 0.9);
    QCOMPARE(rows.at(2).toObject().value("delta_usd").toDouble(), 0.0);

    Result r = cli({"report", "costs", "--prices", prices});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.startsWith(QLatin1String("TENANT")));
    QVERIFY2(r.out.contains(QLatin1String("+$0.0225")), qPrintable(r.out));
    QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral("local-llama .* unpriced "))),
             qPrintable(r.out));
    QVERIFY(r.out.contains(QStringLiteral("unpriced: %1 has no price").arg(prices)));

    // A file that is missing, not JSON or not a price list: one clear line, status 1.
    QFile bad(m_db->dir() + QStringLiteral("/bad.json"));
    for (const QByteArray &content :
         {QByteArray(), QByteArray("{not json"), QByteArray(R"(["gpt-4o"])"),
          QByteArray(R"({"gpt-4o": {"input": "cheap", "output": 1}})"),
          QByteArray(R"({"gpt-4o": {"input": -1, "output": 1}})")}) {
        QString path = bad.fileName();
        if (content.isEmpty()) {
            path = m_db->dir() + QStringLiteral("/missing.json");
        } else {
            QVERIFY(bad.open(QIODevice::WriteOnly | QIODevice::Truncate));
            bad.write(content);
            bad.close();
        }
        r = cli({"report", "costs", "--prices", path});
        QVERIFY2(r.code == 1, qPrintable(content));
        QCOMPARE(r.out, QString());
        QCOMPARE(r.err.count('\n'), 1);
        QVERIFY2(r.err.startsWith(QStringLiteral("tenantrelay: prices file %1").arg(path)),
                 qPrintable(r.err));
    }
}

// ---- output shape and the database file ----

void TestCli::humanListsAreAlignedTables()
{
    addTenant(QStringLiteral("a"), {"--name", "A very long tenant name"});
    addTenant(QStringLiteral("bb"));
    const Result r = cli({"tenant", "list"});
    QCOMPARE(r.code, 0);
    const QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3);
    QVERIFY(lines.at(0).startsWith(QLatin1String("ID")));
    const qsizetype nameColumn = lines.at(0).indexOf(QLatin1String("NAME"));
    const qsizetype tierColumn = lines.at(0).indexOf(QLatin1String("TIER"));
    QVERIFY(nameColumn > 0 && tierColumn > nameColumn);
    QCOMPARE(lines.at(1).indexOf(QLatin1String("A very long")), nameColumn);
    QCOMPARE(lines.at(1).indexOf(QLatin1String("best-effort")), tierColumn);
    QCOMPARE(lines.at(2).indexOf(QLatin1String("best-effort")), tierColumn);

    // An empty list is just the header.
    const Result empty = cli({"route", "list"});
    QCOMPARE(empty.code, 0);
    QCOMPARE(empty.out, QStringLiteral("MODEL  TARGETS\n"));
}

void TestCli::databaseFromEnvironmentWithMode0600()
{
    const QString path = m_db->dir() + QStringLiteral("/nested/env.db");
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("TENANTRELAY_DB"), path);
    const Result r = raw({"tenant", "add", "acme"}, {}, env);
    QCOMPARE(r.code, 0);
    QVERIFY(QFileInfo::exists(path));
    struct stat st
    {
    };
    QCOMPARE(::stat(QFile::encodeName(path).constData(), &st), 0);
    QCOMPARE(int(st.st_mode & 0777), 0600);

    QCOMPARE(cli({"tenant", "list"}).code, 0);
    QCOMPARE(::stat(QFile::encodeName(m_db->path()).constData(), &st), 0);
    QCOMPARE(int(st.st_mode & 0777), 0600);
}

QRegularExpressionMatch TestCli::startRelay(QProcess &relay, const QStringList &args, QString *err)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("TENANTRELAY_DB"));
    relay.setProcessEnvironment(env);
    relay.start(m_bin, args + QStringList{"--listen", "127.0.0.1:0", "--workers", "1"});
    const QRegularExpression listening(
        QStringLiteral("listening on http://127\\.0\\.0\\.1:(\\d+)/v1 .*database (\\S+)\\n"));
    QRegularExpressionMatch m;
    if (!relay.waitForStarted())
        return m;
    (void)QTest::qWaitFor(
        [&] {
            relay.waitForReadyRead(100);
            *err += QString::fromUtf8(relay.readAllStandardError());
            m = listening.match(*err);
            return m.hasMatch() || relay.state() == QProcess::NotRunning;
        },
        60000); // returns as soon as it listens: the sanitizer build seeds --demo slowly
    return m;
}

// interface.md §1: an admin change is live in a running relay within 2 s, also while other
// writers keep the database's write lock busy (a relay's usage writer under load, admin
// commands in a loop, a backup). The relay's own writes (its heartbeat, circuit states) then
// wait for the lock; its config poll must not wait with them.
void TestCli::adminChangeIsLiveWithinTwoSecondsWhileTheDatabaseIsBusy()
{
    const QString key = addTenant(QStringLiteral("acme"));
    QProcess relay;
    QString err;
    const QRegularExpressionMatch m = startRelay(relay, {"--db", m_db->path(), "serve"}, &err);
    QVERIFY2(m.hasMatch(), qPrintable(err));
    const quint16 port = quint16(m.captured(1).toUInt());
    auto models = [&](const QString &k) {
        return relay::test::request(port, "GET", "/v1/models", {},
                                    relay::test::TestHttpClient::bearer(k), 5000)
            .status;
    };
    QCOMPARE(models(key), 200);

    // Another process's writers, back to back: the write lock is free only between two of
    // their transactions. After 1.5 s of that (time for the relay's own once-a-second writes
    // to be waiting for the lock), one of them issues a new key.
    std::atomic<bool> stop{false};
    std::atomic<qint64> issuedAtMs{0};
    QString newKey;
    QElapsedTimer clock;
    clock.start();
    std::thread writers([&] {
        relay::Database db;
        QString error;
        if (!db.open(m_db->path(), &error))
            return;
        QSqlQuery q(db.db());
        q.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS busy (n INTEGER)"));
        relay::AdminService admin(db.db());
        for (qint64 n = 0; !stop.load(); ++n) {
            if (issuedAtMs.load() == 0 && clock.elapsed() >= 1500) {
                const relay::AdminValue<QString> issued = admin.issueKey(QStringLiteral("acme"));
                newKey = issued.value;
                issuedAtMs.store(issued.ok ? clock.elapsed() : -1);
                continue;
            }
            // Each holds the lock for 50 ms, as a large usage batch or a backup step does.
            db.db().transaction();
            q.exec(QStringLiteral("INSERT INTO busy (n) VALUES (%1)").arg(n));
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            db.db().commit();
        }
    });
    QVERIFY(QTest::qWaitFor([&] { return issuedAtMs.load() != 0; }, 30'000));
    QVERIFY2(issuedAtMs.load() > 0, "the new key could not be issued");
    const bool live = QTest::qWaitFor([&] { return models(newKey) == 200; }, 10'000);
    const qint64 tookMs = clock.elapsed() - issuedAtMs.load();
    stop.store(true);
    writers.join();
    QVERIFY2(live, "the new key never worked");
    qInfo("new key live %lld ms after it was issued, the write lock busy throughout", tookMs);
    QVERIFY2(tookMs < 2000, qPrintable(QStringLiteral("live after %1 ms").arg(tookMs)));

    relay.terminate();
    QVERIFY(relay.waitForFinished(20000));
    QCOMPARE(relay.exitCode(), 0);
}

void TestCli::serveDemoAnswersAndStopsCleanly_data()
{
    QTest::addColumn<QStringList>("args");
    // interface.md §1 and the README write it after `serve`; before it is the console's form.
    QTest::newRow("serve --demo") << QStringList{"serve", "--demo"};
    QTest::newRow("--demo serve") << QStringList{"--demo", "serve"};
}

void TestCli::serveDemoAnswersAndStopsCleanly()
{
    QFETCH(QStringList, args);
    QProcess p;
    QString err;
    // The relay says where it listens (port 0: any free one) and which database it uses.
    const QRegularExpressionMatch m = startRelay(p, args, &err);
    QVERIFY2(m.hasMatch(), qPrintable(err));
    const quint16 port = quint16(m.captured(1).toUInt());
    const QString dbPath = m.captured(2);
    QVERIFY(QFileInfo::exists(dbPath));
    const relay::test::TestResponse health = relay::test::request(port, "GET", "/healthz");
    QCOMPARE(health.status, 200);
    QCOMPARE(health.json().value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    // The simulated traffic reaches the relay: its request counter moves.
    QVERIFY(QTest::qWaitFor(
        [&] {
            const relay::test::TestResponse metrics = relay::test::request(port, "GET", "/metrics");
            return metrics.status == 200 && metrics.body.contains("tenant=\"prod-chatbot\"");
        },
        15000));
    p.terminate(); // SIGTERM
    QVERIFY(p.waitForFinished(20000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 0);
    QVERIFY2(!QFileInfo::exists(dbPath), "the demo database is deleted at exit");
    const QString all = err + QString::fromUtf8(p.readAllStandardError());
    QVERIFY(!all.contains(QStringLiteral("sk-tr-")));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
