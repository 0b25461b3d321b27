// Keys changed by admin commands in another process while `tenantrelay serve` runs on the same
// database (interface.md §1: within 2 seconds, without restart). The relay's workers remember the
// digest of keys that matched; this is the test that a remembered key is refused once another
// process revokes it, on new and on kept-alive connections, and that a key issued meanwhile works.
#include "Processes.h"
#include "TempDir.h"
#include "TestHttpClient.h"

#include "tenants/ApiKey.h"

#include <QTest>

using namespace relay::test;
using namespace relay::test::mp;

namespace {

// The contract's 2 s, with room for a loaded 2-core machine: the test is about the refusal
// coming at all, not about its timing.
constexpr qint64 kTakesEffectMs = 15'000;

int chatStatus(quint16 port, const QString &key)
{
    return request(port, "POST", "/v1/chat/completions", chatBody(), TestHttpClient::bearer(key))
        .status;
}

// The same on a connection the test keeps open.
int chatStatus(TestHttpClient &client, const QString &key)
{
    client.resetResponse();
    client.send("POST", "/v1/chat/completions", chatBody(), TestHttpClient::bearer(key));
    return client.waitDone() ? client.response().status : -1;
}

// Asks every 100 ms until the answer is `status`; the time it took, or -1 past the deadline.
qint64 waitForStatus(quint16 port, const QString &key, int status)
{
    const qint64 start = wallMs();
    while (wallMs() - start < kTakesEffectMs) {
        if (chatStatus(port, key) == status)
            return wallMs() - start;
        QTest::qWait(100);
    }
    return -1;
}

} // namespace

class TestKeysBesideAdminCommands : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void revokedInAnotherProcessIsRefused();
};

void TestKeysBesideAdminCommands::revokedInAnotherProcessIsRefused()
{
    const TempDb temp;
    const QString db = temp.path();
    QString error;
    Server sim;
    QVERIFY2(startSimulator(sim, 1, &error), qPrintable(error));
    QString key;
    QVERIFY2(addSimUpstreamAndTenant(db, sim.port(), 0, QStringLiteral("t1"), &key, &error),
             qPrintable(error));

    Server relay;
    QVERIFY2(startRelay(relay, db, &error), qPrintable(error));
    // A connection opened now and kept alive across the revocation.
    TestHttpClient kept(relay.port());
    QCOMPARE(chatStatus(kept, key), 200);
    // New connections, spread over both workers: each remembers the key's digest.
    for (int i = 0; i < 8; ++i)
        QCOMPARE(chatStatus(relay.port(), key), 200);

    const QStringList revoke{"key", "revoke", relay::ApiKey::prefix(key)};
    const CommandResult revoked = admin(db, revoke);
    QVERIFY2(revoked.code == 0, qPrintable(revoked.describe(revoke)));
    const qint64 tookMs = waitForStatus(relay.port(), key, 401);
    qInfo("revoked key refused %lld ms after `key revoke` ended", qlonglong(tookMs));
    QVERIFY2(tookMs >= 0, "the relay kept accepting a key revoked by another process");
    // From then on, on every worker and on the connection kept alive: refused, never forwarded.
    for (int i = 0; i < 8; ++i)
        QCOMPARE(chatStatus(relay.port(), key), 401);
    QCOMPARE(chatStatus(kept, key), 401);

    const QStringList issue{"key", "issue", "t1"};
    const CommandResult issued = admin(db, issue);
    QVERIFY2(issued.code == 0, qPrintable(issued.describe(issue)));
    const QString second = QString::fromUtf8(issued.out.trimmed());
    QVERIFY(waitForStatus(relay.port(), second, 200) >= 0);
    QCOMPARE(chatStatus(relay.port(), key), 401);
    QVERIFY(relay.terminate());
    sim.terminate();
}

QTEST_GUILESS_MAIN(TestKeysBesideAdminCommands)
#include "tst_mp_keys.moc"
