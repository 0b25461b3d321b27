#pragma once

#include "Authenticator.h"
#include "core/DeadlineQueue.h"
#include "http/HttpHandler.h"
#include "http/HttpMessage.h"
#include "ingress/RequestBody.h"

#include <QSet>

#include <memory>
#include <vector>

namespace relay {

class ConnectionCache;
class DirectorySnapshot;
class HttpExchange;
class ProxyCall;
class RelayContext;
class UpstreamCall;
class UpstreamCallListener;
struct AdmittedRequest;
struct ModelResolution;
struct RuntimeConfig;
struct TenantConfig;
struct ApiError;
struct UsageRecord;

// The tenant-facing API on one worker thread: routes each request, authenticates the key
// against the directory snapshot, validates and resolves the model, then hands the request to
// a ProxyCall. Refusals are answered here, before any upstream is touched.
class ProxyHandler final : public HttpHandler
{
public:
    ProxyHandler(RelayContext &context, qint64 upstreamIdleTimeoutMs = 30'000);
    ~ProxyHandler() override;

    void handle(HttpExchange *exchange) override;
    void sweep(qint64 nowMs) override;
    HttpEarlyAnswer refused(const HttpRequest &request, const ApiError &error) override;
    HttpEarlyAnswer headersComplete(const HttpRequest &head, const QHostAddress &peer) override;
    // The tenant's key (either header), Anthropic's version and beta headers (passed on to an
    // Anthropic upstream), and the admin token, which the admin API reads on the same port.
    // A new reader of a client's header adds its name here.
    std::span<const QByteArrayView> requestHeadersRead() const override;

    RelayContext &context() const { return m_context; }
    ConnectionCache &connections() const { return *m_connections; }
    // Every deadline of this worker's calls; also the QObject their slot grants are posted to.
    DeadlineQueue &deadlines() const { return *m_deadlines; }
    // An upstream call object reporting to `listener`: one an earlier request left (cancelled,
    // so it holds nothing of that request; its parser's header buffers keep their capacity), or
    // a new one.
    std::unique_ptr<UpstreamCall> takeUpstreamCall(UpstreamCallListener *listener);
    // The call is done (metered): it goes from a fresh stack, with the worker's next pass.
    void callFinished(ProxyCall *call);
    int activeCalls() const { return int(m_calls.size()); }

    // Headers every tenant response carries.
    static HttpHeaders baseHeaders(const QByteArray &requestId);
    static void sendError(HttpExchange *exchange, const QByteArray &requestId,
                          const ApiError &error, const HttpHeaders &extra = {});

private:
    // The published config (RelayContext::config()), kept by this worker's handler and taken
    // again only after a publish.
    const std::shared_ptr<const RuntimeConfig> &currentConfig();
    // The tenant behind the request's key, allowed to call from its address; otherwise answers
    // the refusal itself (401, or 403 metered as rejected) and returns nullptr.
    const TenantConfig *tenantOrRefuse(HttpExchange *exchange, const QByteArray &requestId,
                                       const DirectorySnapshot &directory);
    void handleModels(HttpExchange *exchange, const QByteArray &requestId);
    void handleMetrics(HttpExchange *exchange, const QByteArray &requestId);
    void handleUsage(HttpExchange *exchange, const QByteArray &requestId);
    void handleProxy(HttpExchange *exchange, const QByteArray &requestId, Endpoint endpoint);
    // Responses: a request that continues an earlier response goes to the upstream that
    // created it, and only there.
    void keepOnOrigin(const TenantConfig &tenant, const RequestBody &body,
                      ModelResolution &resolution);
    // count_tokens with no Anthropic target: the relay's estimate, metered with 0 tokens.
    void countTokensHere(HttpExchange *exchange, AdmittedRequest admission);
    // Answers a known tenant's request that the relay refuses, and meters it as rejected.
    void reject(HttpExchange *exchange, UsageRecord record, const ApiError &error);
    // Meters a known tenant's refused request as rejected (`usage`'s rejected column).
    void countRejected(UsageRecord record, const ApiError &error);

    // Deletes the calls that are done; keeps their upstream call objects for the next requests.
    void deleteFinished();

    RelayContext &m_context;
    std::shared_ptr<const RuntimeConfig> m_config;
    quint64 m_configVersion = 0;
    // The last key authenticated in m_config's directory (cleared when m_config is replaced, so
    // it never points into a directory this handler does not hold).
    AuthMemo m_authMemo;
    std::unique_ptr<ConnectionCache> m_connections;
    // Before everything that holds a Deadline, so that it goes after them.
    std::unique_ptr<DeadlineQueue> m_deadlines;
    QSet<ProxyCall *> m_calls;
    std::vector<ProxyCall *> m_finished; // done, to be deleted from a fresh stack
    bool m_deletePosted = false;
    std::vector<std::unique_ptr<UpstreamCall>> m_spareCalls;
};

} // namespace relay
