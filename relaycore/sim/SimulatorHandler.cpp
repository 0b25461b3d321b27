#include "SimulatorHandler.h"

#include "SimAnthropic.h"
#include "http/ApiError.h"
#include "http/HttpExchange.h"
#include "ingress/RequestBody.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTimer>

namespace relay {

namespace {

QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QJsonObject usageObject(qint64 prompt, qint64 completion)
{
    return {{QStringLiteral("prompt_tokens"), prompt},
            {QStringLiteral("completion_tokens"), completion},
            {QStringLiteral("total_tokens"), prompt + completion}};
}

// One simulated answer in progress; dies with its exchange.
class SimResponse : public QObject
{
public:
    SimResponse(HttpExchange *exchange, std::shared_ptr<Simulator::State> state)
        : QObject(exchange), m_exchange(exchange), m_state(std::move(state))
    {
        connect(exchange, &HttpExchange::clientGone, this, [this] {
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

    void respond(int status, const QByteArray &body, HttpHeaders extra = {})
    {
        HttpHeaders headers{{"content-type", "application/json"}};
        headers.append(extra);
        finished();
        m_exchange->respond(status, headers, body);
    }

    void answer()
    {
        if (m_finished)
            return;
        const HttpRequest &req = m_exchange->request();
        // Both APIs on one port: Anthropic's by its path or its version header.
        m_anthropic = req.path.endsWith("/messages") || !req.header("anthropic-version").isEmpty();
        if (m_fault) {
            switch (m_fault->kind) {
            case SimFault::Status: {
                HttpHeaders extra;
                if (m_fault->retryAfterSeconds >= 0)
                    extra.emplaceBack("retry-after",
                                      QByteArray::number(m_fault->retryAfterSeconds));
                ApiError e{m_fault->status,
                           "server_error",
                           "simulated",
                           "simulated failure " + QByteArray::number(m_fault->status),
                           {}};
                respond(m_fault->status,
                        m_anthropic ? sim::errorBody(m_fault->status, e.message) : e.body(), extra);
                return;
            }
            case SimFault::Reset:
                finished();
                m_exchange->abortConnection();
                return;
            case SimFault::Hang:
                return; // until the caller gives up
            case SimFault::CutStream:
            case SimFault::StreamError:
                break;
            }
        }
        int completionTokens;
        int chunkIntervalMs;
        QByteArray expectedKey;
        {
            std::lock_guard lock(m_state->mutex);
            completionTokens = m_state->options.completionTokens;
            chunkIntervalMs = m_state->options.chunkIntervalMs;
            expectedKey = m_state->options.expectedApiKey;
        }
        if (m_anthropic) {
            answerAnthropic(completionTokens, chunkIntervalMs, expectedKey);
            return;
        }
        if (!expectedKey.isEmpty()) {
            const QByteArray auth = req.header("authorization");
            if (auth != "Bearer " + expectedKey && req.header("x-api-key") != expectedKey) {
                respond(401, ApiError::invalidApiKey("Incorrect API key provided.").body());
                return;
            }
        }
        const QByteArray &path = req.path;
        if (req.method == "GET" && path.endsWith("/models")) {
            QJsonArray data;
            for (const char *id : {"gpt-4o", "gpt-4o-mini", "text-embedding-3-small"})
                data.append(QJsonObject{{QStringLiteral("id"), QLatin1String(id)},
                                        {QStringLiteral("object"), QStringLiteral("model")}});
            respond(200, json({{QStringLiteral("object"), QStringLiteral("list")},
                               {QStringLiteral("data"), data}}));
            return;
        }
        const bool chat = path.endsWith("/chat/completions");
        const bool embeddings = path.endsWith("/embeddings");
        if (req.method != "POST" || (!chat && !embeddings)) {
            respond(404, ApiError::notFound(req.method + ' ' + path).body());
            return;
        }
        QByteArray error;
        const auto body =
            parseRequestBody(chat ? Endpoint::Chat : Endpoint::Embeddings, req.body, &error);
        if (!body) {
            respond(400, ApiError::badRequest(error).body());
            return;
        }
        const qint64 prompt = estimateTokens(body->promptChars);
        if (embeddings) {
            const int inputs = body->json.value(QLatin1String("input")).isArray()
                                   ? int(body->json.value(QLatin1String("input")).toArray().size())
                                   : 1;
            // OpenAI SDKs ask for base64 (little-endian float32) by default.
            const bool base64 = body->json.value(QLatin1String("encoding_format")).toString() ==
                                QLatin1String("base64");
            QJsonArray data;
            for (int i = 0; i < inputs; ++i) {
                QJsonArray vector;
                QByteArray packed;
                for (int d = 0; d < 8; ++d) {
                    const float v = float((i + 1) * (d + 1)) / 64.0f;
                    vector.append(double(v));
                    packed.append(reinterpret_cast<const char *>(&v), sizeof v);
                }
                const QJsonValue embedding =
                    base64 ? QJsonValue(QString::fromLatin1(packed.toBase64()))
                           : QJsonValue(vector);
                data.append(QJsonObject{{QStringLiteral("object"), QStringLiteral("embedding")},
                                        {QStringLiteral("index"), i},
                                        {QStringLiteral("embedding"), embedding}});
            }
            respond(200, json({{QStringLiteral("object"), QStringLiteral("list")},
                               {QStringLiteral("data"), data},
                               {QStringLiteral("model"), body->model},
                               {QStringLiteral("usage"),
                                QJsonObject{{QStringLiteral("prompt_tokens"), prompt},
                                            {QStringLiteral("total_tokens"), prompt}}}}));
            return;
        }
        m_completion = completionTokens;
        if (body->maxTokens >= 0 && body->maxTokens < m_completion)
            m_completion = int(body->maxTokens);
        m_prompt = prompt;
        m_model = body->model;
        m_id = "chatcmpl-sim-" + QByteArray::number(quintptr(this), 16);
        m_created = QDateTime::currentSecsSinceEpoch();
        const QString text = Simulator::completionText(m_completion);
        if (!body->stream) {
            QJsonObject message{{QStringLiteral("role"), QStringLiteral("assistant")},
                                {QStringLiteral("content"), text}};
            QJsonObject choice{{QStringLiteral("index"), 0},
                               {QStringLiteral("message"), message},
                               {QStringLiteral("finish_reason"), QStringLiteral("stop")}};
            respond(200, json({{QStringLiteral("id"), QString::fromLatin1(m_id)},
                               {QStringLiteral("object"), QStringLiteral("chat.completion")},
                               {QStringLiteral("created"), m_created},
                               {QStringLiteral("model"), m_model},
                               {QStringLiteral("choices"), QJsonArray{choice}},
                               {QStringLiteral("usage"), usageObject(m_prompt, m_completion)}}));
            return;
        }
        m_includeUsage = body->clientWantsUsage;
        m_words = text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        m_exchange->beginStream(
            200, {{"content-type", "text/event-stream"}, {"cache-control", "no-cache"}});
        if (m_fault && m_fault->kind == SimFault::CutStream && m_fault->afterChunks < 0) {
            // The stream's head, then nothing: it fails before its first event.
            finished();
            m_exchange->abortConnection();
            return;
        }
        sendChunk(QJsonObject{{QStringLiteral("role"), QStringLiteral("assistant")},
                              {QStringLiteral("content"), QString()}},
                  QJsonValue::Null);
        startChunks(chunkIntervalMs);
    }

    void startChunks(int intervalMs)
    {
        m_timer = new QTimer(this);
        m_timer->setInterval(intervalMs);
        connect(m_timer, &QTimer::timeout, this, [this] { nextChunk(); });
        m_timer->start();
    }

    // The Messages API (POST /v1/messages, GET /v1/models), as Anthropic answers it.
    void answerAnthropic(int completionTokens, int chunkIntervalMs, const QByteArray &expectedKey)
    {
        const HttpRequest &req = m_exchange->request();
        const QByteArray key = req.header("x-api-key");
        if (key.isEmpty() || (!expectedKey.isEmpty() && key != expectedKey)) {
            respond(401, sim::errorBody(401, "invalid x-api-key"));
            return;
        }
        if (req.header("anthropic-version").isEmpty()) {
            respond(400, sim::errorBody(400, "anthropic-version: header is required"));
            return;
        }
        if (req.method == "GET" && req.path.endsWith("/v1/models")) {
            respond(200, sim::modelsList());
            return;
        }
        if (req.method != "POST" || !req.path.endsWith("/v1/messages")) {
            respond(404, sim::errorBody(404, "Not Found: " + req.method + ' ' + req.path));
            return;
        }
        QByteArray error;
        const auto body = sim::parseMessagesRequest(req.body, &error);
        if (!body) {
            respond(400, sim::errorBody(400, error));
            return;
        }
        m_completion = int(qMin<qint64>(completionTokens, body->maxTokens));
        m_prompt = estimateTokens(body->promptChars);
        m_model = body->model;
        m_id = "msg_sim_" + QByteArray::number(quintptr(this), 16);
        m_toolName = body->toolName;
        m_stopReason = !m_toolName.isEmpty()             ? QStringLiteral("tool_use")
                       : m_completion < completionTokens ? QStringLiteral("max_tokens")
                                                         : QStringLiteral("end_turn");
        const QString text = Simulator::completionText(m_completion);
        const QJsonObject toolUse{{QStringLiteral("type"), QStringLiteral("tool_use")},
                                  {QStringLiteral("id"), QStringLiteral("toolu_sim_1")},
                                  {QStringLiteral("name"), m_toolName}};
        if (!body->stream) {
            QJsonObject block = toolUse;
            block.insert(QStringLiteral("input"), sim::toolInput());
            if (m_toolName.isEmpty())
                block = {{QStringLiteral("type"), QStringLiteral("text")},
                         {QStringLiteral("text"), text}};
            respond(200, json(sim::message(QString::fromLatin1(m_id), m_model, QJsonArray{block},
                                           m_stopReason, m_prompt, m_completion)));
            return;
        }
        m_words = m_toolName.isEmpty() ? text.split(QLatin1Char(' '), Qt::SkipEmptyParts)
                                       : sim::toolInputPieces();
        m_exchange->beginStream(
            200, {{"content-type", "text/event-stream"}, {"cache-control", "no-cache"}});
        QJsonObject block = toolUse;
        block.insert(QStringLiteral("input"), QJsonObject());
        if (m_toolName.isEmpty())
            block = {{QStringLiteral("type"), QStringLiteral("text")},
                     {QStringLiteral("text"), QString()}};
        m_exchange->writeStream(
            sim::event(
                {{QStringLiteral("type"), QStringLiteral("message_start")},
                 {QStringLiteral("message"), sim::message(QString::fromLatin1(m_id), m_model, {},
                                                          QJsonValue::Null, m_prompt, 1)}}) +
            sim::event({{QStringLiteral("type"), QStringLiteral("content_block_start")},
                        {QStringLiteral("index"), 0},
                        {QStringLiteral("content_block"), block}}) +
            sim::event({{QStringLiteral("type"), QStringLiteral("ping")}}));
        startChunks(chunkIntervalMs);
    }

    void sendAnthropicDelta(const QString &piece)
    {
        const QJsonObject delta =
            m_toolName.isEmpty()
                ? QJsonObject{{QStringLiteral("type"), QStringLiteral("text_delta")},
                              {QStringLiteral("text"), piece}}
                : QJsonObject{{QStringLiteral("type"), QStringLiteral("input_json_delta")},
                              {QStringLiteral("partial_json"), piece}};
        m_exchange->writeStream(
            sim::event({{QStringLiteral("type"), QStringLiteral("content_block_delta")},
                        {QStringLiteral("index"), 0},
                        {QStringLiteral("delta"), delta}}));
    }

    void endAnthropicStream()
    {
        m_exchange->writeStream(
            sim::event({{QStringLiteral("type"), QStringLiteral("content_block_stop")},
                        {QStringLiteral("index"), 0}}) +
            sim::event({{QStringLiteral("type"), QStringLiteral("message_delta")},
                        {QStringLiteral("delta"),
                         QJsonObject{{QStringLiteral("stop_reason"), m_stopReason},
                                     {QStringLiteral("stop_sequence"), QJsonValue::Null}}},
                        {QStringLiteral("usage"),
                         QJsonObject{{QStringLiteral("output_tokens"), m_completion}}}}) +
            sim::event({{QStringLiteral("type"), QStringLiteral("message_stop")}}));
        finished();
        m_exchange->endStream();
    }

    void sendChunk(const QJsonObject &delta, const QJsonValue &finishReason)
    {
        QJsonObject choice{{QStringLiteral("index"), 0},
                           {QStringLiteral("delta"), delta},
                           {QStringLiteral("finish_reason"), finishReason}};
        QJsonObject chunk{{QStringLiteral("id"), QString::fromLatin1(m_id)},
                          {QStringLiteral("object"), QStringLiteral("chat.completion.chunk")},
                          {QStringLiteral("created"), m_created},
                          {QStringLiteral("model"), m_model},
                          {QStringLiteral("choices"), QJsonArray{choice}}};
        if (m_includeUsage)
            chunk.insert(QStringLiteral("usage"), QJsonValue::Null);
        m_exchange->writeStream("data: " + json(chunk) + "\n\n");
    }

    void nextChunk()
    {
        if (m_finished)
            return;
        if (m_fault && m_fault->kind == SimFault::CutStream && m_sent >= m_fault->afterChunks) {
            m_timer->stop();
            finished();
            m_exchange->abortConnection();
            return;
        }
        if (m_fault && m_fault->kind == SimFault::StreamError && m_sent >= m_fault->afterChunks) {
            // The answer started (200) and fails in the stream, as Anthropic's overloads do.
            m_timer->stop();
            const QByteArray message = "simulated failure " + QByteArray::number(m_fault->status);
            const ApiError e{m_fault->status, "server_error", "simulated", message, {}};
            m_exchange->writeStream(
                m_anthropic
                    ? "event: error\ndata: " + sim::errorBody(m_fault->status, message) + "\n\n"
                    : "data: " + e.body() + "\n\n");
            finished();
            m_exchange->endStream();
            return;
        }
        if (m_sent < m_words.size()) {
            const bool lastWord = m_sent + 1 == m_words.size() || !m_toolName.isEmpty();
            const QString word = lastWord ? m_words[m_sent] : m_words[m_sent] + QLatin1Char(' ');
            ++m_sent;
            if (m_anthropic) {
                sendAnthropicDelta(word);
                return;
            }
            sendChunk(QJsonObject{{QStringLiteral("content"), word}}, QJsonValue::Null);
            return;
        }
        m_timer->stop();
        if (m_anthropic) {
            endAnthropicStream();
            return;
        }
        sendChunk(QJsonObject{}, QStringLiteral("stop"));
        if (m_includeUsage) {
            QJsonObject chunk{{QStringLiteral("id"), QString::fromLatin1(m_id)},
                              {QStringLiteral("object"), QStringLiteral("chat.completion.chunk")},
                              {QStringLiteral("created"), m_created},
                              {QStringLiteral("model"), m_model},
                              {QStringLiteral("choices"), QJsonArray{}},
                              {QStringLiteral("usage"), usageObject(m_prompt, m_completion)}};
            m_exchange->writeStream("data: " + json(chunk) + "\n\n");
        }
        m_exchange->writeStream("data: [DONE]\n\n");
        finished();
        m_exchange->endStream();
    }

    QPointer<HttpExchange> m_exchange;
    std::shared_ptr<Simulator::State> m_state;
    std::optional<SimFault> m_fault;
    bool m_finished = false;
    bool m_includeUsage = false;
    bool m_anthropic = false; // the request came to the Messages API
    QString m_toolName;       // Messages API: the tool the answer calls, if any
    QString m_stopReason;
    int m_completion = 0;
    qint64 m_prompt = 0;
    QString m_model;
    QByteArray m_id;
    qint64 m_created = 0;
    QStringList m_words;
    int m_sent = 0;
    QTimer *m_timer = nullptr;
};

} // namespace

SimulatorHandler::SimulatorHandler(std::shared_ptr<Simulator::State> state)
    : m_state(std::move(state))
{
}

void SimulatorHandler::handle(HttpExchange *exchange)
{
    const HttpRequest &req = exchange->request();
    std::optional<SimFault> fault;
    int delay = 0;
    {
        std::lock_guard lock(m_state->mutex);
        SimReceivedRequest r;
        r.method = req.method;
        r.path = req.path;
        r.authorization = req.header("authorization");
        r.apiKeyHeader = req.header("x-api-key");
        r.body = req.body;
        r.headers = req.headers;
        if (m_state->received.size() < 10'000)
            m_state->received.append(r);
        ++m_state->stats.requests;
        ++m_state->stats.inFlight;
        m_state->stats.peakInFlight = qMax(m_state->stats.peakInFlight, m_state->stats.inFlight);
        if (!m_state->faults.empty()) {
            fault = m_state->faults.front();
            m_state->faults.pop_front();
        } else if (m_state->options.errorRate > 0) {
            std::uniform_real_distribution<double> u(0.0, 1.0);
            if (u(m_state->rng) < m_state->options.errorRate)
                fault = SimFault{SimFault::Status, 500, -1, 0};
        }
        delay = m_state->options.latencyMs;
        if (m_state->options.jitterMs > 0) {
            std::uniform_int_distribution<int> j(-m_state->options.jitterMs,
                                                 m_state->options.jitterMs);
            delay = qMax(0, delay + j(m_state->rng));
        }
    }
    auto *response = new SimResponse(exchange, m_state);
    response->run(fault, delay);
}

} // namespace relay
