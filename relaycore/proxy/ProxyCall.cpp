#include "ProxyCall.h"

#include "ProxyHandler.h"
#include "billing/Cost.h"
#include "core/Clock.h"
#include "http/ApiError.h"
#include "http/HttpExchange.h"
#include "ingress/ClientFront.h"
#include "metering/UsageMeter.h"
#include "store/UsageRecord.h"
#include "upstream/ConnectionCache.h"
#include "upstream/UpstreamAdapter.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace relay {

namespace {

QByteArray failureText(UpstreamFailure failure)
{
    switch (failure) {
    case UpstreamFailure::ConnectFailed:
        return "connection failed";
    case UpstreamFailure::Reset:
        return "connection reset";
    case UpstreamFailure::FirstByteTimeout:
        return "timed out";
    case UpstreamFailure::StreamIdle:
        return "stream went silent";
    case UpstreamFailure::Malformed:
        return "malformed response";
    }
    return "failed";
}

} // namespace

ProxyCall::ProxyCall(ProxyHandler &handler, HttpExchange *exchange, AdmittedRequest admission)
    : m_handler(handler), m_exchange(exchange), m_admission(std::move(admission)),
      m_retry(handler.context().retryBudget(), handler.context().random())
{
    exchange->setObserver(this);
}

void ProxyCall::clientDrained()
{
    if (m_call)
        m_call->resumeReading();
}

ProxyCall::~ProxyCall()
{
    if (m_exchange)
        m_exchange->setObserver(nullptr);
    // complete() has run (the handler ends every call it owns first).
    dropUpstream();
}

std::unique_ptr<UpstreamCall> ProxyCall::releaseUpstreamCall()
{
    dropUpstream();
    if (m_upstreamCall)
        m_upstreamCall->cancel();
    return std::move(m_upstreamCall);
}

qint64 ProxyCall::nowMs() const
{
    return m_handler.context().clock().monotonicMs();
}

void ProxyCall::start()
{
    m_tenantFlow = m_admission.live ? &m_admission.live->flow->use()
                                    : &m_admission.config->tenantFlow(m_admission.tenantId);
    // One deadline for the whole request, however many targets it waits for.
    m_queueDeadlineMs = m_handler.context().clock().monotonicMs() + m_admission.queueTimeoutMs;
    route();
}

const UpstreamLive *ProxyCall::upstreamOf(size_t index)
{
    if (index != m_liveIndex) {
        m_live = m_admission.config->upstream(m_admission.resolution.chain[index].upstream->name);
        m_liveIndex = index;
    }
    return m_live;
}

FlowMetrics *ProxyCall::upstreamFlowOf(size_t index)
{
    if (const UpstreamLive *live = upstreamOf(index))
        return &live->flow->use();
    return m_admission.config->upstreamFlow(m_admission.resolution.chain[index].upstream->name);
}

bool ProxyCall::admitTarget(size_t index)
{
    const UpstreamLive *live = upstreamOf(index);
    CircuitBreaker *circuit = live ? live->circuit.get() : nullptr;
    const auto admit = circuit ? circuit->admit() : CircuitBreaker::Admit::Yes;
    if (admit == CircuitBreaker::Admit::No)
        return false;
    m_circuit = live ? live->circuit : nullptr;
    m_probe = admit == CircuitBreaker::Admit::Probe;
    return true;
}

void ProxyCall::route()
{
    m_phase = CallPhase::Routing;
    const size_t count = m_admission.resolution.chain.size();
    for (; m_targetIndex < count; ++m_targetIndex) {
        if (admitTarget(m_targetIndex)) {
            tryTarget();
            return;
        }
    }
    // Every target is cooling down: wait (until the queue deadline) to be the first probe,
    // rather than failing at once. The sweep routes it again.
    m_targetIndex = 0;
    m_phase = CallPhase::WaitingForCircuit;
}

void ProxyCall::settleCircuit(CircuitOutcome outcome, const QByteArray &reason)
{
    if (!m_circuit)
        return;
    switch (outcome) {
    case CircuitOutcome::Success:
        m_circuit->recordSuccess(m_headMs - m_forwardStartMs, m_probe);
        break;
    case CircuitOutcome::Failure:
        m_circuit->recordFailure(QString::fromUtf8(reason), m_probe);
        break;
    case CircuitOutcome::Abandoned:
        if (m_probe)
            m_circuit->releaseProbe();
        break;
    }
    m_circuit.reset();
    m_probe = false;
}

