// AdminService with a fixed clock: what each write leaves behind (audit row, config version),
// what a failed write leaves behind (nothing), and the usage figures at period boundaries.

#include "TempDir.h"
#include "core/Clock.h"
#include "store/AdminService.h"
#include "store/Database.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

static void initRelaycoreResources()
{
    Q_INIT_RESOURCE(relaycore);
}

namespace {

qint64 utcMs(int y, int m, int d, int h = 0, int min = 0, int s = 0, int ms = 0)
{
    return QDateTime(QDate(y, m, d), QTime(h, min, s, ms), Qt::UTC).toMSecsSinceEpoch();
}

} // namespace

class TestAdminService : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { initRelaycoreResources(); }
    void init();
    void cleanup();

    void writeAuditsWithActorAndClockAndBumpsVersion();
    void failedWritesRollBack();
    void errorKinds();
    void upstreamSecretStaysOutOfAudit();
    void upstreamsKeepTheirOrderAndNormalizedUrl();
    void routeTargetsAreNormalized();
    void usagePeriodFollowsTheClock();
    void removedTenantKeepsItsUsage();
    void percentileIsNearestRank();

private:
    void addUsage(qint64 ts, const QString &tenant, const QString &outcome, int status, double cost,
                  int latencyMs);

    std::unique_ptr<relay::test::TempDb> m_dir;
    std::unique_ptr<relay::Database> m_db;
    std::unique_ptr<relay::ManualClock> m_clock;
    std::unique_ptr<relay::AdminService> m_admin;
};

void TestAdminService::init()
{
    m_dir = std::make_unique<relay::test::TempDb>();
    m_db = std::make_unique<relay::Database>();
    QString error;
    QVERIFY2(m_db->open(m_dir->path(), &error), qPrintable(error));
    m_clock = std::make_unique<relay::ManualClock>(utcMs(2026, 3, 15, 12));
    m_admin = std::make_unique<relay::AdminService>(m_db->db(), *m_clock, QStringLiteral("carol"));
}

void TestAdminService::cleanup()
{
    m_admin.reset();
    m_db.reset();
    m_clock.reset();
    m_dir.reset();
}

void TestAdminService::addUsage(qint64 ts, const QString &tenant, const QString &outcome,
                                int status, double cost, int latencyMs)
{
    QSqlQuery q(m_db->db());
    QVERIFY(q.prepare(QStringLiteral(
        "INSERT INTO usage (ts, request_id, tenant_id, key_prefix, outcome, endpoint, status, "
        "prompt_tokens, completion_tokens, cost_usd, latency_ms) "
        "VALUES (?, 'r', ?, 'sk-tr-xxxxxx', ?, 'chat', ?, 10, 5, ?, ?)")));
    for (const QVariant &v : QVariantList{ts, tenant, outcome, status, cost, latencyMs})
        q.addBindValue(v);
    QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
}

void TestAdminService::writeAuditsWithActorAndClockAndBumpsVersion()
{
    const qint64 v0 = m_admin->configVersion();
    QVERIFY(v0 > 0);
    const relay::AdminValue<QString> key = m_admin->addTenant(QStringLiteral("acme"), {});
    QVERIFY2(key.ok, qPrintable(key.error));
    QCOMPARE(m_admin->configVersion(), v0 + 1);

    m_clock->advance(5000);
    relay::TenantChanges changes;
    changes.models = relay::ModelAllowList(QStringList{QStringLiteral("gpt-4o")});
    QVERIFY(m_admin->setTenant(QStringLiteral("acme"), changes).ok);
    QCOMPARE(m_admin->configVersion(), v0 + 2);

    const relay::AdminValue<QList<relay::AuditRecord>> audit = m_admin->auditLog();
    QVERIFY(audit.ok);
    QCOMPARE(audit.value.size(), 2);
    const relay::AuditRecord &set = audit.value.at(1);
    QCOMPARE(set.actor, QStringLiteral("carol"));
    QCOMPARE(set.action, QStringLiteral("tenant.set"));
    QCOMPARE(set.target, QStringLiteral("acme"));
    QCOMPARE(set.tenantId, QStringLiteral("acme"));
    QCOMPARE(set.timeMs, m_clock->wallMs());
    QVERIFY(set.details.value("before").toObject().value("models").isNull());
    QCOMPARE(set.details.value("after").toObject().value("models").toArray().size(), 1);
    const QString details = QString::fromUtf8(QJsonDocument(audit.value.at(0).details).toJson());
    QVERIFY2(!details.contains(key.value), "the audit never holds a key");
}

