#include "EpollEventDispatcher.h"

#include "Clock.h"
#include "DirectNotifier.h"

#include <QCoreApplication>
#include <QScopeGuard>
#include <QThread>
#include <QTimerEvent>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace relay {

namespace {

// Work left for the end of a pass (atPassEnd), on this thread, with the depth of the pass it
// was left in: a nested pass runs only what was left in it.
struct PassEndWork
{
    void (*fn)(void *);
    void *owner;
    int depth;
};
thread_local std::vector<PassEndWork> t_passEnd;
thread_local int t_passDepth = 0; // passes of an EpollEventDispatcher running on this thread
// While a notifier is activated: more ready notifiers of the same pass come after it.
thread_local bool t_moreReady = false;

// Runs the work left in the passes from `depth` inwards, including what that work leaves.
void runPassEnd(int depth)
{
    while (!t_passEnd.empty() && t_passEnd.back().depth >= depth) {
        // Taken out before it runs: the work may leave more, or withdraw other work.
        auto it = std::find_if(t_passEnd.begin(), t_passEnd.end(),
                               [depth](const PassEndWork &w) { return w.depth >= depth; });
        const PassEndWork work = *it;
        t_passEnd.erase(it);
        work.fn(work.owner);
    }
}

qint64 monotonicNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// What epoll watches for a notifier of this type.
quint32 watchedEvents(QSocketNotifier::Type type)
{
    switch (type) {
    case QSocketNotifier::Read:
        return EPOLLIN;
    case QSocketNotifier::Write:
        return EPOLLOUT;
    case QSocketNotifier::Exception:
        return EPOLLPRI;
    }
    return 0;
}

// What activates a notifier of this type: a hang-up or an error wakes every notifier of the
// socket, as poll() does in Qt's own dispatcher, so that the socket sees it whichever it waits on.
quint32 activatingEvents(QSocketNotifier::Type type)
{
    return watchedEvents(type) | EPOLLHUP | EPOLLERR |
           (type == QSocketNotifier::Read ? quint32(EPOLLRDHUP) : 0u);
}

} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject *parent) : QAbstractEventDispatcher(parent)
{
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    m_wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_epoll < 0 || m_wakeFd < 0)
        qFatal("EpollEventDispatcher: cannot create its epoll or eventfd descriptor: %s",
               strerror(errno));
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = m_wakeFd;
    if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeFd, &event) != 0)
        qFatal("EpollEventDispatcher: cannot watch its eventfd: %s", strerror(errno));
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    ::close(m_wakeFd);
    ::close(m_epoll);
}

bool EpollEventDispatcher::onOwnThread(const QObject *object, const char *what) const
{
    if (object->thread() == thread() && thread() == QThread::currentThread())
        return true;
    qWarning("EpollEventDispatcher: %s from another thread", what);
    return false;
}

bool EpollEventDispatcher::atPassEnd(void (*fn)(void *owner), void *owner)
{
    if (t_passDepth == 0)
        return false;
    t_passEnd.push_back({fn, owner, t_passDepth});
    return true;
}

bool EpollEventDispatcher::atPassEndWhileBusy(void (*fn)(void *owner), void *owner)
{
    return t_moreReady && atPassEnd(fn, owner);
}

void EpollEventDispatcher::withdrawPassEnd(void *owner)
{
    std::erase_if(t_passEnd, [owner](const PassEndWork &w) { return w.owner == owner; });
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    const int depth = ++t_passDepth;
    const auto passEnd = qScopeGuard([depth] {
        runPassEnd(depth);
        --t_passDepth;
    });
    m_interrupted.store(false, std::memory_order_relaxed);
    Q_EMIT awake();
    m_postedHere = false;
    QCoreApplication::sendPostedEvents();

    const bool withTimers = !(flags & QEventLoop::X11ExcludeTimers);
    const bool withNotifiers = !(flags & QEventLoop::ExcludeSocketNotifiers);
    // What this thread posted meanwhile (also from inside sendPostedEvents, which leaves those
    // for the next pass) is delivered by the next pass: this one must not sleep on it.
    const bool canWait = (flags & QEventLoop::WaitForMoreEvents) && !m_postedHere &&
                         !m_interrupted.load(std::memory_order_relaxed);
    if (canWait)
        Q_EMIT aboutToBlock();
    if (m_interrupted.load(std::memory_order_relaxed))
        return false;

    int timeoutMs = 0;
    if (canWait && !(withNotifiers && m_unpollableCount > 0))
        timeoutMs = withTimers ? m_timers.waitMs(monotonicNs()) : -1;

    int handled = 0;
    if (withNotifiers) {
        PendingList pending;
        const int ready = epoll_wait(m_epoll, m_events.data(), int(m_events.size()), timeoutMs);
        if (ready < 0 && errno != EINTR)
            qWarning("EpollEventDispatcher: epoll_wait: %s", strerror(errno));
        for (int i = 0; i < ready; ++i) {
            const int fd = m_events[size_t(i)].data.fd;
            if (fd == m_wakeFd) {
                consumeWakeUp();
                ++handled;
            } else {
                markPending(fd, m_events[size_t(i)].events, pending);
            }
        }
        // Regular files are always ready, as poll() reports them.
        if (m_unpollableCount > 0)
            for (size_t fd = 0; fd < m_descriptors.size(); ++fd)
                if (m_descriptors[fd].unpollable)
                    markPending(int(fd), EPOLLIN | EPOLLOUT, pending);
        handled += activateNotifiers(pending);
    } else {
        handled += waitWithoutNotifiers(timeoutMs);
    }
    if (withTimers)
        handled += activateTimers();
    return handled > 0;
}