void ProxyCall::tryTarget()
{
    const UpstreamLive *live = upstreamOf(m_targetIndex);
    UpstreamSlots *pool = live ? live->slots.get() : nullptr;
    m_servedUpstream.clear(); // until this target serves it
    m_phase = CallPhase::WaitingForSlot;
    m_waitStartMs = m_handler.context().clock().monotonicMs();
    // The grant is posted to the worker's thread (the deadline queue lives there); dropTicket()
    // detaches the ticket before this object goes, after which no grant reaches it.
    m_ticket =
        pool->acquire(m_admission.tenantId, &m_handler.deadlines(), [this, attempt = ++m_attempt] {
            if (attempt == m_attempt) // a grant for an earlier target is stale
                onSlotGranted();
        });
    if (m_ticket->grantedAtOnce())
        onSlotGranted();
}

bool ProxyCall::leaveOpenCircuit()
{
    if (!m_circuit || m_probe || m_circuit->state() != CircuitState::Open)
        return false;
    // Its circuit opened while this request waited for a connection: no failure of its own,
    // so it goes to the next target (or waits to be a probe) instead of adding to the pile.
    dropTicket();
    settleCircuit(CircuitOutcome::Abandoned);
    ++m_targetIndex;
    route();
    return true;
}

void ProxyCall::onSlotGranted()
{
    if (m_phase != CallPhase::WaitingForSlot)
        return;
    if (leaveOpenCircuit())
        return;
    m_phase = CallPhase::Forwarding;
    const qint64 waited = m_handler.context().clock().monotonicMs() - m_waitStartMs;
    m_tenantFlow->queueWait.record(waited);
    if (!m_countedInFlight) {
        // In flight = holding an upstream slot (queued requests are counted apart).
        m_countedInFlight = true;
        m_tenantFlow->inFlight.fetch_add(1, std::memory_order_relaxed);
    }
    upstreamFlowOf(m_targetIndex)->queueWait.record(waited);
    forward();
}

void ProxyCall::forward()
{
    const ResolvedTarget &t = target();
    const UpstreamConfig &u = *t.upstream;
    m_adapter = &UpstreamAdapter::of(u);
    UpstreamRequest request;
    request.endpoint = {u.tls, u.host, u.port};
    // The upstream's key (never the tenant's) and three more: the list is made once at its size.
    const HttpHeaders auth = m_adapter->authHeaders(u);
    request.headers.reserve(auth.size() + 3);
    request.headers.append(auth);
    request.headers.emplaceBack(QByteArrayLiteral("content-type"),
                                QByteArrayLiteral("application/json"));
    request.headers.emplaceBack(QByteArrayLiteral("accept"),
                                m_admission.body.stream ? QByteArrayLiteral("text/event-stream")
                                                        : QByteArrayLiteral("application/json"));
    request.headers.emplaceBack(QByteArrayLiteral("user-agent"),
                                QByteArrayLiteral("TenantRelay/0.1"));
    request.firstByteTimeoutMs = u.timeoutMs;
    m_adapter->writeRequest(request, u, m_admission.body, t.model);

    m_status = 0;
    m_upstreamHeaders.clear();
    m_buffer.clear();
    m_relayStream = false;
    m_stream.reset();
    m_servedUpstream = u.name;
    m_servedModel = t.model;
    m_forwardStartMs = m_handler.context().clock().monotonicMs();
    // One call object for every attempt, kept until the request is done.
    if (!m_upstreamCall)
        m_upstreamCall = m_handler.takeUpstreamCall(this);
    m_call = m_upstreamCall.get();
    m_call->start(std::move(request));
}

void ProxyCall::upstreamHead(int status, const HttpHeaders &headers)
{
    m_status = status;
    m_upstreamHeaders = headers;
    m_headMs = m_handler.context().clock().monotonicMs();
    const QByteArray type = headerValue(headers, "content-type");
    m_relayStream = m_admission.body.stream && status >= 200 && status < 300 &&
                    type.startsWith("text/event-stream");
    if (m_relayStream)
        m_stream = m_adapter->stream(m_admission.body, m_handler.context().clock().wallMs() / 1000,
                                     [this](const TokenUsage &usage) { return billedCost(usage); });
}