void TestAdminService::failedWritesRollBack()
{
    QVERIFY(m_admin->addTenant(QStringLiteral("acme"), {}).ok);
    const qint64 version = m_admin->configVersion();
    const qsizetype rows = m_admin->auditLog().value.size();

    QCOMPARE(m_admin->addTenant(QStringLiteral("acme"), {}).kind, relay::AdminErrorKind::Conflict);
    QCOMPARE(m_admin->setRoute(QStringLiteral("m"), {QStringLiteral("nope")}).kind,
             relay::AdminErrorKind::NotFound);
    QCOMPARE(m_admin->revokeKey(QStringLiteral("sk-tr-000000")).kind,
             relay::AdminErrorKind::NotFound);
    QCOMPARE(m_admin->configVersion(), version);
    QCOMPARE(m_admin->auditLog().value.size(), rows);
    QCOMPARE(m_admin->listRoutes().value.size(), 0);
    QCOMPARE(m_admin->listKeys().value.size(), 1);
}

void TestAdminService::errorKinds()
{
    using relay::AdminErrorKind;
    QCOMPARE(m_admin->addTenant(QStringLiteral("a b"), {}).kind, AdminErrorKind::Invalid);
    QCOMPARE(m_admin->setTenant(QStringLiteral("x"), {}).kind, AdminErrorKind::Invalid);
    relay::TenantChanges enable;
    enable.enabled = true;
    QCOMPARE(m_admin->setTenant(QStringLiteral("x"), enable).kind, AdminErrorKind::NotFound);
    QCOMPARE(m_admin->removeAlias(QStringLiteral("x")).kind, AdminErrorKind::NotFound);
    QCOMPARE(m_admin->setPrice(QStringLiteral("m"), -1, 1).kind, AdminErrorKind::Invalid);
    QCOMPARE(m_admin->revokeKey(QStringLiteral("short")).kind, AdminErrorKind::Invalid);
    relay::UpstreamChanges up;
    up.baseUrl = QStringLiteral("https://x.example/v1");
    QVERIFY(m_admin->addUpstream(QStringLiteral("u"), up).ok);
    QCOMPARE(m_admin->addUpstream(QStringLiteral("u"), up).kind, AdminErrorKind::Conflict);
    QVERIFY(m_admin->setRoute(QStringLiteral("m"), {QStringLiteral("u")}).ok);
    QCOMPARE(m_admin->removeUpstream(QStringLiteral("u")).kind, AdminErrorKind::Conflict);
    QCOMPARE(m_admin->usageReport({QStringLiteral("nobody"), {}}).kind, AdminErrorKind::NotFound);
}

void TestAdminService::upstreamSecretStaysOutOfAudit()
{
    relay::UpstreamChanges up;
    up.baseUrl = QStringLiteral("https://x.example/v1");
    up.apiKey = QStringLiteral("  zz-very-secret-42\n");
    QVERIFY(m_admin->addUpstream(QStringLiteral("u"), up).ok);
    const relay::UpstreamRecord listed = m_admin->listUpstreams().value.at(0);
    QVERIFY(listed.hasStoredKey);
    QVERIFY(listed.apiKeyEnv.isEmpty());

    relay::UpstreamChanges env;
    env.apiKeyEnv = QStringLiteral("U_KEY");
    QVERIFY(m_admin->setUpstream(QStringLiteral("u"), env).ok);
    QVERIFY(!m_admin->listUpstreams().value.at(0).hasStoredKey);

    for (const relay::AuditRecord &r : m_admin->auditLog().value) {
        const QByteArray json = QJsonDocument(r.details).toJson();
        QVERIFY2(!json.contains("zz-very-secret-42"), json.constData());
    }
}

void TestAdminService::upstreamsKeepTheirOrderAndNormalizedUrl()
{
    for (const char *name : {"one", "two", "three"}) {
        relay::UpstreamChanges up;
        up.baseUrl = QStringLiteral("http://127.0.0.1:9000/v1//");
        QVERIFY(m_admin->addUpstream(QString::fromLatin1(name), up).ok);
    }
    QVERIFY(m_admin->removeUpstream(QStringLiteral("one")).ok);
    relay::UpstreamChanges up;
    up.baseUrl = QStringLiteral("http://127.0.0.1:9000");
    QVERIFY(m_admin->addUpstream(QStringLiteral("one"), up).ok);
    const QList<relay::UpstreamRecord> list = m_admin->listUpstreams().value;
    QCOMPARE(list.size(), 3);
    QCOMPARE(list.at(0).name, QStringLiteral("two"));
    QCOMPARE(list.at(0).baseUrl, QStringLiteral("http://127.0.0.1:9000/v1"));
    QCOMPARE(list.at(2).name, QStringLiteral("one"));
}

