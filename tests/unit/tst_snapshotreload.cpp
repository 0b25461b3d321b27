#include "core/Clock.h"
#include "proxy/RelayContext.h"
#include "store/ConfigLoader.h"
#include "store/Database.h"
#include "tenants/ApiKey.h"

#include "TempDir.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

#include <sys/stat.h>

#include <variant>

using relay::Database;
using relay::DirectorySnapshotPtr;
// relaycore is a static library: its migrations are linked in only when referenced, and
// Q_INIT_RESOURCE has to be used outside any namespace.
static void initRelaycoreResources()
{
    Q_INIT_RESOURCE(relaycore);
}

using relay::ConfigLoader::configVersion;

namespace {

const char kKey[] = "sk-tr-0123456789abcdefghijklmnopqrstuvwxyzAB";

// Runs each statement, failing the test on the first error.
bool execAll(QSqlDatabase &db, const QStringList &statements)
{
    for (const QString &sql : statements) {
        QSqlQuery q(db);
        if (!q.exec(sql)) {
            qWarning("%s: %s", qPrintable(sql), qPrintable(q.lastError().text()));
            return false;
        }
    }
    return true;
}

bool bumpVersion(QSqlDatabase &db)
{
    return execAll(db, {QStringLiteral("UPDATE config_state SET version = version + 1")});
}

int fileMode(const QString &path)
{
    struct stat st
    {
    };
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return int(st.st_mode & 0777);
}

DirectorySnapshotPtr load(QSqlDatabase &db)
{
    QString error;
    DirectorySnapshotPtr snap = relay::ConfigLoader::load(db, &error);
    if (!snap)
        qWarning("load failed: %s", qPrintable(error));
    return snap;
}

} // namespace

class TestSnapshotReload : public QObject
{
    Q_OBJECT

private:
    relay::test::TempDb m_tmp;
    Database m_db;

    // The admin rows every test starts from, written as the CLI would, with a version bump.
    bool seed()
    {
        const QString hash = QString::fromLatin1(relay::ApiKey::hash(kKey));
        return execAll(
                   m_db.db(),
                   {
                       "INSERT INTO tenants (id, name, models, enabled, created_at) VALUES "
                       "('team-a', 'Team A', '[\"gpt-4o\",\"text-embedding-3-small\"]', 1, 0), "
                       "('team-b', 'Team B', NULL, 0, 0)",
                       "INSERT INTO api_keys (hash, prefix, tenant_id, created_at, revoked) VALUES "
                       "('" +
                           hash +
                           "', 'sk-tr-012345', 'team-a', 0, 0), "
                           "('deadbeef', 'sk-tr-zzzzzz', 'team-b', 0, 1)",
                       // Inserted out of order: the snapshot lists them by position.
                       "INSERT INTO upstreams (name, position, kind, base_url, api_key_env, "
                       "max_connections, timeout_ms, enabled, created_at) VALUES "
                       "('deepseek', 2, 'openai', 'https://api.deepseek.com/v1/', 'DS_KEY', 8, "
                       "30000, 1, 0), "
                       "('openai', 1, 'openai', 'https://api.openai.com/v1', 'OPENAI_KEY', 2, "
                       "60000, 1, 0), "
                       "('broken', 3, 'openai', 'ftp://nowhere', NULL, 4, 60000, 1, 0)",
                       "INSERT INTO routes (model, targets) VALUES "
                       "('gpt-4o', '[\"openai\",\"deepseek:deepseek-chat\"]'), "
                       "('llama', '[\"ollama:llama3:8b\"]')",
                       "INSERT INTO aliases (alias, model) VALUES ('gpt-4', 'gpt-4o')",
                       // Instead of the shipped price list a new database starts with.
                       "DELETE FROM prices",
                       "INSERT INTO prices (model, input, output) VALUES "
                       "('gpt-4o-mini', 0.15, 0.6), ('gpt-4o', 2.5, 10)",
                   }) &&
               bumpVersion(m_db.db());
    }

private Q_SLOTS:
    void initTestCase() { initRelaycoreResources(); }

