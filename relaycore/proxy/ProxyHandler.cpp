#include "ProxyHandler.h"

#include "Admission.h"
#include "Authenticator.h"
#include "PrometheusExport.h"
#include "ProxyCall.h"
#include "core/Clock.h"
#include "core/EpollEventDispatcher.h"
#include "core/RequestId.h"
#include "http/ApiError.h"
#include "http/HttpExchange.h"
#include "ingress/ClientFront.h"
#include "metering/UsageMeter.h"
#include "proxy/RelayContext.h"
#include "store/UsageRecord.h"
#include "upstream/ConnectionCache.h"
#include "upstream/UpstreamAdapter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace relay {

namespace {

// Upstream call objects kept per worker for the next requests (beyond: deleted).
constexpr size_t kMaxSpareCalls = 256;

} // namespace

ProxyHandler::ProxyHandler(RelayContext &context, qint64 upstreamIdleTimeoutMs)
    : m_context(context), m_connections(std::make_unique<ConnectionCache>(upstreamIdleTimeoutMs)),
      m_deadlines(std::make_unique<DeadlineQueue>(context.clock()))
{
}

ProxyHandler::~ProxyHandler()
{
    const auto calls = m_calls;
    for (ProxyCall *call : calls)
        call->abort();
    const auto remaining = m_calls;
    for (ProxyCall *call : remaining)
        delete call;
    m_calls.clear();
    deleteFinished();
    m_spareCalls.clear();
    // Last, once nothing here can finish a call any more.
    EpollEventDispatcher::withdrawPassEnd(this);
}

std::unique_ptr<UpstreamCall> ProxyHandler::takeUpstreamCall(UpstreamCallListener *listener)
{
    if (m_spareCalls.empty())
        return std::make_unique<UpstreamCall>(*m_connections, m_context.clock(), *m_deadlines,
                                              listener);
    std::unique_ptr<UpstreamCall> call = std::move(m_spareCalls.back());
    m_spareCalls.pop_back();
    call->setListener(listener);
    return call;
}

void ProxyHandler::deleteFinished()
{
    m_deletePosted = false;
    std::vector<ProxyCall *> finished;
    finished.swap(m_finished);
    for (ProxyCall *call : finished) {
        std::unique_ptr<UpstreamCall> spare = call->releaseUpstreamCall();
        delete call;
        if (spare && m_spareCalls.size() < kMaxSpareCalls) {
            spare->setListener(nullptr);
            m_spareCalls.push_back(std::move(spare));
        }
    }
}

namespace {

bool isModelsPath(QByteArrayView path)
{
    return path == "/v1/models" || path == "/v1/models/" || path.startsWith("/v1/models/");
}

// The front that answers `request`: its path's dialect, or Anthropic's for a models list asked
// for with anthropic-version (as Anthropic's SDKs ask).
const ClientFront &frontFor(const HttpRequest &request)
{
    if (isModelsPath(request.path) && !request.header("anthropic-version").isEmpty())
        return ClientFront::of(Dialect::Anthropic);
    return ClientFront::forPath(request.path);
}

// A request's error in its front's shape.
HttpEarlyAnswer errorAnswer(const HttpRequest &request, const QByteArray &requestId,
                            const ApiError &error, const HttpHeaders &extra = {})
{
    const ClientFront &front = frontFor(request);
    HttpHeaders headers = front.baseHeaders(requestId);
    headers.append(error.extraHeaders);
    headers.append(extra);
    return {error.status, headers, front.errorBody(error)};
}

} // namespace

HttpHeaders ProxyHandler::baseHeaders(const QByteArray &requestId)
{
    return ClientFront::of(Dialect::OpenAI).baseHeaders(requestId);
}

void ProxyHandler::sendError(HttpExchange *exchange, const QByteArray &requestId,
                             const ApiError &error, const HttpHeaders &extra)
{
    HttpEarlyAnswer answer = errorAnswer(exchange->request(), requestId, error, extra);
    exchange->respond(answer.status, answer.headers, answer.body);
}

