#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>

class QThread;

namespace relay {

// One simulated tenant's traffic: requests per second as a function of the seconds since the
// demo started, at most `maxInFlight` at once.
struct DemoLane
{
    QString tenant;
    QByteArray key;
    QString model;
    int maxInFlight = 4;
    int promptChars = 400;
    int maxTokens = 200;
    std::function<double(double seconds)> ratePerSec;
};

// Real HTTP clients on loopback calling the relay with the tenants' keys, on a thread of their
// own, so every chart of the console moves. start()/stop() are called on the owner's thread;
// the counters are read from any thread.
class DemoTraffic : public QObject
{
    Q_OBJECT
public:
    DemoTraffic(quint16 relayPort, bool tls, QList<DemoLane> lanes, QObject *parent = nullptr);
    ~DemoTraffic() override;

    void start();
    void stop();
    qint64 sent() const { return m_counts->sent.load(); }
    qint64 answered() const { return m_counts->answered.load(); }
    qint64 succeeded() const { return m_counts->succeeded.load(); }

    struct Counts
    {
        std::atomic<qint64> sent{0};
        std::atomic<qint64> answered{0};
        std::atomic<qint64> succeeded{0};
    };

private:
    quint16 m_port;
    bool m_tls;
    QList<DemoLane> m_lanes;
    std::shared_ptr<Counts> m_counts = std::make_shared<Counts>();
    QThread *m_thread = nullptr;
    QObject *m_driver = nullptr;
};

} // namespace relay
