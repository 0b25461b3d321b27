#include "TimerQueue.h"

#include <algorithm>
#include <climits>

namespace relay {

namespace {

constexpr qint64 kNsPerMs = 1'000'000;
constexpr qint64 kNsPerSecond = 1'000'000'000;

int ceilMs(qint64 ns)
{
    if (ns <= 0)
        return 0;
    return int(std::min<qint64>(INT_MAX, (ns + kNsPerMs - 1) / kNsPerMs));
}

} // namespace

qint64 TimerQueue::coarseDeadline(qint64 deadlineNs, qint64 intervalMs)
{
    // Timers that round to the same boundaries wake the thread once for all of them.
    static constexpr qint64 kBoundariesMs[] = {1000, 500, 250, 200, 100, 50, 25, 10, 5, 2, 1};
    const qint64 slack = intervalMs * kNsPerMs / 20;
    for (const qint64 ms : kBoundariesMs) {
        const qint64 step = ms * kNsPerMs;
        const qint64 rounded = (deadlineNs + step / 2) / step * step;
        if (std::abs(rounded - deadlineNs) <= slack)
            return rounded;
    }
    return deadlineNs;
}

void TimerQueue::add(int id, qint64 intervalMs, Qt::TimerType type, QObject *object, qint64 nowNs)
{
    remove(id);
    intervalMs = std::max<qint64>(0, intervalMs);
    if (type == Qt::CoarseTimer) {
        // Under 20 ms, 5 % is under a millisecond; over 20 s, it is over a second.
        if (intervalMs <= 20)
            type = Qt::PreciseTimer;
        else if (intervalMs >= 20'000)
            type = Qt::VeryCoarseTimer;
    }
    Timer &timer = m_timers[id];
    timer.id = id;
    timer.type = type;
    timer.object = object;
    timer.registration = ++m_registrations;
    qint64 deadline = nowNs + intervalMs * kNsPerMs;
    if (type == Qt::VeryCoarseTimer) {
        const qint64 seconds = intervalMs == 0 ? 0 : std::max<qint64>(1, (intervalMs + 500) / 1000);
        intervalMs = seconds * 1000;
        // The nearest whole second from now, plus the interval.
        deadline = ((nowNs + kNsPerSecond / 2) / kNsPerSecond + seconds) * kNsPerSecond;
    } else if (type == Qt::CoarseTimer) {
        deadline = coarseDeadline(deadline, intervalMs);
    }
    timer.intervalMs = intervalMs;
    m_byObject[object].push_back(id);
    schedule(&timer, deadline);
}

bool TimerQueue::remove(int id)
{
    const auto it = m_timers.find(id);
    if (it == m_timers.end())
        return false;
    erase(it);
    return true;
}

bool TimerQueue::removeAll(QObject *object)
{
    const auto it = m_byObject.find(object);
    if (it == m_byObject.end())
        return false;
    const std::vector<int> ids = it->second;
    for (const int id : ids)
        remove(id);
    return true;
}

void TimerQueue::erase(std::unordered_map<int, Timer>::iterator it)
{
    Timer &timer = it->second;
    if (timer.heapIndex >= 0)
        m_heap.remove(timer.heapIndex);
    const auto owner = m_byObject.find(timer.object);
    if (owner != m_byObject.end()) {
        std::vector<int> &ids = owner->second;
        ids.erase(std::find(ids.begin(), ids.end(), timer.id));
        if (ids.empty())
            m_byObject.erase(owner);
    }
    m_timers.erase(it);
}

QList<QAbstractEventDispatcher::TimerInfo> TimerQueue::timersOf(QObject *object) const
{
    QList<QAbstractEventDispatcher::TimerInfo> list;
    const auto owner = m_byObject.find(object);
    if (owner == m_byObject.end())
        return list;
    for (const int id : owner->second) {
        const Timer &timer = m_timers.at(id);
        list.append({id, int(timer.intervalMs), timer.type});
    }
    return list;
}

int TimerQueue::remainingMs(int id, qint64 nowNs) const
{
    const auto it = m_timers.find(id);
    if (it == m_timers.end())
        return -1;
    return ceilMs(it->second.deadlineNs - nowNs);
}

int TimerQueue::waitMs(qint64 nowNs) const
{
    if (m_heap.empty())
        return -1;
    return ceilMs(m_heap.top()->deadlineNs - nowNs);
}

std::optional<TimerQueue::Due> TimerQueue::takeDue(qint64 nowNs, quint64 pass)
{
    while (!m_heap.empty()) {
        Timer *timer = m_heap.top();
        // Everything behind a timer already fired in this pass was scheduled after it.
        if (timer->deadlineNs > nowNs || timer->lastPass == pass)
            return std::nullopt;
        m_heap.remove(0);
        if (timer->inEvent) {
            // Its own event runs a nested event loop: it waits until that event returns.
            timer->heldBack = true;
            continue;
        }
        timer->lastPass = pass;
        // Moved on before its event, so that the event may kill or restart it.
        schedule(timer, nextDeadline(*timer, nowNs));
        timer->inEvent = true;
        return Due{timer->id, timer->object, timer->registration, timer->intervalMs > 0};
    }
    return std::nullopt;
}

void TimerQueue::finished(const Due &due, qint64 nowNs)
{
    const auto it = m_timers.find(due.id);
    if (it == m_timers.end() || it->second.registration != due.registration)
        return;
    Timer &timer = it->second;
    timer.inEvent = false;
    if (timer.heldBack) {
        timer.heldBack = false;
        schedule(&timer, nextDeadline(timer, nowNs));
    }
}

qint64 TimerQueue::nextDeadline(const Timer &timer, qint64 nowNs) const
{
    const qint64 interval = timer.intervalMs * kNsPerMs;
    if (timer.type == Qt::VeryCoarseTimer) {
        const qint64 next = timer.deadlineNs + interval;
        if (next / kNsPerSecond > nowNs / kNsPerSecond)
            return next;
        return (nowNs / kNsPerSecond) * kNsPerSecond + interval;
    }
    qint64 next = timer.deadlineNs + interval;
    // Late by more than an interval: the missed ticks are dropped, not fired in a burst.
    if (next < nowNs)
        next = nowNs + interval;
    if (timer.type == Qt::CoarseTimer)
        next = coarseDeadline(next, timer.intervalMs);
    return next;
}

void TimerQueue::schedule(Timer *timer, qint64 deadlineNs)
{
    if (timer->heapIndex >= 0)
        m_heap.remove(timer->heapIndex);
    timer->deadlineNs = deadlineNs;
    timer->order = ++m_order;
    m_heap.push(timer);
}

} // namespace relay