void ProxyHandler::handle(HttpExchange *exchange)
{
    const HttpRequest &request = exchange->request();
    const QByteArray requestId = newRequestId();
    const QByteArray &path = request.path;
    const bool isGet = request.method == "GET";
    const bool isPost = request.method == "POST";
    if (path == "/healthz") {
        if (!isGet && request.method != "HEAD")
            return sendError(exchange, requestId, ApiError::methodNotAllowed());
        // HEAD: the same answer without its body.
        const QString problem = m_context.healthProblem();
        const QByteArray body =
            problem.isEmpty()
                ? QByteArrayLiteral("{\"status\":\"ok\"}")
                : QJsonDocument(QJsonObject{{QStringLiteral("status"), QStringLiteral("degraded")},
                                            {QStringLiteral("reason"), problem}})
                      .toJson(QJsonDocument::Compact);
        exchange->respond(problem.isEmpty() ? 200 : 503, baseHeaders(requestId),
                          isGet ? body : QByteArray());
        return;
    }
    if (path == "/metrics") {
        if (!isGet)
            return sendError(exchange, requestId, ApiError::methodNotAllowed());
        return handleMetrics(exchange, requestId);
    }
    if (exchange->isDraining())
        return sendError(exchange, requestId,
                         ApiError::overloaded("The relay is shutting down.", 1));
    if (isModelsPath(path)) {
        if (!isGet)
            return sendError(exchange, requestId, ApiError::methodNotAllowed());
        return handleModels(exchange, requestId);
    }
    if (path == "/v1/usage") {
        if (!isGet)
            return sendError(exchange, requestId, ApiError::methodNotAllowed());
        return handleUsage(exchange, requestId);
    }
    if (const std::optional<Endpoint> endpoint = endpointForPath(path)) {
        if (!isPost)
            return sendError(exchange, requestId, ApiError::methodNotAllowed());
        return handleProxy(exchange, requestId, *endpoint);
    }
    sendError(exchange, requestId, ApiError::notFound(request.method + ' ' + path));
}

namespace {

// What a refused request is metered as: its endpoint, or the keyed path's last word.
QByteArray refusedEndpoint(const QByteArray &path)
{
    if (const std::optional<Endpoint> endpoint = endpointForPath(path))
        return endpointName(*endpoint);
    return isModelsPath(path) ? QByteArrayLiteral("models") : QByteArrayLiteral("usage");
}

UsageRecord refusedRecord(const QByteArray &requestId, const Authenticated &auth,
                          const QByteArray &path)
{
    UsageRecord record;
    record.requestId = requestId;
    record.tenantId = auth.tenant->id;
    record.keyPrefix = auth.keyPrefix;
    record.endpoint = refusedEndpoint(path);
    return record;
}

} // namespace

const TenantConfig *ProxyHandler::tenantOrRefuse(HttpExchange *exchange,
                                                 const QByteArray &requestId,
                                                 const DirectorySnapshot &directory)
{
    ApiError error;
    const Authenticated auth = authenticate(exchange->request(), directory,
                                            m_context.clock().wallMs(), &error, &m_authMemo);
    if (!auth.tenant) {
        sendError(exchange, requestId, error);
        return nullptr;
    }
    if (const std::optional<ApiError> refusal =
            checkAddress(*auth.tenant, exchange->peerAddress())) {
        reject(exchange, refusedRecord(requestId, auth, exchange->request().path), *refusal);
        return nullptr;
    }
    return auth.tenant;
}

void ProxyHandler::handleMetrics(HttpExchange *exchange, const QByteArray &requestId)
{
    const QByteArray &token = m_context.adminToken;
    if (token.isEmpty()) {
        if (!exchange->peerAddress().isLoopback())
            return sendError(exchange, requestId,
                             {403,
                              "invalid_request_error",
                              "forbidden",
                              "/metrics answers loopback clients only unless the relay runs "
                              "with --admin-token-env.",
                              {}});
    } else if (!sameSecret(exchange->request().header("authorization"), "Bearer " + token)) {
        return sendError(exchange, requestId,
                         ApiError::invalidApiKey("/metrics needs the admin token."));
    }
    exchange->respond(
        200,
        {{"content-type", "text/plain; version=0.0.4; charset=utf-8"}, {"x-request-id", requestId}},
        prometheusText(m_context));
}

