// The epoll event dispatcher on a thread of its own, as the relay's workers run it: socket
// notifiers on socketpairs (read, write, hang-up, enable/disable, several on one descriptor, one
// deleted or disabled by another's activation in the same wake-up, a descriptor closed and its
// number reused, 3,000 descriptors with one active) checked against the kernel's own list of
// what the epoll set watches; timers (deadline order, never early, each type, single-shot,
// killed or restarted inside another's event, moved to another thread); posted events, queued
// calls, wakeUp() and interrupt() waking a blocked thread; processEvents flags; QTcpSocket and
// QSslSocket working unchanged on it; and the relay's worker threads getting it (or Qt's own
// with TENANTRELAY_DISPATCHER=qt); each socket event read as one moment of the relay's
// clock; and the relay's writes to clients and upstreams leaving at the end of a pass while
// more ready sockets follow in it (at once for its last, and on Qt's dispatcher), whole, never
// for a request cancelled in that pass. No assertion depends on how fast the machine
// is: times are only checked to be no earlier than due.

#include "core/DirectNotifier.h"
#include "core/EpollEventDispatcher.h"
#include "http/HttpExchange.h"
#include "http/HttpServer.h"
#include "http/HttpWorker.h"
#include "upstream/UpstreamConnection.h"

#include "core/Clock.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSemaphore>
#include <QSocketNotifier>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using relay::EpollEventDispatcher;

namespace {

// Runs `body` on a new thread whose event dispatcher is an EpollEventDispatcher (or, with
// `epoll` false, Qt's own); false if the thread did not end within the time (a wake-up that
// never came).
bool runOnThread(std::function<void()> body, bool epoll, int timeoutMs = 60'000)
{
    std::unique_ptr<QThread> thread(QThread::create(std::move(body)));
    if (epoll)
        thread->setEventDispatcher(new EpollEventDispatcher);
    thread->start();
    if (!thread->wait(QDeadlineTimer(timeoutMs))) {
        thread->terminate();
        thread->wait();
        return false;
    }
    return true;
}

bool runOnEpollThread(std::function<void()> body, int timeoutMs = 60'000)
{
    return runOnThread(std::move(body), true, timeoutMs);
}

EpollEventDispatcher *dispatcher()
{
    return qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance());
}

// On the dispatcher's thread: runs its loop until `done`, false after timeoutMs. A ticking timer
// keeps the deadline checked when nothing else happens.
bool spinUntil(const std::function<bool()> &done, int timeoutMs = 20'000)
{
    QElapsedTimer clock;
    clock.start();
    QTimer tick;
    tick.start(20);
    while (!done()) {
        if (clock.hasExpired(timeoutMs))
            return false;
        QAbstractEventDispatcher::instance()->processEvents(QEventLoop::WaitForMoreEvents);
    }
    return true;
}

// On the dispatcher's thread: runs its loop for about `ms` (to see that nothing happens).
void spinFor(int ms)
{
    QElapsedTimer clock;
    clock.start();
    spinUntil([&] { return clock.hasExpired(ms); });
}

struct SocketPair
{
    int fd[2] = {-1, -1};
    SocketPair() { socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd); }
    ~SocketPair() { closeBoth(); }
    void closeBoth()
    {
        for (int &f : fd)
            if (f >= 0)
                ::close(std::exchange(f, -1));
    }
    void send(const char *bytes = "x") const { (void)!::write(fd[1], bytes, strlen(bytes)); }
    void drain() const
    {
        char buf[4096];
        while (::read(fd[0], buf, sizeof buf) > 0) {
        }
    }
};

// What the kernel's epoll set watches: descriptor -> events, from /proc/self/fdinfo.
QMap<int, quint32> kernelWatchList(int epollFd)
{
    QMap<int, quint32> watched;
    QFile info(QStringLiteral("/proc/self/fdinfo/%1").arg(epollFd));
    if (!info.open(QIODevice::ReadOnly))
        return watched;
    for (const QByteArray &line : info.readAll().split('\n')) {
        if (!line.startsWith("tfd:"))
            continue;
        const QList<QByteArray> parts = line.simplified().split(' ');
        // tfd: N events: HEX data: ...
        if (parts.size() >= 4)
            // The kernel always adds EPOLLERR | EPOLLHUP; what was asked for is the rest.
            watched.insert(parts[1].toInt(),
                           parts[3].toUInt(nullptr, 16) & ~quint32(EPOLLERR | EPOLLHUP));
    }
    return watched;
}

// Counts its timer events and calls a hook for each.
class TimerTarget : public QObject
{
public:
    std::function<void(int id)> onTimer;
    QList<int> fired;
    QList<qint64> firedAtNs;
    QElapsedTimer clock;
    TimerTarget() { clock.start(); }

protected:
    void timerEvent(QTimerEvent *event) override
    {
        fired.append(event->timerId());
        firedAtNs.append(clock.nsecsElapsed());
        if (onTimer)
            onTimer(event->timerId());
    }
};

// Calls a hook for each event of a user type posted to it.
class EventTarget : public QObject
{
public:
    std::function<void()> onEvent;

protected:
    bool event(QEvent *e) override
    {
        if (e->type() == QEvent::User) {
            if (onEvent)
                onEvent();
            return true;
        }
        return QObject::event(e);
    }
};

// Owns DirectNotifiers: counts its calls, runs a hook on each, and counts the socket events
// that went through QCoreApplication::notify to its notifiers (seen by an event filter).
class DirectOwner : public QObject
{
public:
    std::function<void()> onReady;
    int calls = 0;
    int socketEvents = 0;

    relay::DirectNotifier *watch(int fd)
    {
        relay::DirectNotifier *notifier =
            relay::DirectNotifier::create<&DirectOwner::ready>(fd, QSocketNotifier::Read, this);
        notifier->installEventFilter(this);
        return notifier;
    }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::SockAct)
            ++socketEvents;
        return QObject::eventFilter(watched, event);
    }

private:
    void ready()
    {
        ++calls;
        if (onReady)
            onReady();
    }
};

// Accepts TLS connections and echoes what it reads.
class TlsEchoServer : public QTcpServer
{
public:
    TlsEchoServer(const QSslCertificate &certificate, const QSslKey &key)
        : m_certificate(certificate), m_key(key)
    {
    }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto *peer = new QSslSocket(this);
        peer->setSocketDescriptor(descriptor);
        peer->setLocalCertificate(m_certificate);
        peer->setPrivateKey(m_key);
        QObject::connect(peer, &QSslSocket::readyRead, [peer] { peer->write(peer->readAll()); });
        peer->startServerEncryption();
    }

private:
    QSslCertificate m_certificate;
    QSslKey m_key;
};

class NullHandler : public relay::HttpHandler
{
public:
    void handle(relay::HttpExchange *) override {}
};

// Busy-waits `ms` of the steady clock (no event loop turns meanwhile).
void waitPast(qint64 ms)
{
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until) {
    }
}

// Hears an upstream connection: ready, and readable (a break found after a write).
struct UpstreamHearer : relay::UpstreamConnectionClient
{
    int ready = 0;
    int readable = 0;
    void connectionReady(relay::UpstreamConnection *) override { ++ready; }
    void connectionReadable(relay::UpstreamConnection *) override { ++readable; }
    void connectionFailed(relay::UpstreamConnection *) override {}
};

// Whether bytes wait to be read on `fd` now (without taking them).
bool bytesWaitOn(int fd)
{
    char c;
    return ::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}

// Answers each request and, in the same call, notes whether the answer had already reached
// the client's socket (by the request's path: "/busy" first keeps the worker busy for 300 ms);
// the exchanges it holds unanswered are answered 503 when it goes (as the relay's handler
// finishes its calls when a worker stops).
class AnsweringHandler : public relay::HttpHandler
{
public:
    std::map<QByteArray, int> clientFds; // path -> the client's socket, set before requests
    std::atomic<bool> busy{false};
    std::atomic<int> answered{0};
    bool holdRequests = false;
    std::atomic<int> held{0};

