#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class QTemporaryDir;
class QTimer;

namespace relay {

class DemoTraffic;
class Simulator;

struct DemoScenarioOptions
{
    // The primary upstream answers 500 for `outageSeconds` from `outageStartSeconds` after
    // start(), and again every `outageEverySeconds`, so the relay fails over to the backup.
    int outageStartSeconds = 40;
    int outageSeconds = 30;
    int outageEverySeconds = 300;
    bool traffic = true;
};

// `--demo`: a throw-away database (deleted with this object) seeded with sample tenants, three
// simulated providers on loopback (openai primary, anthropic backup, deepseek cheap lane) with
// realistic latency, jitter and occasional errors, a scripted outage of the primary, and
// simulated traffic from each tenant. Nothing leaves loopback. Lives on the thread that
// created it; the providers and the traffic run on threads of their own.
class DemoScenario : public QObject
{
    Q_OBJECT
public:
    explicit DemoScenario(DemoScenarioOptions options = {}, QObject *parent = nullptr);
    ~DemoScenario() override;

    // Creates the database, starts the simulated providers and seeds the sample data.
    bool prepare(QString *error);
    QString dbPath() const;
    // Starts the scripted outages and the traffic against the relay listening on `relayPort`
    // (in HTTPS when `tls`).
    void start(quint16 relayPort, bool tls = false);
    void stop();

    // Tenant id → its demo key (never printed; tests use it).
    QHash<QString, QString> keys() const { return m_keys; }
    const DemoTraffic *traffic() const { return m_traffic.get(); }
    Simulator *simulator(const QString &name) const;
    bool primaryDown() const { return m_primaryDown; }

private:
    void setPrimaryDown(bool down);

    DemoScenarioOptions m_options;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<Simulator> m_openai;
    std::unique_ptr<Simulator> m_anthropic;
    std::unique_ptr<Simulator> m_deepseek;
    std::unique_ptr<DemoTraffic> m_traffic;
    QTimer *m_outageTimer = nullptr;
    QElapsedTimer m_clock; // since start(): the outage script's time
    QHash<QString, QString> m_keys;
    bool m_primaryDown = false;
};

} // namespace relay