void ProxyHandler::handleModels(HttpExchange *exchange, const QByteArray &requestId)
{
    const auto config = currentConfig();
    const TenantConfig *tenant = tenantOrRefuse(exchange, requestId, *config->directory);
    if (!tenant)
        return;
    const ClientFront &front = frontFor(exchange->request());
    const QStringList models = config->directory->modelsFor(*tenant);
    const QByteArray &path = exchange->request().path;
    if (path == "/v1/models" || path == "/v1/models/")
        return exchange->respond(200, front.baseHeaders(requestId), front.modelsList(models, 0));
    // One model: only one this tenant may use (the id may contain slashes, "org/model").
    const QString id = QString::fromUtf8(QByteArray::fromPercentEncoding(path.mid(11)));
    if (!models.contains(id))
        return sendError(exchange, requestId, ApiError::modelNotFound(id.toUtf8()));
    exchange->respond(200, front.baseHeaders(requestId), front.model(id, 0));
}

void ProxyHandler::handleUsage(HttpExchange *exchange, const QByteArray &requestId)
{
    const auto config = currentConfig();
    const TenantConfig *tenant = tenantOrRefuse(exchange, requestId, *config->directory);
    if (!tenant)
        return;
    // The key alone says whose figures these are: no parameter or header is read.
    const BudgetSnapshot f = m_context.budgets().snapshot(tenant->id);
    const auto orNull = [](const std::optional<double> &v) {
        return v ? QJsonValue(*v) : QJsonValue(QJsonValue::Null);
    };
    const QJsonObject body{{QStringLiteral("tenant"), f.tenant},
                           {QStringLiteral("period_start"), isoUtc(f.periodStartMs)},
                           {QStringLiteral("budget_usd"), orNull(f.budgetUsd)},
                           {QStringLiteral("spent_usd"), f.spentUsd},
                           {QStringLiteral("remaining_usd"), orNull(f.remainingUsd())},
                           {QStringLiteral("requests"), f.requests},
                           {QStringLiteral("prompt_tokens"), f.promptTokens},
                           {QStringLiteral("completion_tokens"), f.completionTokens}};
    exchange->respond(200, baseHeaders(requestId),
                      QJsonDocument(body).toJson(QJsonDocument::Compact));
}

void ProxyHandler::handleProxy(HttpExchange *exchange, const QByteArray &requestId,
                               Endpoint endpoint)
{
    auto config = currentConfig();
    const DirectorySnapshot &directory = *config->directory;
    const HttpRequest &request = exchange->request();
    ApiError error;
    const Authenticated auth =
        authenticate(request, directory, m_context.clock().wallMs(), &error, &m_authMemo);
    if (!auth)
        return sendError(exchange, requestId, error);

    // A refusal is metered as one of the tenant's rejected requests (with the model asked
    // for, once the body has been read); the record is made only then.
    const auto refuse = [&](const ApiError &why, const QString &requestedModel = QString()) {
        UsageRecord record = refusedRecord(requestId, auth, request.path);
        record.requestedModel = requestedModel;
        reject(exchange, std::move(record), why);
    };
    if (const std::optional<ApiError> refusal = checkAddress(*auth.tenant, exchange->peerAddress()))
        return refuse(*refusal);
    // Paused by the operator: refused before any of the tenant's quota is taken; the requests
    // already admitted go on (relay_paused).
    if (m_context.paused())
        return refuse(ApiError::paused());

    // Validate and route (stage 3): a refusal here costs no quota.
    QByteArray message;
    std::optional<RequestBody> body = parseRequestBody(endpoint, request.body, &message);
    if (!body)
        return refuse(ApiError::badRequest(message));
    if (body->dialect() == Dialect::Anthropic) {
        for (const QByteArrayView name : {"anthropic-version", "anthropic-beta"})
            if (const QByteArray value = request.header(name); !value.isEmpty())
                body->forwardHeaders.emplaceBack(name.toByteArray(), value);
    }
    ModelResolution resolution = directory.resolve(body->model);
    if (!DirectorySnapshot::allows(*auth.tenant, resolution) || resolution.chain.empty())
        return refuse(ApiError::modelNotFound(body->model.toUtf8()), body->model);
    // count_tokens without an Anthropic target to ask: the relay's own estimate answers.
    const auto serves = [endpoint](const ResolvedTarget &t) {
        return t.upstream && UpstreamAdapter::of(*t.upstream).serves(endpoint);
    };
    const bool estimateHere =
        endpoint == Endpoint::CountTokens &&
        std::none_of(resolution.chain.cbegin(), resolution.chain.cend(), serves);
    if (!estimateHere) {
        // Only the targets whose kind of upstream speaks this endpoint (Anthropic has no
        // embeddings, responses, completions or moderations).
        std::erase_if(resolution.chain, [&](const ResolvedTarget &t) { return !serves(t); });
        if (resolution.chain.empty())
            return refuse(ApiError::modelNotFound(body->model.toUtf8()), body->model);
    }
    if (!body->previousResponseId.isEmpty())
        keepOnOrigin(*auth.tenant, *body, resolution);

    // Admit (stage 4): tokens/min reserved before the call are the prompt estimate plus the
    // completion allowance sent to the first target (interface.md §4); count_tokens uses rpm
    // only.
    UsageEstimate estimate;
    if (endpoint != Endpoint::CountTokens)
        estimate.promptTokens = body->estimatedPromptTokens();
    if (endpoint == Endpoint::Chat || endpoint == Endpoint::Completions ||
        endpoint == Endpoint::Responses || endpoint == Endpoint::Messages)
        estimate.completionAllowance = body->maxTokens >= 0 ? body->maxTokens : 1024;
    const TenantLive *live = config->tenant(auth.tenant->id);
    auto admitted =
        m_context.admission().admit(*auth.tenant, config->prices, resolution, estimate, live);
    if (const ApiError *refusal = std::get_if<ApiError>(&admitted))
        return refuse(*refusal, body->model);

    AdmittedRequest admission;
    admission.requestId = requestId;
    admission.reservation = std::get<Reservation>(std::move(admitted));
    admission.tenantId = auth.tenant->id;
    admission.keyPrefix = auth.keyPrefix;
    admission.endpoint = endpoint;
    admission.body = std::move(*body);
    admission.resolution = std::move(resolution);
    admission.queueTimeoutMs = auth.tenant->queueTimeout();
    admission.live = live;
    admission.config = std::move(config);
    if (estimateHere)
        return countTokensHere(exchange, std::move(admission));
    auto *call = new ProxyCall(*this, exchange, std::move(admission));
    m_calls.insert(call);
    m_context.counters().inFlight.fetch_add(1, std::memory_order_relaxed);
    call->start();
}

