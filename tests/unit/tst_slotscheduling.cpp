// The tier scheduler of an upstream's slot pool (interface.md §4 "Limits"): reserved slots, tier
// order and deficit round robin among the tenants of a tier, observed through the order in
// which queued requests are called back.
#include "tenants/DirectorySnapshot.h"
#include "upstream/UpstreamSlots.h"

#include <QCoreApplication>
#include <QTest>

#include <map>

using relay::DirectorySnapshot;
using relay::SlotPoolSnapshot;
using relay::SlotTenant;
using relay::SlotTicket;
using relay::TenantConfig;
using relay::Tier;
using relay::UpstreamConfig;
using relay::UpstreamSlots;

namespace {

using Ticket = std::shared_ptr<SlotTicket>;
using Tenants = QHash<QString, SlotTenant>;

SlotTenant dedicated(int reserved = 0, int weight = 1)
{
    return {Tier::Dedicated, weight, reserved};
}
SlotTenant guaranteed(int reserved = 0, int weight = 1)
{
    return {Tier::Guaranteed, weight, reserved};
}
SlotTenant bestEffort(int weight = 1)
{
    return {Tier::BestEffort, weight, 0};
}

// One pool and the requests made on it. A request is named after its tenant and its number
// among that tenant's requests ("batch0", "batch1", ...); `granted` records, in order, the
// requests that waited and were then called back.
struct Scene
{
    explicit Scene(int maxConnections, const Tenants &tenants = {})
        : pool(std::make_shared<UpstreamSlots>(QStringLiteral("sim"), maxConnections))
    {
        pool->configure(maxConnections, tenants);
    }

    QString acquire(const QString &tenant)
    {
        const QString name = tenant + QString::number(counts[tenant]++);
        tickets[name] = pool->acquire(tenant, &context, [this, name] { granted.append(name); });
        return name;
    }
    // Several requests of one tenant, in order.
    void acquire(const QString &tenant, int count)
    {
        for (int i = 0; i < count; ++i)
            acquire(tenant);
    }
    bool isGranted(const QString &name) const { return tickets.at(name)->isGranted(); }
    void release(const QString &name) { tickets.at(name)->release(); }
    // Runs the queued grant calls posted to this thread.
    void deliver() { QCoreApplication::processEvents(); }

    // For a pool of one slot: frees the slot `holder` holds, then the slot of each request
    // that gets it next, until nobody is waiting. Returns the order of the grants.
    QStringList drain(const QString &holder)
    {
        QStringList order;
        QString current = holder;
        for (;;) {
            const qsizetype before = granted.size();
            release(current);
            deliver();
            if (granted.size() == before)
                return order;
            order.append(granted.mid(before));
            if (granted.size() != before + 1) // one freed slot, more than one grant
                return order << QStringLiteral("<overbooked>");
            current = granted.last();
        }
    }

    int inFlightOf(const QString &tenant) const
    {
        return pool->snapshot().inFlightByTenant.value(tenant);
    }

    std::shared_ptr<UpstreamSlots> pool;
    QStringList granted;
    QHash<QString, int> counts;
    QObject context;                   // outlives the tickets: grants may be posted as they go
    std::map<QString, Ticket> tickets; // by name
};

QStringList names(const char *tenant, int from, int to)
{
    QStringList out;
    for (int i = from; i <= to; ++i)
        out.append(QLatin1String(tenant) + QString::number(i));
    return out;
}

// The requests of one tenant in the order they appear in `order`.
QStringList ofTenant(const QStringList &order, const QString &tenant)
{
    QStringList out;
    for (const QString &name : order)
        if (name.startsWith(tenant) && name.size() > tenant.size() &&
            name.at(tenant.size()).isDigit())
            out.append(name);
    return out;
}

UpstreamConfig upstream(const QString &name, int maxConnections)
{
    UpstreamConfig u;
    u.name = name;
    u.baseUrl = QStringLiteral("http://127.0.0.1:9/v1");
    u.maxConnections = maxConnections;
    return u;
}

TenantConfig tenantConfig(const QString &id, Tier tier, std::optional<int> reserved)
{
    TenantConfig t;
    t.id = id;
    t.name = id;
    t.tier = tier;
    t.reserved = reserved;
    return t;
}

} // namespace

