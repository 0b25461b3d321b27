// Memory of a relay flooded by clients without a key: N connections each announce and send an
// 8 MiB body to /v1/chat/completions with no key. The relay answers 401 from the headers and
// throws the bodies away, so its peak RSS stays far below N × 8 MiB. Prints the relay's peak
// RSS (VmHWM of the `tenantrelay serve` process) and how the clients were answered.
//
//   keyless-flood [--connections 1000] [--body-mb 8] [--bin build/app/tenantrelay]
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>

#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

namespace {

qint64 statusKb(qint64 pid, const char *field)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(field))
            return line.mid(qstrlen(field)).trimmed().split(' ').first().toLongLong();
    return -1;
}

int connectTo(quint16 port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    return fd;
}

struct Client
{
    int fd = -1;
    qint64 sent = 0;
    QByteArray answer;
    bool done = false;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    int connections = 1000;
    qint64 bodyMb = 8;
    QString bin = QStringLiteral("build/app/tenantrelay");
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1String("--connections"))
            connections = args[i + 1].toInt();
        else if (args[i] == QLatin1String("--body-mb"))
            bodyMb = args[i + 1].toLongLong();
        else if (args[i] == QLatin1String("--bin"))
            bin = args[i + 1];
    }
    rlimit lim{};
    getrlimit(RLIMIT_NOFILE, &lim);
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);

    QTemporaryDir dir;
    const quint16 port = quint16(20000 + QCoreApplication::applicationPid() % 20000);
    QProcess relay;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("TENANTRELAY_DB"), dir.filePath(QStringLiteral("relay.db")));
    relay.setProcessEnvironment(env);
    relay.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    relay.start(bin, {QStringLiteral("serve"), QStringLiteral("--listen"),
                      QStringLiteral("127.0.0.1:%1").arg(port)});
    if (!relay.waitForStarted()) {
        std::fprintf(stderr, "cannot start %s\n", qPrintable(bin));
        return 1;
    }
    // Wait until it listens.
    for (int i = 0; i < 100; ++i) {
        const int probe = connectTo(port);
        pollfd p{probe, POLLOUT, 0};
        ::poll(&p, 1, 100);
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(probe, SOL_SOCKET, SO_ERROR, &err, &len);
        ::close(probe);
        if (err == 0)
            break;
        QThread::msleep(50);
    }
    const qint64 pid = relay.processId();
    const qint64 baselineKb = statusKb(pid, "VmRSS:");

    const qint64 bodyBytes = bodyMb * 1024 * 1024;
    const QByteArray head = "POST /v1/chat/completions HTTP/1.1\r\nHost: relay\r\n"
                            "Content-Type: application/json\r\nContent-Length: " +
                            QByteArray::number(bodyBytes) + "\r\n\r\n";
    const QByteArray body(256 * 1024, ' ');
    std::vector<Client> clients(static_cast<size_t>(connections));
    for (Client &c : clients)
        c.fd = connectTo(port);

    QElapsedTimer timer;
    timer.start();
    qint64 peakKb = 0;
    int finished = 0;
    while (finished < connections && timer.elapsed() < 120'000) {
        std::vector<pollfd> fds;
        std::vector<Client *> owners;
        for (Client &c : clients) {
            if (c.done)
                continue;
            const qint64 total = head.size() + bodyBytes;
            fds.push_back({c.fd, short(POLLIN | (c.sent < total ? POLLOUT : 0)), 0});
            owners.push_back(&c);
        }
        ::poll(fds.data(), nfds_t(fds.size()), 100);
        for (size_t i = 0; i < fds.size(); ++i) {
            Client &c = *owners[i];
            if (fds[i].revents & POLLOUT) {
                const qint64 total = head.size() + bodyBytes;
                while (c.sent < total) {
                    const char *data;
                    qint64 n;
                    if (c.sent < head.size()) {
                        data = head.constData() + c.sent;
                        n = head.size() - c.sent;
                    } else {
                        data = body.constData();
                        n = qMin<qint64>(body.size(), total - c.sent);
                    }
                    const ssize_t w = ::send(c.fd, data, size_t(n), MSG_NOSIGNAL);
                    if (w <= 0)
                        break;
                    c.sent += w;
                }
            }
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                char buf[4096];
                const ssize_t r = ::recv(c.fd, buf, sizeof buf, 0);
                if (r > 0) {
                    c.answer.append(buf, r);
                } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                    c.done = true;
                    ::close(c.fd);
                    ++finished;
                }
            }
        }
        peakKb = qMax(peakKb, statusKb(pid, "VmRSS:"));
    }
    const qint64 hwmKb = statusKb(pid, "VmHWM:");
    int answered401 = 0;
    qint64 sentTotal = 0;
    for (const Client &c : clients) {
        if (c.answer.startsWith("HTTP/1.1 401"))
            ++answered401;
        sentTotal += c.sent;
        if (!c.done)
            ::close(c.fd);
    }
    relay.terminate();
    relay.waitForFinished(15'000);
    std::printf("connections            %d\n", connections);
    std::printf("body per connection    %lld MiB\n", bodyMb);
    std::printf("bytes sent by clients  %.1f MiB\n", double(sentTotal) / (1024.0 * 1024.0));
    std::printf("answered 401           %d\n", answered401);
    std::printf("closed by the relay    %d\n", finished);
    std::printf("relay RSS before       %.1f MB\n", double(baselineKb) / 1024.0);
    std::printf("relay RSS peak (HWM)   %.1f MB\n", double(qMax(hwmKb, peakKb)) / 1024.0);
    std::printf("elapsed                %.1f s\n", double(timer.elapsed()) / 1000.0);
    return 0;
}
