// `tenantrelay serve` as a separate process: SIGTERM loses no usage row, kill -9 loses at most
// the requests finished in its last 100 ms, and the database opens cleanly afterwards.
#include "RelayHarness.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QSet>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTest>

#include <csignal>

using namespace relay;
using namespace relay::test;

namespace {

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

// Clients that keep sending requests, one after another on fresh connections, and remember
// when each answer arrived.
class LoadGenerator : public QObject
{
public:
    struct Done
    {
        QByteArray requestId;
        int status;
        qint64 atMs;
    };

    LoadGenerator(quint16 port, QString key, int clients) : m_port(port), m_key(std::move(key))
    {
        m_clock.start();
        for (int i = 0; i < clients; ++i)
            next();
    }
    void stop() { m_stopped = true; }
    qint64 nowMs() const { return m_clock.elapsed(); }
    const QList<Done> &done() const { return m_done; }

private:
    void next()
    {
        if (m_stopped)
            return;
        auto *client = new TestHttpClient(m_port, this);
        connect(client, &TestHttpClient::done, this, [this, client] {
            const TestResponse &r = client->response();
            client->disconnect(this); // `done` also fires when the connection closes later
            if (r.complete) {
                if (r.header("x-request-id").isEmpty())
                    qWarning("answer without x-request-id: %d %s", r.status, r.body.constData());
                m_done.append({r.header("x-request-id"), r.status, m_clock.elapsed()});
            }
            client->deleteLater();
            if (r.complete)
                QMetaObject::invokeMethod(
                    this, [this] { next(); }, Qt::QueuedConnection);
        });
        client->send("POST", "/v1/chat/completions",
                     RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("load")),
                     TestHttpClient::bearer(m_key));
    }

    quint16 m_port;
    QString m_key;
    QElapsedTimer m_clock;
    QList<Done> m_done;
    bool m_stopped = false;
};

} // namespace

class TestDurability : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<RelayHarness> h;
    QString key;
    quint16 port = 0;
    QProcess relay;

    void startRelay()
    {
        port = freePort();
        relay.setProgram(qEnvironmentVariable("TENANTRELAY_BIN"));
        relay.setArguments({QStringLiteral("--db"), h->dbPath(), QStringLiteral("serve"),
                            QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port),
                            QStringLiteral("--workers"), QStringLiteral("2")});
        relay.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        relay.start();
        QVERIFY(relay.waitForStarted());
        QTRY_COMPARE_WITH_TIMEOUT(request(port, "GET", "/healthz", {}, {}, 500).status, 200,
                                  10'000);
    }

    QSet<QByteArray> meteredIds()
    {
        QSet<QByteArray> ids;
        QSqlQuery q(h->db());
        q.exec(QStringLiteral("SELECT request_id FROM usage"));
        while (q.next())
            ids.insert(q.value(0).toByteArray());
        return ids;
    }

private Q_SLOTS:
    void init()
    {
        h = std::make_unique<RelayHarness>();
        h->sim().setLatencyMs(20, 10);
        h->addSimUpstream(QStringLiteral("sim"), h->sim(), 16);
        key = h->addTenant(QStringLiteral("prod"));
    }

    void cleanup()
    {
        if (relay.state() != QProcess::NotRunning) {
            relay.kill();
            relay.waitForFinished();
        }
        h.reset();
    }

    void sigtermFlushesEveryUsageRow()
    {
        startRelay();
        LoadGenerator load(port, key, 24);
        QTRY_VERIFY_WITH_TIMEOUT(load.done().size() >= 300, 30'000);
        ::kill(pid_t(relay.processId()), SIGTERM);
        QVERIFY(relay.waitForFinished(20'000));
        load.stop();
        QCOMPARE(relay.exitStatus(), QProcess::NormalExit);
        QCOMPARE(relay.exitCode(), 0);
        const QSet<QByteArray> metered = meteredIds();
        int served = 0;
        for (const auto &d : load.done()) {
            if (d.status != 200)
                continue;
            ++served;
            QVERIFY2(
                metered.contains(d.requestId),
                qPrintable(QStringLiteral("request %1 (of %2 served) is not in the usage table")
                               .arg(QString::fromLatin1(d.requestId))
                               .arg(load.done().size())));
        }
        QVERIFY(served >= 300);
    }

    void killNineLosesAtMostTheLast100Ms()
    {
        startRelay();
        LoadGenerator load(port, key, 24);
        QTRY_VERIFY_WITH_TIMEOUT(load.done().size() >= 800, 30'000);
        const qint64 killedAt = load.nowMs();
        relay.kill(); // SIGKILL
        QVERIFY(relay.waitForFinished(10'000));
        load.stop();

        // The database opens (migrations and WAL recovery) and is intact.
        Database after;
        QString error;
        QVERIFY2(after.open(h->dbPath(), &error), qPrintable(error));
        QSqlQuery check(after.db());
        QVERIFY(check.exec(QStringLiteral("PRAGMA integrity_check")) && check.next());
        QCOMPARE(check.value(0).toString(), QStringLiteral("ok"));

        const QSet<QByteArray> metered = meteredIds();
        int mustHave = 0;
        int lostRecent = 0;
        for (const auto &d : load.done()) {
            if (d.status != 200)
                continue;
            if (d.atMs < killedAt - 100) {
                ++mustHave;
                QVERIFY2(metered.contains(d.requestId),
                         qPrintable(QStringLiteral("%1 finished %2 ms before the kill")
                                        .arg(QString::fromLatin1(d.requestId))
                                        .arg(killedAt - d.atMs)));
            } else if (!metered.contains(d.requestId)) {
                ++lostRecent;
            }
        }
        QVERIFY2(mustHave >= 400,
                 qPrintable(QStringLiteral("%1 served before the kill, %2 answers in all")
                                .arg(mustHave)
                                .arg(load.done().size())));
        qInfo("kill -9: %d requests finished more than 100 ms before the kill, all metered; "
              "%d of the last 100 ms not yet written",
              mustHave, lostRecent);
    }
};

QTEST_GUILESS_MAIN(TestDurability)
#include "tst_durability.moc"
