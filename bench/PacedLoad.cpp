// paced-load: the load generator of bench/compare-nginx.sh for what wrk cannot do — a fixed
// request rate (open loop, like wrk2, which Debian lacks) and many concurrent SSE streams with
// the events counted as they arrive. Plain C++ on one epoll thread, no Qt, so that it costs the
// machine little and the same for every target.
//
//   paced-load rate    --port P --rate R --seconds S [--warmup S] [--connections C] [--idle N]
//                      [--key K] [--model M] [--pid PID] [--host H] [--path P]
//   paced-load streams --port P --concurrency N --seconds S [--warmup S] [--key K] [--model M]
//                      [--pid PID] [--host H] [--path P]
//
// rate: a timerfd ticks every 1/R s and each tick queues the requests that are due, each with
// its intended send time; a queued request goes out on the first free keep-alive connection of
// the pool (C, default 32, one request in flight per connection). Latency runs from the
// intended send time to the last byte of the answer, so a stalled server is charged for the
// requests it held up (no coordinated omission). With --idle N, N further connections each make
// one request first and then stay open and silent for the whole run (keep-alive, idle); they
// are opened before the warm-up, 64 at a time.
// streams: N connections, each sending a streamed chat completion and, when its answer has
// ended, the next one; SSE events (blank-line terminated, counted in the de-chunked body) are
// counted as they arrive.
// Measurement covers the window after --warmup (default 1 s) for --seconds. With --pid, the
// utime+stime of that process (/proc/PID/stat) is read at the window's start and end, and the
// CPU per answered request (rate) or per received event (streams) is printed.
// Output: one line of key=value pairs.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Ns = int64_t;

Ns now()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return Ns(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// utime + stime of a process in microseconds, or -1.
double cpuMicros(int pid)
{
    if (pid <= 0)
        return -1;
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(f, line))
        return -1;
    const auto close = line.rfind(')');
    if (close == std::string::npos)
        return -1;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    // Fields after the name start at 3 (state); utime and stime are fields 14 and 15.
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14)
            utime = std::strtoull(field.c_str(), nullptr, 10);
        if (i == 15)
            stime = std::strtoull(field.c_str(), nullptr, 10);
    }
    return double(utime + stime) * 1e6 / double(sysconf(_SC_CLK_TCK));
}

// Incremental HTTP/1.1 response reader: Content-Length or chunked bodies; counts SSE events
// (blank lines, "\n\n") in the decoded body.
struct Response
{
    enum State { Head, Fixed, ChunkSize, ChunkData, ChunkEnd, Trailer, Done };
    State state = Head;
    int status = 0;
    bool close = false;
    size_t remaining = 0;
    char last = 0;

    void reset() { *this = Response(); }

    // Consumes from buf; returns the number of events seen in this call, or -1 on a parse error.
    long feed(std::string &buf)
    {
        size_t pos = 0;
        long events = 0;
        auto body = [&](const char *p, size_t n) {
            for (size_t i = 0; i < n; ++i) {
                if (p[i] == '\n' && last == '\n')
                    ++events;
                if (p[i] != '\r')
                    last = p[i];
            }
        };
        while (state != Done) {
            if (state == Head) {
                const auto end = buf.find("\r\n\r\n", pos);
                if (end == std::string::npos)
                    break;
                std::string head = buf.substr(pos, end - pos);
                pos = end + 4;
                if (head.compare(0, 5, "HTTP/") != 0)
                    return -1;
                status = std::atoi(head.c_str() + 9);
                for (auto &c : head)
                    c = char(std::tolower(static_cast<unsigned char>(c)));
                bool chunked = head.find("\r\ntransfer-encoding: chunked") != std::string::npos;
                close = head.find("\r\nconnection: close") != std::string::npos;
                const auto cl = head.find("\r\ncontent-length:");
                if (chunked) {
                    state = ChunkSize;
                } else if (cl != std::string::npos) {
                    remaining = std::strtoull(head.c_str() + cl + 17, nullptr, 10);
                    state = remaining ? Fixed : Done;
                } else if (status == 204 || status == 304) {
                    state = Done;
                } else {
                    return -1; // close-delimited bodies: not expected from these servers
                }
            } else if (state == Fixed || state == ChunkData) {
                const size_t n = std::min(remaining, buf.size() - pos);
                body(buf.data() + pos, n);
                pos += n;
                remaining -= n;
                if (remaining)
                    break;
                state = state == Fixed ? Done : ChunkEnd;
            } else if (state == ChunkSize || state == Trailer) {
                const auto end = buf.find("\r\n", pos);
                if (end == std::string::npos)
                    break;
                const std::string line = buf.substr(pos, end - pos);
                pos = end + 2;
                if (state == Trailer) {
                    if (line.empty())
                        state = Done;
                    continue;
                }
                remaining = std::strtoull(line.c_str(), nullptr, 16);
                state = remaining ? ChunkData : Trailer;
            } else if (state == ChunkEnd) {
                if (buf.size() - pos < 2)
                    break;
                pos += 2;
                state = ChunkSize;
            }
        }
        buf.erase(0, pos);
        return events;
    }
};