void ProxyCall::startClientStream()
{
    if (m_phase == CallPhase::Streaming || !m_exchange)
        return;
    m_phase = CallPhase::Streaming;
    // A probe's verdict comes with the first bytes, so a long stream does not hold the circuit
    // half-open; any other stream settles at its end, so one the upstream breaks (a cut, a
    // silence, an error event) counts against it like a failure before the first byte.
    if (m_probe)
        settleCircuit(CircuitOutcome::Success);
    m_ttfbMs = m_handler.context().clock().monotonicMs() - m_exchange->receivedMs();
    HttpHeaders headers =
        ClientFront::of(m_admission.body.dialect()).baseHeaders(m_admission.requestId);
    headers[0].second = "text/event-stream; charset=utf-8";
    headers.emplaceBack(QByteArrayLiteral("cache-control"), QByteArrayLiteral("no-cache"));
    headers.emplaceBack("x-tenantrelay-upstream", m_servedUpstream.toUtf8());
    headers.append(m_admission.reservation.limitHeaders);
    m_exchange->beginStream(200, headers);
}

void ProxyCall::upstreamBody(const QByteArray &bytes)
{
    if (!m_relayStream) {
        m_buffer += bytes;
        return;
    }
    const QByteArray out = m_stream->feed(bytes);
    if (m_stream->failedBeforeOutput() && m_phase != CallPhase::Streaming &&
        RetryPolicy::failsOver(m_stream->errorStatus())) {
        // The stream failed (Anthropic's overload) before any content: the next target answers.
        m_call->cancel();
        endCall();
        const int status = m_stream->errorStatus();
        targetFailed("upstream " + m_servedUpstream.toUtf8() + " answered HTTP " +
                         QByteArray::number(status) + " in its stream",
                     status);
        return;
    }
    if (out.isEmpty())
        return;
    startClientStream();
    if (!m_exchange)
        return;
    m_exchange->writeStream(out);
    // A client that reads slower than the upstream writes: hold the upstream back.
    if (m_exchange->isClientBacklogged() && m_call)
        m_call->pauseReading();
}

void ProxyCall::upstreamDone()
{
    endCall();
    if (m_relayStream) {
        const QByteArray rest = m_stream->finish();
        if (!rest.isEmpty() || m_phase != CallPhase::Streaming) {
            startClientStream();
            if (m_exchange)
                m_exchange->writeStream(rest);
        }
        if (!m_stream->model().isEmpty())
            m_servedModel = m_stream->model();
        rememberResponse(m_stream->responseId());
        if (m_exchange)
            m_exchange->endStream();
        // A stream can end in an error event after content (Anthropic's overload): the client
        // has it in the stream; the record and the circuit take the upstream's status.
        int status = 200;
        QByteArray error;
        if (m_stream->failed()) {
            status = m_stream->errorStatus() > 0 ? m_stream->errorStatus() : 502;
            error = "stream_error";
        }
        if (RetryPolicy::failsOver(status))
            settleCircuit(CircuitOutcome::Failure, "upstream " + m_servedUpstream.toUtf8() +
                                                       " ended its stream with HTTP " +
                                                       QByteArray::number(status));
        else
            settleCircuit(CircuitOutcome::Success);
        if (m_stream->hasUsage())
            complete(status, m_stream->usage(), false, error);
        else
            complete(status, usedSoFar(), true, error);
        return;
    }
    if (RetryPolicy::failsOver(m_status)) {
        targetFailed("upstream " + m_servedUpstream.toUtf8() + " answered HTTP " +
                         QByteArray::number(m_status),
                     m_status);
        return;
    }
    // The upstream's own answer, passed back in the client's dialect (its 4xx included): the
    // upstream is healthy.
    const UpstreamReply reply =
        m_adapter->reply(m_status, m_upstreamHeaders, m_buffer, m_admission.body,
                         m_handler.context().clock().wallMs() / 1000);
    m_status = reply.status;
    settleCircuit(CircuitOutcome::Success);
    TokenUsage usage = reply.usage;
    const bool served = m_status >= 200 && m_status < 300;
    const bool estimated = served && !reply.hasUsage;
    if (estimated)
        usage.prompt = m_admission.body.estimatedPromptTokens();
    if (!served)
        usage = {};
    if (!reply.model.isEmpty())
        m_servedModel = reply.model;
    rememberResponse(reply.responseId);
    if (m_exchange) {
        HttpHeaders headers =
            ClientFront::of(m_admission.body.dialect()).baseHeaders(m_admission.requestId);
        headers[0].second = reply.contentType;
        headers.emplaceBack(QByteArrayLiteral("x-tenantrelay-upstream"), m_servedUpstream.toUtf8());
        if (const std::optional<double> cost = billedCost(usage))
            headers.emplaceBack(QByteArrayLiteral("x-tenantrelay-cost-usd"), costText(*cost));
        headers.append(m_admission.reservation.limitHeaders);
        m_ttfbMs = m_handler.context().clock().monotonicMs() - m_exchange->receivedMs();
        m_exchange->respond(m_status, headers, reply.body);
    }
    complete(m_status, usage, estimated,
             m_status >= 400 ? QByteArray("upstream_status") : QByteArray());
}