void ProxyHandler::keepOnOrigin(const TenantConfig &tenant, const RequestBody &body,
                                ModelResolution &resolution)
{
    // A response continues on the upstream that created it, or (unknown there) on the chain's
    // first target, whose 404 the client gets: never failed over to another provider.
    const std::optional<QString> origin =
        m_context.responseOrigins().upstreamOf(tenant.id, body.previousResponseId);
    auto &chain = resolution.chain;
    const auto it = std::find_if(chain.begin(), chain.end(), [&](const ResolvedTarget &t) {
        return origin && t.upstream->name == *origin;
    });
    if (it != chain.end())
        std::rotate(chain.begin(), it, it + 1);
    chain.erase(chain.begin() + 1, chain.end());
}

void ProxyHandler::countTokensHere(HttpExchange *exchange, AdmittedRequest admission)
{
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("input_tokens"),
                                                       admission.body.estimatedPromptTokens()}})
                                .toJson(QJsonDocument::Compact);
    HttpHeaders headers = frontFor(exchange->request()).baseHeaders(admission.requestId);
    headers.append(admission.reservation.limitHeaders);
    exchange->respond(200, headers, body);
    UsageRecord r;
    r.tsMs = m_context.clock().wallMs();
    r.requestId = admission.requestId;
    r.tenantId = admission.tenantId;
    r.keyPrefix = admission.keyPrefix;
    r.endpoint = endpointName(admission.endpoint);
    r.requestedModel = admission.resolution.requested;
    r.servedModel = admission.resolution.requested;
    r.status = 200;
    r.estimated = true;
    r.latencyMs = m_context.clock().monotonicMs() - exchange->receivedMs();
    r.ttfbMs = r.latencyMs;
    UsageMeter::price(r, nullptr);
    m_context.counters().requests.fetch_add(1, std::memory_order_relaxed);
    m_context.usageMeter().served(std::move(r), admission.reservation,
                                  admission.config->tenantFlow(admission.tenantId), nullptr);
}

void ProxyHandler::reject(HttpExchange *exchange, UsageRecord record, const ApiError &error)
{
    record.latencyMs = m_context.clock().monotonicMs() - exchange->receivedMs();
    sendError(exchange, record.requestId, error);
    countRejected(std::move(record), error);
}