int EpollEventDispatcher::waitWithoutNotifiers(int timeoutMs)
{
    pollfd wake{m_wakeFd, POLLIN, 0};
    if (poll(&wake, 1, timeoutMs) > 0 && (wake.revents & POLLIN)) {
        consumeWakeUp();
        return 1;
    }
    return 0;
}

void EpollEventDispatcher::markPending(int fd, quint32 revents, PendingList &pending)
{
    if (fd < 0 || size_t(fd) >= m_descriptors.size())
        return;
    for (Watch &watch : m_descriptors[size_t(fd)].watches) {
        if (revents & activatingEvents(watch.notifier->type())) {
            // Also when an outer pass (a nested event loop) holds it already: whichever pass
            // comes first activates it, the other skips it.
            watch.pending = true;
            pending.append({fd, watch.serial});
        }
    }
}

int EpollEventDispatcher::activateNotifiers(const PendingList &pending)
{
    int activated = 0;
    QEvent event(QEvent::SockAct);
    const bool outerMoreReady = t_moreReady; // a nested pass's own list ends before the outer's
    const auto restore = qScopeGuard([outerMoreReady] { t_moreReady = outerMoreReady; });
    for (qsizetype i = 0; i < pending.size(); ++i) {
        const Pending &p = pending[i];
        // Looked up again each time: an activation may disable or delete any notifier, or add
        // descriptors. A notifier gone since epoll reported it is not activated.
        if (size_t(p.fd) >= m_descriptors.size())
            continue;
        for (Watch &watch : m_descriptors[size_t(p.fd)].watches) {
            if (watch.serial != p.serial)
                continue;
            if (watch.pending) {
                watch.pending = false;
                t_moreReady = i + 1 < pending.size();
                const SystemClock::Moment moment;
                if (DirectNotifier *direct = watch.direct)
                    direct->activate();
                else
                    QCoreApplication::sendEvent(watch.notifier, &event);
                ++activated;
                t_moreReady = false;
            }
            break;
        }
    }
    return activated;
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const qintptr fd = notifier->socket();
    if (fd < 0 || fd > INT_MAX) {
        qWarning("EpollEventDispatcher: a socket notifier without a valid descriptor");
        return;
    }
    if (!onOwnThread(notifier, "socket notifier enabled"))
        return;
    if (size_t(fd) >= m_descriptors.size())
        m_descriptors.resize(std::max(size_t(fd) + 1, m_descriptors.size() * 2));
    Descriptor &descriptor = m_descriptors[size_t(fd)];
    for (const Watch &watch : descriptor.watches)
        if (watch.notifier == notifier)
            return;
    // A second notifier of a type already watched changes nothing epoll sees, unless the
    // descriptor was closed and its number reused behind a notifier still enabled: telling
    // epoll again costs nothing in the usual case (a socket's read and write notifiers).
    const bool again = (descriptor.events & watchedEvents(notifier->type())) != 0;
    descriptor.watches.append(
        {notifier, dynamic_cast<DirectNotifier *>(notifier), ++m_serials, false});
    updateEpoll(int(fd), again);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    Q_ASSERT(notifier);
    const qintptr fd = notifier->socket();
    if (fd < 0 || size_t(fd) >= m_descriptors.size())
        return;
    if (!onOwnThread(notifier, "socket notifier disabled"))
        return;
    auto &watches = m_descriptors[size_t(fd)].watches;
    for (qsizetype i = 0; i < watches.size(); ++i) {
        if (watches[i].notifier == notifier) {
            watches.remove(i);
            updateEpoll(int(fd), false);
            return;
        }
    }
}

