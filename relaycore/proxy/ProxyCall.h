#pragma once

#include "Admission.h"
#include "RelayContext.h"
#include "RetryPolicy.h"
#include "http/HttpExchange.h"
#include "ingress/RequestBody.h"
#include "metrics/FlowMetrics.h"
#include "upstream/UpstreamAdapter.h"
#include "upstream/UpstreamCall.h"

#include <optional>

namespace relay {

class HttpExchange;
class ProxyHandler;
class SlotTicket;

// A request the relay has admitted, from its tenant's point of view.
struct AdmittedRequest
{
    QByteArray requestId;
    QString tenantId;
    QString keyPrefix;
    Endpoint endpoint = Endpoint::Chat;
    RequestBody body;
    ModelResolution resolution;
    std::shared_ptr<const RuntimeConfig> config; // keeps resolution's pointers valid
    const TenantLive *live = nullptr; // the tenant's, in config; nullptr: found by tenantId
    qint64 queueTimeoutMs = 30'000;   // the longest wait for an upstream slot
    Reservation reservation;          // its tpm estimate, budget hold and x-ratelimit-* headers
};

// Where a call stands: one state instead of a set of flags (design.md, stages 5 to 8).
enum class CallPhase {
    Routing,           // choosing the next target whose circuit lets it through
    WaitingForCircuit, // every target's circuit is open: waits to be a probe (queue deadline)
    WaitingForSlot,    // queued for a connection slot of the target's pool (queue deadline)
    Forwarding,        // the target has the request; nothing has reached the client yet
    Streaming,         // the client's stream has begun: no failover from here on
    RetryBackoff,      // the chain's last target failed and is tried again at m_retryAtMs
    Done,              // answered and metered; the object is going
};

// One admitted request on its way through the chain of upstream targets: waits for a slot of
// the target's pool, forwards, relays the answer (streams event by event as they arrive) and
// meters the outcome exactly once. Before a byte has reached the client a failure moves on to
// the next target. A plain object on its worker thread: its handler owns it and, once it is
// done, deletes it from a fresh stack; its deadlines are entries in the handler's DeadlineQueue.
class ProxyCall : public UpstreamCallListener, private HttpExchangeObserver
{
public:
    ProxyCall(ProxyHandler &handler, HttpExchange *exchange, AdmittedRequest admission);
    ~ProxyCall() override;
    ProxyCall(const ProxyCall &) = delete;
    ProxyCall &operator=(const ProxyCall &) = delete;

    void start();
    void checkTimeouts(qint64 nowMs);
    // The relay is stopping: end the request now.
    void abort();
    // Done: the upstream call object it used (cancelled), for the handler to give the next
    // request; nullptr when it never forwarded.
    std::unique_ptr<UpstreamCall> releaseUpstreamCall();

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
    // The last target failed: try it again after a backoff, if the retry policy allows.
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
    // HttpExchangeObserver
    void clientGone() override;
    void clientDrained() override;
    void exchangeGone() override { m_exchange = nullptr; }
    // The upstream call ended (answered or failed): its object goes, its pool slot is freed.
    void endCall();
    void dropUpstream();
    void dropTicket();
    void startClientStream();
    void finishStreamWithError(const QByteArray &message);
    void failOverloaded(const QByteArray &message);
    void complete(int status, const TokenUsage &usage, bool estimated, const QByteArray &error);
    // The price this request is billed at (nullptr: none), and what `usage` costs at it
    // (nullopt: no price).
    const PriceConfig *price() const;
    std::optional<double> billedCost(const TokenUsage &usage) const;
    // The tokens of an answer cut short: the stream's usage when it had any, else estimates.
    TokenUsage usedSoFar() const;
    // Responses: the upstream that created a response answers the requests that continue it.
    void rememberResponse(const QString &responseId);
    qint64 nowMs() const;
    const ResolvedTarget &target() const { return m_admission.resolution.chain[m_targetIndex]; }
    // The pool, circuit and figures of the chain's target `index`'s upstream (nullptr: not in
    // this config), found once per target and kept while the request stays on it.
    const UpstreamLive *upstreamOf(size_t index);
    FlowMetrics *upstreamFlowOf(size_t index);
    bool waiting() const
    {
        return m_phase == CallPhase::WaitingForSlot || m_phase == CallPhase::WaitingForCircuit ||
               m_phase == CallPhase::RetryBackoff;
    }

    ProxyHandler &m_handler;
    HttpExchange *m_exchange; // nullptr once it has gone (exchangeGone())
    AdmittedRequest m_admission;
    CallPhase m_phase = CallPhase::Routing;
    RetryPolicy m_retry;
    size_t m_targetIndex = 0;
    std::shared_ptr<SlotTicket> m_ticket;
    int m_attempt = 0;                            // which acquire a grant belongs to
    std::unique_ptr<UpstreamCall> m_upstreamCall; // serves every attempt
    UpstreamCall *m_call = nullptr;               // m_upstreamCall while an attempt is under way
    qint64 m_waitStartMs = 0;
    qint64 m_queueDeadlineMs = 0;
    std::shared_ptr<CircuitBreaker> m_circuit; // the current target's, until it is settled
    size_t m_liveIndex = SIZE_MAX;             // the target upstreamOf() found last
    const UpstreamLive *m_live = nullptr;      // and what it found (in m_admission.config)
    bool m_probe = false;                      // this attempt is its circuit's half-open probe
    qint64 m_retryAtMs = 0;                    // RetryBackoff: when the retry is due
    // The retry's precise wake-up; the worker's sweep is the fallback (and what moves the
    // request on under a test's manual clock).
    Deadline m_retryDeadline{this, [](void *call) {
                                 auto *self = static_cast<ProxyCall *>(call);
                                 self->checkTimeouts(self->nowMs());
                             }};
    int m_lastFailureStatus = 0;              // the last failed attempt's status (0: none)
    std::optional<qint64> m_lastRetryAfterMs; // the Retry-After of that attempt's 429
    qint64 m_forwardStartMs = 0;
    qint64 m_headMs = 0; // when the current attempt's response head arrived
    bool m_countedInFlight = false;

    // The current attempt's response.
    int m_status = 0;
    HttpHeaders m_upstreamHeaders;
    QByteArray m_buffer;
    bool m_relayStream = false;
    qint64 m_ttfbMs = -1;
    const UpstreamAdapter *m_adapter = nullptr; // the current target's dialect
    std::unique_ptr<StreamRelay> m_stream;      // the upstream's stream, to the client's dialect
    QString m_servedModel;
    QString m_servedUpstream;
    FlowMetrics *m_tenantFlow = nullptr; // from the published config; lives with the engine
};

} // namespace relay