    void init()
    {
        QString error;
        QVERIFY2(m_db.open(m_tmp.path(), &error), qPrintable(error));
        QVERIFY(m_db.isOpen());
    }

    void cleanup()
    {
        m_db.close();
        QFile::remove(m_tmp.path());
        QFile::remove(m_tmp.path() + QStringLiteral("-wal"));
        QFile::remove(m_tmp.path() + QStringLiteral("-shm"));
    }

    void fileIsPrivate()
    {
        QCOMPARE(fileMode(m_tmp.path()), 0600);
        QVERIFY(seed());
        for (const char *side : {"-wal", "-shm"}) {
            const int mode = fileMode(m_tmp.path() + QLatin1String(side));
            QVERIFY2(mode == -1 || mode == 0600, side);
        }
    }

    void fileIsPrivateWhateverTheUmask()
    {
        m_db.close();
        QFile::remove(m_tmp.path());
        const mode_t old = ::umask(0);
        QString error;
        const bool opened = m_db.open(m_tmp.path(), &error);
        ::umask(old);
        QVERIFY2(opened, qPrintable(error));
        QCOMPARE(fileMode(m_tmp.path()), 0600);
    }

    void schemaVersion()
    {
        QVERIFY(Database::schemaVersion() >= 1);
        QSqlQuery q(m_db.db());
        QVERIFY(q.exec(QStringLiteral("PRAGMA user_version")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), Database::schemaVersion());
        QSqlQuery wal(m_db.db());
        QVERIFY(wal.exec(QStringLiteral("PRAGMA journal_mode")));
        QVERIFY(wal.next());
        QCOMPARE(wal.value(0).toString(), QStringLiteral("wal"));
    }

    void pathPrecedence()
    {
        // --db, then $TENANTRELAY_DB (the saved console setting and app-data come after).
        const QByteArray saved = qgetenv("TENANTRELAY_DB");
        qputenv("TENANTRELAY_DB", "/tmp/from-env.db");
        QCOMPARE(Database::resolvePath(QStringLiteral("/tmp/from-cli.db")),
                 QStringLiteral("/tmp/from-cli.db"));
        QCOMPARE(Database::resolvePath(QString()), QStringLiteral("/tmp/from-env.db"));
        if (saved.isNull())
            qunsetenv("TENANTRELAY_DB");
        else
            qputenv("TENANTRELAY_DB", saved);
    }

    void reopenKeepsData()
    {
        QVERIFY(seed());
        const qint64 version = configVersion(m_db.db());
        m_db.close();
        QString error;
        QVERIFY2(m_db.open(m_tmp.path(), &error), qPrintable(error));
        QCOMPARE(configVersion(m_db.db()), version);
        QCOMPARE(load(m_db.db())->tenants.size(), 2);
    }

