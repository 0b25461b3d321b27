#pragma once

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
    bool isAttached() const;
    // Gives the slot back early (the upstream call finished). No callback comes after this.
    void release();
    // Call on the owner's thread before the owner (the context) goes away: after this returns
    // no grant is posted to it any more.
    void detach();

private:
    friend class UpstreamSlots;
    enum class State { Waiting, Granted, Released };
    std::shared_ptr<UpstreamSlots> m_pool;
    QObject *m_context = nullptr;      // guarded by the pool's mutex
    std::function<void()> m_onGranted; // set once; cleared under the pool's mutex
    State m_state = State::Waiting;    // guarded by the pool's mutex
    quint64 m_seq = 0;
};

// The relay-wide pool of connection slots of one upstream: at most maxConnections requests in
// flight to it across every worker thread. Requests that find the pool full wait in arrival
// order; a freed slot goes straight to the next waiter, woken on its own thread by a queued
// call. Thread-safe.
class UpstreamSlots : public std::enable_shared_from_this<UpstreamSlots>
{
public:
    UpstreamSlots(QString name, int maxConnections);

    const QString &name() const { return m_name; }
    // Grants at once when a slot is free (the ticket is then granted and onGranted is not
    // called); otherwise queues, and onGranted later runs on context's thread.
    std::shared_ptr<SlotTicket> acquire(QObject *context, std::function<void()> onGranted);
    void setMaxConnections(int maxConnections);

    int maxConnections() const;
    int inFlight() const;
    int waiting() const;
    // Most requests ever in flight at once (for tests and benchmarks).
    int peakInFlight() const;

private:
    friend class SlotTicket;
    void releaseSlot();
    void leaveQueue(SlotTicket *ticket);
    // Under the lock: hands free slots to waiters and returns them. Tickets released while
    // waiting go to `dropped`: the caller lets go of both only after unlocking, because the last
    // reference to a ticket locks the pool in its destructor.
    std::vector<std::shared_ptr<SlotTicket>>
    grantWaitersLocked(std::vector<std::shared_ptr<SlotTicket>> &dropped);
    void notifyGranted(std::vector<std::shared_ptr<SlotTicket>> &granted);

    const QString m_name;
    mutable std::mutex m_mutex;
    int m_max;
    int m_inFlight = 0;
    int m_peak = 0;
    std::deque<std::weak_ptr<SlotTicket>> m_queue;
    int m_waiting = 0;
};

} // namespace relay
