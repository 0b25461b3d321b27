// The README's own workflow with real processes: `tenantrelay serve` running, an admin command in
// another process, ten requests, kill -9. Every answered request is metered: an admin command,
// even a read, never costs the relay its metering (interface.md §1 and §4 "Durability").
#include "Processes.h"
#include "TempDir.h"
#include "TestHttpClient.h"

#include <QTest>

using namespace relay::test;
using namespace relay::test::mp;

class TestMeteringBesideAdminCommands : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void killNineAfterAdminCommandsLosesNoAnswer_data();
    void killNineAfterAdminCommandsLosesNoAnswer();
};

void TestMeteringBesideAdminCommands::killNineAfterAdminCommandsLosesNoAnswer_data()
{
    QTest::addColumn<QStringList>("command");
    // Without any admin command, as a baseline for the same steps.
    QTest::newRow("no admin command") << QStringList();
    QTest::newRow("usage --json") << QStringList{"usage", "--json"};
    QTest::newRow("tenant list") << QStringList{"tenant", "list"};
}

void TestMeteringBesideAdminCommands::killNineAfterAdminCommandsLosesNoAnswer()
{
    QFETCH(QStringList, command);
    const TempDb temp;
    const QString db = temp.path();
    QString error;
    Server sim;
    QVERIFY2(startSimulator(sim, 5, &error), qPrintable(error));
    QString key;
    QVERIFY2(addSimUpstreamAndTenant(db, sim.port(), 8, QStringLiteral("t1"), &key, &error),
             qPrintable(error));

    Server relay;
    QVERIFY2(startRelay(relay, db, &error), qPrintable(error));
    if (!command.isEmpty()) {
        const CommandResult r = admin(db, command);
        QVERIFY2(r.code == 0, qPrintable(r.describe(command)));
    }
    QSet<QByteArray> answered;
    for (int i = 0; i < 10; ++i) {
        const TestResponse r = request(relay.port(), "POST", "/v1/chat/completions", chatBody(),
                                       TestHttpClient::bearer(key));
        QCOMPARE(r.status, 200);
        answered.insert(r.header("x-request-id"));
        QTest::qWait(200);
    }
    QTest::qWait(2000);
    relay.kill9();
    sim.terminate();

    QSet<QByteArray> metered;
    QVERIFY2(meteredRequestIds(db, &metered, &error), qPrintable(error));
    const qsizetype found = (answered & metered).size();
    const QString integrity = integrityCheck(db);
    qInfo("after '%s': %lld of %lld answered requests metered, %lld usage rows in all; "
          "integrity_check: %s",
          qPrintable(command.isEmpty() ? QStringLiteral("no admin command") : command.join(' ')),
          qlonglong(found), qlonglong(answered.size()), qlonglong(metered.size()),
          qPrintable(integrity));
    QCOMPARE(answered.size(), 10);
    QCOMPARE(found, answered.size());
    QCOMPARE(integrity, QStringLiteral("ok"));
}

QTEST_GUILESS_MAIN(TestMeteringBesideAdminCommands)
#include "tst_mp_metering.moc"