struct Conn
{
    int fd = -1;
    bool idleKind = false; // one of the --idle connections
    bool connected = false;
    bool busy = false;   // a request is in flight
    bool parked = false; // an idle connection that got its answer and now only waits
    Ns intended = 0;
    std::string out;
    size_t outOff = 0;
    std::string in;
    Response resp;
};

struct Options
{
    std::string mode;
    std::string host = "127.0.0.1";
    std::string path = "/v1/chat/completions";
    int port = 0;
    double rate = 1000;
    double seconds = 5;
    double warmup = 1;
    int connections = 32;
    int idle = 0;
    int concurrency = 1000;
    std::string key;
    std::string model = "gpt-4o-mini";
    int pid = 0;
};

[[noreturn]] void usage()
{
    std::fputs("usage: paced-load rate|streams --port P [--rate R] [--seconds S] [--warmup S]\n"
               "       [--connections C] [--idle N] [--concurrency N] [--key K] [--model M]\n"
               "       [--pid PID] [--host H] [--path P]\n",
               stderr);
    std::exit(2);
}

class Load
{
public:
    explicit Load(Options o) : m_o(std::move(o))
    {
        const bool stream = m_o.mode == "streams";
        const std::string body = "{\"model\":\"" + m_o.model +
                                 "\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello to "
                                 "the relay benchmark.\"}]" +
                                 (stream ? ",\"stream\":true}" : "}");
        m_request = "POST " + m_o.path + " HTTP/1.1\r\nHost: " + m_o.host + ":" +
                    std::to_string(m_o.port) + "\r\nContent-Type: application/json\r\n";
        if (!m_o.key.empty())
            m_request += "Authorization: Bearer " + m_o.key + "\r\n";
        m_request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        m_ep = epoll_create1(0);
        std::memset(&m_addr, 0, sizeof m_addr);
        m_addr.sin_family = AF_INET;
        m_addr.sin_port = htons(uint16_t(m_o.port));
        inet_pton(AF_INET, m_o.host.c_str(), &m_addr.sin_addr);
    }

    int run() { return m_o.mode == "rate" ? runRate() : runStreams(); }

private:
    Options m_o;
    std::string m_request;
    int m_ep = -1;
    sockaddr_in m_addr{};
    std::vector<std::unique_ptr<Conn>> m_conns;
    std::vector<Conn *> m_free;
    std::deque<Ns> m_queue;
    // measurement
    bool m_measuring = false;
    Ns m_t0 = 0, m_t1 = 0;
    std::vector<Ns> m_lat;
    long m_ok = 0, m_errors = 0, m_events = 0, m_streams = 0, m_reconnects = 0;
    int m_idleSetup = 0, m_idleParked = 0, m_idleLost = 0, m_idleOpened = 0;
    bool m_sending = true;