void ProxyCall::upstreamFailed(UpstreamFailure failure, const QByteArray &message)
{
    Q_UNUSED(message);
    endCall();
    const QByteArray reason = "upstream " + m_servedUpstream.toUtf8() + ": " + failureText(failure);
    if (m_phase == CallPhase::Streaming) {
        settleCircuit(CircuitOutcome::Failure, reason);
        finishStreamWithError(reason);
        return;
    }
    targetFailed(reason);
}

void ProxyCall::targetFailed(const QByteArray &reason, int upstreamStatus)
{
    m_lastFailureStatus = upstreamStatus;
    m_lastRetryAfterMs =
        upstreamStatus == 429 ? RetryPolicy::upstreamRetryAfterMs(m_upstreamHeaders) : std::nullopt;
    dropTicket();
    settleCircuit(CircuitOutcome::Failure, reason);
    m_retry.retryEnded();
    const size_t failedIndex = m_targetIndex;
    const size_t count = m_admission.resolution.chain.size();
    const auto moveOn = [&] {
        // A failed attempt that another one takes over still counts for its upstream, so that
        // a failing upstream shows in the figures (the last attempt is counted by complete()).
        if (!m_servedUpstream.isEmpty()) {
            FlowMetrics *flow = m_admission.config->upstreamFlow(m_servedUpstream);
            flow->requests.fetch_add(1, std::memory_order_relaxed);
            flow->errors.fetch_add(1, std::memory_order_relaxed);
        }
        if (m_countedInFlight) {
            m_countedInFlight = false; // waiting again
            m_tenantFlow->inFlight.fetch_sub(1, std::memory_order_relaxed);
        }
    };
    // The next target whose circuit lets the request through takes over at once.
    for (size_t next = failedIndex + 1; next < count; ++next) {
        if (admitTarget(next)) {
            moveOn();
            const auto &chain = m_admission.resolution.chain;
            if (const auto from = m_admission.config->circuitFor(chain[failedIndex].upstream->name))
                from->noteFailover(QString::fromUtf8(reason) + QStringLiteral(" → ") +
                                   chain[next].upstream->name);
            m_targetIndex = next;
            tryTarget();
            return;
        }
    }
    // Only the last target of the chain is retried on the same upstream.
    if (failedIndex + 1 == count && scheduleRetry()) {
        moveOn();
        return;
    }
    failAllTargets(reason);
}

void ProxyCall::failAllTargets(const QByteArray &lastReason)
{
    if (m_lastFailureStatus == 429) {
        // The chain ended on a provider's rate limit (its retries used up, or its Retry-After
        // too long to wait here): the client is told to come back when the provider said.
        if (m_exchange)
            ProxyHandler::sendError(
                m_exchange, m_admission.requestId,
                ApiError::rateLimited("requests",
                                      "Every upstream for this model is rate-limited; the "
                                      "last: " +
                                          lastReason + ".",
                                      m_lastRetryAfterMs.value_or(1000)),
                m_admission.reservation.limitHeaders);
        complete(429, {}, false, "upstream_rate_limited");
        return;
    }
    m_handler.context().counters().upstreamErrors.fetch_add(1, std::memory_order_relaxed);
    if (m_exchange)
        ProxyHandler::sendError(m_exchange, m_admission.requestId,
                                ApiError::upstreamError("Every upstream for this model failed; "
                                                        "the last: " +
                                                        lastReason + "."),
                                m_admission.reservation.limitHeaders);
    complete(502, {}, false, "upstream_error");
}

