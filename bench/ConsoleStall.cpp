// console-stall: how long does the console's GUI event loop ever wait while the embedded relay
// serves at full speed? The console window (every panel, live charts, DB polling) runs on the
// GUI thread over a real engine; a closed-loop load generator on its own thread keeps
// `--clients` keep-alive connections busy against the relay (simulated provider on loopback,
// no latency). A 5 ms timer on the GUI thread records how late it fires; the largest lateness is
// the worst stall a user could feel. The panels are cycled every 2 s so each one paints and
// refreshes under load; every GUI event longer than --slow-event-ms is listed with when it ran
// and its CPU time (a long event with little CPU waited: for a core, a lock or the disk).
// Optionally fills the usage table first (--usage-rows N) and reports how long the request log
// takes to show its first page, a page deep in the table, and the first page of each filter.
//
//   console-stall [--seconds 30] [--clients 64] [--usage-rows 0] [--slow-event-ms 15]
//                 [--cycle 0 --panel usagePanel]
#include "MainWindow.h"
#include "PagedLogView.h"
#include "RelayHarness.h"
#include "RowTableModel.h"
#include "ThreadPriority.h"
#include "UsagePanel.h"

#include "demo/LoadClient.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QSqlQuery>
#include <QTabWidget>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <sys/resource.h>
#include <unistd.h>

using namespace relay;
using namespace relay::test;

namespace {

int option(const QStringList &args, const QString &name, int fallback)
{
    const qsizetype i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.at(i + 1).toInt() : fallback;
}

// Closed loop: each client sends its next request as soon as the previous one is answered.
class LoadDriver : public QObject
{
public:
    LoadDriver(quint16 port, QByteArray request, int clients, std::atomic<qint64> *done)
        : m_port(port), m_request(std::move(request)), m_clients(clients), m_done(done)
    {
    }
    void begin()
    {
        for (int i = 0; i < m_clients; ++i) {
            auto *c = new LoadClient(m_port, false, this);
            connect(c, &LoadClient::finished, this, [this, c](int status) {
                if (status == 200)
                    ++*m_done;
                c->send(m_request);
            });
            c->send(m_request);
        }
    }

private:
    quint16 m_port;
    QByteArray m_request;
    int m_clients;
    std::atomic<qint64> *m_done;
};

// CPU time of the calling thread: what the GUI thread itself spent, against the wall clock,
// which also counts the time the machine gave to other threads.
qint64 threadCpuMs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// Times every event the GUI thread handles, so the report can name what a long stall was.
class TimedApplication : public QApplication
{
public:
    using QApplication::QApplication;
    struct Slow
    {
        qint64 ms;
        QByteArray what;
    };
    QList<Slow> slow;
    qint64 slowMs = 15;
    QElapsedTimer since;

    bool notify(QObject *receiver, QEvent *event) override
    {
        if (QThread::currentThread() != thread())
            return QApplication::notify(receiver, event);
        QElapsedTimer t;
        t.start();
        const qint64 cpuBefore = threadCpuMs();
        const int type = event->type();
        ++m_depth;
        const bool result = QApplication::notify(receiver, event);
        --m_depth;
        const qint64 ms = t.elapsed();
        if (ms > slowMs && m_depth == 0)
            slow.append({ms, "at " + QByteArray::number(since.elapsed() / 1000.0, 'f', 3) + " s " +
                                 QByteArray(receiver->metaObject()->className()) + '/' +
                                 receiver->objectName().toUtf8() + " event " +
                                 QByteArray::number(type) + ", on the CPU " +
                                 QByteArray::number(threadCpuMs() - cpuBefore) + " ms"});
        return result;
    }

private:
    int m_depth = 0;
};

void fillUsage(QSqlDatabase &db, int rows)
{
    QSqlQuery q(db);
    q.exec(QStringLiteral("BEGIN"));
    // One statement per 10,000 rows through a recursive CTE keeps the fill quick.
    const qint64 start = QDateTime::currentMSecsSinceEpoch() - qint64(rows) * 10;
    for (int done = 0; done < rows; done += 10000) {
        const int n = std::min(10000, rows - done);
        q.exec(QStringLiteral(
                   "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %1) "
                   "INSERT INTO usage (ts, request_id, tenant_id, key_prefix, outcome, endpoint, "
                   "requested_model, upstream, status, prompt_tokens, completion_tokens, cost_usd, "
                   "latency_ms) SELECT %2 + (%3 + i) * 10, 'fill', CASE (%3 + i) % 3 WHEN 0 THEN "
                   "'prod' WHEN 1 THEN 'batch' ELSE 'dev' END, 'sk-tr-fill00', 'served', 'chat', "
                   "'gpt-4o', 'sim', CASE (%3 + i) % 50 WHEN 0 THEN 500 ELSE 200 END, 100, 20, "
                   "0.00045, 250 FROM n")
                   .arg(n - 1)
                   .arg(start)
                   .arg(done));
    }
    q.exec(QStringLiteral("COMMIT"));
}

} // namespace