    void newerSchemaRefused()
    {
        QVERIFY(execAll(
            m_db.db(),
            {QStringLiteral("PRAGMA user_version = %1").arg(Database::schemaVersion() + 1)}));
        m_db.close();
        QString error;
        QVERIFY(!m_db.open(m_tmp.path(), &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(!m_db.isOpen());
    }

    void loadReadsEveryTable()
    {
        QCOMPARE(configVersion(m_db.db()), 1);
        QVERIFY(seed());
        QCOMPARE(configVersion(m_db.db()), 2);
        const DirectorySnapshotPtr snap = load(m_db.db());
        QVERIFY(snap);
        QCOMPARE(snap->version, 2);

        QCOMPARE(snap->tenants.size(), 2);
        const relay::TenantConfig a = snap->tenants.value(QStringLiteral("team-a"));
        QCOMPARE(a.name, QStringLiteral("Team A"));
        QVERIFY(a.enabled);
        QVERIFY(a.models);
        QCOMPARE(*a.models, (QStringList{"gpt-4o", "text-embedding-3-small"}));
        const relay::TenantConfig b = snap->tenants.value(QStringLiteral("team-b"));
        QVERIFY(!b.enabled);
        QVERIFY(!b.models);

        QCOMPARE(snap->keysByHash.size(), 2);
        const auto key = snap->keysByHash.constFind(relay::ApiKey::hash(kKey));
        QVERIFY(key != snap->keysByHash.cend());
        QCOMPARE(key->tenantId, QStringLiteral("team-a"));
        QCOMPARE(key->prefix, QStringLiteral("sk-tr-012345"));
        QVERIFY(!key->revoked);
        QVERIFY(snap->keysByHash.value("deadbeef").revoked);

        QCOMPARE(snap->upstreams.size(), size_t(3));
        const relay::UpstreamConfig &openai = snap->upstreams[0];
        QCOMPARE(openai.name, QStringLiteral("openai"));
        QCOMPARE(openai.maxConnections, 2);
        QCOMPARE(openai.timeoutMs, 60000);
        QCOMPARE(openai.apiKeyEnv, QStringLiteral("OPENAI_KEY"));
        QVERIFY(openai.tls);
        QCOMPARE(openai.host, QStringLiteral("api.openai.com"));
        QCOMPARE(openai.basePath, QByteArray("/v1"));
        const relay::UpstreamConfig &deepseek = snap->upstreams[1];
        QCOMPARE(deepseek.name, QStringLiteral("deepseek"));
        QCOMPARE(deepseek.timeoutMs, 30000);
        QCOMPARE(deepseek.basePath, QByteArray("/v1"));
        // A hand-edited bad URL disables the upstream instead of breaking the snapshot.
        QCOMPARE(snap->upstreams[2].name, QStringLiteral("broken"));
        QVERIFY(!snap->upstreams[2].enabled);

        const auto chain = snap->resolve(QStringLiteral("gpt-4"));
        QCOMPARE(chain.model, QStringLiteral("gpt-4o"));
        QCOMPARE(chain.chain.size(), size_t(2));
        QCOMPARE(chain.chain[0].upstream->name, QStringLiteral("openai"));
        QCOMPARE(chain.chain[0].model, QStringLiteral("gpt-4o"));
        QCOMPARE(chain.chain[1].upstream->name, QStringLiteral("deepseek"));
        QCOMPARE(chain.chain[1].model, QStringLiteral("deepseek-chat"));
        const auto llama = snap->routes.value(QStringLiteral("llama"));
        QCOMPARE(llama.size(), size_t(1));
        QCOMPARE(llama[0].upstream, QStringLiteral("ollama"));
        QCOMPARE(llama[0].model, QStringLiteral("llama3:8b"));
        QCOMPARE(snap->aliases.value(QStringLiteral("gpt-4")), QStringLiteral("gpt-4o"));

        QCOMPARE(snap->prices.size(), size_t(2));
        QCOMPARE(snap->prices[0].model, QStringLiteral("gpt-4o"));
        QCOMPARE(snap->prices[0].outputPerMTok, 10.0);
        QCOMPARE(snap->priceFor(QStringLiteral("gpt-4o-mini-2024-07-18"))->inputPerMTok, 0.15);
    }

    void configVersionFollowsBumps()
    {
        const qint64 start = configVersion(m_db.db());
        QVERIFY(start >= 1);
        for (int i = 1; i <= 3; ++i) {
            QVERIFY(bumpVersion(m_db.db()));
            QCOMPARE(configVersion(m_db.db()), start + i);
            QCOMPARE(load(m_db.db())->version, start + i);
        }
    }

    void publishKeepsSlotPools()
    {
        QVERIFY(seed());
        relay::ManualClock clock;
        relay::RelayContext ctx(clock, nullptr);
        QVERIFY(ctx.config()->directory);
        QVERIFY(!ctx.config()->slotsFor(QStringLiteral("openai")));

        ctx.publish(load(m_db.db()));
        const auto first = ctx.config();
        QCOMPARE(first->directory->version, 2);
        const auto pool = first->slotsFor(QStringLiteral("openai"));
        QVERIFY(pool);
        QCOMPARE(pool->maxConnections(), 2);
        QCOMPARE(first->slotsFor(QStringLiteral("deepseek"))->maxConnections(), 8);

        // Two requests in flight fill the pool; a third waits.
        QObject context;
        bool granted = false;
        auto a = pool->acquire(&context, [] {});
        auto b = pool->acquire(&context, [] {});
        auto c = pool->acquire(&context, [&granted] { granted = true; });
        QVERIFY(a->isGranted() && b->isGranted());
        QVERIFY(!c->isGranted());

        // The admin raises max_connections: the same pool takes the new size, and the waiting
        // request gets the extra slot.
        QVERIFY(
            execAll(m_db.db(), {"UPDATE upstreams SET max_connections = 3 WHERE name = 'openai'"}));
        QVERIFY(bumpVersion(m_db.db()));
        ctx.publish(load(m_db.db()));
        QCOMPARE(ctx.config()->directory->version, 3);
        QCOMPARE(ctx.config()->slotsFor(QStringLiteral("openai")).get(), pool.get());
        QCOMPARE(pool->maxConnections(), 3);
        QTRY_VERIFY(granted);
        QVERIFY(c->isGranted());
        QCOMPARE(pool->inFlight(), 3);

        // Lowered again: nothing in flight is cut, but no new request gets in above the cap.
        QVERIFY(
            execAll(m_db.db(), {"UPDATE upstreams SET max_connections = 1 WHERE name = 'openai'"}));
        QVERIFY(bumpVersion(m_db.db()));
        ctx.publish(load(m_db.db()));
        QCOMPARE(ctx.config()->slotsFor(QStringLiteral("openai")).get(), pool.get());
        QCOMPARE(pool->maxConnections(), 1);
        QCOMPARE(pool->inFlight(), 3);
        auto d = pool->acquire(&context, [] {});
        QVERIFY(!d->isGranted());
    }

    // A published config holds each tenant's limit and budget state and each upstream's pool,
    // circuit and figures, found once: the very objects the limiter, the budget tracker and the
    // other look-ups use, so a request admitted through them counts where the relay looks, and
    // a limit changed at run time applies to them in place.
    void publishResolvesEachTenantsAndUpstreamsStatesOnce()
    {
        QVERIFY(seed());
        relay::ManualClock clock;
        relay::RelayContext ctx(clock, nullptr);
        QVERIFY(execAll(m_db.db(), {"UPDATE tenants SET rpm = 2 WHERE id = 'team-a'"}));
        QVERIFY(bumpVersion(m_db.db()));
        ctx.publish(load(m_db.db()));
        const auto first = ctx.config();
        const QString teamA = QStringLiteral("team-a");
        const relay::TenantLive *live = first->tenant(teamA);
        QVERIFY(live);
        QCOMPARE(live->limits.get(), ctx.limiter().state(teamA).get());
        QCOMPARE(live->budget.get(), ctx.budgets().state(teamA).get());
        QCOMPARE(live->flow.get(), &first->tenantFlow(teamA));
        QVERIFY(!first->tenant(QStringLiteral("nobody")));
        const relay::UpstreamLive *openai = first->upstream(QStringLiteral("openai"));
        QVERIFY(openai);
        QCOMPARE(openai->slots, first->slotsFor(QStringLiteral("openai")));
        QCOMPARE(openai->circuit, first->circuitFor(QStringLiteral("openai")));
        QCOMPARE(openai->flow.get(), first->upstreamFlow(QStringLiteral("openai")));
        QVERIFY(!first->upstream(QStringLiteral("nowhere")));

        // Admitted through the config's state: the limiter, asked by name, sees the same
        // bucket (rpm 2: one left, then none).
        const relay::TenantConfig &tenant = first->directory->tenants.value(teamA);
        const relay::ModelResolution resolution =
            first->directory->resolve(QStringLiteral("gpt-4o"));
        auto admitted = ctx.admission().admit(tenant, first->prices, resolution, {10, 0}, live);
        QVERIFY(std::holds_alternative<relay::Reservation>(admitted));
        QVERIFY(ctx.limiter().admit(teamA, 10).admitted());
        QVERIFY(!ctx.limiter().admit(teamA, 10).admitted());
        QVERIFY(std::holds_alternative<relay::ApiError>(
            ctx.admission().admit(tenant, first->prices, resolution, {10, 0}, live)));

        // rpm raised at run time: the next config holds the same state, changed in place, and
        // the old config's view of it (a worker that has not taken the new one yet) agrees.
        QVERIFY(execAll(m_db.db(), {"UPDATE tenants SET rpm = 600 WHERE id = 'team-a'"}));
        QVERIFY(bumpVersion(m_db.db()));
        ctx.publish(load(m_db.db()));
        QCOMPARE(ctx.config()->tenant(teamA)->limits.get(), live->limits.get());
        QCOMPARE(ctx.config()->tenant(teamA)->budget.get(), live->budget.get());
        clock.advance(1000); // rpm 600 refills 10 a second
        QVERIFY(std::holds_alternative<relay::Reservation>(
            ctx.admission().admit(tenant, first->prices, resolution, {10, 0}, live)));

        // A tenant removed is gone from the next config; added back, it starts afresh.
        QVERIFY(execAll(m_db.db(), {"DELETE FROM api_keys WHERE tenant_id = 'team-a'",
                                    "DELETE FROM tenants WHERE id = 'team-a'"}));
        QVERIFY(bumpVersion(m_db.db()));
        ctx.publish(load(m_db.db()));
        QVERIFY(!ctx.config()->tenant(teamA));
        QVERIFY(execAll(m_db.db(), {"INSERT INTO tenants (id, name, models, enabled, rpm, "
                                    "created_at) VALUES ('team-a', 'Team A', NULL, 1, 2, 0)"}));
        QVERIFY(bumpVersion(m_db.db()));
        ctx.publish(load(m_db.db()));
        const relay::TenantLive *again = ctx.config()->tenant(teamA);
        QVERIFY(again);
        QVERIFY(again->limits.get() != live->limits.get());
        QCOMPARE(again->limits.get(), ctx.limiter().state(teamA).get());
    }

    void publishAddsAndDropsPools()
    {
        QVERIFY(seed());
        relay::ManualClock clock;
        relay::RelayContext ctx(clock, nullptr);
        ctx.publish(load(m_db.db()));
        const auto deepseek = ctx.config()->slotsFor(QStringLiteral("deepseek"));
        QVERIFY(deepseek);
        QVERIFY(execAll(m_db.db(),
                        {"DELETE FROM upstreams WHERE name = 'deepseek'",
                         "INSERT INTO upstreams (name, position, base_url, max_connections, "
                         "created_at) VALUES ('local', 4, 'http://127.0.0.1:8080/v1', 5, 0)"}));
        QVERIFY(bumpVersion(m_db.db()));
        ctx.publish(load(m_db.db()));
        QVERIFY(!ctx.config()->slotsFor(QStringLiteral("deepseek")));
        const auto local = ctx.config()->slotsFor(QStringLiteral("local"));
        QVERIFY(local);
        QCOMPARE(local->maxConnections(), 5);
        QCOMPARE(local->name(), QStringLiteral("local"));
        QVERIFY(ctx.config()->slotsFor(QStringLiteral("openai")));
    }

    void oldConfigStaysValidForReaders()
    {
        // A worker holding the previous config keeps a consistent view while a new one is
        // published.
        QVERIFY(seed());
        relay::ManualClock clock;
        relay::RelayContext ctx(clock, nullptr);
        ctx.publish(load(m_db.db()));
        const auto held = ctx.config();
        QVERIFY(execAll(m_db.db(), {"DELETE FROM aliases"}));
        QVERIFY(bumpVersion(m_db.db()));
        ctx.publish(load(m_db.db()));
        QCOMPARE(held->directory->aliases.size(), 1);
        QCOMPARE(ctx.config()->directory->aliases.size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestSnapshotReload)
#include "tst_snapshotreload.moc"
