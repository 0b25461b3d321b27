#include "SignalWatcher.h"

#include <QSocketNotifier>

#include <csignal>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace relay::app {

namespace {

int g_pipe[2] = {-1, -1};

extern "C" void onSignal(int signal)
{
    const char byte = char(signal);
    [[maybe_unused]] const auto n = ::write(g_pipe[1], &byte, 1);
}

void catchSignal(int signal)
{
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(signal, &sa, nullptr);
}

} // namespace

SignalWatcher::SignalWatcher(QObject *parent) : QObject(parent)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_pipe) != 0)
        return;
    ::fcntl(g_pipe[1], F_SETFL, O_NONBLOCK);
    m_notifier = new QSocketNotifier(g_pipe[0], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [this] {
        char buf[16];
        const auto n = ::read(g_pipe[0], buf, sizeof buf);
        bool terminate = false;
        bool reload = false;
        for (ssize_t i = 0; i < n; ++i)
            (buf[i] == char(SIGHUP) ? reload : terminate) = true;
        if (reload)
            Q_EMIT reloadRequested();
        if (terminate)
            Q_EMIT terminationRequested();
    });
    catchSignal(SIGINT);
    catchSignal(SIGTERM);
    // A client that vanishes mid-write must not kill the relay.
    ::signal(SIGPIPE, SIG_IGN);
}

void SignalWatcher::watchHangup()
{
    catchSignal(SIGHUP);
}

SignalWatcher::~SignalWatcher()
{
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGHUP, SIG_DFL);
    delete m_notifier;
    for (int &fd : g_pipe) {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
}

} // namespace relay::app
