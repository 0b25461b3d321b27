#pragma once

#include "IntrusiveHeap.h"

#include <QAbstractEventDispatcher>
#include <QList>

#include <optional>
#include <unordered_map>
#include <vector>

class QObject;

namespace relay {

// The QObject timers of one event dispatcher: one min-heap of deadlines (nanoseconds on a
// monotonic scale, passed in by the caller so that tests move time by hand), with Qt's timer
// types: Precise to the millisecond; Coarse moved by up to 5 % of its interval onto a round
// boundary so that timers wake the thread together (20 ms and under: Precise; 20 s and over:
// VeryCoarse); VeryCoarse on whole seconds, its interval rounded to the nearest second (at least
// one). Used on one thread only.
class TimerQueue
{
public:
    // A timer to fire now; `counts` is false for zero-interval timers, which fire on every pass
    // and so are not events of their own (as Qt counts them).
    struct Due
    {
        int id;
        QObject *object;
        quint64 registration;
        bool counts;
    };

    TimerQueue() = default;
    TimerQueue(const TimerQueue &) = delete;
    TimerQueue &operator=(const TimerQueue &) = delete;

    void add(int id, qint64 intervalMs, Qt::TimerType type, QObject *object, qint64 nowNs);
    bool remove(int id);
    bool removeAll(QObject *object);
    QList<QAbstractEventDispatcher::TimerInfo> timersOf(QObject *object) const;
    // Milliseconds until the timer is due, rounded up; 0 when overdue, -1 when unknown.
    int remainingMs(int id, qint64 nowNs) const;
    // Milliseconds to wait for the nearest deadline, rounded up; -1 with no timer waiting.
    int waitMs(qint64 nowNs) const;
    bool isEmpty() const { return m_timers.empty(); }
    qsizetype size() const { return qsizetype(m_timers.size()); }

    // One pass: returns the next timer whose deadline is at or before `nowNs`, already moved to
    // its next deadline, until none is left. `pass` is new for each pass: a timer fires at most
    // once per pass, and a timer added or restarted during the pass waits for its own deadline.
    // A timer whose event is still running (a nested event loop inside it) is held back until
    // finished() is called for it.
    std::optional<Due> takeDue(qint64 nowNs, quint64 pass);
    // The event of a timer taken by takeDue() has returned (the timer may be gone by now).
    void finished(const Due &due, qint64 nowNs);

    // Where a Coarse timer due at `deadlineNs` is moved: the roundest boundary (whole second,
    // half, quarter, ... millisecond) within 5 % of its interval.
    static qint64 coarseDeadline(qint64 deadlineNs, qint64 intervalMs);

private:
    struct Timer
    {
        int id = 0;
        qint64 intervalMs = 0; // VeryCoarse: whole seconds, in milliseconds
        Qt::TimerType type = Qt::PreciseTimer;
        QObject *object = nullptr;
        qint64 deadlineNs = 0;
        quint64 order = 0; // ties broken in the order timers were scheduled
        quint64 registration = 0;
        quint64 lastPass = 0;
        qsizetype heapIndex = -1; // -1: not waiting (firing now, or held back)
        bool inEvent = false;
        bool heldBack = false;
    };

    void schedule(Timer *timer, qint64 deadlineNs);
    qint64 nextDeadline(const Timer &timer, qint64 nowNs) const;
    void erase(std::unordered_map<int, Timer>::iterator it);
    // Earliest deadline first; ties in the order the timers were scheduled.
    struct Before
    {
        bool operator()(const Timer *a, const Timer *b) const
        {
            return a->deadlineNs < b->deadlineNs ||
                   (a->deadlineNs == b->deadlineNs && a->order < b->order);
        }
    };

    std::unordered_map<int, Timer> m_timers; // nodes stay put: the heap points at them
    std::unordered_map<QObject *, std::vector<int>> m_byObject;
    IntrusiveHeap<Timer, &Timer::heapIndex, Before> m_heap;
    quint64 m_order = 0;
    quint64 m_registrations = 0;
};

} // namespace relay
