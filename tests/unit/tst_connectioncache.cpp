// A worker's idle upstream connections (ConnectionCache): kept by endpoint (scheme, host and
// port), the last put away taken first, dropped when the upstream closes them, swept after
// their idle time. Real connections to listeners on loopback.
#include "upstream/ConnectionCache.h"
#include "upstream/UpstreamConnection.h"

#include <QCoreApplication>
#include <QHostAddress>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <memory>
#include <vector>

using relay::ConnectionCache;
using relay::UpstreamConnection;
using relay::UpstreamConnectionClient;
using relay::UpstreamEndpoint;

namespace {

// Hears a connection until it is ready, then lets it go to the cache.
struct Opener : UpstreamConnectionClient
{
    int ready = 0;
    int failed = 0;
    void connectionReady(UpstreamConnection *) override { ++ready; }
    void connectionReadable(UpstreamConnection *) override {}
    void connectionFailed(UpstreamConnection *) override { ++failed; }
};

// A listener on loopback that keeps every connection it accepts.
struct Upstream
{
    Upstream()
    {
        server.listen(QHostAddress::LocalHost);
        QObject::connect(&server, &QTcpServer::newConnection, [this] {
            while (QTcpSocket *s = server.nextPendingConnection())
                accepted.push_back(s);
        });
    }
    UpstreamEndpoint endpoint() const
    {
        return {false, QStringLiteral("127.0.0.1"), server.serverPort()};
    }
    QTcpServer server;
    std::vector<QTcpSocket *> accepted;
};

} // namespace

class TestConnectionCache : public QObject
{
    Q_OBJECT

private:
    // An open connection to `endpoint`, ready for requests; nullptr when it did not connect.
    UpstreamConnection *connectTo(const UpstreamEndpoint &endpoint)
    {
        auto *c = new UpstreamConnection(endpoint);
        c->setClient(&m_opener);
        const int before = m_opener.ready;
        c->open();
        if (!QTest::qWaitFor([&] { return m_opener.ready > before || m_opener.failed; }, 5000) ||
            m_opener.ready == before) {
            delete c;
            return nullptr;
        }
        c->setClient(nullptr);
        return c;
    }

    Opener m_opener;

private Q_SLOTS:
    // What the cache let go of (deleteLater) goes before the next test, not at exit.
    void cleanup() { QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete); }

    void takesOnlyWhatWasPutAwayForTheSameEndpoint()
    {
        Upstream a;
        Upstream b;
        ConnectionCache cache;
        UpstreamConnection *toA = connectTo(a.endpoint());
        UpstreamConnection *toB = connectTo(b.endpoint());
        QVERIFY(toA && toB);
        QCOMPARE(cache.take(a.endpoint()), nullptr);
        cache.put(toA, 0);
        cache.put(toB, 0);
        QCOMPARE(cache.idleCount(), 2);

        // The same host and port over https, or the same port under another host name, is
        // another endpoint.
        UpstreamEndpoint tls = a.endpoint();
        tls.tls = true;
        QCOMPARE(cache.take(tls), nullptr);
        UpstreamEndpoint named = a.endpoint();
        named.host = QStringLiteral("localhost");
        QCOMPARE(cache.take(named), nullptr);

        QCOMPARE(cache.take(b.endpoint()), toB);
        QCOMPARE(cache.take(b.endpoint()), nullptr);
        QCOMPARE(cache.take(a.endpoint()), toA);
        QCOMPARE(cache.take(a.endpoint()), nullptr);
        QCOMPARE(cache.idleCount(), 0);
        delete toA;
        delete toB;
    }

    void theLastPutAwayIsTakenFirst()
    {
        Upstream a;
        ConnectionCache cache;
        UpstreamConnection *first = connectTo(a.endpoint());
        UpstreamConnection *second = connectTo(a.endpoint());
        QVERIFY(first && second);
        cache.put(first, 0);
        cache.put(second, 0);
        QCOMPARE(cache.take(a.endpoint()), second);
        cache.put(second, 0);
        QCOMPARE(cache.take(a.endpoint()), second);
        QCOMPARE(cache.take(a.endpoint()), first);
        delete first;
        delete second;
    }

    void aConnectionTheUpstreamClosesIsDropped()
    {
        Upstream a;
        Upstream b;
        ConnectionCache cache;
        UpstreamConnection *kept = connectTo(a.endpoint());
        UpstreamConnection *closed = connectTo(a.endpoint());
        UpstreamConnection *other = connectTo(b.endpoint());
        QVERIFY(kept && closed && other);
        QTRY_COMPARE(a.accepted.size(), size_t(2));
        cache.put(kept, 0);
        cache.put(closed, 0);
        cache.put(other, 0);
        QSignalSpy gone(closed, &QObject::destroyed);
        a.accepted.back()->close(); // the upstream's side of `closed`, the last accepted
        QTRY_COMPARE(cache.idleCount(), 2);
        QTRY_COMPARE(gone.size(), 1); // deleted by the cache
        QCOMPARE(cache.take(a.endpoint()), kept);
        QCOMPARE(cache.take(a.endpoint()), nullptr);
        QCOMPARE(cache.take(b.endpoint()), other);
        delete kept;
        delete other;
    }

    void connectionsIdleForTheirTimeAreSwept()
    {
        Upstream a;
        Upstream b;
        ConnectionCache cache(1000);
        UpstreamConnection *old = connectTo(a.endpoint());
        UpstreamConnection *recent = connectTo(a.endpoint());
        UpstreamConnection *otherOld = connectTo(b.endpoint());
        QVERIFY(old && recent && otherOld);
        cache.put(old, 0);
        cache.put(otherOld, 100);
        cache.put(recent, 500);
        cache.sweep(999);
        QCOMPARE(cache.idleCount(), 3);
        cache.sweep(1200);
        QCOMPARE(cache.idleCount(), 1);
        QCOMPARE(cache.take(b.endpoint()), nullptr);
        QCOMPARE(cache.take(a.endpoint()), recent);
        delete recent;
    }
};

QTEST_GUILESS_MAIN(TestConnectionCache)
#include "tst_connectioncache.moc"