class TestSlotScheduling : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // --- tier order ---

    void waitersAreServedByTierWhenThePoolIsFull()
    {
        Scene s(1,
                {{QStringLiteral("prod"), dedicated()}, {QStringLiteral("reports"), guaranteed()}});
        const QString holder = s.acquire(QStringLiteral("holder"));
        QVERIFY(s.isGranted(holder));
        // Queued worst tier first.
        for (int round = 0; round < 2; ++round) {
            s.acquire(QStringLiteral("batch"));
            s.acquire(QStringLiteral("reports"));
            s.acquire(QStringLiteral("prod"));
        }
        QCOMPARE(s.pool->waiting(), 6);
        s.deliver();
        QVERIFY(s.granted.isEmpty());
        QCOMPARE(s.drain(holder),
                 (QStringList{"prod0", "prod1", "reports0", "reports1", "batch0", "batch1"}));
        QCOMPARE(s.pool->peakInFlight(), 1);
    }

    void tenantsBeyondTheirReservationTakeSharedSlotsByTier()
    {
        // Pool 3: prod and reports reserve one slot each, one slot is shared.
        Scene s(3, {{QStringLiteral("prod"), dedicated(1)},
                    {QStringLiteral("reports"), guaranteed(1)}});
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("batch"))));   // the shared slot
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("prod"))));    // its reserved slot
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("reports")))); // its reserved slot
        // Everyone now needs the shared slot; queued worst tier first.
        QVERIFY(!s.isGranted(s.acquire(QStringLiteral("batch"))));
        QVERIFY(!s.isGranted(s.acquire(QStringLiteral("reports"))));
        QVERIFY(!s.isGranted(s.acquire(QStringLiteral("prod"))));
        QCOMPARE(s.pool->waiting(), 3);

        s.release(QStringLiteral("batch0"));
        s.deliver();
        QCOMPARE(s.granted, QStringList{"prod1"});
        s.release(QStringLiteral("prod1"));
        s.deliver();
        QCOMPARE(s.granted, (QStringList{"prod1", "reports1"}));
        s.release(QStringLiteral("reports1"));
        s.deliver();
        QCOMPARE(s.granted, (QStringList{"prod1", "reports1", "batch1"}));
        QCOMPARE(s.pool->inFlight(), 3);
        QCOMPARE(s.pool->waiting(), 0);
    }

    // --- deficit round robin inside a tier ---

    void deficitRoundRobin_data()
    {
        QTest::addColumn<int>("alphaWeight");
        QTest::addColumn<int>("bravoWeight");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("equal weights alternate")
            << 1 << 1
            << QStringList{"alpha0", "bravo0", "alpha1", "bravo1", "alpha2", "bravo2"} +
                   names("alpha", 3, 9);
        QTest::newRow("alpha weight 3")
            << 3 << 1
            << QStringList{"alpha0", "alpha1", "alpha2", "bravo0", "alpha3", "alpha4", "alpha5",
                           "bravo1", "alpha6", "alpha7", "alpha8", "bravo2", "alpha9"};
        QTest::newRow("alpha weight 2")
            << 2 << 1
            << QStringList{"alpha0", "alpha1", "bravo0", "alpha2", "alpha3",
                           "bravo1", "alpha4", "alpha5", "bravo2"} +
                   names("alpha", 6, 9);
        QTest::newRow("bravo weight 2")
            << 1 << 2
            << QStringList{"alpha0", "bravo0", "bravo1", "alpha1", "bravo2"} + names("alpha", 2, 9);
    }
    void deficitRoundRobin()
    {
        QFETCH(int, alphaWeight);
        QFETCH(int, bravoWeight);
        QFETCH(QStringList, expected);
        // Two best-effort tenants share one slot: a backlog of 10 from alpha, 3 from bravo.
        Scene s(1, {{QStringLiteral("alpha"), bestEffort(alphaWeight)},
                    {QStringLiteral("bravo"), bestEffort(bravoWeight)}});
        const QString holder = s.acquire(QStringLiteral("holder"));
        s.acquire(QStringLiteral("alpha"), 10);
        s.acquire(QStringLiteral("bravo"), 3);
        QCOMPARE(s.pool->waiting(), 13);
        QCOMPARE(s.drain(holder), expected);
    }

    void deficitRoundRobinAmongDedicatedTenants()
    {
        // The same fairness inside the dedicated tier, ahead of a best-effort backlog.
        Scene s(1,
                {{QStringLiteral("alpha"), dedicated()}, {QStringLiteral("bravo"), dedicated()}});
        const QString holder = s.acquire(QStringLiteral("holder"));
        s.acquire(QStringLiteral("batch"), 2);
        s.acquire(QStringLiteral("alpha"), 3);
        s.acquire(QStringLiteral("bravo"), 2);
        QCOMPARE(s.drain(holder), (QStringList{"alpha0", "bravo0", "alpha1", "bravo1", "alpha2",
                                               "batch0", "batch1"}));
    }

    void aLateTenantWaitsForOneTurnAtMost()
    {
        // alpha's backlog of 10 is being served when bravo's one request arrives: it goes next
        // but one (alpha's turn in the current round), not after the backlog.
        Scene s(1);
        const QString holder = s.acquire(QStringLiteral("holder"));
        s.acquire(QStringLiteral("alpha"), 10);
        s.release(holder);
        s.deliver();
        QCOMPARE(s.granted, QStringList{"alpha0"});
        s.acquire(QStringLiteral("bravo"));
        const QStringList order = s.drain(QStringLiteral("alpha0"));
        QCOMPARE(order.size(), 10);
        QVERIFY2(order.indexOf(QStringLiteral("bravo0")) <= 1, qPrintable(order.join(u',')));
    }

    void eachTenantsRequestsKeepTheirOrder()
    {
        Scene s(1, {{QStringLiteral("alpha"), bestEffort(2)},
                    {QStringLiteral("prod"), dedicated()},
                    {QStringLiteral("reports"), guaranteed(0, 3)}});
        const QString holder = s.acquire(QStringLiteral("holder"));
        const char *pattern[] = {"alpha", "bravo", "alpha", "prod",    "bravo", "reports", "alpha",
                                 "prod",  "bravo", "bravo", "reports", "alpha", "prod",    "alpha"};
        for (int round = 0; round < 3; ++round)
            for (const char *tenant : pattern)
                s.acquire(QLatin1String(tenant));
        const int total = int(std::size(pattern)) * 3;
        QCOMPARE(s.pool->waiting(), total);
        const QStringList order = s.drain(holder);
        QCOMPARE(order.size(), total);
        for (const char *tenant : {"alpha", "bravo", "prod", "reports"}) {
            const QString id = QLatin1String(tenant);
            QCOMPARE(ofTenant(order, id), names(tenant, 0, s.counts.value(id) - 1));
        }
        // And by tier: every prod request, then every reports one, then best-effort.
        QVERIFY(order.indexOf(QStringLiteral("prod8")) < order.indexOf(QStringLiteral("reports0")));
        QVERIFY(order.indexOf(QStringLiteral("reports5")) <
                order.indexOf(QStringLiteral("alpha0")));
        QVERIFY(order.indexOf(QStringLiteral("reports5")) <
                order.indexOf(QStringLiteral("bravo0")));
    }

    // --- reserved slots ---

    void reservedSlotsStayFreeForTheirOwners()
    {
        // Pool 4: prod (dedicated) and reports (guaranteed) reserve one each; best-effort may
        // hold the 2 shared slots only.
        Scene s(4, {{QStringLiteral("prod"), dedicated(1)},
                    {QStringLiteral("reports"), guaranteed(1)}});
        QCOMPARE(s.pool->snapshot().reservedTotal, 2);
        s.acquire(QStringLiteral("batch"), 5);
        QVERIFY(s.isGranted(QStringLiteral("batch0")));
        QVERIFY(s.isGranted(QStringLiteral("batch1")));
        QVERIFY(!s.isGranted(QStringLiteral("batch2")));
        QCOMPARE(s.pool->inFlight(), 2);
        QCOMPARE(s.pool->waiting(), 3);

        // The owners get their reserved slots at once, ahead of batch's queue.
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("prod"))));
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("reports"))));
        QCOMPARE(s.pool->inFlight(), 4);

        // A reserved slot given back stays free for its owner: batch keeps waiting.
        s.release(QStringLiteral("prod0"));
        s.deliver();
        QVERIFY(s.granted.isEmpty());
        QCOMPARE(s.pool->inFlight(), 3);
        QCOMPARE(s.inFlightOf(QStringLiteral("batch")), 2);
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("prod"))));
        s.release(QStringLiteral("reports0"));
        s.deliver();
        QVERIFY(s.granted.isEmpty());
        QCOMPARE(s.inFlightOf(QStringLiteral("batch")), 2);
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("reports"))));
        QCOMPARE(s.pool->waiting(), 3);

        // Beyond its reservation, prod waits for a shared slot, and gets the next one before
        // any of batch's earlier waiters.
        QVERIFY(!s.isGranted(s.acquire(QStringLiteral("prod"))));
        s.release(QStringLiteral("batch0"));
        s.deliver();
        QCOMPARE(s.granted, QStringList{"prod2"});
        QCOMPARE(s.inFlightOf(QStringLiteral("batch")), 1);
        s.release(QStringLiteral("batch1"));
        s.deliver();
        QCOMPARE(s.granted, (QStringList{"prod2", "batch2"}));
        // prod2 held a shared slot: giving it back lets batch in.
        s.release(QStringLiteral("prod2"));
        s.deliver();
        QCOMPARE(s.granted, (QStringList{"prod2", "batch2", "batch3"}));
        QCOMPARE(s.inFlightOf(QStringLiteral("batch")), 2);
        QCOMPARE(s.pool->inFlight(), 4);
        QCOMPARE(s.pool->peakInFlight(), 4);
        QCOMPARE(s.pool->waiting(), 1);
    }

    void bestEffortNeverHoldsMoreThanTheSharedSlots()
    {
        Scene s(4, {{QStringLiteral("prod"), dedicated(1)},
                    {QStringLiteral("reports"), guaranteed(1)}});
        s.acquire(QStringLiteral("batch"), 12);
        s.acquire(QStringLiteral("other"), 4);
        // Finish batch's and other's requests one at a time, in whichever order they run.
        for (int step = 0; step < 14; ++step) {
            const SlotPoolSnapshot snap = s.pool->snapshot();
            QVERIFY2(snap.inFlight <= 2, qPrintable(QString::number(snap.inFlight)));
            QString running;
            for (const auto &[name, ticket] : s.tickets)
                if (ticket->isGranted()) {
                    running = name;
                    break;
                }
            QVERIFY(!running.isEmpty());
            s.tickets.erase(running);
            s.deliver();
        }
        QCOMPARE(s.pool->peakInFlight(), 2);
    }

    void reservationsNeverTakeTheLastSlot()
    {
        // Reservations that add up to the pool size or more (a caller that did not scale them):
        // the pool still keeps one slot that best-effort may use, even with every owner busy.
        Scene s(2, {{QStringLiteral("prod"), dedicated(2)},
                    {QStringLiteral("reports"), guaranteed(1)}});
        // Scaled as interface.md says: each × (pool − 1) / total, rounded down: 2×1/3 and 1×1/3.
        QCOMPARE(s.pool->snapshot().reservedTotal, 0);
        // Nothing is held back for the owners, so with one of them busy a best-effort request
        // still finds a slot.
        s.acquire(QStringLiteral("prod"));
        QVERIFY(s.isGranted(QStringLiteral("prod0")));
        QVERIFY2(s.isGranted(s.acquire(QStringLiteral("batch"))),
                 "reservations took the pool's last slot");
    }

    void reservationsOfAPoolOfOneLeaveItShared()
    {
        Scene s(1, {{QStringLiteral("prod"), dedicated(1)}});
        QCOMPARE(s.pool->snapshot().reservedTotal, 0);
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("batch"))));
    }

    void directoryScalesReservationsToLeaveTheLastSlot()
    {
        DirectorySnapshot d;
        d.upstreams = {upstream(QStringLiteral("small"), 3), upstream(QStringLiteral("big"), 8),
                       upstream(QStringLiteral("tiny"), 1)};
        for (const char *id : {"prod", "ops"})
            d.tenants.insert(QLatin1String(id),
                             tenantConfig(QLatin1String(id), Tier::Dedicated, 2));
        d.tenants.insert(QStringLiteral("batch"),
                         tenantConfig(QStringLiteral("batch"), Tier::BestEffort, 3));
        const auto reserved = d.reservations();
        // Pool 3, 2 + 2 reserved: each × (3 − 1) / 4 = 1.
        QCOMPARE(reserved.value(QStringLiteral("small")),
                 (QHash<QString, int>{{QStringLiteral("prod"), 1}, {QStringLiteral("ops"), 1}}));
        // Pool 8: 4 reserved fit as they are.
        QCOMPARE(reserved.value(QStringLiteral("big")),
                 (QHash<QString, int>{{QStringLiteral("prod"), 2}, {QStringLiteral("ops"), 2}}));
        // Pool 1: nothing can be reserved.
        QVERIFY(reserved.value(QStringLiteral("tiny")).isEmpty());

        // The scaled figures on the pool: each owner gets one slot at once, batch the last one.
        Tenants tenants;
        for (auto it = reserved[QStringLiteral("small")].cbegin();
             it != reserved[QStringLiteral("small")].cend(); ++it)
            tenants.insert(it.key(), dedicated(it.value()));
        Scene s(3, tenants);
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("batch"))));
        QVERIFY(!s.isGranted(s.acquire(QStringLiteral("batch"))));
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("prod"))));
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("ops"))));
        QVERIFY(!s.isGranted(s.acquire(QStringLiteral("prod"))));
        QCOMPARE(s.pool->inFlight(), 3);
    }

    // --- changes at run time ---

    void growingThePoolGrantsWaitersAtOnceByTier()
    {
        const Tenants tenants{{QStringLiteral("prod"), dedicated()}};
        Scene s(1, tenants);
        s.acquire(QStringLiteral("holder"));
        s.acquire(QStringLiteral("batch"));
        s.acquire(QStringLiteral("prod"));
        s.acquire(QStringLiteral("batch"));
        s.pool->configure(3, tenants);
        // Granted by the call itself, told by the queued callbacks.
        QVERIFY(s.isGranted(QStringLiteral("prod0")));
        QVERIFY(s.isGranted(QStringLiteral("batch0")));
        QVERIFY(!s.isGranted(QStringLiteral("batch1")));
        s.deliver();
        QCOMPARE(s.granted, (QStringList{"prod0", "batch0"}));
        QCOMPARE(s.pool->maxConnections(), 3);
        QCOMPARE(s.pool->inFlight(), 3);
        QCOMPARE(s.pool->waiting(), 1);
        s.pool->setMaxConnections(5);
        s.deliver();
        QCOMPARE(s.granted, (QStringList{"prod0", "batch0", "batch1"}));
        QCOMPARE(s.pool->inFlight(), 4);
        QCOMPARE(s.pool->snapshot().inFlightByTenant.value(QStringLiteral("prod")), 1);
    }

    void changingATiersKeepsEveryWaiter()
    {
        Scene s(1, {{QStringLiteral("reports"), guaranteed()}});
        const QString holder = s.acquire(QStringLiteral("holder"));
        s.acquire(QStringLiteral("alpha"), 2);
        s.acquire(QStringLiteral("reports"));
        s.acquire(QStringLiteral("bravo"));
        // alpha moves up to dedicated, reports down to best-effort, while they wait.
        s.pool->configure(
            1, {{QStringLiteral("alpha"), dedicated()}, {QStringLiteral("reports"), bestEffort()}});
        const SlotPoolSnapshot snap = s.pool->snapshot();
        QCOMPARE(snap.waiting, 4);
        QCOMPARE(snap.waitingByTenant, (QHash<QString, int>{{QStringLiteral("alpha"), 2},
                                                            {QStringLiteral("reports"), 1},
                                                            {QStringLiteral("bravo"), 1}}));
        const QStringList order = s.drain(holder);
        QCOMPARE(order.size(), 4);
        QCOMPARE(order.mid(0, 2), (QStringList{"alpha0", "alpha1"}));
        // reports and bravo now share the best-effort tier, in either order.
        QCOMPARE(QSet<QString>(order.begin() + 2, order.end()),
                 (QSet<QString>{QStringLiteral("reports0"), QStringLiteral("bravo0")}));
    }

    void changingATierMidQueueKeepsTheTenantsOwnOrder()
    {
        Scene s(1);
        const QString holder = s.acquire(QStringLiteral("holder"));
        s.acquire(QStringLiteral("batch"), 3);
        s.acquire(QStringLiteral("alpha"), 4);
        s.release(holder);
        s.deliver();
        QCOMPARE(s.granted, QStringList{"batch0"});
        s.pool->configure(1, {{QStringLiteral("alpha"), guaranteed()}});
        QCOMPARE(s.pool->waiting(), 6);
        QCOMPARE(s.drain(QStringLiteral("batch0")),
                 (QStringList{"alpha0", "alpha1", "alpha2", "alpha3", "batch1", "batch2"}));
    }

    void shrinkingThePoolHoldsNewGrantsUnderTheNewSize()
    {
        const Tenants tenants{{QStringLiteral("prod"), dedicated(1)}};
        Scene s(4, tenants);
        s.acquire(QStringLiteral("batch"), 3); // the 3 shared slots
        s.acquire(QStringLiteral("prod"));     // its reserved one
        s.acquire(QStringLiteral("batch"));    // waits
        s.acquire(QStringLiteral("prod"));     // waits for a shared slot
        QCOMPARE(s.pool->inFlight(), 4);
        QCOMPARE(s.pool->waiting(), 2);

        s.pool->configure(2, tenants);
        QCOMPARE(s.pool->inFlight(), 4); // nothing in flight is cut off
        for (const char *name : {"batch0", "batch1"}) {
            s.release(QLatin1String(name));
            s.deliver();
            QVERIFY(s.granted.isEmpty());
        }
        QCOMPARE(s.pool->inFlight(), 2);
        // Down to 1 in flight: one grant, and the pool is at its new size again.
        s.release(QStringLiteral("batch2"));
        s.deliver();
        QCOMPARE(s.granted, QStringList{"prod1"});
        QCOMPARE(s.pool->inFlight(), 2);
        QVERIFY(!s.isGranted(s.acquire(QStringLiteral("batch"))));
        s.release(QStringLiteral("prod0"));
        s.deliver();
        QCOMPARE(s.granted, (QStringList{"prod1", "batch3"}));
        QCOMPARE(s.pool->inFlight(), 2);
        QCOMPARE(s.pool->waiting(), 1);
    }

    // A reservation given or taken away while the tenant has requests in flight applies to
    // its next request and to the slots it gives back (the pool keeps each tenant's part with
    // its queue, refreshed by configure()).
    void aReservationChangedWhileInFlightAppliesAtOnce()
    {
        Scene s(3);
        s.acquire(QStringLiteral("prod")); // a shared slot: no reservation yet
        s.pool->configure(3, {{QStringLiteral("prod"), dedicated(2)}});
        // prod0 now counts against prod's reservation, so the one shared slot is free.
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("batch"))));
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("prod")))); // its second reserved slot
        QVERIFY(!s.isGranted(s.acquire(QStringLiteral("batch"))));
        QCOMPARE(s.inFlightOf(QStringLiteral("prod")), 2);

        // The reservation moved to ops, in a pool of 4: prod's two requests now hold shared
        // slots, so with batch0 the 3 shared slots are taken. batch1 keeps waiting though a
        // slot is free (it is ops'), and the slot prod gives back is a shared one, for batch1.
        s.pool->configure(4, {{QStringLiteral("ops"), dedicated(1)}});
        QVERIFY(!s.isGranted(QStringLiteral("batch1")));
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("ops"))));
        s.release(QStringLiteral("prod0"));
        s.deliver();
        QCOMPARE(s.granted, QStringList{"batch1"});
        QCOMPARE(s.pool->inFlight(), 4);
    }

    // --- tickets that go away ---

    void droppedWaitersAreSkipped()
    {
        Scene s(1);
        const QString holder = s.acquire(QStringLiteral("holder"));
        s.acquire(QStringLiteral("alpha"), 4);
        s.acquire(QStringLiteral("bravo"), 2);
        // Their owners went away while waiting.
        s.tickets.erase(QStringLiteral("alpha1"));
        s.tickets.erase(QStringLiteral("bravo0"));
        QCOMPARE(s.pool->waiting(), 4);
        QCOMPARE(s.pool->snapshot().waitingByTenant,
                 (QHash<QString, int>{{QStringLiteral("alpha"), 3}, {QStringLiteral("bravo"), 1}}));
        QCOMPARE(s.drain(holder), (QStringList{"alpha0", "bravo1", "alpha2", "alpha3"}));
        QCOMPARE(s.pool->waiting(), 0);
        QCOMPARE(s.pool->inFlight(), 0);
    }

    void aTenantWhoseOnlyWaiterLeftDoesNotStallTheOthers()
    {
        Scene s(1, {{QStringLiteral("prod"), dedicated()}});
        const QString holder = s.acquire(QStringLiteral("holder"));
        s.acquire(QStringLiteral("batch"), 2);
        s.acquire(QStringLiteral("prod"));
        s.release(QStringLiteral("prod0")); // gave up while queued (the ticket is still held)
        QCOMPARE(s.pool->waiting(), 2);
        QCOMPARE(s.drain(holder), (QStringList{"batch0", "batch1"}));
        QVERIFY(!s.isGranted(QStringLiteral("prod0")));
        // The pool is whole again.
        QCOMPARE(s.pool->inFlight(), 0);
        QVERIFY(s.isGranted(s.acquire(QStringLiteral("prod"))));
    }

    void noCallbackAfterDetach()
    {
        Scene s(1);
        const QString holder = s.acquire(QStringLiteral("holder"));
        s.acquire(QStringLiteral("alpha"), 2);
        // Detached while waiting: granted later, never called back.
        s.tickets.at(QStringLiteral("alpha0"))->detach();
        QVERIFY(!s.tickets.at(QStringLiteral("alpha0"))->isAttached());
        s.release(holder);
        s.deliver();
        QVERIFY(s.granted.isEmpty());
        QVERIFY(s.isGranted(QStringLiteral("alpha0"))); // the slot is its until dropped
        QCOMPARE(s.pool->inFlight(), 1);
        // Granted, the call already posted, then detached: the call does nothing.
        s.release(QStringLiteral("alpha0"));
        QVERIFY(s.isGranted(QStringLiteral("alpha1")));
        s.tickets.at(QStringLiteral("alpha1"))->detach();
        s.deliver();
        QVERIFY(s.granted.isEmpty());
        QCOMPARE(s.pool->inFlight(), 1);
        s.tickets.erase(QStringLiteral("alpha1"));
        QCOMPARE(s.pool->inFlight(), 0);
    }

    void noCallbackAfterRelease()
    {
        Scene s(1);
        const QString holder = s.acquire(QStringLiteral("holder"));
        s.acquire(QStringLiteral("alpha"));
        s.acquire(QStringLiteral("bravo"));
        s.release(holder);
        QVERIFY(s.isGranted(QStringLiteral("alpha0")));
        // alpha finished (or gave up) before its grant was delivered: the slot passes on, and
        // only bravo is called back.
        s.release(QStringLiteral("alpha0"));
        QVERIFY(!s.isGranted(QStringLiteral("alpha0")));
        QVERIFY(!s.tickets.at(QStringLiteral("alpha0"))->isAttached());
        s.deliver();
        QCOMPARE(s.granted, QStringList{"bravo0"});
        QCOMPARE(s.pool->inFlight(), 1);
        // Releasing twice, or dropping a released ticket, gives nothing back twice.
        s.release(QStringLiteral("alpha0"));
        s.tickets.erase(QStringLiteral("alpha0"));
        QCOMPARE(s.pool->inFlight(), 1);
        s.release(QStringLiteral("bravo0"));
        QCOMPARE(s.pool->inFlight(), 0);
    }

    // --- figures ---

    void snapshotCountsPerTenant()
    {
        Scene s(3, {{QStringLiteral("prod"), dedicated(1)}});
        s.acquire(QStringLiteral("batch"), 4); // 2 shared slots, 2 wait
        s.acquire(QStringLiteral("prod"), 2);  // its reserved slot, then waits
        SlotPoolSnapshot snap = s.pool->snapshot();
        QCOMPARE(snap.maxConnections, 3);
        QCOMPARE(snap.inFlight, 3);
        QCOMPARE(snap.waiting, 3);
        QCOMPARE(snap.peakInFlight, 3);
        QCOMPARE(snap.reservedTotal, 1);
        QCOMPARE(snap.inFlightByTenant,
                 (QHash<QString, int>{{QStringLiteral("batch"), 2}, {QStringLiteral("prod"), 1}}));
        QCOMPARE(snap.waitingByTenant,
                 (QHash<QString, int>{{QStringLiteral("batch"), 2}, {QStringLiteral("prod"), 1}}));

        s.release(QStringLiteral("batch0")); // prod1 takes the shared slot
        s.tickets.erase(QStringLiteral("batch3"));
        snap = s.pool->snapshot();
        QCOMPARE(snap.inFlightByTenant,
                 (QHash<QString, int>{{QStringLiteral("batch"), 1}, {QStringLiteral("prod"), 2}}));
        QCOMPARE(snap.waitingByTenant, (QHash<QString, int>{{QStringLiteral("batch"), 1}}));

        // Tenants with nothing in flight or waiting are left out.
        s.tickets.clear();
        s.deliver();
        snap = s.pool->snapshot();
        QCOMPARE(snap.inFlight, 0);
        QCOMPARE(snap.waiting, 0);
        QVERIFY(snap.inFlightByTenant.isEmpty());
        QVERIFY(snap.waitingByTenant.isEmpty());
        QCOMPARE(snap.peakInFlight, 3);
    }
};

QTEST_GUILESS_MAIN(TestSlotScheduling)
#include "tst_slotscheduling.moc"
