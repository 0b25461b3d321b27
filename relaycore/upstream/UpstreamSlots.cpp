#include "UpstreamSlots.h"

namespace relay {

SlotTicket::~SlotTicket()
{
    if (!m_pool)
        return;
    std::unique_lock lock(m_pool->m_mutex);
    m_context = nullptr;
    if (m_state == State::Waiting) {
        m_state = State::Released;
        --m_pool->m_waiting;
        return; // its weak_ptr in the queue has expired and is skipped
    }
    if (m_state == State::Granted) {
        m_state = State::Released;
        lock.unlock();
        m_pool->releaseSlot();
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
    std::lock_guard lock(m_pool->m_mutex);
    m_context = nullptr;
}

void SlotTicket::release()
{
    std::unique_lock lock(m_pool->m_mutex);
    m_context = nullptr;
    if (m_state == State::Granted) {
        m_state = State::Released;
        lock.unlock();
        m_pool->releaseSlot();
    } else if (m_state == State::Waiting) {
        m_state = State::Released;
        --m_pool->m_waiting;
    }
}

UpstreamSlots::UpstreamSlots(QString name, int maxConnections)
    : m_name(std::move(name)), m_max(qMax(1, maxConnections))
{
}

std::shared_ptr<SlotTicket> UpstreamSlots::acquire(QObject *context,
                                                   std::function<void()> onGranted)
{
    auto ticket = std::make_shared<SlotTicket>();
    ticket->m_pool = shared_from_this();
    ticket->m_context = context;
    ticket->m_onGranted = std::move(onGranted);
    std::lock_guard lock(m_mutex);
    if (m_inFlight < m_max && m_waiting == 0) {
        ++m_inFlight;
        m_peak = qMax(m_peak, m_inFlight);
        ticket->m_state = SlotTicket::State::Granted;
    } else {
        m_queue.push_back(ticket);
        ++m_waiting;
    }
    return ticket;
}

void UpstreamSlots::setMaxConnections(int maxConnections)
{
    // Declared before the lock so that tickets are let go of after unlocking.
    std::vector<std::shared_ptr<SlotTicket>> granted;
    std::vector<std::shared_ptr<SlotTicket>> dropped;
    {
        std::lock_guard lock(m_mutex);
        m_max = qMax(1, maxConnections);
        granted = grantWaitersLocked(dropped);
    }
    notifyGranted(granted);
}

void UpstreamSlots::releaseSlot()
{
    std::vector<std::shared_ptr<SlotTicket>> granted;
    std::vector<std::shared_ptr<SlotTicket>> dropped;
    {
        std::lock_guard lock(m_mutex);
        --m_inFlight;
        granted = grantWaitersLocked(dropped);
    }
    notifyGranted(granted);
}

std::vector<std::shared_ptr<SlotTicket>>
UpstreamSlots::grantWaitersLocked(std::vector<std::shared_ptr<SlotTicket>> &dropped)
{
    std::vector<std::shared_ptr<SlotTicket>> granted;
    while (m_inFlight < m_max && !m_queue.empty()) {
        std::shared_ptr<SlotTicket> ticket = m_queue.front().lock();
        m_queue.pop_front();
        if (!ticket)
            continue;
        if (ticket->m_state != SlotTicket::State::Waiting) {
            // Ours may be the last reference: its destructor locks, so drop it after unlocking.
            dropped.push_back(std::move(ticket));
            continue;
        }
        ticket->m_state = SlotTicket::State::Granted;
        --m_waiting;
        ++m_inFlight;
        m_peak = qMax(m_peak, m_inFlight);
        granted.push_back(std::move(ticket));
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

} // namespace relay
