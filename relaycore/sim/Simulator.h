#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QString>

#include <memory>
#include <mutex>

namespace relay {

namespace sim {
class Server;
}

// What the simulated provider does with one request, instead of answering normally.
struct SimFault
{
    enum Kind {
        Status,    // answer `status` with an error body in the API's shape (and Retry-After if set)
        Reset,     // close the connection without answering
        Hang,      // never answer
        CutStream, // stream `afterChunks` content chunks, then close mid-stream (-1: close
                   // right after the response head, before the first event)
        StreamError, // stream `afterChunks` content chunks, then an error event for `status`
    };
    Kind kind = Status;
    int status = 500;
    int retryAfterSeconds = -1;
    int afterChunks = 0;
};

struct SimulatorOptions
{
    QHostAddress host = QHostAddress::LocalHost;
    quint16 port = 0; // 0 = any free port
    // Threads serving connections (each with its own event loop; connections are spread over
    // them in turn); 0 = one per core.
    int workers = 1;
    int latencyMs = 0;       // before the response (or the first chunk)
    int jitterMs = 0;        // ± uniformly, from a seeded generator
    int chunkIntervalMs = 0; // between streamed chunks
    int completionTokens = 12;
    double errorRate = 0.0; // share of requests answered 500 at random (demo)
    quint32 seed = 1;
    QByteArray expectedApiKey; // when set, other keys get 401
};

// One request as the simulated provider received it (for tests to inspect).
struct SimReceivedRequest
{
    QByteArray method;
    QByteArray path;
    QByteArray authorization;
    QByteArray apiKeyHeader;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;
};

struct SimulatorStats
{
    qint64 requests = 0;
    int inFlight = 0;
    int peakInFlight = 0;
    qint64 cancelledByClient = 0; // connections the relay closed before the answer was complete
    qint64 completed = 0;
};

// A simulated provider on loopback: real TCP and its own small HTTP/1.1 server (sim/SimHttp,
// never the relay's parser, which it exists to test), realistic latency and jitter,
// deterministic usage numbers and scripted failures. Serves the tests and --demo. On one port
// it speaks
// - OpenAI's API: POST /v1/chat/completions, /v1/embeddings, /v1/responses (with
//   previous_response_id: 404 previous_response_not_found for an id this simulator did not
//   create), /v1/completions, /v1/moderations (no usage, as OpenAI), streaming (SSE) where
//   OpenAI streams; GET /v1/models and /v1/models/{id} (404 model_not_found for an id it does
//   not list; chat and the others serve any model name);
// - Anthropic's API (x-api-key and anthropic-version): POST /v1/messages (streaming, tool use,
//   prompt caching: the blocks up to the last with cache_control are written to the cache on
//   their first request and read from it after, per simulator), POST /v1/messages/count_tokens;
//   GET /v1/models and /v1/models/{id} with anthropic-version answer in Anthropic's shapes.
// Token counts: prompt = ceil(characters of input text / 4) (message text, Responses input and
// instructions, completion prompts, embedding input); completion = completionTokens words (or
// max_tokens / max_output_tokens if smaller), one token per word. Latency, jitter and faults
// apply to every endpoint. Thread-safe.
class Simulator : public QObject
{
    Q_OBJECT
public:
    explicit Simulator(SimulatorOptions options = {}, QObject *parent = nullptr);
    ~Simulator() override;

    bool start(QString *error = nullptr);
    void stop();
    quint16 port() const;
    // "http://127.0.0.1:PORT/v1", as an OpenAI-compatible upstream's --base-url.
    QString baseUrl() const;
    // "http://127.0.0.1:PORT", as an Anthropic upstream's --base-url.
    QString anthropicBaseUrl() const;

    // Scripts the next requests: each queued fault applies to one request, in order.
    void pushFault(const SimFault &fault, int times = 1);
    void clearFaults();
    void setLatencyMs(int latencyMs, int jitterMs = 0);
    void setChunkIntervalMs(int ms);
    void setCompletionTokens(int tokens);
    void setErrorRate(double rate);

    SimulatorStats stats() const;
    QList<SimReceivedRequest> received() const;
    void clearReceived();

    // The text the simulator answers with for `tokens` tokens (tests compare it).
    static QString completionText(int tokens);

    // Shared with the simulator's worker threads (defined in SimulatorHandler.h).
    struct State;

private:
    std::shared_ptr<State> m_state;
    std::unique_ptr<sim::Server> m_server;
};

} // namespace relay