void EpollEventDispatcher::updateEpoll(int fd, bool again)
{
    Descriptor &descriptor = m_descriptors[size_t(fd)];
    quint32 wanted = 0;
    for (const Watch &watch : descriptor.watches)
        wanted |= watchedEvents(watch.notifier->type());
    if (descriptor.unpollable) {
        if (wanted == 0) {
            descriptor.unpollable = false;
            --m_unpollableCount;
        }
        descriptor.events = wanted;
        return;
    }
    if (wanted == descriptor.events && !again)
        return;
    epoll_event event{};
    event.events = wanted;
    event.data.fd = fd;
    const int op = descriptor.events == 0 ? EPOLL_CTL_ADD
                   : wanted == 0          ? EPOLL_CTL_DEL
                                          : EPOLL_CTL_MOD;
    int rc = epoll_ctl(m_epoll, op, fd, &event);
    if (rc != 0 && op == EPOLL_CTL_MOD && errno == ENOENT) // closed and reused: the kernel let go
        rc = epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event);
    else if (rc != 0 && op == EPOLL_CTL_ADD && errno == EEXIST)
        rc = epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event);
    else if (rc != 0 && op == EPOLL_CTL_DEL && (errno == EBADF || errno == ENOENT))
        rc = 0; // closed before its notifier was disabled: the kernel let go already
    if (rc != 0 && errno == EPERM) {
        // A regular file (or /dev/null): epoll will not watch it.
        descriptor.unpollable = true;
        ++m_unpollableCount;
        descriptor.events = wanted;
        return;
    }
    if (rc != 0) {
        qWarning("EpollEventDispatcher: cannot watch descriptor %d: %s", fd, strerror(errno));
        descriptor.events = 0;
        return;
    }
    descriptor.events = wanted;
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                         QObject *object)
{
    if (timerId < 1 || interval < 0 || !object) {
        qWarning("EpollEventDispatcher::registerTimer: invalid arguments");
        return;
    }
    if (!onOwnThread(object, "timer started"))
        return;
    m_timers.add(timerId, interval, timerType, object, monotonicNs());
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    if (timerId < 1 || thread() != QThread::currentThread()) {
        qWarning("EpollEventDispatcher::unregisterTimer: invalid timer or another thread");
        return false;
    }
    return m_timers.remove(timerId);
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    if (!object || !onOwnThread(object, "timers stopped"))
        return false;
    return m_timers.removeAll(object);
}

QList<QAbstractEventDispatcher::TimerInfo>
EpollEventDispatcher::registeredTimers(QObject *object) const
{
    if (!object)
        return {};
    return m_timers.timersOf(object);
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    return m_timers.remainingMs(timerId, monotonicNs());
}

int EpollEventDispatcher::activateTimers()
{
    if (m_timers.isEmpty())
        return 0;
    const qint64 now = monotonicNs();
    const quint64 pass = ++m_timerPasses;
    int activated = 0;
    while (const auto due = m_timers.takeDue(now, pass)) {
        if (due->counts)
            ++activated;
        QTimerEvent event(due->id);
        QCoreApplication::sendEvent(due->object, &event);
        m_timers.finished(*due, monotonicNs());
    }
    return activated;
}

void EpollEventDispatcher::wakeUp()
{
    // Posted by this thread (deleteLater, queued calls): it is awake already, and its next pass
    // begins by delivering posted events. Only another thread's post needs the eventfd.
    if (QThread::currentThread() == thread()) {
        m_postedHere = true;
        return;
    }
    // One write until the thread has read it: many posts from other threads cost one wake-up.
    if (m_wakeUpPending.exchange(true, std::memory_order_acq_rel))
        return;
    const eventfd_t one = 1;
    while (eventfd_write(m_wakeFd, one) != 0 && errno == EINTR) {
    }
}

void EpollEventDispatcher::consumeWakeUp()
{
    eventfd_t value = 0;
    eventfd_read(m_wakeFd, &value);
    // Cleared before the next processEvents() sends the posted events: a post after this
    // point writes again.
    m_wakeUpPending.exchange(false, std::memory_order_acq_rel);
}

void EpollEventDispatcher::interrupt()
{
    m_interrupted.store(true, std::memory_order_relaxed);
    wakeUp();
}

} // namespace relay