bool ProxyCall::scheduleRetry()
{
    const std::optional<qint64> delay = m_retry.scheduleRetry(m_upstreamHeaders);
    if (!delay)
        return false;
    m_phase = CallPhase::RetryBackoff;
    m_retryAtMs = m_handler.context().clock().monotonicMs() + *delay;
    m_handler.deadlines().arm(m_retryDeadline, m_retryAtMs);
    return true;
}

void ProxyCall::retryNow()
{
    m_handler.deadlines().disarm(m_retryDeadline);
    m_retryAtMs = 0;
    m_phase = CallPhase::Routing;
    if (!admitTarget(m_targetIndex)) {
        // Its circuit opened meanwhile: no other target is left.
        failAllTargets("upstream " + target().upstream->name.toUtf8() +
                       " is cooling down after failures");
        return;
    }
    tryTarget();
}

void ProxyCall::finishStreamWithError(const QByteArray &message)
{
    const ApiError error = ApiError::upstreamError(message);
    if (m_exchange) {
        m_exchange->writeStream(
            ClientFront::of(m_admission.body.dialect()).streamErrorEvent(error));
        m_exchange->endStream();
    }
    const TokenUsage used = usedSoFar();
    complete(502, used, !(m_stream && m_stream->hasUsage()), "stream_cut");
}

void ProxyCall::clientGone()
{
    if (m_phase == CallPhase::Done)
        return;
    // Cancelling closes the upstream socket: the provider stops generating (and billing).
    dropUpstream();
    const bool haveUsage = m_stream && m_stream->hasUsage();
    if (m_exchange)
        m_exchange->endStream();
    // 499: the client closed the request (the nginx convention). Waiting for a slot, for a
    // circuit to reopen or out a retry's backoff, no upstream holds it: nothing to bill.
    const bool nothingToBill = waiting();
    complete(499, nothingToBill ? TokenUsage() : usedSoFar(), !haveUsage, "client_disconnected");
}

void ProxyCall::abort()
{
    if (m_phase == CallPhase::Done)
        return;
    dropUpstream();
    if (m_phase == CallPhase::Streaming) {
        finishStreamWithError("the relay is shutting down");
        return;
    }
    if (m_exchange)
        ProxyHandler::sendError(m_exchange, m_admission.requestId,
                                ApiError::overloaded("The relay is shutting down.", 1),
                                m_admission.reservation.limitHeaders);
    complete(503, {}, false, "shutdown");
}

void ProxyCall::endCall()
{
    m_call = nullptr;
    if (m_ticket)
        m_ticket->release();
}

void ProxyCall::dropUpstream()
{
    if (m_call) {
        m_call->cancel();
        m_call = nullptr;
    }
    dropTicket();
}

void ProxyCall::dropTicket()
{
    if (!m_ticket)
        return;
    // The pool may hold the ticket a moment longer; it must not post to this object any more.
    m_ticket->detach();
    m_ticket.reset();
}

void ProxyCall::checkTimeouts(qint64 nowMs)
{
    switch (m_phase) {
    case CallPhase::RetryBackoff:
        if (nowMs >= m_retryAtMs)
            retryNow();
        return;
    case CallPhase::WaitingForCircuit:
        route();
        if (m_phase == CallPhase::WaitingForCircuit && nowMs >= m_queueDeadlineMs)
            failOverloaded("Every upstream for this model is cooling down after failures.");
        return;
    case CallPhase::WaitingForSlot:
        // The pool wakes a waiter with a queued call; should that ever be lost, the sweep
        // still finds the granted ticket.
        if (m_ticket && m_ticket->isGranted()) {
            onSlotGranted();
            return;
        }
        if (leaveOpenCircuit())
            return;
        if (nowMs >= m_queueDeadlineMs) {
            const qint64 waited = nowMs - m_waitStartMs;
            m_tenantFlow->queueWait.record(waited);
            upstreamFlowOf(m_targetIndex)->queueWait.record(waited);
            dropTicket();
            failOverloaded("Waited too long for a free upstream connection.");
        }
        return;
    case CallPhase::Forwarding:
    case CallPhase::Streaming:
        if (m_call)
            m_call->checkTimeouts(nowMs);
        return;
    case CallPhase::Routing:
    case CallPhase::Done:
        return;
    }
}

