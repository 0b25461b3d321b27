#pragma once

#include "AnthropicStreamTranslator.h"
#include "RelayContext.h"
#include "RequestBody.h"
#include "SseUsageFilter.h"
#include "metrics/FlowMetrics.h"
#include "upstream/UpstreamCall.h"

#include <QObject>
#include <QPointer>

#include <optional>

namespace relay {

class HttpExchange;
class ProxyHandler;
class SlotTicket;

// A request the relay has admitted, from its tenant's point of view.
struct Admission
{
    QByteArray requestId;
    QString tenantId;
    QString keyPrefix;
    Endpoint endpoint = Endpoint::Chat;
    RequestBody body;
    ModelResolution resolution;
    std::shared_ptr<const RuntimeConfig> config; // keeps resolution's pointers valid
    qint64 queueTimeoutMs = 30'000;              // the longest wait for an upstream slot
    qint64 estimatedTokens = 0;                  // reserved from the tenant's tpm
    double estimatedCostUsd = 0;                 // held from the tenant's budget
    HttpHeaders limitHeaders;                    // x-ratelimit-* for every response
};

// One admitted request on its way through the chain of upstream targets: waits for a slot of
// the target's pool, forwards, relays the answer (streams event by event as they arrive) and
// meters the outcome exactly once. Before a byte has reached the client a failure moves on to
// the next target. Lives on its worker thread; deletes itself when done.
class ProxyCall : public QObject, public UpstreamCallListener
{
    Q_OBJECT
public:
    ProxyCall(ProxyHandler &handler, HttpExchange *exchange, Admission admission);
    ~ProxyCall() override;

    void start();
    void checkTimeouts(qint64 nowMs);
    // The relay is stopping: end the request now.
    void abort();

    // UpstreamCallListener
    void upstreamHead(int status, const HttpHeaders &headers) override;
    void upstreamBody(const QByteArray &bytes) override;
    void upstreamDone() override;
    void upstreamFailed(UpstreamFailure failure, const QByteArray &message) override;

private:
    enum class CircuitOutcome { Success, Failure, Abandoned };

    // Routes the request to the first target from m_targetIndex on whose circuit lets it
    // through; when the whole chain is cooling down it waits to be a probe.
    void route();
    bool admitTarget(size_t index);
    // Moves a request waiting for a slot on from a target whose circuit has opened meanwhile.
    bool leaveOpenCircuit();
    void settleCircuit(CircuitOutcome outcome, const QByteArray &reason = {});
    // The last target failed: try it again after a backoff, if the rules allow.
    bool scheduleRetry();
    void retryNow();
    void tryTarget();
    void onSlotGranted();
    void forward();
    // The current target failed in a way that lets the next one try; `upstreamStatus` is the
    // HTTP status it answered with (0: no answer).
    void targetFailed(const QByteArray &reason, int upstreamStatus = 0);
    // No target is left: 502 upstream_error naming the last failure, or 429 with the
    // upstream's Retry-After when that failure was an upstream 429 (interface.md §3).
    void failAllTargets(const QByteArray &lastReason);
    void onClientGone();
    // The upstream call ended (answered or failed): its object goes, its pool slot is freed.
    void endCall();
    void dropUpstream();
    void dropTicket();
    void startClientStream();
    void finishStreamWithError(const QByteArray &message);
    void failOverloaded(const QByteArray &message);
    void complete(int status, qint64 promptTokens, qint64 completionTokens, bool estimated,
                  const QByteArray &error);
    const ResolvedTarget &target() const { return m_admission.resolution.chain[m_targetIndex]; }

    ProxyHandler &m_handler;
    QPointer<HttpExchange> m_exchange;
    Admission m_admission;
    size_t m_targetIndex = 0;
    std::shared_ptr<SlotTicket> m_ticket;
    int m_attempt = 0; // which acquire a grant belongs to
    UpstreamCall *m_call = nullptr;
    qint64 m_waitStartMs = 0;
    qint64 m_queueDeadlineMs = 0;
    bool m_waitingForSlot = false;
    bool m_waitingForCircuit = false;          // every target's circuit is open
    std::shared_ptr<CircuitBreaker> m_circuit; // the current target's, until it is settled
    bool m_probe = false;                      // this attempt is its circuit's half-open probe
    int m_retries = 0;                         // of the last target
    qint64 m_retryAtMs = 0;                    // a retry is due then (0 = none pending)
    bool m_retryCounted = false;               // holds a unit of the retry budget
    int m_lastFailureStatus = 0;               // the last failed attempt's status (0: none)
    std::optional<qint64> m_lastRetryAfterMs;  // the Retry-After of that attempt's 429
    bool m_budgetCounted = false;
    qint64 m_forwardStartMs = 0;
    qint64 m_headMs = 0; // when the current attempt's response head arrived
    bool m_countedInFlight = false;
    bool m_done = false;

    // The current attempt's response.
    int m_status = 0;
    HttpHeaders m_upstreamHeaders;
    QByteArray m_buffer;
    bool m_relayStream = false;
    bool m_clientStarted = false;
    qint64 m_ttfbMs = -1;
    std::unique_ptr<SseUsageFilter> m_filter;
    std::unique_ptr<AnthropicStreamTranslator> m_anthropicStream; // Anthropic SSE → OpenAI SSE
    QString m_servedModel;
    QString m_servedUpstream;
    std::shared_ptr<FlowMetrics> m_tenantFlow;
};

} // namespace relay
