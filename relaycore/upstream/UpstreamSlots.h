#pragma once

#include "tenants/DirectorySnapshot.h"

#include <QHash>
#include <QObject>
#include <QString>

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace relay {

class UpstreamSlots;

// A request's claim on one slot of an upstream's pool: waiting, then granted. Dropping the
// ticket gives the slot back (or leaves the queue), so a cancelled request can never leak one.
// Owned by the request on its worker thread; the pool touches it under its own lock.
class SlotTicket
{
public:
    ~SlotTicket();
    bool isGranted() const;
    // Whether acquire() granted the slot before it returned (no lock: set before the owner had
    // the ticket). A slot granted later comes through onGranted.
    bool grantedAtOnce() const { return m_grantedAtOnce; }
    bool isAttached() const;
    const QString &tenantId() const { return m_tenant; }
    // Gives the slot back early (the upstream call finished). No callback comes after this.
    void release();
    // Call on the owner's thread before the owner (the context) goes away: after this returns
    // no grant is posted to it any more.
    void detach();

private:
    friend class UpstreamSlots;
    enum class State { Waiting, Granted, Released };
    std::shared_ptr<UpstreamSlots> m_pool;
    QString m_tenant;
    QObject *m_context = nullptr;      // guarded by the pool's mutex
    std::function<void()> m_onGranted; // set once; cleared under the pool's mutex
    State m_state = State::Waiting;    // guarded by the pool's mutex
    bool m_grantedAtOnce = false;      // set by acquire() before it returns
    // Set by release() on the owner's thread: the state is Released and the context cleared for
    // good, so detach() and the destructor have nothing left to do and take no lock. Read by
    // the destructor on whichever thread drops the last reference, which the reference count
    // orders after the owner's write.
    bool m_released = false;
};

// How a tenant takes part in an upstream's pool.
struct SlotTenant
{
    Tier tier = Tier::BestEffort;
    int weight = 1;
    int reserved = 0; // slots of this pool held for the tenant (already scaled)
};

// Figures of one pool, read under its lock.
struct SlotPoolSnapshot
{
    int maxConnections = 0;
    int inFlight = 0;
    int waiting = 0;
    int peakInFlight = 0;
    int reservedTotal = 0;
    QHash<QString, int> inFlightByTenant;
    QHash<QString, int> waitingByTenant;
};

// The relay-wide pool of connection slots of one upstream: at most maxConnections requests in
// flight to it across every worker thread (interface.md §4 "Limits").
// - Dedicated and guaranteed tenants hold reserved slots; they use those first, then shared
//   ones. Best-effort tenants use shared slots only (the pool minus every reservation).
// - When the pool is full, waiting requests are served by tier (dedicated, guaranteed,
//   best-effort) and, inside a tier, fairly among tenants by deficit round robin with their
//   weights — so one tenant's thousand queued requests never delay another tenant's one; each
//   tenant's own requests go in arrival order.
// - A freed slot goes straight to the chosen waiter, woken on its own thread by a queued call.
// Pool size, tiers and reservations can change at run time without losing a waiter.
// Thread-safe.
class UpstreamSlots : public std::enable_shared_from_this<UpstreamSlots>
{
public:
    UpstreamSlots(QString name, int maxConnections);

    const QString &name() const { return m_name; }
    // Grants at once when the tenant may have a slot now (the ticket is then granted and
    // onGranted is not called); otherwise queues, and onGranted later runs on context's thread.
    std::shared_ptr<SlotTicket> acquire(const QString &tenantId, QObject *context,
                                        std::function<void()> onGranted);
    // The same for a request of no particular tenant (best-effort, weight 1).
    std::shared_ptr<SlotTicket> acquire(QObject *context, std::function<void()> onGranted)
    {
        return acquire(QString(), context, std::move(onGranted));
    }
    void setMaxConnections(int maxConnections);
    // Pool size and the tenants' tiers, weights and (scaled) reservations on this upstream.
    void configure(int maxConnections, QHash<QString, SlotTenant> tenants);

    int maxConnections() const;
    int inFlight() const;
    int waiting() const;
    // Most requests ever in flight at once (for tests and benchmarks).
    int peakInFlight() const;
    SlotPoolSnapshot snapshot() const;

private:
    friend class SlotTicket;
    struct TenantQueue
    {
        // The tenant's part in this pool: m_tenants' entry, copied when the queue is made and
        // again by configure(), so a request finds both with one look-up.
        SlotTenant tenant;
        bool hasTenant = false;
        std::deque<std::weak_ptr<SlotTicket>> waiting;
        int inFlight = 0;
        int queued = 0;  // live waiting tickets
        int deficit = 0; // deficit round robin credit
        bool active = false;
    };

    SlotTenant tenantLocked(const QString &tenantId) const;
    TenantQueue &queueLocked(const QString &tenantId);
    int sharedCapacityLocked() const { return qMax(0, m_max - m_reservedTotal); }
    static bool hasReservedRoomLocked(const TenantQueue &q)
    {
        return q.inFlight < q.tenant.reserved;
    }
    // Would a request of this tier have to wait behind someone already waiting?
    bool waitersAheadLocked(Tier tier) const;
    void takeSlotLocked(TenantQueue &q);
    void releaseSlot(const QString &tenantId);
    // Hands free slots to waiters (outside any lock of the caller).
    void dispatch();
    void leaveQueueLocked(const QString &tenantId);
    // Under the lock: hands free slots to waiters, in policy order. Granted tickets are
    // returned; released ones met on the way go to `dropped`. The caller lets go of both only
    // after unlocking, because the last reference to a ticket locks the pool in its destructor.
    std::vector<std::shared_ptr<SlotTicket>>
    grantWaitersLocked(std::vector<std::shared_ptr<SlotTicket>> &dropped);
    // The next live waiting ticket of a tenant, or nullptr (dead entries are dropped).
    std::shared_ptr<SlotTicket> frontLocked(TenantQueue &q,
                                            std::vector<std::shared_ptr<SlotTicket>> &dropped);
    void rebuildActiveLocked();
    void notifyGranted(std::vector<std::shared_ptr<SlotTicket>> &granted);

    const QString m_name;
    mutable std::mutex m_mutex;
    int m_max;
    int m_inFlight = 0;
    int m_sharedInUse = 0;
    int m_reservedTotal = 0;
    int m_peak = 0;
    int m_waiting = 0;
    QHash<QString, SlotTenant> m_tenants;
    QHash<QString, TenantQueue> m_queues;
    std::deque<QString> m_active[3]; // per tier: tenants with waiters, in round-robin order
};

} // namespace relay
