#pragma once

#include "TimerQueue.h"

#include <QAbstractEventDispatcher>
#include <QSocketNotifier>
#include <QVarLengthArray>

#include <array>
#include <atomic>
#include <vector>

#include <sys/epoll.h>

namespace relay {

class DirectNotifier;

// An event dispatcher on Linux epoll, for the relay's worker threads. Qt 6.4's own dispatcher
// hands every socket of the thread to ppoll() on each wake-up, so thousands of idle keep-alive
// connections cost CPU on every request; here a socket is in the epoll set only while one of
// its notifiers is enabled, and a wake-up costs what is ready. A DirectNotifier is called
// straight from the pass; any other notifier gets its QEvent::SockAct as with Qt's. Timers live in
// a TimerQueue (the epoll_wait timeout is the nearest deadline), posted events and wakeUp() go
// through an eventfd. Install it with QThread::setEventDispatcher() before the thread starts.
// Thread ownership: everything runs on the dispatcher's thread, except wakeUp() and
// interrupt(), which any thread may call.
class EpollEventDispatcher final : public QAbstractEventDispatcher
{
    Q_OBJECT
public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

    // The epoll descriptor (the kernel lists what it watches in /proc/self/fdinfo/<it>).
    int epollDescriptor() const { return m_epoll; }

    // Work an object of this thread leaves for the end of the pass it runs in (deleting what
    // finished inside its own call, once that call has returned), without a posted event:
    // fn(owner) runs when the pass of an EpollEventDispatcher now running on this thread has
    // handled its events, before that pass returns; work left by such work runs in the same
    // pass. False when no such pass is running on this thread (Qt's own dispatcher, or outside
    // the event loop): the caller posts the work instead. An owner that goes before its work
    // has run withdraws it first, on its own thread.
    static bool atPassEnd(void (*fn)(void *owner), void *owner);
    static void withdrawPassEnd(void *owner);
    // A write to a socket, left for the end of the pass as atPassEnd() does, but only while the
    // pass has more ready sockets to handle after the one being handled: the writes of a busy
    // pass leave together when its work is done, and whoever they wake runs while this thread
    // is about to wait instead of taking its core halfway through. False (write now) for the
    // pass's last ready socket, for timers and posted events, and outside such a pass: then
    // nothing follows the write but the pass's end, and waiting for it would only add latency.
    static bool atPassEndWhileBusy(void (*fn)(void *owner), void *owner);

private:
    // One enabled notifier; `serial` tells it from a later one at the same address. `direct`:
    // the same notifier when it is a DirectNotifier (called without an event), else null.
    struct Watch
    {
        QSocketNotifier *notifier;
        DirectNotifier *direct;
        quint64 serial;
        bool pending;
    };
    struct Descriptor
    {
        QVarLengthArray<Watch, 3> watches;
        quint32 events = 0;      // what epoll watches for it; 0: not in the epoll set
        bool unpollable = false; // a regular file: epoll refuses it, poll() calls it ready
    };
    struct Pending
    {
        int fd;
        quint64 serial;
    };
    using PendingList = QVarLengthArray<Pending, 64>;

    bool onOwnThread(const QObject *object, const char *what) const;
    void updateEpoll(int fd, bool again);
    void markPending(int fd, quint32 revents, PendingList &pending);
    int activateNotifiers(const PendingList &pending);
    int activateTimers();
    void consumeWakeUp();
    int waitWithoutNotifiers(int timeoutMs);

    int m_epoll = -1;
    int m_wakeFd = -1;
    std::atomic<bool> m_wakeUpPending{false};
    // An event posted by the dispatcher's own thread since its last sendPostedEvents(): the
    // next pass delivers it before waiting, so no eventfd write is needed for it.
    bool m_postedHere = false;
    std::atomic<bool> m_interrupted{false};
    std::vector<Descriptor> m_descriptors; // by file descriptor
    int m_unpollableCount = 0;
    quint64 m_serials = 0;
    TimerQueue m_timers;
    quint64 m_timerPasses = 0;
    std::array<epoll_event, 256> m_events{};
};

} // namespace relay