    ~AnsweringHandler() override
    {
        for (relay::HttpExchange *exchange : m_held)
            exchange->respond(503, {}, QByteArrayLiteral("worker stopping"));
    }
    void handle(relay::HttpExchange *exchange) override
    {
        if (holdRequests) {
            m_held.push_back(exchange);
            ++held;
            return;
        }
        const QByteArray path = exchange->request().path;
        if (path == "/busy") {
            busy = true;
            waitPast(300);
        }
        exchange->respond(200, {}, QByteArrayLiteral("answered ") + path);
        const auto fd = clientFds.find(path);
        std::lock_guard lock(m_mutex);
        m_order.push_back(path);
        m_atOnce[path] = fd != clientFds.end() && bytesWaitOn(fd->second);
        ++answered;
    }
    // The paths answered, in order, and whether each answer had reached its client at once.
    std::vector<std::pair<QByteArray, bool>> seen()
    {
        std::lock_guard lock(m_mutex);
        std::vector<std::pair<QByteArray, bool>> out;
        for (const QByteArray &path : m_order)
            out.emplace_back(path, m_atOnce[path]);
        return out;
    }

private:
    std::vector<relay::HttpExchange *> m_held;
    std::mutex m_mutex;
    std::vector<QByteArray> m_order;
    std::map<QByteArray, bool> m_atOnce;
};

// A blocking client socket connected to loopback:`port` (-1 on failure).
int connectTo(quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&to), sizeof to) != 0) {
        if (fd >= 0)
            ::close(fd);
        return -1;
    }
    return fd;
}

// Reads from `fd` until `until` holds for what was read, the peer closes, or 10 s pass.
QByteArray readFrom(int fd, const std::function<bool(const QByteArray &)> &until)
{
    QByteArray got;
    QElapsedTimer clock;
    clock.start();
    while (!until(got) && !clock.hasExpired(10'000)) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0)
            continue;
        char buf[4096];
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        got.append(buf, n);
    }
    return got;
}

} // namespace

class TestEpollDispatcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void isTheThreadsDispatcher()
    {
        bool installed = false;
        bool watchesOnlyItsWakeUp = false;
        QVERIFY(runOnEpollThread([&] {
            installed = dispatcher() && QThread::currentThread()->eventDispatcher() == dispatcher();
            if (installed)
                watchesOnlyItsWakeUp = kernelWatchList(dispatcher()->epollDescriptor()).size() == 1;
        }));
        QVERIFY(installed);
        QVERIFY(watchesOnlyItsWakeUp);
    }

    void readNotifierActivatesWhenDataArrives()
    {
        SocketPair pair;
        QList<QPair<qintptr, QSocketNotifier::Type>> activations;
        bool idlePassHandledNothing = false;
        QVERIFY(runOnEpollThread([&] {
            QSocketNotifier notifier(pair.fd[0], QSocketNotifier::Read);
            QObject::connect(&notifier, &QSocketNotifier::activated,
                             [&](QSocketDescriptor socket, QSocketNotifier::Type type) {
                                 activations.append({qintptr(socket), type});
                                 pair.drain();
                             });
            idlePassHandledNothing = !dispatcher()->processEvents(QEventLoop::AllEvents);
            pair.send();
            spinUntil([&] { return !activations.isEmpty(); });
            spinFor(100);
        }));
        QVERIFY(idlePassHandledNothing);
        QCOMPARE(activations.size(), 1);
        QCOMPARE(activations[0].first, qintptr(pair.fd[0]));
        QCOMPARE(activations[0].second, QSocketNotifier::Read);
    }

    // Each socket event is handled as one moment of the relay's clock: its readings stay the
    // same while the event is handled, however long that takes; the next event, a nested event
    // loop's event and code outside any event read the clock afresh.
    void eachSocketEventIsOneMomentOfTheClock()
    {
        relay::SystemClock clock;
        SocketPair outer;
        SocketPair nested;
        struct Readings
        {
            qint64 monoBefore = 0, wallBefore = 0, monoAfter = 0, wallAfter = 0;
            qint64 nestedMono = -1, monoAfterNested = 0;
        };
        QList<Readings> events;
        qint64 outside[2] = {0, 0};
        QVERIFY(runOnEpollThread([&] {
            QSocketNotifier inner(nested.fd[0], QSocketNotifier::Read);
            QObject::connect(&inner, &QSocketNotifier::activated, [&] {
                nested.drain();
                events.last().nestedMono = clock.monotonicMs();
            });
            QSocketNotifier notifier(outer.fd[0], QSocketNotifier::Read);
            QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
                outer.drain();
                Readings r{clock.monotonicMs(), clock.wallMs()};
                waitPast(5);
                r.monoAfter = clock.monotonicMs();
                r.wallAfter = clock.wallMs();
                events.append(r);
                if (events.size() == 2) {
                    nested.send();
                    spinUntil([&] { return events.last().nestedMono >= 0; });
                    events.last().monoAfterNested = clock.monotonicMs();
                }
            });
            outer.send();
            spinUntil([&] { return events.size() == 1; });
            outside[0] = clock.monotonicMs();
            waitPast(5);
            outside[1] = clock.monotonicMs();
            outer.send();
            spinUntil([&] { return events.size() == 2; });
        }));
        QCOMPARE(events.size(), 2);
        for (const Readings &r : events) {
            QCOMPARE(r.monoAfter, r.monoBefore);
            QCOMPARE(r.wallAfter, r.wallBefore);
        }
        QVERIFY(outside[1] >= outside[0] + 5);
        QVERIFY(events[1].monoBefore >= outside[1]);
        QVERIFY(events[1].nestedMono >= events[1].monoBefore + 5);
        QVERIFY(events[1].monoAfterNested >= events[1].nestedMono);
    }

    // A moment's reading serves sixteen uses, then the clock is read again: an event that works
    // long (many pipelined requests answered in one go) does not start its last deadlines at the
    // time the event began.
    void aMomentsReadingIsTakenAgainAfterSixteenUses()
    {
        relay::SystemClock clock;
        const relay::SystemClock::Moment moment;
        const qint64 mono = clock.monotonicMs();
        const qint64 wall = clock.wallMs();
        waitPast(20);
        for (int use = 2; use <= 16; ++use) {
            QCOMPARE(clock.monotonicMs(), mono);
            QCOMPARE(clock.wallMs(), wall);
        }
        const qint64 monoAgain = clock.monotonicMs();
        const qint64 wallAgain = clock.wallMs();
        QVERIFY2(monoAgain >= mono + 20, qPrintable(QString::number(monoAgain - mono)));
        QVERIFY2(wallAgain >= wall + 19, qPrintable(QString::number(wallAgain - wall)));
        // The new reading is then the answer for its own sixteen uses.
        waitPast(5);
        QCOMPARE(clock.monotonicMs(), monoAgain);
    }

    void writeNotifierActivatesWhileWritable()
    {
        SocketPair pair;
        int activations = 0;
        quint32 watchedWhileEnabled = 0;
        bool watchedAfterDisable = true;
        QVERIFY(runOnEpollThread([&] {
            QSocketNotifier notifier(pair.fd[0], QSocketNotifier::Write);
            watchedWhileEnabled =
                kernelWatchList(dispatcher()->epollDescriptor()).value(pair.fd[0]);
            QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
                ++activations;
                notifier.setEnabled(false);
            });
            spinUntil([&] { return activations > 0; });
            spinFor(100);
            watchedAfterDisable =
                kernelWatchList(dispatcher()->epollDescriptor()).contains(pair.fd[0]);
        }));
        QCOMPARE(activations, 1);
        QCOMPARE(watchedWhileEnabled, quint32(EPOLLOUT));
        QVERIFY(!watchedAfterDisable);
    }

    void disabledNotifierIsNotWatchedNorActivated()
    {
        SocketPair pair;
        int activations = 0;
        bool watchedWhileDisabled = true;
        quint32 watchedAgain = 0;
        int activationsWhileDisabled = -1;
        QVERIFY(runOnEpollThread([&] {
            QSocketNotifier notifier(pair.fd[0], QSocketNotifier::Read);
            QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
                ++activations;
                pair.drain();
            });
            notifier.setEnabled(false);
            pair.send();
            spinFor(100);
            activationsWhileDisabled = activations;
            watchedWhileDisabled =
                kernelWatchList(dispatcher()->epollDescriptor()).contains(pair.fd[0]);
            notifier.setEnabled(true);
            watchedAgain = kernelWatchList(dispatcher()->epollDescriptor()).value(pair.fd[0]);
            spinUntil([&] { return activations > 0; });
        }));
        QCOMPARE(activationsWhileDisabled, 0);
        QVERIFY(!watchedWhileDisabled);
        QCOMPARE(watchedAgain, quint32(EPOLLIN));
        QCOMPARE(activations, 1);
    }

    void readWriteAndExceptionNotifiersShareADescriptor()
    {
        SocketPair pair;
        QList<QSocketNotifier::Type> order;
        quint32 watchedAll = 0, watchedReadOnly = 0;
        bool goneWhenAllDeleted = false;
        QVERIFY(runOnEpollThread([&] {
            auto read = std::make_unique<QSocketNotifier>(pair.fd[0], QSocketNotifier::Read);
            auto write = std::make_unique<QSocketNotifier>(pair.fd[0], QSocketNotifier::Write);
            auto exception =
                std::make_unique<QSocketNotifier>(pair.fd[0], QSocketNotifier::Exception);
            const int epfd = dispatcher()->epollDescriptor();
            watchedAll = kernelWatchList(epfd).value(pair.fd[0]);
            QObject::connect(read.get(), &QSocketNotifier::activated, [&] {
                order.append(QSocketNotifier::Read);
                pair.drain();
            });
            QObject::connect(write.get(), &QSocketNotifier::activated, [&] {
                order.append(QSocketNotifier::Write);
                write->setEnabled(false);
            });
            QObject::connect(exception.get(), &QSocketNotifier::activated,
                             [&] { order.append(QSocketNotifier::Exception); });
            // Writable at once, nothing to read yet.
            spinUntil([&] { return !order.isEmpty(); });
            exception.reset();
            watchedReadOnly = kernelWatchList(epfd).value(pair.fd[0]);
            pair.send();
            spinUntil([&] { return order.size() >= 2; });
            read.reset();
            write.reset();
            goneWhenAllDeleted = !kernelWatchList(epfd).contains(pair.fd[0]);
        }));
        QCOMPARE(watchedAll, quint32(EPOLLIN | EPOLLOUT | EPOLLPRI));
        QCOMPARE(watchedReadOnly, quint32(EPOLLIN));
        QCOMPARE(order,
                 QList<QSocketNotifier::Type>({QSocketNotifier::Write, QSocketNotifier::Read}));
        QVERIFY(goneWhenAllDeleted);
    }

    void twoReadNotifiersOnOneDescriptorBothActivate()
    {
        SocketPair pair;
        int first = 0, second = 0;
        bool stillWatched = false;
        QVERIFY(runOnEpollThread([&] {
            auto a = std::make_unique<QSocketNotifier>(pair.fd[0], QSocketNotifier::Read);
            QSocketNotifier b(pair.fd[0], QSocketNotifier::Read);
            QObject::connect(a.get(), &QSocketNotifier::activated, [&] { ++first; });
            QObject::connect(&b, &QSocketNotifier::activated, [&] {
                ++second;
                pair.drain();
            });
            pair.send();
            spinUntil([&] { return first > 0 && second > 0; });
            a.reset();
            stillWatched = kernelWatchList(dispatcher()->epollDescriptor()).contains(pair.fd[0]);
            pair.send();
            spinUntil([&] { return second > 1; });
        }));
        QCOMPARE(first, 1);
        QCOMPARE(second, 2);
        QVERIFY(stillWatched);
    }

    void notifierDeletedByAnotherInTheSameWakeUpIsNotActivated()
    {
        SocketPair one, two;
        QList<int> activated;
        bool firstPassHandled = false;
        QVERIFY(runOnEpollThread([&] {
            // Both readable before the wake-up: whichever comes first deletes the other.
            one.send();
            two.send();
            QSocketNotifier *notifiers[2] = {new QSocketNotifier(one.fd[0], QSocketNotifier::Read),
                                             new QSocketNotifier(two.fd[0], QSocketNotifier::Read)};
            for (int i = 0; i < 2; ++i) {
                QObject::connect(notifiers[i], &QSocketNotifier::activated, [&, i] {
                    activated.append(i);
                    (i == 0 ? one : two).drain();
                    delete std::exchange(notifiers[1 - i], nullptr);
                });
            }
            firstPassHandled = dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
            spinFor(100);
            for (QSocketNotifier *n : notifiers)
                delete n;
        }));
        QVERIFY(firstPassHandled);
        QCOMPARE(activated.size(), 1);
    }

    // The relay's own sockets: the dispatcher calls a DirectNotifier's owner itself, without a
    // socket event through QCoreApplication::notify (an event filter sees none) or a signal.
    void directNotifierIsCalledWithoutAnEvent()
    {
        SocketPair pair;
        int calls = 0, socketEvents = -1, signals = 0;
        QVERIFY(runOnEpollThread([&] {
            DirectOwner owner;
            relay::DirectNotifier *notifier = owner.watch(pair.fd[0]);
            QObject::connect(notifier, &QSocketNotifier::activated, [&] { ++signals; });
            owner.onReady = [&] { pair.drain(); };
            pair.send();
            spinUntil([&] { return owner.calls > 0; });
            spinFor(100);
            pair.send();
            spinUntil([&] { return owner.calls > 1; });
            calls = owner.calls;
            socketEvents = owner.socketEvents;
        }));
        QCOMPARE(calls, 2);
        QCOMPARE(socketEvents, 0);
        QCOMPARE(signals, 0);
    }

    // On Qt's own dispatcher (a thread without the relay's), a DirectNotifier is called from the
    // socket event Qt sends it.
    void directNotifierOnQtsOwnDispatcherIsCalledFromItsEvent()
    {
        SocketPair pair;
        DirectOwner owner;
        owner.watch(pair.fd[0]);
        owner.onReady = [&] { pair.drain(); };
        QVERIFY(!qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance()));
        pair.send();
        QTRY_COMPARE(owner.calls, 1);
        QCOMPARE(owner.socketEvents, 1);
    }

    // As with Qt's notifiers: one deleted or disabled by another's call in the same wake-up is
    // not called, though epoll reported it ready.
    void directNotifierDeletedOrDisabledByAnotherInTheSameWakeUpIsNotCalled_data()
    {
        QTest::addColumn<bool>("deleteIt");
        QTest::newRow("deleted") << true;
        QTest::newRow("disabled") << false;
    }
    void directNotifierDeletedOrDisabledByAnotherInTheSameWakeUpIsNotCalled()
    {
        QFETCH(bool, deleteIt);
        SocketPair one, two;
        int calls[2] = {0, 0};
        QVERIFY(runOnEpollThread([&] {
            one.send();
            two.send();
            DirectOwner owners[2];
            relay::DirectNotifier *notifiers[2] = {owners[0].watch(one.fd[0]),
                                                   owners[1].watch(two.fd[0])};
            for (int i = 0; i < 2; ++i) {
                owners[i].onReady = [&, i] {
                    (i == 0 ? one : two).drain();
                    if (relay::DirectNotifier *other = std::exchange(notifiers[1 - i], nullptr)) {
                        if (deleteIt)
                            delete other;
                        else
                            other->setEnabled(false);
                    }
                };
            }
            dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
            spinFor(100);
            calls[0] = owners[0].calls;
            calls[1] = owners[1].calls;
        }));
        QCOMPARE(calls[0] + calls[1], 1);
    }

    void notifierDisabledByAnotherInTheSameWakeUpWaitsUntilEnabled()
    {
        SocketPair one, two;
        QList<int> firstPass, later;
        QVERIFY(runOnEpollThread([&] {
            one.send();
            two.send();
            QSocketNotifier a(one.fd[0], QSocketNotifier::Read);
            QSocketNotifier b(two.fd[0], QSocketNotifier::Read);
            QList<int> *log = &firstPass;
            QObject::connect(&a, &QSocketNotifier::activated, [&] {
                log->append(0);
                one.drain();
                b.setEnabled(false);
            });
            QObject::connect(&b, &QSocketNotifier::activated, [&] {
                log->append(1);
                two.drain();
                a.setEnabled(false);
            });
            dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
            log = &later;
            spinFor(100);
            // Enabled again, the one that was disabled with data waiting gets it.
            a.setEnabled(true);
            b.setEnabled(true);
            spinUntil([&] { return !later.isEmpty(); });
        }));
        QCOMPARE(firstPass.size(), 1);
        QCOMPARE(later, QList<int>({1 - firstPass[0]}));
    }

    void notifierReplacedAtTheSameAddressWaitsForTheNextWakeUp()
    {
        SocketPair one, two;
        QList<QByteArray> firstPass, secondPass;
        QVERIFY(runOnEpollThread([&] {
            one.send();
            two.send();
            QSocketNotifier a(one.fd[0], QSocketNotifier::Read);
            QList<QByteArray> *log = &firstPass;
            // The storage of b is reused for its replacement, on the same descriptor: what epoll
            // reported for the old one is not the new one's.
            alignas(QSocketNotifier) unsigned char storage[sizeof(QSocketNotifier)];
            auto *b = new (storage) QSocketNotifier(two.fd[0], QSocketNotifier::Read);
            const auto logB = [&] {
                log->append("b");
                two.drain();
            };
            QObject::connect(b, &QSocketNotifier::activated, logB);
            QObject::connect(&a, &QSocketNotifier::activated, [&] {
                log->append("a");
                one.drain();
                if (firstPass.size() == 1 && log == &firstPass) {
                    b->~QSocketNotifier();
                    b = new (storage) QSocketNotifier(two.fd[0], QSocketNotifier::Read);
                    QObject::connect(b, &QSocketNotifier::activated, [&] {
                        log->append("b2");
                        two.drain();
                    });
                }
            });
            dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
            log = &secondPass;
            if (firstPass == QList<QByteArray>({"a"}))
                spinUntil([&] { return !secondPass.isEmpty(); });
            b->~QSocketNotifier();
        }));
        // Either b came first (then no replacement), or a replaced b, and b2 waited.
        if (firstPass.first() == "a") {
            QCOMPARE(firstPass, QList<QByteArray>({"a"}));
            QCOMPARE(secondPass, QList<QByteArray>({"b2"}));
        } else {
            QCOMPARE(firstPass, QList<QByteArray>({"b", "a"}));
        }
    }

    void closedDescriptorReusedByANewSocket()
    {
        int reusedNumber = -1, oldNumber = -1;
        int newActivations = 0;
        bool watchedAfter = false;
        QVERIFY(runOnEpollThread([&] {
            // Closed while its notifier is still enabled (the kernel drops it from the set on
            // its own); the number comes back with the next socketpair.
            auto old = std::make_unique<SocketPair>();
            oldNumber = old->fd[0];
            auto stale = std::make_unique<QSocketNotifier>(oldNumber, QSocketNotifier::Read);
            spinFor(20);
            old->closeBoth();
            SocketPair fresh;
            reusedNumber = fresh.fd[0];
            QSocketNotifier notifier(fresh.fd[0], QSocketNotifier::Read);
            QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
                ++newActivations;
                fresh.drain();
            });
            // The stale one goes after the new one is there: the new one stays watched.
            stale.reset();
            watchedAfter = kernelWatchList(dispatcher()->epollDescriptor()).contains(fresh.fd[0]);
            fresh.send();
            spinUntil([&] { return newActivations > 0; });
            // And the plain way: disabled, closed, reused.
            notifier.setEnabled(false);
            fresh.closeBoth();
            SocketPair third;
            QSocketNotifier n3(third.fd[0], QSocketNotifier::Read);
            QObject::connect(&n3, &QSocketNotifier::activated, [&] {
                ++newActivations;
                third.drain();
            });
            third.send();
            spinUntil([&] { return newActivations > 1; });
        }));
        QCOMPARE(reusedNumber, oldNumber);
        QVERIFY(watchedAfter);
        QCOMPARE(newActivations, 2);
    }

    void threeThousandDescriptorsOneActive()
    {
        constexpr int kPairs = 3000;
        rlimit limit{};
        getrlimit(RLIMIT_NOFILE, &limit);
        if (limit.rlim_cur < limit.rlim_max) {
            limit.rlim_cur = limit.rlim_max;
            setrlimit(RLIMIT_NOFILE, &limit);
        }
        getrlimit(RLIMIT_NOFILE, &limit);
        if (limit.rlim_cur < 2 * kPairs + 200)
            QSKIP("the open-file limit is below 6,200");
        std::vector<std::unique_ptr<SocketPair>> pairs;
        for (int i = 0; i < kPairs; ++i) {
            pairs.push_back(std::make_unique<SocketPair>());
            QVERIFY(pairs.back()->fd[0] >= 0);
        }
        QList<qintptr> activated;
        int watched = 0;
        const int active = 1234;
        QVERIFY(runOnEpollThread([&] {
            std::vector<std::unique_ptr<QSocketNotifier>> notifiers;
            for (auto &pair : pairs) {
                notifiers.push_back(
                    std::make_unique<QSocketNotifier>(pair->fd[0], QSocketNotifier::Read));
                QObject::connect(notifiers.back().get(), &QSocketNotifier::activated,
                                 [&, p = pair.get()](QSocketDescriptor socket) {
                                     activated.append(qintptr(socket));
                                     p->drain();
                                 });
            }
            watched = kernelWatchList(dispatcher()->epollDescriptor()).size();
            spinFor(50);
            pairs[active]->send();
            spinUntil([&] { return !activated.isEmpty(); });
            spinFor(100);
        }));
        QCOMPARE(watched, kPairs + 1); // and the wake-up eventfd
        QCOMPARE(activated, QList<qintptr>({qintptr(pairs[active]->fd[0])}));
    }

    void peerHangUpActivatesTheReadNotifier()
    {
        SocketPair pair;
        qint64 readResult = -2;
        QVERIFY(runOnEpollThread([&] {
            QSocketNotifier notifier(pair.fd[0], QSocketNotifier::Read);
            QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
                char c;
                readResult = ::read(pair.fd[0], &c, 1);
                notifier.setEnabled(false);
            });
            ::close(std::exchange(pair.fd[1], -1));
            spinUntil([&] { return readResult != -2; });
        }));
        QCOMPARE(readResult, qint64(0));
    }

    void timersFireInDeadlineOrderNeverEarly()
    {
        QList<int> fired;
        QList<int> ids;
        QList<qint64> firedAtNs;
        QVERIFY(runOnEpollThread([&] {
            TimerTarget target;
            const int t30 = target.startTimer(30, Qt::PreciseTimer);
            const int t10 = target.startTimer(10, Qt::PreciseTimer);
            const int t20 = target.startTimer(20, Qt::PreciseTimer);
            ids = {t10, t20, t30};
            target.onTimer = [&](int id) { target.killTimer(id); };
            spinUntil([&] { return target.fired.size() == 3; });
            fired = target.fired;
            firedAtNs = target.firedAtNs;
        }));
        QCOMPARE(fired, ids);
        QVERIFY(firedAtNs[0] >= 10'000'000);
        QVERIFY(firedAtNs[1] >= 20'000'000);
        QVERIFY(firedAtNs[2] >= 30'000'000);
    }

    void repeatingTimersKeepTheirBeat_data()
    {
        QTest::addColumn<Qt::TimerType>("type");
        QTest::addColumn<int>("interval");
        QTest::addColumn<int>("earlyPerTickMs"); // what the type allows
        QTest::newRow("precise 25 ms") << Qt::PreciseTimer << 25 << 0;
        QTest::newRow("coarse 100 ms") << Qt::CoarseTimer << 100 << 5;
        QTest::newRow("very coarse 1 s") << Qt::VeryCoarseTimer << 1000 << 500;
    }

    void repeatingTimersKeepTheirBeat()
    {
        QFETCH(Qt::TimerType, type);
        QFETCH(int, interval);
        QFETCH(int, earlyPerTickMs);
        QList<qint64> firedAtNs;
        QList<QAbstractEventDispatcher::TimerInfo> registered;
        QVERIFY(runOnEpollThread([&] {
            TimerTarget target;
            const int id = target.startTimer(interval, type);
            registered = dispatcher()->registeredTimers(&target);
            spinUntil([&] { return target.fired.size() >= 3; });
            target.killTimer(id);
            firedAtNs = target.firedAtNs;
        }));
        QCOMPARE(registered.size(), 1);
        QCOMPARE(registered[0].timerType, type);
        QCOMPARE(registered[0].interval, interval);
        for (int k = 0; k < 3; ++k) {
            const qint64 earliest = qint64(k + 1) * (interval - earlyPerTickMs) * 1'000'000;
            QVERIFY2(firedAtNs[k] >= earliest,
                     qPrintable(QStringLiteral("tick %1 at %2 ns").arg(k + 1).arg(firedAtNs[k])));
        }
    }

    void singleShotTimerFiresOnce()
    {
        int fired = 0;
        qint64 elapsedMs = 0;
        QVERIFY(runOnEpollThread([&] {
            QObject context;
            QElapsedTimer clock;
            clock.start();
            QTimer::singleShot(30, &context, [&] {
                ++fired;
                elapsedMs = clock.elapsed();
            });
            QTimer once;
            once.setSingleShot(true);
            QObject::connect(&once, &QTimer::timeout, [&] { ++fired; });
            once.start(10);
            spinUntil([&] { return fired == 2; });
            spinFor(150);
        }));
        QCOMPARE(fired, 2);
        QVERIFY(elapsedMs >= 30);
    }

    void killTimerInsideAnotherTimersEvent()
    {
        QList<int> firstPass, fired;
        int killed = 0;
        QVERIFY(runOnEpollThread([&] {
            TimerTarget target;
            const int a = target.startTimer(10, Qt::PreciseTimer);
            const int b = target.startTimer(10, Qt::PreciseTimer);
            // Both due before the loop runs: they fire in one pass, unless one kills the other.
            QThread::msleep(30);
            target.onTimer = [&](int id) {
                if (!killed) {
                    killed = id == a ? b : a;
                    target.killTimer(killed);
                }
            };
            dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
            firstPass = target.fired;
            spinUntil([&] { return target.fired.size() >= 4; });
            fired = target.fired;
            target.killTimer(killed == a ? b : a);
        }));
        QCOMPARE(firstPass.size(), 1);
        QVERIFY(!fired.contains(killed));
    }

    void timerRestartedInsideAnotherTimersEventWaitsItsInterval()
    {
        QList<int> firstPass;
        int restartedId = 0;
        int remainingAfterRestart = -1;
        qint64 restartedAtNs = 0, restartFiredAtNs = 0;
        QVERIFY(runOnEpollThread([&] {
            TimerTarget target;
            const int a = target.startTimer(10, Qt::PreciseTimer);
            const int b = target.startTimer(10, Qt::PreciseTimer);
            QThread::msleep(30);
            target.onTimer = [&](int id) {
                if (restartedId == 0) {
                    // Kill the other and start a new timer, which likely takes its id.
                    target.killTimer(id == a ? b : a);
                    restartedId = target.startTimer(200, Qt::PreciseTimer);
                    restartedAtNs = target.clock.nsecsElapsed();
                    remainingAfterRestart = dispatcher()->remainingTime(restartedId);
                    target.killTimer(id);
                } else if (id == restartedId) {
                    restartFiredAtNs = target.firedAtNs.last();
                    target.killTimer(id);
                }
            };
            dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
            firstPass = target.fired;
            spinUntil([&] { return restartFiredAtNs != 0; });
        }));
        QCOMPARE(firstPass.size(), 1);
        QVERIFY(remainingAfterRestart > 0 && remainingAfterRestart <= 200);
        QVERIFY(restartFiredAtNs - restartedAtNs >= 200'000'000);
    }

    void remainingTimeAndUnknownTimers()
    {
        int remaining = -2, unknown = 0, afterKill = 0;
        bool unregistered = true;
        QVERIFY(runOnEpollThread([&] {
            QObject o;
            const int id = o.startTimer(5000, Qt::PreciseTimer);
            remaining = dispatcher()->remainingTime(id);
            unknown = dispatcher()->remainingTime(id + 1000);
            o.killTimer(id);
            afterKill = dispatcher()->remainingTime(id);
            unregistered = dispatcher()->unregisterTimers(&o);
        }));
        QVERIFY(remaining > 4000 && remaining <= 5000);
        QCOMPARE(unknown, -1);
        QCOMPARE(afterKill, -1);
        QVERIFY(!unregistered);
    }

    void timerMovedToAnotherThreadKeepsRunning()
    {
        // Qt moves an object's timers with it, asking the dispatcher which are registered.
        TimerTarget *target = nullptr;
        int id = 0;
        QThread *mainThread = QThread::currentThread();
        QVERIFY(runOnEpollThread([&] {
            target = new TimerTarget;
            id = target->startTimer(20, Qt::PreciseTimer);
            target->moveToThread(mainThread);
        }));
        QTRY_VERIFY(target->fired.size() >= 2);
        QCOMPARE(target->fired.first(), id);
        delete target;
    }

    void zeroIntervalTimerLeavesRoomForSocketsAndPostedEvents()
    {
        SocketPair pair;
        int zeroTicks = 0;
        bool read = false, posted = false;
        QVERIFY(runOnEpollThread([&] {
            QTimer zero;
            QObject::connect(&zero, &QTimer::timeout, [&] { ++zeroTicks; });
            zero.start(0);
            QSocketNotifier notifier(pair.fd[0], QSocketNotifier::Read);
            QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
                read = true;
                pair.drain();
            });
            EventTarget target;
            target.onEvent = [&] { posted = true; };
            QCoreApplication::postEvent(&target, new QEvent(QEvent::User));
            pair.send();
            spinUntil([&] { return read && posted && zeroTicks > 10; });
        }));
        QVERIFY(read);
        QVERIFY(posted);
        QVERIFY(zeroTicks > 10);
    }

    void postedEventFromAnotherThreadWakesIt()
    {
        std::atomic<EventTarget *> target{nullptr};
        std::atomic<int> blocked{0};
        bool received = false, timedOut = false;
        QSemaphore ready;
        std::unique_ptr<QThread> thread(QThread::create([&] {
            EventTarget t;
            QEventLoop loop;
            t.onEvent = [&] {
                received = true;
                loop.quit();
            };
            QTimer::singleShot(20'000, &loop, [&] {
                timedOut = true;
                loop.quit();
            });
            QObject::connect(dispatcher(), &QAbstractEventDispatcher::aboutToBlock,
                             [&] { blocked.fetch_add(1); });
            target = &t;
            ready.release();
            loop.exec();
            target = nullptr;
        }));
        thread->setEventDispatcher(new EpollEventDispatcher);
        thread->start();
        ready.acquire();
        QTRY_VERIFY(blocked.load() > 0);
        QThread::msleep(20); // let it reach epoll_wait
        QCoreApplication::postEvent(target.load(), new QEvent(QEvent::User));
        QVERIFY(thread->wait(30'000));
        QVERIFY(received);
        QVERIFY(!timedOut);
    }

    void queuedCallsFromAnotherThreadWakeIt()
    {
        QThread thread;
        thread.setEventDispatcher(new EpollEventDispatcher);
        thread.start();
        QObject context;
        context.moveToThread(&thread);
        std::atomic<int> calls{0};
        for (int i = 0; i < 100; ++i) {
            QMetaObject::invokeMethod(
                &context, [&] { calls.fetch_add(1); }, Qt::QueuedConnection);
            if (i % 10 == 0)
                QThread::msleep(2); // some arrive while it sleeps
        }
        QTRY_COMPARE(calls.load(), 100);
        bool onThread = false;
        QMetaObject::invokeMethod(
            &context, [&] { onThread = QThread::currentThread() == &thread; },
            Qt::BlockingQueuedConnection);
        QVERIFY(onThread);
        QMetaObject::invokeMethod(
            &context, [&] { context.moveToThread(qApp->thread()); }, Qt::BlockingQueuedConnection);
        // quit() from here wakes it too.
        thread.quit();
        QVERIFY(thread.wait(30'000));
    }

    void interruptAndWakeUpEndABlockedWait_data()
    {
        QTest::addColumn<bool>("interrupt");
        QTest::newRow("interrupt") << true;
        QTest::newRow("wakeUp") << false;
    }

    void interruptAndWakeUpEndABlockedWait()
    {
        QFETCH(bool, interrupt);
        std::atomic<EpollEventDispatcher *> running{nullptr};
        std::atomic<bool> blocked{false};
        bool safetyFired = false, returned = false, handled = false;
        std::unique_ptr<QThread> thread(QThread::create([&] {
            // Only a far timer could end the wait on its own.
            QTimer safety;
            safety.setSingleShot(true);
            QObject::connect(&safety, &QTimer::timeout, [&] { safetyFired = true; });
            safety.start(20'000);
            QObject::connect(dispatcher(), &QAbstractEventDispatcher::aboutToBlock,
                             [&] { blocked = true; });
            running = dispatcher();
            handled = dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
            returned = true;
        }));
        thread->setEventDispatcher(new EpollEventDispatcher);
        thread->start();
        QTRY_VERIFY(blocked.load());
        QThread::msleep(20);
        if (interrupt)
            running.load()->interrupt();
        else
            running.load()->wakeUp();
        QVERIFY(thread->wait(30'000));
        QVERIFY(returned);
        QVERIFY(!safetyFired);
        QVERIFY(handled); // the wake-up itself
    }

    void interruptBeforeTheWaitSkipsIt()
    {
        bool handled = true;
        int aboutToBlock = 0;
        QVERIFY(runOnEpollThread([&] {
            QObject::connect(dispatcher(), &QAbstractEventDispatcher::aboutToBlock,
                             [&] { ++aboutToBlock; });
            EventTarget target;
            // Interrupted while the posted events are sent: no wait follows.
            target.onEvent = [&] { dispatcher()->interrupt(); };
            QCoreApplication::postEvent(&target, new QEvent(QEvent::User));
            handled = dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
        }));
        QVERIFY(!handled);
        QCOMPARE(aboutToBlock, 0);
    }

    void excludeSocketNotifiersLeavesSocketsForLater()
    {
        SocketPair pair;
        int activations = 0, timerFired = 0, awake = 0, aboutToBlock = 0;
        int activationsWhileExcluded = -1;
        QVERIFY(runOnEpollThread([&] {
            QObject::connect(dispatcher(), &QAbstractEventDispatcher::awake, [&] { ++awake; });
            QObject::connect(dispatcher(), &QAbstractEventDispatcher::aboutToBlock,
                             [&] { ++aboutToBlock; });
            QSocketNotifier notifier(pair.fd[0], QSocketNotifier::Read);
            QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
                ++activations;
                pair.drain();
            });
            pair.send();
            QTimer::singleShot(30, [&] { ++timerFired; });
            // Data waits, but the wait ends with the timer, not with the socket.
            while (timerFired == 0)
                dispatcher()->processEvents(QEventLoop::WaitForMoreEvents |
                                            QEventLoop::ExcludeSocketNotifiers |
                                            QEventLoop::ExcludeUserInputEvents);
            activationsWhileExcluded = activations;
            dispatcher()->processEvents(QEventLoop::WaitForMoreEvents | QEventLoop::EventLoopExec);
        }));
        QCOMPARE(activationsWhileExcluded, 0);
        QCOMPARE(activations, 1);
        QVERIFY(awake >= 2);
        QVERIFY(aboutToBlock >= 2);
    }

    // Work a handler leaves for the end of its pass (what ProxyHandler and HttpWorker delete
    // once the call that finished has returned) runs after the handler, before the pass
    // returns, with what that work leaves in turn; withdrawn work does not run; outside a pass
    // of this dispatcher there is none to leave it to, and the caller is told so.
    void workLeftForThePassEndRunsBeforeThePassReturns()
    {
        SocketPair pair;
        QStringList log;
        bool outsideRefused = false;
        bool insideTaken = false;
        int owners[3] = {};
        QVERIFY(runOnEpollThread([&] {
            outsideRefused = !EpollEventDispatcher::atPassEnd([](void *) {}, &owners[0]);
            auto *logged = &log;
            QSocketNotifier notifier(pair.fd[0], QSocketNotifier::Read);
            QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
                pair.drain();
                insideTaken = EpollEventDispatcher::atPassEnd(
                    [](void *l) {
                        auto *list = static_cast<QStringList *>(l);
                        list->append(QStringLiteral("first"));
                        // Left by work at the pass end: the same pass runs it.
                        EpollEventDispatcher::atPassEnd(
                            [](void *l2) {
                                static_cast<QStringList *>(l2)->append(QStringLiteral("second"));
                            },
                            l);
                    },
                    logged);
                EpollEventDispatcher::atPassEnd([](void *) { qFatal("withdrawn work ran"); },
                                                &owners[1]);
                EpollEventDispatcher::withdrawPassEnd(&owners[1]);
                log.append(QStringLiteral("handler"));
            });
            pair.send();
            while (log.isEmpty())
                dispatcher()->processEvents(QEventLoop::WaitForMoreEvents);
            // The pass that ran the handler has returned: its work has run.
            log.append(QStringLiteral("returned"));
            spinFor(50);
        }));
        QVERIFY(outsideRefused);
        QVERIFY(insideTaken);
        QCOMPARE(log, (QStringList{QStringLiteral("handler"), QStringLiteral("first"),
                                   QStringLiteral("second"), QStringLiteral("returned")}));
        // On a thread of Qt's own dispatcher (this one) there is no such pass either.
        QVERIFY(!EpollEventDispatcher::atPassEnd([](void *) {}, &owners[2]));
    }

    void deleteLaterRunsOnTheThread()
    {
        bool destroyed = false;
        QVERIFY(runOnEpollThread([&] {
            auto *doomed = new QObject;
            QObject::connect(doomed, &QObject::destroyed, [&] { destroyed = true; });
            QEventLoop loop;
            QTimer::singleShot(0, doomed, [&] {
                doomed->deleteLater();
                QTimer::singleShot(10, &loop, &QEventLoop::quit);
            });
            loop.exec();
            QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        }));
        QVERIFY(destroyed);
    }

    void tcpSocketsEchoOverLoopback()
    {
        // Enough to fill the socket buffers: writes wait for the write notifier.
        QByteArray payload(4 * 1024 * 1024, '\0');
        for (int i = 0; i < payload.size(); ++i)
            payload[i] = char(i * 7 + i / 4096);
        QByteArray echoed;
        bool connected = false;
        QVERIFY(runOnEpollThread([&] {
            QTcpServer server;
            if (!server.listen(QHostAddress::LocalHost))
                return;
            QObject::connect(&server, &QTcpServer::newConnection, [&] {
                QTcpSocket *peer = server.nextPendingConnection();
                QObject::connect(peer, &QTcpSocket::readyRead,
                                 [peer] { peer->write(peer->readAll()); });
            });
            QTcpSocket client;
            QObject::connect(&client, &QTcpSocket::connected, [&] {
                connected = true;
                client.write(payload);
            });
            QObject::connect(&client, &QTcpSocket::readyRead,
                             [&] { echoed.append(client.readAll()); });
            client.connectToHost(QHostAddress::LocalHost, server.serverPort());
            spinUntil([&] { return echoed.size() >= payload.size(); }, 40'000);
        }));
        QVERIFY(connected);
        QCOMPARE(echoed.size(), payload.size());
        QVERIFY(echoed == payload);
    }

    void sslSocketsHandshakeAndEcho()
    {
        if (!QSslSocket::supportsSsl())
            QSKIP("no TLS backend in this Qt");
        const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
        if (openssl.isEmpty())
            QSKIP("no openssl binary to make a certificate (scripts/install-deps.sh installs it)");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QProcess gen;
        gen.start(openssl,
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                   QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-days"),
                   QStringLiteral("1"), QStringLiteral("-subj"), QStringLiteral("/CN=localhost"),
                   QStringLiteral("-addext"),
                   QStringLiteral("subjectAltName=IP:127.0.0.1,DNS:localhost"),
                   QStringLiteral("-keyout"), dir.filePath(QStringLiteral("key.pem")),
                   QStringLiteral("-out"), dir.filePath(QStringLiteral("cert.pem"))});
        QVERIFY(gen.waitForFinished(60'000));
        QCOMPARE(gen.exitCode(), 0);
        const auto certs = QSslCertificate::fromPath(dir.filePath(QStringLiteral("cert.pem")));
        QCOMPARE(certs.size(), 1);
        QFile keyFile(dir.filePath(QStringLiteral("key.pem")));
        QVERIFY(keyFile.open(QIODevice::ReadOnly));
        const QSslKey key(keyFile.readAll(), QSsl::Rsa);
        QVERIFY(!key.isNull());

        bool clientEncrypted = false;
        QList<QSslError> errors;
        QByteArray echoed;
        QVERIFY(runOnEpollThread([&] {
            TlsEchoServer server(certs.first(), key);
            if (!server.listen(QHostAddress::LocalHost))
                return;
            QSslSocket client;
            QSslConfiguration config = client.sslConfiguration();
            config.setCaCertificates(certs);
            client.setSslConfiguration(config);
            QObject::connect(&client, &QSslSocket::sslErrors,
                             [&](const QList<QSslError> &e) { errors = e; });
            QObject::connect(&client, &QSslSocket::encrypted, [&] {
                clientEncrypted = true;
                client.write("hello over tls");
            });
            QObject::connect(&client, &QSslSocket::readyRead,
                             [&] { echoed.append(client.readAll()); });
            client.connectToHostEncrypted(QStringLiteral("127.0.0.1"), server.serverPort());
            spinUntil([&] { return echoed.size() >= 14 || !errors.isEmpty(); }, 40'000);
        }));
        QVERIFY2(errors.isEmpty(), qPrintable(errors.value(0).errorString()));
        QVERIFY(clientEncrypted);
        QCOMPARE(echoed, QByteArray("hello over tls"));
    }

    void upstreamRequestLeavesAtThePassEndWhileMoreSocketsAreReady_data()
    {
        QTest::addColumn<bool>("epoll");
        QTest::addColumn<int>("readySockets");
        QTest::addColumn<bool>("atOnce");
        QTest::newRow("epoll dispatcher, another socket ready after") << true << 2 << false;
        QTest::newRow("epoll dispatcher, the pass's last ready socket") << true << 1 << true;
        QTest::newRow("Qt's dispatcher") << false << 2 << true;
    }

    // A request handed to a plain upstream connection while the worker's epoll dispatcher has
    // more ready sockets to handle in the same pass leaves at the end of the pass; for the
    // pass's last ready socket, and on Qt's dispatcher, at once. Either way the upstream gets
    // exactly the head and the body, the head as it was when send() was called (the caller
    // wipes it at once: it holds the provider's key).
    void upstreamRequestLeavesAtThePassEndWhileMoreSocketsAreReady()
    {
        QFETCH(bool, epoll);
        QFETCH(int, readySockets);
        QFETCH(bool, atOnce);
        const QByteArray head =
            "POST /v1/chat/completions HTTP/1.1\r\nauthorization: Bearer sk-provider\r\n"
            "content-length: 9\r\n\r\n";
        const QByteArray body = R"({"a":"b"})";
        int inCall = -1;
        int atLastSocket = -1;
        int readable = -1;
        QByteArray received;
        QVERIFY(runOnThread(
            [&] {
                QTcpServer upstream;
                if (!upstream.listen(QHostAddress::LocalHost))
                    return;
                relay::UpstreamConnection connection(relay::UpstreamEndpoint{
                    false, QStringLiteral("127.0.0.1"), upstream.serverPort()});
                UpstreamHearer hearer;
                connection.setClient(&hearer);
                connection.open();
                if (!spinUntil([&] { return hearer.ready && upstream.hasPendingConnections(); }))
                    return;
                std::unique_ptr<QTcpSocket> peer(upstream.nextPendingConnection());
                const int peerFd = int(peer->socketDescriptor());
                // Sockets that are ready together in the next pass: the first one handled sends.
                std::vector<std::unique_ptr<SocketPair>> pairs;
                std::vector<std::unique_ptr<QSocketNotifier>> notifiers;
                int handled = 0;
                for (int i = 0; i < readySockets; ++i) {
                    pairs.push_back(std::make_unique<SocketPair>());
                    SocketPair *pair = pairs.back().get();
                    notifiers.push_back(
                        std::make_unique<QSocketNotifier>(pair->fd[0], QSocketNotifier::Read));
                    QObject::connect(
                        notifiers.back().get(), &QSocketNotifier::activated, [&, pair] {
                            pair->drain();
                            if (++handled == 1) {
                                QByteArray callersHead(head.constData(), head.size());
                                if (!connection.send(callersHead, body))
                                    return;
                                callersHead.fill('\0'); // as UpstreamCall's buffer is wiped
                                inCall = bytesWaitOn(peerFd) ? 1 : 0;
                            }
                            if (handled == readySockets)
                                atLastSocket = bytesWaitOn(peerFd) ? 1 : 0;
                        });
                }
                for (const auto &pair : pairs)
                    pair->send();
                spinUntil([&] {
                    received += peer->readAll();
                    return received.size() >= head.size() + body.size();
                });
                readable = hearer.readable;
            },
            epoll));
        QCOMPARE(readable, 0); // no break reported
        QCOMPARE(inCall, atOnce ? 1 : 0);
        QCOMPARE(atLastSocket, atOnce ? 1 : 0); // still waiting while the pass handles the rest
        QCOMPARE(received, head + body);
    }

    // A request cancelled (abort()) in the pass it was left for never reaches the upstream:
    // the upstream sees the connection close with nothing on it.
    void upstreamRequestAbortedInItsPassNeverLeaves()
    {
        QByteArray received = "not read";
        bool closed = false;
        int inCall = -1;
        QVERIFY(runOnEpollThread([&] {
            QTcpServer upstream;
            if (!upstream.listen(QHostAddress::LocalHost))
                return;
            auto *connection = new relay::UpstreamConnection(
                relay::UpstreamEndpoint{false, QStringLiteral("127.0.0.1"), upstream.serverPort()});
            UpstreamHearer hearer;
            connection->setClient(&hearer);
            connection->open();
            if (!spinUntil([&] { return hearer.ready && upstream.hasPendingConnections(); }))
                return;
            std::unique_ptr<QTcpSocket> peer(upstream.nextPendingConnection());
            SocketPair first, second; // ready together: the request waits for the pass end
            QSocketNotifier one(first.fd[0], QSocketNotifier::Read);
            QSocketNotifier two(second.fd[0], QSocketNotifier::Read);
            int handled = 0;
            const auto onReady = [&] {
                first.drain();
                second.drain();
                if (++handled > 1)
                    return;
                connection->send("GET / HTTP/1.1\r\n\r\n", QByteArray());
                inCall = bytesWaitOn(int(peer->socketDescriptor())) ? 1 : 0;
                connection->abort();
                connection->deleteLater();
            };
            QObject::connect(&one, &QSocketNotifier::activated, onReady);
            QObject::connect(&two, &QSocketNotifier::activated, onReady);
            first.send();
            second.send();
            received.clear();
            closed = spinUntil([&] {
                received += peer->readAll();
                return peer->state() == QAbstractSocket::UnconnectedState;
            });
        }));
        QCOMPARE(inCall, 0);
        QVERIFY(closed);
        QCOMPARE(received, QByteArray());
    }

    void answersOfABusyPassLeaveAtItsEnd_data()
    {
        QTest::addColumn<bool>("epoll");
        QTest::newRow("epoll dispatcher") << true;
        QTest::newRow("Qt's dispatcher") << false;
    }

    // Two clients whose requests are ready in the same pass of the worker: on the epoll
    // dispatcher the answer of the one handled first leaves at the end of the pass (the other
    // still to be handled), the other's at once, as a lone request's does; on Qt's dispatcher
    // each at once. One asked to close: it still gets its whole answer, then the end of the
    // connection. Answers written as a worker stops still go out.
    void answersOfABusyPassLeaveAtItsEnd()
    {
        QFETCH(bool, epoll);
        relay::ServerConfig config;
        config.port = 0;
        config.workers = 1;
        config.epollDispatcher = epoll;
        AnsweringHandler *handler = nullptr;
        relay::HttpServer server(
            config,
            [&handler](relay::HttpWorker *) {
                auto made = std::make_unique<AnsweringHandler>();
                handler = made.get();
                return made;
            },
            relay::Clock::system());
        QString error;
        QVERIFY2(server.start(&error), qPrintable(error));
        QVERIFY(handler);
        const int busyClient = connectTo(server.serverPort());
        const int first = connectTo(server.serverPort());
        const int second = connectTo(server.serverPort());
        QVERIFY(busyClient >= 0 && first >= 0 && second >= 0);
        handler->clientFds = {{"/warm-busy", busyClient}, {"/warm-first", first},
                              {"/warm-second", second},   {"/busy", busyClient},
                              {"/first", first},          {"/second", second}};
        const auto ask = [](int fd, const QByteArray &path, const QByteArray &extra = {}) {
            const QByteArray request =
                "GET " + path + " HTTP/1.1\r\nhost: relay\r\n" + extra + "\r\n";
            return ::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) ==
                   request.size();
        };
        const auto answerTo = [](int fd, const QByteArray &path) {
            return readFrom(
                fd, [&](const QByteArray &got) { return got.endsWith("answered " + path); });
        };
        // Each connection served once, alone in its pass: answered at once. (Each answer is
        // read only once the handler has looked for it on the client's socket.)
        int asked = 0;
        for (const auto &[fd, path] : {std::pair{busyClient, QByteArray("/warm-busy")},
                                       std::pair{first, QByteArray("/warm-first")},
                                       std::pair{second, QByteArray("/warm-second")}}) {
            QVERIFY(ask(fd, path));
            ++asked;
            QTRY_COMPARE(handler->answered.load(), asked);
            QVERIFY(answerTo(fd, path).endsWith("answered " + path));
        }
        QVERIFY(ask(busyClient, "/busy"));
        QTRY_VERIFY(handler->busy.load());
        QVERIFY(ask(first, "/first", "connection: close\r\n"));
        QVERIFY(ask(second, "/second"));
        QTRY_COMPARE(handler->answered.load(), 6);
        const auto seen = handler->seen();
        QCOMPARE(seen.size(), size_t(6));
        QCOMPARE(seen[3], std::pair(QByteArray("/busy"), true));
        // Whichever of the two the dispatcher handles first (epoll: the first ready; Qt's
        // dispatcher has its own order) waits for the pass end on the epoll dispatcher.
        QCOMPARE(std::set<QByteArray>({seen[4].first, seen[5].first}),
                 std::set<QByteArray>({"/first", "/second"}));
        QCOMPARE(seen[4].second, !epoll);
        QCOMPARE(seen[5].second, true);
        for (int i = 0; i < 3; ++i)
            QVERIFY2(seen[size_t(i)].second, seen[size_t(i)].first.constData());
        const QByteArray closing = readFrom(first, [](const QByteArray &) { return false; });
        QVERIFY2(closing.startsWith("HTTP/1.1 200") && closing.endsWith("answered /first"),
                 closing.constData());
        QVERIFY(answerTo(second, "/second").endsWith("answered /second"));
        QVERIFY(answerTo(busyClient, "/busy").endsWith("answered /busy"));

        // The next request is held; stopping the worker answers it and closes the connection.
        handler->holdRequests = true;
        QVERIFY(ask(second, "/held"));
        QTRY_COMPARE(handler->held.load(), 1);
        server.stopAccepting();
        server.stopWorkers();
        const QByteArray last = readFrom(second, [](const QByteArray &) { return false; });
        for (const int fd : {busyClient, first, second})
            ::close(fd);
        QVERIFY2(last.startsWith("HTTP/1.1 503") && last.endsWith("worker stopping"),
                 last.constData());
    }

    void relayWorkersRunOnEpollUnlessToldOtherwise_data()
    {
        QTest::addColumn<bool>("configured");
        QTest::addColumn<QByteArray>("environment");
        QTest::addColumn<bool>("expectEpoll");
        QTest::newRow("default") << true << QByteArray() << true;
        QTest::newRow("TENANTRELAY_DISPATCHER=epoll") << true << QByteArray("epoll") << true;
        QTest::newRow("TENANTRELAY_DISPATCHER=qt") << true << QByteArray("qt") << false;
        QTest::newRow("epollDispatcher = false") << false << QByteArray() << false;
    }

    void relayWorkersRunOnEpollUnlessToldOtherwise()
    {
        QFETCH(bool, configured);
        QFETCH(QByteArray, environment);
        QFETCH(bool, expectEpoll);
        const QByteArray saved = qgetenv("TENANTRELAY_DISPATCHER");
        const bool hadSaved = qEnvironmentVariableIsSet("TENANTRELAY_DISPATCHER");
        if (environment.isEmpty())
            qunsetenv("TENANTRELAY_DISPATCHER");
        else
            qputenv("TENANTRELAY_DISPATCHER", environment);
        relay::ServerConfig config;
        config.port = 0;
        config.workers = 2;
        config.epollDispatcher = configured;
        relay::HttpServer server(
            config, [](relay::HttpWorker *) { return std::make_unique<NullHandler>(); },
            relay::Clock::system());
        QString error;
        const bool started = server.start(&error);
        if (hadSaved)
            qputenv("TENANTRELAY_DISPATCHER", saved);
        else
            qunsetenv("TENANTRELAY_DISPATCHER");
        QVERIFY2(started, qPrintable(error));
        for (int i = 0; i < server.workerCount(); ++i) {
            QAbstractEventDispatcher *d = server.worker(i)->thread()->eventDispatcher();
            QVERIFY(d);
            QCOMPARE(qobject_cast<EpollEventDispatcher *>(d) != nullptr, expectEpoll);
        }
        // Not the thread that runs the console.
        QVERIFY(!qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance()));
        // A client served end to end: the connection is accepted on a worker and closed by the
        // relay when the server stops.
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        QVERIFY(client.waitForConnected(10'000));
        QTRY_COMPARE(server.connectionCount(), 1);
        server.stopAccepting();
        server.stopWorkers();
        QVERIFY(client.waitForDisconnected(10'000) ||
                client.state() == QAbstractSocket::UnconnectedState);
    }
};

QTEST_GUILESS_MAIN(TestEpollDispatcher)
#include "tst_epolldispatcher.moc"
