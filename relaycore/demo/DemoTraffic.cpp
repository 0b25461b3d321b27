#include "DemoTraffic.h"

#include "LoadClient.h"

#include <QElapsedTimer>
#include <QThread>
#include <QTimer>

#include <utility>

namespace relay {

namespace {

constexpr int kTickMs = 100;

// Runs on the traffic thread: each tick adds each lane's rate to its credit and sends whole
// requests on idle clients.
class TrafficDriver : public QObject
{
public:
    TrafficDriver(quint16 port, bool tls, QList<DemoLane> lanes,
                  std::shared_ptr<DemoTraffic::Counts> counts)
        : m_port(port), m_tls(tls), m_counts(std::move(counts))
    {
        for (DemoLane &lane : lanes)
            m_lanes.append(Lane{std::move(lane), {}, 0.0});
    }

    void begin()
    {
        m_clock.start();
        auto *timer = new QTimer(this);
        connect(timer, &QTimer::timeout, this, &TrafficDriver::tick);
        timer->start(kTickMs);
    }

private:
    struct Lane
    {
        DemoLane spec;
        QList<LoadClient *> clients;
        double credit = 0;
    };

    void tick()
    {
        const double seconds = m_clock.elapsed() / 1000.0;
        for (Lane &lane : m_lanes) {
            // Credit is capped so a lane that was held back does not burst afterwards.
            lane.credit = qMin(lane.credit + lane.spec.ratePerSec(seconds) * kTickMs / 1000.0,
                               double(lane.spec.maxInFlight));
            while (lane.credit >= 1.0) {
                LoadClient *client = idleClient(lane);
                if (!client)
                    break;
                lane.credit -= 1.0;
                ++m_counts->sent;
                client->send(LoadClient::chatRequest(
                    lane.spec.key,
                    LoadClient::chatBody(lane.spec.model, jitter(lane.spec.promptChars),
                                         lane.spec.maxTokens)));
            }
        }
    }

    LoadClient *idleClient(Lane &lane)
    {
        for (LoadClient *c : std::as_const(lane.clients))
            if (!c->isBusy())
                return c;
        if (lane.clients.size() >= lane.spec.maxInFlight)
            return nullptr;
        auto *c = new LoadClient(m_port, m_tls, this);
        connect(c, &LoadClient::finished, this, [counts = m_counts](int status) {
            ++counts->answered;
            if (status == 200)
                ++counts->succeeded;
        });
        lane.clients.append(c);
        return c;
    }

    // Prompts vary ±25 % so the charts and costs do not look machine-made.
    int jitter(int chars)
    {
        m_seed = m_seed * 1103515245u + 12345u;
        const int spread = chars / 4;
        return spread > 0 ? chars - spread + int((m_seed >> 8) % uint(2 * spread)) : chars;
    }

    quint16 m_port;
    bool m_tls;
    std::shared_ptr<DemoTraffic::Counts> m_counts;
    QList<Lane> m_lanes;
    QElapsedTimer m_clock;
    quint32 m_seed = 7;
};

} // namespace

DemoTraffic::DemoTraffic(quint16 relayPort, bool tls, QList<DemoLane> lanes, QObject *parent)
    : QObject(parent), m_port(relayPort), m_tls(tls), m_lanes(std::move(lanes))
{
}

DemoTraffic::~DemoTraffic()
{
    stop();
}

void DemoTraffic::start()
{
    if (m_thread)
        return;
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("demo-traffic"));
    auto *driver = new TrafficDriver(m_port, m_tls, m_lanes, m_counts);
    driver->moveToThread(m_thread);
    m_driver = driver;
    connect(m_thread, &QThread::started, driver, &TrafficDriver::begin);
    m_thread->start();
}

void DemoTraffic::stop()
{
    if (!m_thread)
        return;
    QMetaObject::invokeMethod(
        m_driver, [driver = m_driver] { delete driver; }, Qt::BlockingQueuedConnection);
    m_driver = nullptr;
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
    m_thread = nullptr;
}

} // namespace relay