    Conn *open(bool idleKind)
    {
        auto c = std::make_unique<Conn>();
        c->idleKind = idleKind;
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0) {
            std::perror("paced-load: socket");
            std::exit(1);
        }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (connect(c->fd, reinterpret_cast<sockaddr *>(&m_addr), sizeof m_addr) != 0 &&
            errno != EINPROGRESS) {
            std::perror("paced-load: connect");
            std::exit(1);
        }
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT;
        ev.data.ptr = c.get();
        epoll_ctl(m_ep, EPOLL_CTL_ADD, c->fd, &ev);
        m_conns.push_back(std::move(c));
        return m_conns.back().get();
    }

    void wantWrite(Conn *c, bool on)
    {
        epoll_event ev{};
        ev.events = EPOLLIN | (on ? uint32_t(EPOLLOUT) : 0u);
        ev.data.ptr = c;
        epoll_ctl(m_ep, EPOLL_CTL_MOD, c->fd, &ev);
    }

    void send(Conn *c, Ns intended)
    {
        c->busy = true;
        c->intended = intended;
        c->resp.reset();
        c->out = m_request;
        c->outOff = 0;
        if (c->connected)
            flush(c);
    }

    void flush(Conn *c)
    {
        while (c->outOff < c->out.size()) {
            const ssize_t n =
                ::send(c->fd, c->out.data() + c->outOff, c->out.size() - c->outOff, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN) {
                    wantWrite(c, true);
                    return;
                }
                broken(c);
                return;
            }
            c->outOff += size_t(n);
        }
        c->out.clear();
        c->outOff = 0;
        wantWrite(c, false);
    }

    // The server closed or reset a connection: an in-flight request is an error; pool and stream
    // connections are replaced, idle ones are counted as lost.
    void broken(Conn *c)
    {
        epoll_ctl(m_ep, EPOLL_CTL_DEL, c->fd, nullptr);
        ::close(c->fd);
        c->fd = -1;
        const bool wasBusy = c->busy;
        if (wasBusy && m_measuring)
            ++m_errors;
        if (c->idleKind) {
            if (c->parked)
                --m_idleParked;
            else
                --m_idleSetup;
            ++m_idleLost;
            return;
        }
        ++m_reconnects;
        const Ns intended = c->intended;
        std::erase(m_free, c);
        Conn *n = open(false);
        if (m_o.mode == "rate") {
            if (wasBusy)
                m_queue.push_front(intended); // retried on a fresh connection
            m_free.push_back(n);
            dispatch();
        } else if (m_sending) {
            send(n, now());
        }
    }

    void readable(Conn *c)
    {
        char buf[65536];
        for (;;) {
            const ssize_t n = ::recv(c->fd, buf, sizeof buf, 0);
            if (n == 0 || (n < 0 && errno != EAGAIN)) {
                broken(c);
                return;
            }
            if (n < 0)
                break;
            c->in.append(buf, size_t(n));
            if (size_t(n) < sizeof buf)
                break;
        }
        if (!c->busy) { // bytes nobody asked for
            if (!c->in.empty())
                broken(c);
            return;
        }
        const long ev = c->resp.feed(c->in);
        if (ev < 0) {
            std::fprintf(stderr, "paced-load: unparsable response\n");
            broken(c);
            return;
        }
        if (m_measuring)
            m_events += ev;
        if (c->resp.state != Response::Done)
            return;
        answered(c);
    }

    void answered(Conn *c)
    {
        const Ns t = now();
        c->busy = false;
        const bool ok = c->resp.status == 200;
        const bool close = c->resp.close;
        if (c->idleKind) {
            --m_idleSetup;
            if (!ok || close) {
                ++m_idleLost;
                epoll_ctl(m_ep, EPOLL_CTL_DEL, c->fd, nullptr);
                ::close(c->fd);
                c->fd = -1;
            } else {
                c->parked = true;
                ++m_idleParked;
            }
            return;
        }
        if (m_o.mode == "rate") {
            if (m_measuring && c->intended >= m_t0 && c->intended < m_t1) {
                ok ? ++m_ok : ++m_errors;
                m_lat.push_back(t - c->intended);
            }
        } else if (m_measuring && t <= m_t1) {
            ok ? ++m_streams : ++m_errors;
        }
        if (close) {
            c->busy = false;
            broken(c);
            return;
        }
        if (m_o.mode == "rate") {
            m_free.push_back(c);
            dispatch();
        } else if (m_sending) {
            send(c, t);
        }
    }

    void dispatch()
    {
        while (!m_queue.empty() && !m_free.empty()) {
            Conn *c = m_free.back();
            m_free.pop_back();
            send(c, m_queue.front());
            m_queue.pop_front();
        }
    }

    void event(const epoll_event &ev)
    {
        Conn *c = static_cast<Conn *>(ev.data.ptr);
        if (c->fd < 0)
            return;
        if (!c->connected && (ev.events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                std::fprintf(stderr, "paced-load: connect: %s\n", std::strerror(err));
                std::exit(1);
            }
            c->connected = true;
            if (c->busy)
                flush(c);
            else
                wantWrite(c, false);
            return;
        }
        if (ev.events & EPOLLOUT)
            flush(c);
        if (c->fd >= 0 && (ev.events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
            readable(c);
    }

    void poll(int timeoutMs, int tfd = -1, Ns interval = 0, Ns *next = nullptr)
    {
        epoll_event evs[256];
        const int n = epoll_wait(m_ep, evs, 256, timeoutMs);
        for (int i = 0; i < n; ++i) {
            if (evs[i].data.ptr == nullptr) { // the pacing timer
                uint64_t ticks = 0;
                if (::read(tfd, &ticks, sizeof ticks) < 0)
                    continue;
                const Ns t = now();
                while (*next <= t && m_sending) {
                    m_queue.push_back(*next);
                    *next += interval;
                }
                dispatch();
                continue;
            }
            event(evs[i]);
        }
    }

    // Opens the --idle connections, 64 at a time, each making one request.
    void openIdle()
    {
        const Ns deadline = now() + 60'000'000'000LL;
        while (m_idleOpened < m_o.idle || m_idleSetup > 0) {
            while (m_idleOpened < m_o.idle && m_idleSetup < 64) {
                Conn *c = open(true);
                ++m_idleOpened;
                ++m_idleSetup;
                send(c, now());
            }
            poll(100);
            if (now() > deadline) {
                std::fprintf(stderr, "paced-load: idle connections not set up within 60 s\n");
                break;
            }
        }
    }

    static double pct(std::vector<Ns> &v, double p)
    {
        if (v.empty())
            return 0;
        const size_t i = std::min(v.size() - 1, size_t(p * double(v.size())));
        std::nth_element(v.begin(), v.begin() + long(i), v.end());
        return double(v[i]) / 1e6;
    }

    int runRate()
    {
        openIdle();
        for (int i = 0; i < m_o.connections; ++i)
            m_free.push_back(open(false));
        const Ns interval = Ns(1e9 / m_o.rate);
        const int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        epoll_event tev{};
        tev.events = EPOLLIN;
        tev.data.ptr = nullptr;
        epoll_ctl(m_ep, EPOLL_CTL_ADD, tfd, &tev);
        Ns next = now() + 10'000'000; // 10 ms for the pool to connect
        itimerspec its{};
        its.it_value.tv_sec = next / 1'000'000'000;
        its.it_value.tv_nsec = next % 1'000'000'000;
        its.it_interval.tv_nsec = interval % 1'000'000'000;
        its.it_interval.tv_sec = interval / 1'000'000'000;
        timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, nullptr);
        const Ns start = next;
        m_t0 = start + Ns(m_o.warmup * 1e9);
        m_t1 = m_t0 + Ns(m_o.seconds * 1e9);
        double cpu0 = -1, cpu1 = -1;
        m_lat.reserve(size_t(m_o.rate * m_o.seconds * 1.1));
        while (now() < m_t1) {
            if (!m_measuring && now() >= m_t0) {
                m_measuring = true;
                cpu0 = cpuMicros(m_o.pid);
            }
            poll(1, tfd, interval, &next);
        }
        cpu1 = cpuMicros(m_o.pid);
        m_sending = false;
        // Answers to requests sent inside the window still count, up to 5 s after it.
        const Ns drain = now() + 5'000'000'000LL;
        while (now() < drain && std::any_of(m_conns.begin(), m_conns.end(), [](auto &c) {
                   return c->fd >= 0 && c->busy && !c->idleKind;
               }))
            poll(10);
        const long unanswered =
            long(m_queue.size()) + std::count_if(m_conns.begin(), m_conns.end(), [](auto &c) {
                return c->fd >= 0 && c->busy && !c->idleKind;
            });
        const double p50 = pct(m_lat, 0.50), p99 = pct(m_lat, 0.99);
        const double mx =
            m_lat.empty() ? 0 : double(*std::max_element(m_lat.begin(), m_lat.end())) / 1e6;
        std::printf("requests=%ld errors=%ld unanswered=%ld p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
                    "achieved_rps=%.0f idle_wanted=%d idle_open=%d reconnects=%ld",
                    m_ok, m_errors, unanswered, p50, p99, mx, double(m_ok) / m_o.seconds, m_o.idle,
                    m_idleParked, m_reconnects);
        if (cpu0 >= 0 && cpu1 >= 0 && m_ok > 0)
            std::printf(" cpu_us_per_req=%.1f", (cpu1 - cpu0) / double(m_ok));
        std::printf("\n");
        return 0;
    }

    int runStreams()
    {
        // Connects 64 at a time, then every connection streams back to back.
        int opened = 0;
        while (opened < m_o.concurrency) {
            const int batch = std::min(64, m_o.concurrency - opened);
            for (int i = 0; i < batch; ++i)
                send(open(false), now());
            opened += batch;
            const Ns until = now() + 20'000'000;
            while (now() < until)
                poll(5);
        }
        m_t0 = now() + Ns(m_o.warmup * 1e9);
        while (now() < m_t0)
            poll(10);
        m_t1 = m_t0 + Ns(m_o.seconds * 1e9);
        m_measuring = true;
        const double cpu0 = cpuMicros(m_o.pid);
        while (now() < m_t1)
            poll(10);
        const double cpu1 = cpuMicros(m_o.pid);
        m_measuring = false;
        std::printf("streams=%ld events=%ld errors=%ld events_per_s=%.0f reconnects=%ld", m_streams,
                    m_events, m_errors, double(m_events) / m_o.seconds, m_reconnects);
        if (cpu0 >= 0 && cpu1 >= 0 && m_events > 0)
            std::printf(" cpu_us_per_event=%.1f", (cpu1 - cpu0) / double(m_events));
        std::printf("\n");
        return 0;
    }
};

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    Options o;
    o.mode = argv[1];
    if (o.mode != "rate" && o.mode != "streams")
        usage();
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (a == "--port")
            o.port = std::atoi(v);
        else if (a == "--host")
            o.host = v;
        else if (a == "--path")
            o.path = v;
        else if (a == "--rate")
            o.rate = std::atof(v);
        else if (a == "--seconds")
            o.seconds = std::atof(v);
        else if (a == "--warmup")
            o.warmup = std::atof(v);
        else if (a == "--connections")
            o.connections = std::atoi(v);
        else if (a == "--idle")
            o.idle = std::atoi(v);
        else if (a == "--concurrency")
            o.concurrency = std::atoi(v);
        else if (a == "--key")
            o.key = v;
        else if (a == "--model")
            o.model = v;
        else if (a == "--pid")
            o.pid = std::atoi(v);
        else
            usage();
    }
    if (o.port <= 0 || o.rate <= 0 || o.seconds <= 0)
        usage();
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
    return Load(o).run();
}
