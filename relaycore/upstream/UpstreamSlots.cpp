#include "UpstreamSlots.h"

#include <QSet>

namespace relay {

SlotTicket::~SlotTicket()
{
    if (!m_pool || m_released)
        return;
    std::unique_lock lock(m_pool->m_mutex);
    m_context = nullptr;
    if (m_state == State::Waiting) {
        m_state = State::Released;
        m_pool->leaveQueueLocked(m_tenant);
        lock.unlock();
        // A slot freed while this ticket still counted as waiting may have been held back
        // for it (its tenant's later requests queue behind it): hand it on now.
        m_pool->dispatch();
        return;
    }
    if (m_state == State::Granted) {
        m_state = State::Released;
        lock.unlock();
        m_pool->releaseSlot(m_tenant);
    }
}

bool SlotTicket::isAttached() const
{
    std::lock_guard lock(m_pool->m_mutex);
    return m_context != nullptr;
}

bool SlotTicket::isGranted() const
{
    std::lock_guard lock(m_pool->m_mutex);
    return m_state == State::Granted;
}

void SlotTicket::detach()
{
    if (m_released)
        return;
    std::lock_guard lock(m_pool->m_mutex);
    m_context = nullptr;
}

void SlotTicket::release()
{
    if (m_released)
        return;
    std::unique_lock lock(m_pool->m_mutex);
    m_context = nullptr;
    m_released = true;
    if (m_state == State::Granted) {
        m_state = State::Released;
        lock.unlock();
        m_pool->releaseSlot(m_tenant);
    } else if (m_state == State::Waiting) {
        m_state = State::Released;
        m_pool->leaveQueueLocked(m_tenant);
        lock.unlock();
        m_pool->dispatch();
    }
}

UpstreamSlots::UpstreamSlots(QString name, int maxConnections)
    : m_name(std::move(name)), m_max(qMax(1, maxConnections))
{
}

SlotTenant UpstreamSlots::tenantLocked(const QString &tenantId) const
{
    return m_tenants.value(tenantId, SlotTenant{});
}

UpstreamSlots::TenantQueue &UpstreamSlots::queueLocked(const QString &tenantId)
{
    TenantQueue &q = m_queues[tenantId];
    if (!q.hasTenant) {
        q.tenant = tenantLocked(tenantId);
        q.hasTenant = true;
    }
    return q;
}

bool UpstreamSlots::waitersAheadLocked(Tier tier) const
{
    for (int t = 0; t <= int(tier); ++t)
        if (!m_active[t].empty())
            return true;
    return false;
}

void UpstreamSlots::takeSlotLocked(TenantQueue &q)
{
    if (q.inFlight >= q.tenant.reserved)
        ++m_sharedInUse;
    ++q.inFlight;
    ++m_inFlight;
    m_peak = qMax(m_peak, m_inFlight);
}

std::shared_ptr<SlotTicket> UpstreamSlots::acquire(const QString &tenantId, QObject *context,
                                                   std::function<void()> onGranted)
{
    auto ticket = std::make_shared<SlotTicket>();
    ticket->m_pool = shared_from_this();
    ticket->m_tenant = tenantId;
    ticket->m_context = context;
    ticket->m_onGranted = std::move(onGranted);
    std::vector<std::shared_ptr<SlotTicket>> granted;
    std::vector<std::shared_ptr<SlotTicket>> dropped;
    std::unique_lock lock(m_mutex);
    TenantQueue &q = queueLocked(tenantId);
    // A tenant's own requests keep their order: with some of them waiting, a new one waits too.
    const bool canRun = q.queued == 0 && m_inFlight < m_max &&
                        (hasReservedRoomLocked(q) || (m_sharedInUse < sharedCapacityLocked() &&
                                                      !waitersAheadLocked(q.tenant.tier)));
    if (canRun) {
        takeSlotLocked(q);
        ticket->m_state = SlotTicket::State::Granted;
        ticket->m_grantedAtOnce = true;
        return ticket;
    }
    q.waiting.push_back(ticket);
    ++q.queued;
    ++m_waiting;
    if (!q.active) {
        q.active = true;
        q.deficit = 0;
        m_active[int(q.tenant.tier)].push_back(tenantId);
    }
    // Whatever made this request wait may be gone already (a waiter that left an instant ago):
    // a dispatch pass makes sure no slot stays free while someone waits.
    if (m_inFlight < m_max) {
        granted = grantWaitersLocked(dropped);
        lock.unlock();
        notifyGranted(granted);
    }
    return ticket;
}

void UpstreamSlots::dispatch()
{
    std::vector<std::shared_ptr<SlotTicket>> granted;
    std::vector<std::shared_ptr<SlotTicket>> dropped;
    {
        std::lock_guard lock(m_mutex);
        granted = grantWaitersLocked(dropped);
    }
    notifyGranted(granted);
}

void UpstreamSlots::leaveQueueLocked(const QString &tenantId)
{
    TenantQueue &q = queueLocked(tenantId);
    --q.queued;
    --m_waiting;
    // The dead entry stays in the deque until the dispatcher meets it.
}

void UpstreamSlots::setMaxConnections(int maxConnections)
{
    QHash<QString, SlotTenant> tenants;
    {
        std::lock_guard lock(m_mutex);
        tenants = m_tenants;
    }
    configure(maxConnections, std::move(tenants));
}

void UpstreamSlots::configure(int maxConnections, QHash<QString, SlotTenant> tenants)
{
    // Declared before the lock so that tickets are let go of after unlocking.
    std::vector<std::shared_ptr<SlotTicket>> granted;
    std::vector<std::shared_ptr<SlotTicket>> dropped;
    {
        std::lock_guard lock(m_mutex);
        m_max = qMax(1, maxConnections);
        m_tenants = std::move(tenants);
        m_reservedTotal = 0;
        for (const SlotTenant &t : std::as_const(m_tenants))
            m_reservedTotal += qMax(0, t.reserved);
        // Reservations never take the last slot: scaled as the directory does (each
        // × (pool − 1) / total, rounded down) when they would.
        if (m_reservedTotal >= m_max) {
            const int total = m_reservedTotal;
            m_reservedTotal = 0;
            for (SlotTenant &t : m_tenants) {
                t.reserved = int(qint64(qMax(0, t.reserved)) * (m_max - 1) / total);
                m_reservedTotal += t.reserved;
            }
        }
        m_sharedInUse = 0;
        for (auto it = m_queues.begin(); it != m_queues.end();) {
            if (it->inFlight == 0 && it->queued == 0 && it->waiting.empty()) {
                it = m_queues.erase(it);
                continue;
            }
            it->tenant = tenantLocked(it.key());
            m_sharedInUse += qMax(0, it->inFlight - it->tenant.reserved);
            ++it;
        }
        rebuildActiveLocked();
        granted = grantWaitersLocked(dropped);
    }
    notifyGranted(granted);
}

void UpstreamSlots::rebuildActiveLocked()
{
    // Keep the round-robin order of tenants that stay in their tier; others join at the back
    // of their (new) tier's round.
    std::deque<QString> previous[3];
    for (int t = 0; t < 3; ++t)
        previous[t].swap(m_active[t]);
    QSet<QString> placed;
    for (int t = 0; t < 3; ++t) {
        for (const QString &id : previous[t]) {
            const auto it = m_queues.find(id);
            if (it == m_queues.end() || it->queued <= 0 || int(it->tenant.tier) != t)
                continue;
            m_active[t].push_back(id);
            placed.insert(id);
        }
    }
    for (auto it = m_queues.begin(); it != m_queues.end(); ++it) {
        it->active = it->queued > 0;
        if (it->active && !placed.contains(it.key())) {
            it->deficit = 0;
            m_active[int(it->tenant.tier)].push_back(it.key());
        }
    }
}

void UpstreamSlots::releaseSlot(const QString &tenantId)
{
    std::vector<std::shared_ptr<SlotTicket>> granted;
    std::vector<std::shared_ptr<SlotTicket>> dropped;
    {
        std::lock_guard lock(m_mutex);
        TenantQueue &q = queueLocked(tenantId);
        if (q.inFlight > q.tenant.reserved)
            m_sharedInUse = qMax(0, m_sharedInUse - 1);
        --q.inFlight;
        --m_inFlight;
        granted = grantWaitersLocked(dropped);
    }
    notifyGranted(granted);
}

std::shared_ptr<SlotTicket>
UpstreamSlots::frontLocked(TenantQueue &q, std::vector<std::shared_ptr<SlotTicket>> &dropped)
{
    while (!q.waiting.empty()) {
        std::shared_ptr<SlotTicket> ticket = q.waiting.front().lock();
        if (ticket && ticket->m_state == SlotTicket::State::Waiting)
            return ticket;
        q.waiting.pop_front();
        if (ticket)
            dropped.push_back(std::move(ticket)); // ours may be the last reference
    }
    return nullptr;
}

std::vector<std::shared_ptr<SlotTicket>>
UpstreamSlots::grantWaitersLocked(std::vector<std::shared_ptr<SlotTicket>> &dropped)
{
    std::vector<std::shared_ptr<SlotTicket>> granted;
    auto grant = [&](TenantQueue &q, std::shared_ptr<SlotTicket> ticket) {
        q.waiting.pop_front();
        --q.queued;
        --m_waiting;
        ticket->m_state = SlotTicket::State::Granted;
        takeSlotLocked(q);
        granted.push_back(std::move(ticket));
    };
    auto retire = [&](std::deque<QString> &list, TenantQueue &q) {
        list.pop_front();
        q.active = false;
        q.deficit = 0;
    };
    bool progress = true;
    while (progress && m_inFlight < m_max) {
        progress = false;
        // First, tenants waiting with room in their own reservation (dedicated first).
        for (Tier tier : {Tier::Dedicated, Tier::Guaranteed}) {
            std::deque<QString> &list = m_active[int(tier)];
            for (size_t i = 0; i < list.size() && m_inFlight < m_max;) {
                const QString id = list[i];
                TenantQueue &q = queueLocked(id);
                while (m_inFlight < m_max && hasReservedRoomLocked(q)) {
                    std::shared_ptr<SlotTicket> ticket = frontLocked(q, dropped);
                    if (!ticket)
                        break;
                    grant(q, std::move(ticket));
                    progress = true;
                }
                if (q.queued == 0 && frontLocked(q, dropped) == nullptr) {
                    q.active = false;
                    q.deficit = 0;
                    list.erase(list.begin() + qsizetype(i));
                } else {
                    ++i;
                }
            }
        }
        // Then one shared slot: by tier, and by deficit round robin inside the tier.
        if (m_inFlight >= m_max || m_sharedInUse >= sharedCapacityLocked())
            break;
        for (std::deque<QString> &list : m_active) {
            while (!list.empty()) {
                const QString id = list.front();
                TenantQueue &q = queueLocked(id);
                std::shared_ptr<SlotTicket> ticket = frontLocked(q, dropped);
                if (!ticket) {
                    retire(list, q);
                    continue;
                }
                if (q.deficit <= 0)
                    q.deficit += qMax(1, q.tenant.weight);
                grant(q, std::move(ticket));
                --q.deficit;
                if (q.queued == 0) {
                    retire(list, q);
                } else if (q.deficit <= 0) {
                    list.pop_front(); // its turn is used up: to the back of the round
                    list.push_back(id);
                }
                progress = true;
                break;
            }
            if (progress)
                break;
        }
    }
    return granted;
}

void UpstreamSlots::notifyGranted(std::vector<std::shared_ptr<SlotTicket>> &granted)
{
    for (auto &ticket : granted) {
        std::weak_ptr<SlotTicket> weak = ticket;
        // Posting under the lock: the owner detaches (under the same lock) before it dies, so
        // the context is alive while the event is posted. If it dies before the event runs, Qt
        // drops the event and the owner's ticket has given the slot back.
        std::lock_guard lock(m_mutex);
        if (!ticket->m_context || ticket->m_state != SlotTicket::State::Granted)
            continue;
        QMetaObject::invokeMethod(
            ticket->m_context,
            [weak] {
                // On the owner's thread, where it detaches: no race with m_context here.
                if (auto t = weak.lock(); t && t->m_onGranted && t->isGranted() && t->isAttached())
                    t->m_onGranted();
            },
            Qt::QueuedConnection);
    }
    // Outside the lock: dropping the last reference to a ticket releases its slot, which locks.
    granted.clear();
}

int UpstreamSlots::maxConnections() const
{
    std::lock_guard lock(m_mutex);
    return m_max;
}

int UpstreamSlots::inFlight() const
{
    std::lock_guard lock(m_mutex);
    return m_inFlight;
}

int UpstreamSlots::waiting() const
{
    std::lock_guard lock(m_mutex);
    return m_waiting;
}

int UpstreamSlots::peakInFlight() const
{
    std::lock_guard lock(m_mutex);
    return m_peak;
}

SlotPoolSnapshot UpstreamSlots::snapshot() const
{
    std::lock_guard lock(m_mutex);
    SlotPoolSnapshot s;
    s.maxConnections = m_max;
    s.inFlight = m_inFlight;
    s.waiting = m_waiting;
    s.peakInFlight = m_peak;
    s.reservedTotal = m_reservedTotal;
    for (auto it = m_queues.cbegin(); it != m_queues.cend(); ++it) {
        if (it->inFlight)
            s.inFlightByTenant.insert(it.key(), it->inFlight);
        if (it->queued)
            s.waitingByTenant.insert(it.key(), it->queued);
    }
    return s;
}

} // namespace relay
