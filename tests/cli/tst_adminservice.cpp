// AdminService with a fixed clock: what each write leaves behind (audit row, config version),
// what a failed write leaves behind (nothing), and the usage figures at period boundaries.

#include "TempDir.h"
#include "UsageRows.h"
#include "core/Clock.h"
#include "store/AdminService.h"
#include "store/ConfigLoader.h"
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

using relay::test::utcMs;

namespace {

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
    void tenantLimitsRoundTripWithAudit();
    void tenantLimitsOutOfRangeAreInvalid();
    void reservedSlotsNeedAReservingTier();
    void effectiveValuesFollowTheTier();
    void upstreamsShowScaledReservations();

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
    // Through the relay's usage writer, which keeps the rollups the reports read.
    const relay::UsageRecord row =
        outcome == QLatin1String("rejected")
            ? relay::test::rejectedRow(ts, tenant, status)
            : relay::test::servedRow(ts, tenant, status, 10, 5, cost, latencyMs);
    QVERIFY(relay::test::writeUsage(m_dir->path(), {row}, *m_clock));
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

void TestAdminService::tenantLimitsRoundTripWithAudit()
{
    relay::TenantChanges add;
    add.tier = QStringLiteral("guaranteed");
    add.rpm = relay::LimitValue(600);
    add.tpm = relay::LimitValue(90'000);
    add.concurrency = relay::LimitValue(4);
    add.reserved = relay::LimitValue(2);
    add.weight = 7;
    add.queueTimeoutMs = relay::LimitValue(2500);
    QVERIFY(m_admin->addTenant(QStringLiteral("acme"), add).ok);
    const qint64 version = m_admin->configVersion();

    relay::TenantRecord t = m_admin->tenant(QStringLiteral("acme")).value.tenant;
    QCOMPARE(t.tier, QStringLiteral("guaranteed"));
    QCOMPARE(t.rpm, std::optional<qint64>(600));
    QCOMPARE(t.tpm, std::optional<qint64>(90'000));
    QCOMPARE(t.concurrency, std::optional<qint64>(4));
    QCOMPARE(t.reserved, std::optional<qint64>(2));
    QCOMPARE(t.weight, 7);
    QCOMPARE(t.queueTimeoutMs, std::optional<qint64>(2500));
    const relay::AuditRecord added = m_admin->auditLog().value.last();
    QVERIFY(added.details.value("before").isNull());
    QCOMPARE(added.details.value("after").toObject().value("tpm").toInteger(), 90'000);
    QCOMPARE(added.details.value("after").toObject().value("weight").toInt(), 7);

    // Removing with an empty value, changing one, leaving the rest.
    relay::TenantChanges set;
    set.rpm = relay::LimitValue();
    set.reserved = relay::LimitValue();
    set.concurrency = relay::LimitValue(8);
    QVERIFY(!set.isEmpty());
    QVERIFY(m_admin->setTenant(QStringLiteral("acme"), set).ok);
    QCOMPARE(m_admin->configVersion(), version + 1);
    t = m_admin->listTenants().value.at(0);
    QCOMPARE(t.rpm, std::nullopt);
    QCOMPARE(t.reserved, std::nullopt);
    QCOMPARE(t.concurrency, std::optional<qint64>(8));
    QCOMPARE(t.tpm, std::optional<qint64>(90'000));
    QCOMPARE(t.tier, QStringLiteral("guaranteed"));
    QCOMPARE(t.weight, 7);

    const relay::AuditRecord changed = m_admin->auditLog().value.last();
    QCOMPARE(changed.action, QStringLiteral("tenant.set"));
    const QJsonObject before = changed.details.value("before").toObject();
    const QJsonObject after = changed.details.value("after").toObject();
    QCOMPARE(before.value("rpm").toInteger(), 600);
    QVERIFY(after.contains("rpm") && after.value("rpm").isNull());
    QCOMPARE(before.value("reserved").toInteger(), 2);
    QVERIFY(after.value("reserved").isNull());
    QCOMPARE(before.value("concurrency").toInteger(), 4);
    QCOMPARE(after.value("concurrency").toInteger(), 8);
    QCOMPARE(after.value("queue_timeout_ms").toInteger(), 2500);

    // What the relay reads is what was written.
    const relay::DirectorySnapshotPtr snap = relay::ConfigLoader::load(m_db->db(), nullptr);
    QVERIFY(snap);
    const relay::TenantConfig config = snap->tenants.value(QStringLiteral("acme"));
    QCOMPARE(config.tier, relay::Tier::Guaranteed);
    QCOMPARE(config.rpm, std::nullopt);
    QCOMPARE(config.tpm, std::optional<qint64>(90'000));
    QCOMPARE(config.concurrency, std::optional<qint64>(8));
    QCOMPARE(config.reserved, std::nullopt);
    QCOMPARE(config.weight, 7);
    QCOMPARE(config.queueTimeoutMs, std::optional<qint64>(2500));
}

void TestAdminService::tenantLimitsOutOfRangeAreInvalid()
{
    QVERIFY(m_admin->addTenant(QStringLiteral("acme"), {}).ok);
    const qint64 version = m_admin->configVersion();
    const qsizetype rows = m_admin->auditLog().value.size();
    QList<relay::TenantChanges> bad;
    auto with = [&](const std::function<void(relay::TenantChanges &)> &f) {
        relay::TenantChanges c;
        f(c);
        bad.append(c);
    };
    with([](auto &c) { c.tier = QStringLiteral("gold"); });
    with([](auto &c) { c.tier = QString(); });
    with([](auto &c) { c.rpm = relay::LimitValue(0); });
    with([](auto &c) { c.rpm = relay::LimitValue(1'000'000'000'001); });
    with([](auto &c) { c.tpm = relay::LimitValue(-1); });
    with([](auto &c) { c.concurrency = relay::LimitValue(0); });
    with([](auto &c) { c.concurrency = relay::LimitValue(1'000'001); });
    with([](auto &c) { c.reserved = relay::LimitValue(-1); });
    with([](auto &c) { c.reserved = relay::LimitValue(10'001); });
    with([](auto &c) { c.weight = 0; });
    with([](auto &c) { c.weight = 1001; });
    with([](auto &c) { c.queueTimeoutMs = relay::LimitValue(0); });
    with([](auto &c) { c.queueTimeoutMs = relay::LimitValue(3'600'001); });
    for (const relay::TenantChanges &c : bad) {
        QCOMPARE(m_admin->setTenant(QStringLiteral("acme"), c).kind,
                 relay::AdminErrorKind::Invalid);
        QCOMPARE(m_admin->addTenant(QStringLiteral("other"), c).kind,
                 relay::AdminErrorKind::Invalid);
    }
    QCOMPARE(m_admin->configVersion(), version);
    QCOMPARE(m_admin->auditLog().value.size(), rows);
    QCOMPARE(m_admin->listTenants().value.size(), 1);

    // The edges are fine.
    relay::TenantChanges edges;
    edges.rpm = relay::LimitValue(1);
    edges.tpm = relay::LimitValue(1'000'000'000'000);
    edges.concurrency = relay::LimitValue(1);
    edges.weight = 1000;
    edges.queueTimeoutMs = relay::LimitValue(1);
    QVERIFY(m_admin->setTenant(QStringLiteral("acme"), edges).ok);
}

void TestAdminService::reservedSlotsNeedAReservingTier()
{
    relay::TenantChanges reserve;
    reserve.reserved = relay::LimitValue(2);
    QCOMPARE(m_admin->addTenant(QStringLiteral("batch"), reserve).kind,
             relay::AdminErrorKind::Invalid);
    QVERIFY(m_admin->addTenant(QStringLiteral("batch"), {}).ok);
    const qint64 version = m_admin->configVersion();
    QCOMPARE(m_admin->setTenant(QStringLiteral("batch"), reserve).kind,
             relay::AdminErrorKind::Invalid);
    QCOMPARE(m_admin->configVersion(), version);
    // Zero, or back to the default, is no reservation: fine for best-effort.
    relay::TenantChanges none;
    none.reserved = relay::LimitValue(0);
    QVERIFY(m_admin->setTenant(QStringLiteral("batch"), none).ok);
    none.reserved = relay::LimitValue();
    QVERIFY(m_admin->setTenant(QStringLiteral("batch"), none).ok);
    // With the tier in the same change, it is accepted.
    reserve.tier = QStringLiteral("dedicated");
    QVERIFY(m_admin->setTenant(QStringLiteral("batch"), reserve).ok);
    QCOMPARE(m_admin->tenant(QStringLiteral("batch")).value.tenant.effectiveReserved(), 2);
}

void TestAdminService::effectiveValuesFollowTheTier()
{
    relay::TenantRecord t;
    QCOMPARE(t.tier, QStringLiteral("best-effort"));
    QCOMPARE(t.effectiveReserved(), 0);
    QCOMPARE(t.effectiveQueueTimeoutMs(), 30'000);
    t.reserved = 3; // kept, but a best-effort tenant reserves nothing
    QCOMPARE(t.effectiveReserved(), 0);
    t.tier = QStringLiteral("guaranteed");
    QCOMPARE(t.effectiveReserved(), 3);
    QCOMPARE(t.effectiveQueueTimeoutMs(), 15'000);
    t.reserved.reset();
    QCOMPARE(t.effectiveReserved(), 1);
    t.tier = QStringLiteral("dedicated");
    QCOMPARE(t.effectiveReserved(), 1);
    QCOMPARE(t.effectiveQueueTimeoutMs(), 5000);
    t.queueTimeoutMs = 1234;
    QCOMPARE(t.effectiveQueueTimeoutMs(), 1234);

    // A hand-edited tier the relay does not know is shown as the relay treats it.
    QVERIFY(m_admin->addTenant(QStringLiteral("odd"), {}).ok);
    QSqlQuery q(m_db->db());
    QVERIFY(q.exec(QStringLiteral("UPDATE tenants SET tier = 'platinum', weight = 0")));
    const relay::TenantRecord odd = m_admin->listTenants().value.at(0);
    QCOMPARE(odd.tier, QStringLiteral("best-effort"));
    QCOMPARE(odd.weight, 1);
}

void TestAdminService::upstreamsShowScaledReservations()
{
    auto addUpstream = [&](const QString &name, int pool) {
        relay::UpstreamChanges up;
        up.baseUrl = QStringLiteral("http://127.0.0.1:9000/v1");
        up.maxConnections = pool;
        QVERIFY(m_admin->addUpstream(name, up).ok);
    };
    addUpstream(QStringLiteral("pool3"), 3);
    addUpstream(QStringLiteral("pool2"), 2);
    relay::TenantChanges dedicated;
    dedicated.tier = QStringLiteral("dedicated");
    dedicated.reserved = relay::LimitValue(2);
    QVERIFY(m_admin->addTenant(QStringLiteral("a"), dedicated).ok);
    QVERIFY(m_admin->addTenant(QStringLiteral("b"), dedicated).ok);
    QVERIFY(m_admin->addTenant(QStringLiteral("c"), {}).ok);

    // pool3: 2 + 2 = 4 ≥ 3 → each 2 × 2 / 4 = 1; pool2: each 2 × 1 / 4 = 0.
    QList<relay::UpstreamRecord> list = m_admin->listUpstreams().value;
    QCOMPARE(list.at(0).name, QStringLiteral("pool3"));
    QCOMPARE(list.at(0).reserved, 2);
    QCOMPARE(list.at(1).reserved, 0);

    // One guaranteed tenant alone with the default 1 fits everywhere.
    QVERIFY(m_admin->removeTenant(QStringLiteral("a")).ok);
    QVERIFY(m_admin->removeTenant(QStringLiteral("b")).ok);
    relay::TenantChanges guaranteed;
    guaranteed.tier = QStringLiteral("guaranteed");
    QVERIFY(m_admin->setTenant(QStringLiteral("c"), guaranteed).ok);
    list = m_admin->listUpstreams().value;
    QCOMPARE(list.at(0).reserved, 1);
    QCOMPARE(list.at(1).reserved, 1);
}

QTEST_GUILESS_MAIN(TestAdminService)
#include "tst_adminservice.moc"