void TestAdminService::routeTargetsAreNormalized()
{
    relay::UpstreamChanges up;
    up.baseUrl = QStringLiteral("https://x.example/v1");
    QVERIFY(m_admin->addUpstream(QStringLiteral("u"), up).ok);
    QVERIFY(m_admin
                ->setRoute(QStringLiteral("gpt-4o"),
                           {QStringLiteral("u"), QStringLiteral(" u:gpt-4o-mini ")})
                .ok);
    QCOMPARE(m_admin->listRoutes().value.at(0).targets,
             (QStringList{QStringLiteral("u:gpt-4o"), QStringLiteral("u:gpt-4o-mini")}));
    QCOMPARE(
        m_admin->setRoute(QStringLiteral("m"), {QStringLiteral("u"), QStringLiteral("u:m")}).kind,
        relay::AdminErrorKind::Invalid);
}

void TestAdminService::usagePeriodFollowsTheClock()
{
    QVERIFY(m_admin->addTenant(QStringLiteral("acme"), {}).ok);
    addUsage(utcMs(2026, 2, 28, 23, 59, 59, 999), QStringLiteral("acme"), QStringLiteral("served"),
             200, 1.0, 10);
    addUsage(utcMs(2026, 3, 1), QStringLiteral("acme"), QStringLiteral("served"), 200, 0.25, 30);
    addUsage(utcMs(2026, 3, 2), QStringLiteral("acme"), QStringLiteral("rejected"), 429, 0, 0);

    QCOMPARE(relay::UsageReport::monthStartMs(m_clock->wallMs()), utcMs(2026, 3, 1));
    relay::AdminValue<QList<relay::UsageReportRow>> report = m_admin->usageReport({});
    QVERIFY(report.ok);
    QCOMPARE(report.value.size(), 1);
    QCOMPARE(report.value.at(0).requests, 1);
    QCOMPARE(report.value.at(0).rejected, 1);
    QCOMPARE(report.value.at(0).costUsd, 0.25);
    QCOMPARE(report.value.at(0).p50Ms, std::optional<qint64>(30));
    QCOMPARE(m_admin->listTenants().value.at(0).spentUsd, 0.25);

    report = m_admin->usageReport({QStringLiteral("acme"), QDate(2026, 2, 28)});
    QCOMPARE(report.value.at(0).requests, 2);
    QCOMPARE(report.value.at(0).costUsd, 1.25);

    // A month later the period has moved on.
    m_clock->advance(31LL * 24 * 3600 * 1000);
    QCOMPARE(m_admin->usageReport({}).value.at(0).requests, 0);
    QCOMPARE(m_admin->tenant(QStringLiteral("acme")).value.tenant.spentUsd, 0.0);
}

void TestAdminService::removedTenantKeepsItsUsage()
{
    QVERIFY(m_admin->addTenant(QStringLiteral("acme"), {}).ok);
    addUsage(m_clock->wallMs(), QStringLiteral("acme"), QStringLiteral("served"), 502, 0.5, 7);
    QVERIFY(m_admin->removeTenant(QStringLiteral("acme")).ok);
    QCOMPARE(m_admin->listTenants().value.size(), 0);
    QCOMPARE(m_admin->listKeys().value.size(), 0);
    const relay::AdminValue<QList<relay::UsageReportRow>> report =
        m_admin->usageReport({QStringLiteral("acme"), {}});
    QVERIFY(report.ok);
    QCOMPARE(report.value.at(0).requests, 1);
    QCOMPARE(report.value.at(0).errors, 1);
}

void TestAdminService::percentileIsNearestRank()
{
    using relay::UsageReport::percentile;
    QCOMPARE(percentile({}, 50), std::nullopt);
    QCOMPARE(percentile({5}, 95), std::optional<qint64>(5));
    QCOMPARE(percentile({1, 2, 3}, 50), std::optional<qint64>(2));
    QCOMPARE(percentile({1, 2, 3}, 95), std::optional<qint64>(3));
    QList<qint64> hundred;
    for (int i = 1; i <= 100; ++i)
        hundred << i;
    QCOMPARE(percentile(hundred, 50), std::optional<qint64>(50));
    QCOMPARE(percentile(hundred, 95), std::optional<qint64>(95));
}

QTEST_GUILESS_MAIN(TestAdminService)
#include "tst_adminservice.moc"