const std::shared_ptr<const RuntimeConfig> &ProxyHandler::currentConfig()
{
    // The version first: a config published after it was read is taken at the next request.
    const quint64 version = m_context.configVersion();
    if (!m_config || version != m_configVersion) {
        m_authMemo.clear();
        m_config = m_context.config();
        m_configVersion = version;
    }
    return m_config;
}

void ProxyHandler::countRejected(UsageRecord record, const ApiError &error)
{
    record.status = error.status;
    record.tsMs = m_context.clock().wallMs();
    record.error = error.code;
    m_context.counters().requests.fetch_add(1, std::memory_order_relaxed);
    FlowMetrics &flow = currentConfig()->tenantFlow(record.tenantId);
    m_context.usageMeter().rejected(std::move(record), flow);
}

HttpEarlyAnswer ProxyHandler::refused(const HttpRequest &request, const ApiError &error)
{
    // Answered in the shape of the path's dialect (Anthropic's for /v1/messages).
    const QByteArray requestId = newRequestId();
    const HttpEarlyAnswer answer = errorAnswer(request, requestId, error);
    // A known tenant's oversize body counts as one of its rejected requests (interface.md §3);
    // the server's other refusals (408, 431, malformed bytes) are answered, not metered.
    const std::optional<Endpoint> endpoint = endpointForPath(request.path);
    if (!endpoint || error.status != 413)
        return answer;
    ApiError authError;
    const auto config = currentConfig();
    const Authenticated auth = authenticate(request, *config->directory, m_context.clock().wallMs(),
                                            &authError, &m_authMemo);
    if (!auth)
        return answer;
    countRejected(refusedRecord(requestId, auth, request.path), error);
    return answer;
}

std::span<const QByteArrayView> ProxyHandler::requestHeadersRead() const
{
    static constexpr QByteArrayView kRead[] = {"authorization", "x-api-key", "anthropic-version",
                                               "anthropic-beta"};
    return kRead;
}

HttpEarlyAnswer ProxyHandler::headersComplete(const HttpRequest &head, const QHostAddress &peer)
{
    // The key (and the caller's address, and a pause) is checked before a byte of the body is
    // buffered (interface.md §3): without a valid one the body is never read.
    const QByteArray &path = head.path;
    const bool keyed = endpointForPath(path) || isModelsPath(path) || path == "/v1/usage";
    ApiError error;
    if (keyed) {
        const auto config = currentConfig();
        const Authenticated auth =
            authenticate(head, *config->directory, m_context.clock().wallMs(), &error, &m_authMemo);
        if (!auth.tenant)
            return errorAnswer(head, newRequestId(), error);
        std::optional<ApiError> refusal = checkAddress(*auth.tenant, peer);
        // Paused: a request to proxy is refused before its body is read, too.
        if (!refusal && m_context.paused() && endpointForPath(path))
            refusal = ApiError::paused();
        if (!refusal)
            return {};
        const QByteArray requestId = newRequestId();
        countRejected(refusedRecord(requestId, auth, path), *refusal);
        return errorAnswer(head, requestId, *refusal);
    } else if (path != "/healthz" && path != "/metrics") {
        error = ApiError::notFound(head.method + ' ' + path);
    } else {
        return {};
    }
    return errorAnswer(head, newRequestId(), error);
}

void ProxyHandler::callFinished(ProxyCall *call)
{
    if (m_calls.remove(call)) {
        m_context.counters().inFlight.fetch_sub(1, std::memory_order_relaxed);
        m_context.counters().requests.fetch_add(1, std::memory_order_relaxed);
        // Possibly from inside the call's own report: it goes once that has returned, at the
        // end of the worker's pass (else with a posted event), with every call that ends in
        // the same pass.
        m_finished.push_back(call);
        if (!m_deletePosted) {
            m_deletePosted = true;
            if (!EpollEventDispatcher::atPassEnd(
                    [](void *handler) { static_cast<ProxyHandler *>(handler)->deleteFinished(); },
                    this))
                QMetaObject::invokeMethod(
                    m_deadlines.get(), [this] { deleteFinished(); }, Qt::QueuedConnection);
        }
    }
}

void ProxyHandler::sweep(qint64 nowMs)
{
    m_connections->sweep(nowMs);
    const auto calls = m_calls;
    for (ProxyCall *call : calls)
        if (m_calls.contains(call))
            call->checkTimeouts(nowMs);
}

} // namespace relay