int main(int argc, char *argv[])
{
    // The console's GUI thread runs GLib's event loop (as `tenantrelay` without a command does);
    // the relay's workers run their own epoll loops either way.
    qunsetenv("QT_NO_GLIB");
    TimedApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int seconds = option(args, QStringLiteral("--seconds"), 30);
    const int clients = option(args, QStringLiteral("--clients"), 64);
    const int usageRows = option(args, QStringLiteral("--usage-rows"), 0);
    const bool cyclePanels = option(args, QStringLiteral("--cycle"), 1) != 0;
    app.slowMs = option(args, QStringLiteral("--slow-event-ms"), 15);
    const int otherNice =
        option(args, QStringLiteral("--nice-others"), relay::ui::kRelayThreadNice);

    RelayHarness h;
    h.sim().setCompletionTokens(12);
    h.addSimUpstream(QStringLiteral("sim"), h.sim(), 256);
    const QString key = h.addTenant(QStringLiteral("prod"));
    if (usageRows > 0) {
        QElapsedTimer fill;
        fill.start();
        fillUsage(h.db(), usageRows);
        std::printf("filled usage with %d rows in %.1f s\n", usageRows, fill.elapsed() / 1000.0);
    }
    if (!h.start()) {
        std::fprintf(stderr, "console-stall: the relay did not start\n");
        return 1;
    }
    ui::MainWindow window(&h.engine(), h.dbPath());
    QObject::connect(&h.engine(), &Engine::statsUpdated, &window, &ui::MainWindow::applyStats);
    window.showEngineStarted(h.engine().listenAddress(), h.dbPath(), h.engine().workerCount());
    window.show();
    // --panel NAME (with --cycle 0): stay on one panel, e.g. usagePanel, the request log
    // following the traffic.
    if (const qsizetype i = args.indexOf(QStringLiteral("--panel")); i >= 0 && i + 1 < args.size())
        window.showPanel(args.at(i + 1));

    if (usageRows > 0) {
        // The request log: first page, then 50 pages deeper, each timed from request to shown.
        ui::PagedLogView *log = window.usage()->requestLog();
        QElapsedTimer t;
        QEventLoop loop;
        QObject::connect(log, &ui::PagedLogView::pageLoaded, &loop, &QEventLoop::quit);
        t.start();
        log->firstPage();
        loop.exec();
        const qint64 first = t.elapsed();
        qint64 worst = 0;
        for (int i = 0; i < 50; ++i) {
            t.start();
            log->nextPage();
            loop.exec();
            worst = std::max(worst, t.elapsed());
        }
        std::printf("request log over %d rows: first page %lld ms, slowest of the next 50 pages "
                    "%lld ms\n",
                    usageRows, static_cast<long long>(first), static_cast<long long>(worst));
        // The filters by kind: errors are 2 % of the filled rows, refusals none at all, so
        // the last one must find out that no row matches.
        auto *kind = log->findChild<QComboBox *>(QStringLiteral("requestLogKindFilter"));
        for (int k = 1; kind && k < kind->count(); ++k) {
            t.start();
            kind->setCurrentIndex(k); // loads its first page
            loop.exec();
            std::printf("  filter \"%s\": first page %lld ms (%d rows)\n",
                        qPrintable(kind->itemText(k)), static_cast<long long>(t.elapsed()),
                        int(log->model()->rowCount()));
        }
        if (kind)
            kind->setCurrentIndex(0);
    }

    std::atomic<qint64> done{0};
    QThread loadThread;
    auto *driver =
        new LoadDriver(h.port(),
                       LoadClient::chatRequest(
                           key.toUtf8(), LoadClient::chatBody(QStringLiteral("gpt-4o"), 200, 12)),
                       clients, &done);
    driver->moveToThread(&loadThread);
    QObject::connect(&loadThread, &QThread::started, driver, [driver] { driver->begin(); });
    QObject::connect(&loadThread, &QThread::finished, driver, &QObject::deleteLater);

    // The stall meter: a 5 ms timer on the GUI thread; how late each firing is.
    constexpr int kTickMs = 5;
    QElapsedTimer clock;
    qint64 last = 0;
    qint64 worstStall = 0;
    QList<qint64> lateness;
    QList<QPair<qint64, qint64>> stalls; // (when, how late) over 20 ms
    QTimer meter;
    meter.setTimerType(Qt::PreciseTimer);
    QObject::connect(&meter, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        const qint64 late = std::max<qint64>(0, now - last - kTickMs);
        lateness.append(late);
        if (late > 20)
            stalls.append({now, late});
        worstStall = std::max(worstStall, late);
        last = now;
    });
    auto *tabs = window.findChild<QTabWidget *>(QStringLiteral("panelTabs"));
    QTimer cycle;
    QObject::connect(&cycle, &QTimer::timeout,
                     [tabs] { tabs->setCurrentIndex((tabs->currentIndex() + 1) % tabs->count()); });

    // As the console does: the relay's threads (and the console's database threads) at a
    // lower priority than the window. Started after this, the load generator keeps nice 0, like
    // clients in other processes.
    if (otherNice > 0)
        relay::ui::lowerOtherThreads(otherNice);

    // One warm-up second, then measure.
    loadThread.start();
    QTimer::singleShot(1000, [&] {
        done = 0;
        clock.start();
        app.since.start();
        app.slow.clear();
        last = 0;
        meter.start(kTickMs);
        if (cyclePanels)
            cycle.start(2000);
    });
    QTimer::singleShot(1000 + seconds * 1000, &app, &QApplication::quit);
    app.exec();
    meter.stop();
    const qint64 served = done.load();
    loadThread.quit();
    loadThread.wait();

    std::sort(lateness.begin(), lateness.end());
    const auto pct = [&](double p) {
        return lateness.isEmpty()
                   ? 0
                   : lateness.at(qMin(lateness.size() - 1, qsizetype(p * lateness.size())));
    };
    std::printf("console-stall: %d s, %d clients, %lld requests served (%.0f/s)\n", seconds,
                clients, static_cast<long long>(served), served / double(seconds));
    std::printf("GUI event loop lateness of a %d ms timer: p50 %lld ms, p99 %lld ms, max %lld ms "
                "(goal: max <= 50 ms)\n",
                kTickMs, static_cast<long long>(pct(0.5)), static_cast<long long>(pct(0.99)),
                static_cast<long long>(worstStall));
    std::sort(stalls.begin(), stalls.end(),
              [](const auto &a, const auto &b) { return a.second > b.second; });
    for (qsizetype i = 0; i < qMin<qsizetype>(5, stalls.size()); ++i)
        std::printf("  stall of %lld ms at %.3f s\n", static_cast<long long>(stalls.at(i).second),
                    stalls.at(i).first / 1000.0);
    std::sort(app.slow.begin(), app.slow.end(),
              [](const auto &a, const auto &b) { return a.ms > b.ms; });
    for (qsizetype i = 0; i < qMin<qsizetype>(app.slowMs < 15 ? 40 : 8, app.slow.size()); ++i)
        std::printf("  slow event: %lld ms %s\n", static_cast<long long>(app.slow.at(i).ms),
                    app.slow.at(i).what.constData());
    h.stopEngine();
    return 0;
}
