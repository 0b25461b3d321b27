#include "Simulator.h"

#include "SimHttp.h"
#include "SimulatorHandler.h"

#include <QThread>

namespace relay {

Simulator::Simulator(SimulatorOptions options, QObject *parent)
    : QObject(parent), m_state(std::make_shared<State>())
{
    m_state->options = options;
    m_state->rng.seed(options.seed);
}

Simulator::~Simulator()
{
    stop();
}

bool Simulator::start(QString *error)
{
    QHostAddress host;
    quint16 port;
    int workers;
    {
        std::lock_guard lock(m_state->mutex);
        host = m_state->options.host;
        port = m_state->options.port;
        workers = m_state->options.workers;
    }
    if (workers <= 0)
        workers = qMax(1, QThread::idealThreadCount());
    auto state = m_state;
    m_server = std::make_unique<sim::Server>(host, port, workers, [state](sim::Exchange *exchange) {
        handleSimulatorRequest(state, exchange);
    });
    if (!m_server->start(error)) {
        m_server.reset();
        return false;
    }
    return true;
}

void Simulator::stop()
{
    m_server.reset();
}

quint16 Simulator::port() const
{
    return m_server ? m_server->port() : 0;
}

QString Simulator::baseUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1/v1").arg(port());
}

QString Simulator::anthropicBaseUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(port());
}

void Simulator::pushFault(const SimFault &fault, int times)
{
    std::lock_guard lock(m_state->mutex);
    for (int i = 0; i < times; ++i)
        m_state->faults.push_back(fault);
}

void Simulator::clearFaults()
{
    std::lock_guard lock(m_state->mutex);
    m_state->faults.clear();
}

void Simulator::setLatencyMs(int latencyMs, int jitterMs)
{
    std::lock_guard lock(m_state->mutex);
    m_state->options.latencyMs = latencyMs;
    m_state->options.jitterMs = jitterMs;
}

void Simulator::setChunkIntervalMs(int ms)
{
    std::lock_guard lock(m_state->mutex);
    m_state->options.chunkIntervalMs = ms;
}

void Simulator::setCompletionTokens(int tokens)
{
    std::lock_guard lock(m_state->mutex);
    m_state->options.completionTokens = tokens;
}

void Simulator::setErrorRate(double rate)
{
    std::lock_guard lock(m_state->mutex);
    m_state->options.errorRate = rate;
}

SimulatorStats Simulator::stats() const
{
    std::lock_guard lock(m_state->mutex);
    return m_state->stats;
}

QList<SimReceivedRequest> Simulator::received() const
{
    std::lock_guard lock(m_state->mutex);
    return m_state->received;
}

void Simulator::clearReceived()
{
    std::lock_guard lock(m_state->mutex);
    m_state->received.clear();
}

QString Simulator::completionText(int tokens)
{
    return sim::completionText(tokens);
}

} // namespace relay
