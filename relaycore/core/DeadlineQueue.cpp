#include "DeadlineQueue.h"

#include "Clock.h"

#include <QTimerEvent>

#include <algorithm>
#include <climits>

namespace relay {

namespace {

constexpr qsizetype kHeld = -2;

} // namespace

Deadline::~Deadline()
{
    if (m_queue)
        m_queue->disarm(*this);
}

DeadlineQueue::DeadlineQueue(Clock &clock, QObject *parent) : QObject(parent), m_clock(clock) {}

DeadlineQueue::~DeadlineQueue()
{
    const auto release = [](Deadline *deadline) {
        if (!deadline)
            return;
        deadline->m_queue = nullptr;
        deadline->m_index = -1;
    };
    std::for_each(m_heap.items().begin(), m_heap.items().end(), release);
    std::for_each(m_held.begin(), m_held.end(), release);
}

void DeadlineQueue::arm(Deadline &deadline, qint64 dueMs)
{
    if (deadline.m_queue && deadline.m_queue != this)
        deadline.m_queue->disarm(deadline);
    if (deadline.m_index == kHeld)
        unhold(&deadline);
    deadline.m_armed = ++m_arms;
    deadline.m_dueMs = dueMs;
    if (deadline.m_queue == this)
        m_heap.update(deadline.m_index);
    else
        push(&deadline);
    if (m_heap.top() == &deadline)
        setTimer();
}

void DeadlineQueue::disarm(Deadline &deadline)
{
    if (deadline.m_queue != this)
        return;
    if (deadline.m_index == kHeld) {
        unhold(&deadline);
        return;
    }
    // The timer stays set: should it fire with nothing due, it is set again or left off.
    m_heap.remove(deadline.m_index);
    deadline.m_queue = nullptr;
}

int DeadlineQueue::fireDue(qint64 nowMs)
{
    const quint64 armedBefore = m_arms;
    const size_t heldBefore = m_held.size(); // a callback may run a nested pass
    int fired = 0;
    while (!m_heap.empty() && m_heap.top()->m_dueMs <= nowMs) {
        Deadline *deadline = m_heap.top();
        m_heap.remove(0);
        if (deadline->m_armed > armedBefore) {
            // Armed during this pass: it waits for the next, without holding back the rest.
            deadline->m_index = kHeld;
            m_held.push_back(deadline);
            continue;
        }
        deadline->m_queue = nullptr;
        deadline->m_callback(deadline->m_owner);
        ++fired;
    }
    for (size_t i = heldBefore; i < m_held.size(); ++i)
        if (Deadline *deadline = m_held[i])
            push(deadline);
    m_held.resize(heldBefore);
    return fired;
}

void DeadlineQueue::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != m_timerId)
        return QObject::timerEvent(event);
    killTimer(m_timerId);
    m_timerId = 0;
    fireDue(m_clock.monotonicMs());
    setTimer();
}

void DeadlineQueue::setTimer()
{
    if (m_heap.empty())
        return;
    const qint64 due = m_heap.top()->m_dueMs;
    const qint64 wait = std::clamp<qint64>(due - m_clock.monotonicMs(), 0, INT_MAX);
    if (m_timerId) {
        // It fires first and sets itself again; but one set to wait on a clock that has since
        // been moved by hand (a test's) would make a deadline already due wait as long.
        if (m_timerDueMs <= due && (wait > 0 || m_timerWaitMs == 0))
            return;
        killTimer(m_timerId);
    }
    m_timerId = startTimer(std::chrono::milliseconds(wait), Qt::PreciseTimer);
    m_timerDueMs = due;
    m_timerWaitMs = wait;
}

void DeadlineQueue::push(Deadline *deadline)
{
    deadline->m_queue = this;
    m_heap.push(deadline);
}

void DeadlineQueue::unhold(Deadline *deadline)
{
    std::replace(m_held.begin(), m_held.end(), deadline, static_cast<Deadline *>(nullptr));
    deadline->m_queue = nullptr;
    deadline->m_index = -1;
}

} // namespace relay
