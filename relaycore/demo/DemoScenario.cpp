#include "DemoScenario.h"

#include "DemoSeed.h"
#include "DemoTraffic.h"
#include "sim/Simulator.h"
#include "store/AdminService.h"
#include "store/Database.h"

#include <QTemporaryDir>
#include <QTimer>
#include <QtMath>

namespace relay {

namespace {

constexpr double kPrimaryErrorRate = 0.01;

std::unique_ptr<Simulator> makeSimulator(int latencyMs, int jitterMs, double errorRate,
                                         quint32 seed)
{
    SimulatorOptions o;
    o.latencyMs = latencyMs;
    o.jitterMs = jitterMs;
    o.errorRate = errorRate;
    o.completionTokens = 500; // each lane's max_tokens caps it
    o.seed = seed;
    o.workers = 1;
    return std::make_unique<Simulator>(o);
}

// Steady with a slow swell, so the latency charts show a shape.
std::function<double(double)> steady(double perSec, double swell)
{
    return [perSec, swell](double s) { return perSec * (1.0 + swell * qSin(s / 45.0)); };
}

// Floods for `onSeconds` of every `periodSeconds`, a trickle otherwise.
std::function<double(double)> floods(double floodPerSec, double trickle, int onSeconds,
                                     int periodSeconds, int offset)
{
    return [=](double s) {
        const int phase = (int(s) + offset) % periodSeconds;
        return phase < onSeconds ? floodPerSec : trickle;
    };
}

} // namespace

DemoScenario::DemoScenario(DemoScenarioOptions options, QObject *parent)
    : QObject(parent), m_options(options)
{
}

DemoScenario::~DemoScenario()
{
    stop();
}

bool DemoScenario::prepare(QString *error)
{
    m_dir = std::make_unique<QTemporaryDir>();
    if (!m_dir->isValid()) {
        *error = QStringLiteral("cannot create a temporary folder for the demo database");
        return false;
    }
    m_openai = makeSimulator(320, 140, kPrimaryErrorRate, 1);
    m_anthropic = makeSimulator(480, 180, 0.01, 2);
    m_deepseek = makeSimulator(260, 110, 0.02, 3);
    for (Simulator *sim : {m_openai.get(), m_anthropic.get(), m_deepseek.get()})
        if (!sim->start(error))
            return false;

    Database db;
    if (!db.open(dbPath(), error))
        return false;
    AdminService admin(db.db(), Clock::system(), QStringLiteral("demo"));
    const DemoUpstreamUrls urls{m_openai->baseUrl(), m_anthropic->anthropicBaseUrl(),
                                m_deepseek->baseUrl()};
    return DemoSeed::seed(db.db(), admin, urls, Clock::system(), &m_keys, error);
}

QString DemoScenario::dbPath() const
{
    return m_dir ? m_dir->filePath(QStringLiteral("tenantrelay-demo.db")) : QString();
}

Simulator *DemoScenario::simulator(const QString &name) const
{
    if (name == QLatin1String("openai"))
        return m_openai.get();
    if (name == QLatin1String("anthropic"))
        return m_anthropic.get();
    if (name == QLatin1String("deepseek"))
        return m_deepseek.get();
    return nullptr;
}

void DemoScenario::start(quint16 relayPort, bool tls)
{
    if (m_outageTimer)
        return;
    // The outage follows the demo's own clock: checked each second against the script.
    m_outageTimer = new QTimer(this);
    m_clock.start();
    connect(m_outageTimer, &QTimer::timeout, this, [this] {
        const qint64 s = m_clock.elapsed() / 1000;
        const qint64 first = m_options.outageStartSeconds;
        const bool down =
            s >= first && (s - first) % m_options.outageEverySeconds < m_options.outageSeconds;
        if (down != m_primaryDown)
            setPrimaryDown(down);
    });
    m_outageTimer->start(1000);

    if (!m_options.traffic)
        return;
    const QByteArray prod = m_keys.value(QStringLiteral("prod-chatbot")).toUtf8();
    const QByteArray batch = m_keys.value(QStringLiteral("batch-email-summaries")).toUtf8();
    const QByteArray dev = m_keys.value(QStringLiteral("internal-dev-tools")).toUtf8();
    QList<DemoLane> lanes{
        {QStringLiteral("prod-chatbot"), prod, QStringLiteral("gpt-4o"), 10, 1200, 250,
         steady(3.5, 0.35)},
        {QStringLiteral("batch-email-summaries"), batch, QStringLiteral("gpt-4o-mini"), 24, 6000,
         400, floods(9.0, 0.3, 25, 60, 40)},
        {QStringLiteral("batch-email-summaries"), batch, QStringLiteral("deepseek-chat"), 16, 6000,
         400, floods(6.0, 0.5, 20, 60, 30)},
        {QStringLiteral("internal-dev-tools"), dev, QStringLiteral("gpt-4o"), 2, 8000, 500,
         steady(0.65, 0.2)},
    };
    m_traffic = std::make_unique<DemoTraffic>(relayPort, tls, lanes);
    m_traffic->start();
}

void DemoScenario::setPrimaryDown(bool down)
{
    m_primaryDown = down;
    m_openai->setErrorRate(down ? 1.0 : kPrimaryErrorRate);
}

void DemoScenario::stop()
{
    if (m_traffic)
        m_traffic->stop();
    delete m_outageTimer;
    m_outageTimer = nullptr;
    for (Simulator *sim : {m_openai.get(), m_anthropic.get(), m_deepseek.get()})
        if (sim)
            sim->stop();
}

} // namespace relay
