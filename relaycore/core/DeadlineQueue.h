#pragma once

#include "IntrusiveHeap.h"

#include <QObject>

#include <vector>

namespace relay {

class Clock;
class DeadlineQueue;

// One deadline of an object on a worker thread (a call's connect or first-byte timeout, a
// retry's backoff, "as soon as the thread is free"). Embedded in its owner: arming and
// disarming allocate nothing and start no timer of their own. Disarmed when destroyed.
class Deadline
{
public:
    using Callback = void (*)(void *owner);

    Deadline(void *owner, Callback callback) : m_owner(owner), m_callback(callback) {}
    ~Deadline();
    Deadline(const Deadline &) = delete;
    Deadline &operator=(const Deadline &) = delete;

    bool isArmed() const { return m_queue != nullptr; }
    qint64 dueMs() const { return m_dueMs; }

private:
    friend class DeadlineQueue;
    void *m_owner;
    Callback m_callback;
    DeadlineQueue *m_queue = nullptr; // while armed
    qint64 m_dueMs = 0;
    qsizetype m_index = -1; // place in the queue's heap; -1: not in it (kHeld: held by a pass)
    quint64 m_armed = 0;    // the queue's count of arms when this one was armed
};

// Every deadline of one worker thread in one min-heap (each deadline knows its place, so
// disarming is O(log n) with no search), woken by a single Qt timer set for the earliest. A
// deadline that moves later, or goes, leaves that timer alone; when it fires early it is set
// again. Deadlines are on the clock's monotonic scale, so under a test's manual clock nothing
// fires until the clock has moved past them (fireDue() moves them on by hand).
class DeadlineQueue : public QObject
{
public:
    explicit DeadlineQueue(Clock &clock, QObject *parent = nullptr);
    ~DeadlineQueue() override;

    // Arms `deadline` for `dueMs` (moves it there when armed already, on whichever queue).
    void arm(Deadline &deadline, qint64 dueMs);
    void disarm(Deadline &deadline);
    // Runs the callback of every deadline due at `nowMs`, earliest first, each disarmed before
    // its callback runs (which may arm it again, or arm and disarm others). Deadlines armed
    // during the pass wait for the next one. Returns how many ran.
    int fireDue(qint64 nowMs);
    qsizetype size() const { return m_heap.size(); }
    // When the earliest deadline is due (-1: none).
    qint64 nextDueMs() const { return m_heap.empty() ? -1 : m_heap.top()->m_dueMs; }

protected:
    void timerEvent(QTimerEvent *event) override;

private:
    struct Before
    {
        bool operator()(const Deadline *a, const Deadline *b) const
        {
            return a->m_dueMs < b->m_dueMs;
        }
    };

    void setTimer();
    void push(Deadline *deadline);
    // A deadline held back by fireDue() (armed during the pass) leaves the held list.
    void unhold(Deadline *deadline);

    Clock &m_clock;
    IntrusiveHeap<Deadline, &Deadline::m_index, Before> m_heap;
    std::vector<Deadline *> m_held; // due, but armed during the running pass
    int m_timerId = 0;
    qint64 m_timerDueMs = 0;  // the deadline m_timerId was set for
    qint64 m_timerWaitMs = 0; // and how long it was set to wait then
    quint64 m_arms = 0;
};

} // namespace relay
