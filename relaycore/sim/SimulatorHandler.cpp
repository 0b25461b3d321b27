#include "SimulatorHandler.h"

#include "SimAnthropic.h"
#include "SimOpenAI.h"

#include <QTimer>

#include <optional>

namespace relay {

using sim::Exchange;

namespace {

// Both APIs on one port: Anthropic's by its path or its version header.
bool isAnthropic(const sim::Request &request)
{
    return request.path.endsWith("/messages") || request.path.endsWith("/messages/count_tokens") ||
           !request.header("anthropic-version").isEmpty();
}

// One simulated answer in progress; dies with its exchange.
class SimResponse : public QObject
{
public:
    SimResponse(Exchange *exchange, std::shared_ptr<Simulator::State> state)
        : QObject(exchange), m_exchange(exchange), m_state(std::move(state))
    {
        connect(exchange, &Exchange::clientGone, this, [this] {
            if (m_finished)
                return;
            m_finished = true;
            {
                std::lock_guard lock(m_state->mutex);
                ++m_state->stats.cancelledByClient;
                --m_state->stats.inFlight;
            }
            m_exchange->endStream();
        });
    }

    void run(std::optional<SimFault> fault, int delayMs)
    {
        m_fault = fault;
        QTimer::singleShot(delayMs, this, [this] { answer(); });
    }

private:
    void finished()
    {
        if (m_finished)
            return;
        m_finished = true;
        std::lock_guard lock(m_state->mutex);
        --m_state->stats.inFlight;
        ++m_state->stats.completed;
    }

    bool faultIs(SimFault::Kind kind) const { return m_fault && m_fault->kind == kind; }

    QByteArray faultMessage() const
    {
        return "simulated failure " + QByteArray::number(m_fault->status);
    }

    void answer()
    {
        if (m_finished)
            return;
        const sim::Request &request = m_exchange->request();
        const bool anthropic = isAnthropic(request);
        if (faultIs(SimFault::Status)) {
            sim::Headers headers{{"content-type", "application/json"}};
            if (m_fault->retryAfterSeconds >= 0)
                headers.append(qMakePair(QByteArray("retry-after"),
                                         QByteArray::number(m_fault->retryAfterSeconds)));
            finished();
            m_exchange->respond(
                m_fault->status, headers,
                anthropic ? sim::errorBody(m_fault->status, faultMessage())
                          : sim::openAIError(faultMessage(), "server_error", "simulated"));
            return;
        }
        if (faultIs(SimFault::Reset)) {
            finished();
            m_exchange->abortConnection();
            return;
        }
        if (faultIs(SimFault::Hang))
            return; // until the caller gives up
        int chunkIntervalMs;
        int completionTokens;
        QByteArray expectedKey;
        {
            std::lock_guard lock(m_state->mutex);
            completionTokens = m_state->options.completionTokens;
            expectedKey = m_state->options.expectedApiKey;
            chunkIntervalMs = m_state->options.chunkIntervalMs;
        }
        const sim::Context context{completionTokens, expectedKey, m_state->responseIds,
                                   m_state->cachedPrefixes};
        sim::Answer a = anthropic ? sim::answerAnthropic(request, context)
                                  : sim::answerOpenAI(request, context);
        if (!a.stream) {
            finished();
            m_exchange->respond(a.status, a.headers, a.body);
            return;
        }
        m_stream = std::move(a.stream);
        m_exchange->beginStream(
            200, {{"content-type", "text/event-stream"}, {"cache-control", "no-cache"}});
        if (faultIs(SimFault::CutStream) && m_fault->afterChunks < 0 &&
            m_stream->cutsBeforeBegin()) {
            // The stream's head, then nothing: it fails before its first event.
            finished();
            m_exchange->abortConnection();
            return;
        }
        m_exchange->writeStream(m_stream->begin());
        m_timer = new QTimer(this);
        m_timer->setInterval(chunkIntervalMs);
        connect(m_timer, &QTimer::timeout, this, [this] { nextChunk(); });
        m_timer->start();
    }

    void nextChunk()
    {
        if (m_finished)
            return;
        const bool failNow = m_fault && m_sent >= m_fault->afterChunks;
        if (failNow && faultIs(SimFault::CutStream)) {
            m_timer->stop();
            finished();
            m_exchange->abortConnection();
            return;
        }
        if (failNow && faultIs(SimFault::StreamError)) {
            // The answer started (200) and fails in the stream.
            m_timer->stop();
            m_exchange->writeStream(m_stream->error(m_fault->status, faultMessage()));
            finished();
            m_exchange->endStream();
            return;
        }
        if (m_sent < m_stream->pieceCount()) {
            m_exchange->writeStream(m_stream->piece(m_sent++));
            return;
        }
        m_timer->stop();
        m_exchange->writeStream(m_stream->end());
        finished();
        m_exchange->endStream();
    }

    Exchange *m_exchange; // the parent
    std::shared_ptr<Simulator::State> m_state;
    std::optional<SimFault> m_fault;
    std::unique_ptr<sim::Stream> m_stream;
    bool m_finished = false;
    int m_sent = 0;
    QTimer *m_timer = nullptr;
};

} // namespace

void handleSimulatorRequest(const std::shared_ptr<Simulator::State> &state, Exchange *exchange)
{
    const sim::Request &req = exchange->request();
    std::optional<SimFault> fault;
    int delay = 0;
    {
        std::lock_guard lock(state->mutex);
        SimReceivedRequest r;
        r.method = req.method;
        r.path = req.path;
        r.authorization = req.header("authorization");
        r.apiKeyHeader = req.header("x-api-key");
        r.body = req.body;
        r.headers = req.headers;
        if (state->received.size() < 10'000)
            state->received.append(r);
        ++state->stats.requests;
        ++state->stats.inFlight;
        state->stats.peakInFlight = qMax(state->stats.peakInFlight, state->stats.inFlight);
        if (!state->faults.empty()) {
            fault = state->faults.front();
            state->faults.pop_front();
        } else if (state->options.errorRate > 0) {
            std::uniform_real_distribution<double> u(0.0, 1.0);
            if (u(state->rng) < state->options.errorRate)
                fault = SimFault{SimFault::Status, 500, -1, 0};
        }
        delay = state->options.latencyMs;
        if (state->options.jitterMs > 0) {
            std::uniform_int_distribution<int> j(-state->options.jitterMs, state->options.jitterMs);
            delay = qMax(0, delay + j(state->rng));
        }
    }
    auto *response = new SimResponse(exchange, state);
    response->run(fault, delay);
}

} // namespace relay