void ProxyCall::failOverloaded(const QByteArray &message)
{
    if (m_exchange)
        ProxyHandler::sendError(m_exchange, m_admission.requestId, ApiError::overloaded(message, 1),
                                m_admission.reservation.limitHeaders);
    complete(503, {}, false, "server_overloaded");
}

void ProxyCall::complete(int status, const TokenUsage &usage, bool estimated,
                         const QByteArray &error)
{
    if (m_phase == CallPhase::Done)
        return;
    m_phase = CallPhase::Done;
    m_retryAtMs = 0;
    m_handler.deadlines().disarm(m_retryDeadline);
    dropUpstream();
    settleCircuit(CircuitOutcome::Abandoned);
    m_retry.finish();
    RelayContext &context = m_handler.context();
    UsageRecord r;
    r.tsMs = context.clock().wallMs();
    r.requestId = m_admission.requestId;
    r.tenantId = m_admission.tenantId;
    r.keyPrefix = m_admission.keyPrefix;
    r.endpoint = endpointName(m_admission.endpoint);
    r.requestedModel = m_admission.resolution.requested;
    r.servedModel = m_servedModel;
    r.upstream = m_servedUpstream;
    r.status = status;
    r.promptTokens = usage.prompt;
    r.completionTokens = usage.completion;
    r.cacheReadTokens = usage.cacheRead;
    r.cacheWriteTokens = usage.cacheWrite;
    r.estimated = estimated;
    r.streamed = m_admission.body.stream;
    r.error = error;
    r.ttfbMs = m_ttfbMs;
    const qint64 received = m_exchange ? m_exchange->receivedMs() : context.clock().monotonicMs();
    r.latencyMs = context.clock().monotonicMs() - received;
    const bool targeted = m_targetIndex < m_admission.resolution.chain.size();
    UsageMeter::price(r, price());
    // The upstream that served it; a request that never got a slot still counts for the one it
    // waited for.
    FlowMetrics *upstreamFlow =
        targeted && (m_servedUpstream.isEmpty() || m_servedUpstream == target().upstream->name)
            ? upstreamFlowOf(m_targetIndex)
            : m_admission.config->upstreamFlow(m_servedUpstream);
    if (m_countedInFlight)
        m_tenantFlow->inFlight.fetch_sub(1, std::memory_order_relaxed);
    context.usageMeter().served(std::move(r), m_admission.reservation, *m_tenantFlow, upstreamFlow);
    m_handler.callFinished(this);
}

const PriceConfig *ProxyCall::price() const
{
    // Billed at the price of the name sent upstream, else the one that answered, else the one
    // requested.
    const bool targeted = m_targetIndex < m_admission.resolution.chain.size();
    // The first target's own price was found at admission (the common case: no look-up here).
    if (targeted && m_targetIndex == 0 && m_admission.reservation.firstTargetPrice)
        return m_admission.reservation.firstTargetPrice;
    return m_admission.config->prices.first({targeted ? QStringView(target().model) : QStringView(),
                                             m_servedModel, m_admission.resolution.requested});
}

std::optional<double> ProxyCall::billedCost(const TokenUsage &usage) const
{
    UsageRecord r;
    r.promptTokens = usage.prompt;
    r.completionTokens = usage.completion;
    r.cacheReadTokens = usage.cacheRead;
    r.cacheWriteTokens = usage.cacheWrite;
    UsageMeter::price(r, price());
    return r.priced ? std::optional<double>(r.costUsd) : std::nullopt;
}

TokenUsage ProxyCall::usedSoFar() const
{
    if (m_stream && m_stream->hasUsage())
        return m_stream->usage();
    return {m_admission.body.estimatedPromptTokens(),
            estimateTokens(m_stream ? m_stream->contentChars() : 0), 0, 0};
}

void ProxyCall::rememberResponse(const QString &responseId)
{
    if (!responseId.isEmpty())
        m_handler.context().responseOrigins().remember(m_admission.tenantId, responseId,
                                                       m_servedUpstream);
}

} // namespace relay
