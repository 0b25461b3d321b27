#include "ProxyHandler.h"

#include "AnthropicAdapter.h"
#include "PrometheusExport.h"
#include "ProxyCall.h"
#include "RelayContext.h"
#include "billing/Cost.h"
#include "core/Clock.h"
#include "core/RequestId.h"
#include "http/ApiError.h"
#include "http/HttpExchange.h"
#include "limits/RateLimiter.h"
#include "store/UsageRecord.h"
#include "tenants/ApiKey.h"
#include "upstream/ConnectionCache.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace relay {

namespace {

// Compares without stopping at the first difference, so timing tells nothing about the token.
bool sameSecret(const QByteArray &given, const QByteArray &expected)
{
    if (given.size() != expected.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < given.size(); ++i)
        diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
    return diff == 0;
}

QByteArray tenantKey(const HttpRequest &request)
{
    const QByteArray auth = request.header("authorization");
    if (auth.size() > 7 && auth.left(7).toLower() == "bearer ")
        return auth.mid(7).trimmed();
    return request.header("x-api-key").trimmed();
}

} // namespace

ProxyHandler::ProxyHandler(RelayContext &context, qint64 upstreamIdleTimeoutMs)
    : m_context(context), m_connections(std::make_unique<ConnectionCache>(upstreamIdleTimeoutMs))
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
}

HttpHeaders ProxyHandler::baseHeaders(const QByteArray &requestId)
{
    return {{"content-type", "application/json"}, {"x-request-id", requestId}};
}

void ProxyHandler::sendError(HttpExchange *exchange, const QByteArray &requestId,
                             const ApiError &error, const HttpHeaders &extra)
{
    HttpHeaders headers = baseHeaders(requestId);
    headers.append(error.extraHeaders);
    headers.append(extra);
    exchange->respond(error.status, headers, error.body());
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
    if (path == "/v1/models" || path == "/v1/models/") {
        if (!isGet)
            return sendError(exchange, requestId, ApiError::methodNotAllowed());
        return handleModels(exchange, requestId);
    }
    if (path == "/v1/usage") {
        if (!isGet)
            return sendError(exchange, requestId, ApiError::methodNotAllowed());
        return handleUsage(exchange, requestId);
    }
    if (path == "/v1/chat/completions") {
        if (!isPost)
            return sendError(exchange, requestId, ApiError::methodNotAllowed());
        return handleProxy(exchange, requestId, Endpoint::Chat);
    }
    if (path == "/v1/embeddings") {
        if (!isPost)
            return sendError(exchange, requestId, ApiError::methodNotAllowed());
        return handleProxy(exchange, requestId, Endpoint::Embeddings);
    }
    sendError(exchange, requestId, ApiError::notFound(request.method + ' ' + path));
}

namespace {

struct Authenticated
{
    const TenantConfig *tenant = nullptr;
    QString keyPrefix;
};

// The tenant behind the request's key, or an error for a missing, unknown or revoked key or a
// disabled tenant.
Authenticated authenticate(const HttpRequest &request, const DirectorySnapshot &directory,
                           ApiError *error)
{
    const QByteArray key = tenantKey(request);
    if (key.isEmpty()) {
        *error = ApiError::invalidApiKey(
            "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'.");
        return {};
    }
    const auto it = directory.keysByHash.constFind(ApiKey::hash(key));
    if (it == directory.keysByHash.cend() || it->revoked) {
        *error = ApiError::invalidApiKey("Incorrect API key provided.");
        return {};
    }
    const auto tenant = directory.tenants.constFind(it->tenantId);
    if (tenant == directory.tenants.cend() || !tenant->enabled) {
        *error = ApiError::invalidApiKey("This API key belongs to a disabled tenant.");
        return {};
    }
    return {&*tenant, it->prefix};
}

// The tenant behind the request's key; answers the 401 itself and returns nullptr without one.
const TenantConfig *tenantOrRefuse(HttpExchange *exchange, const QByteArray &requestId,
                                   const DirectorySnapshot &directory)
{
    ApiError error;
    const Authenticated auth = authenticate(exchange->request(), directory, &error);
    if (!auth.tenant)
        ProxyHandler::sendError(exchange, requestId, error);
    return auth.tenant;
}

} // namespace

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
    const auto config = m_context.config();
    const TenantConfig *tenant = tenantOrRefuse(exchange, requestId, *config->directory);
    if (!tenant)
        return;
    QJsonArray data;
    for (const QString &model : config->directory->modelsFor(*tenant)) {
        data.append(QJsonObject{{QStringLiteral("id"), model},
                                {QStringLiteral("object"), QStringLiteral("model")},
                                {QStringLiteral("created"), 0},
                                {QStringLiteral("owned_by"), QStringLiteral("tenantrelay")}});
    }
    const QJsonObject body{{QStringLiteral("object"), QStringLiteral("list")},
                           {QStringLiteral("data"), data}};
    exchange->respond(200, baseHeaders(requestId),
                      QJsonDocument(body).toJson(QJsonDocument::Compact));
}

void ProxyHandler::handleUsage(HttpExchange *exchange, const QByteArray &requestId)
{
    const auto config = m_context.config();
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
    auto config = m_context.config();
    const DirectorySnapshot &directory = *config->directory;
    ApiError error;
    const Authenticated auth = authenticate(exchange->request(), directory, &error);
    if (!auth.tenant)
        return sendError(exchange, requestId, error);

    UsageRecord rejected;
    rejected.requestId = requestId;
    rejected.tenantId = auth.tenant->id;
    rejected.keyPrefix = auth.keyPrefix;
    rejected.rejected = true;
    rejected.endpoint = endpoint == Endpoint::Chat ? "chat" : "embeddings";

    QByteArray message;
    std::optional<RequestBody> body =
        parseRequestBody(endpoint, exchange->request().body, &message);
    if (!body)
        return reject(exchange, rejected, ApiError::badRequest(message));
    rejected.requestedModel = body->model;
    ModelResolution resolution = directory.resolve(body->model);
    if (endpoint == Endpoint::Embeddings)
        anthropic::dropForEmbeddings(resolution); // the Messages API has no embeddings
    if (!DirectorySnapshot::allows(*auth.tenant, resolution) || resolution.chain.empty())
        return reject(exchange, rejected, ApiError::modelNotFound(body->model.toUtf8()));

    // Tokens/min reserved before the call: the prompt estimate plus, for chat, the completion
    // allowance sent to the first target (interface.md §4).
    const qint64 promptEstimate = estimateTokens(body->promptChars);
    const qint64 completionAllowance =
        endpoint == Endpoint::Chat ? (body->maxTokens >= 0 ? body->maxTokens : 1024) : 0;
    const qint64 estimate = promptEstimate + completionAllowance;
    const LimitDecision limits = m_context.limiter().admit(auth.tenant->id, estimate);
    if (!limits.admitted()) {
        ApiError refusal = limitError(limits);
        refusal.extraHeaders.append(limits.headers);
        return reject(exchange, rejected, refusal);
    }
    // Budget: the same estimate at the first target's price, held while the request runs.
    std::optional<PriceConfig> price = directory.priceFor(resolution.chain.front().model);
    if (!price)
        price = directory.priceFor(resolution.requested);
    const double costEstimate = price ? usageCost(promptEstimate, completionAllowance, *price) : 0;
    if (const BudgetRefusal budget = m_context.budgets().admit(auth.tenant->id, costEstimate);
        budget != BudgetRefusal::None) {
        ApiError refusal = budgetError(budget);
        refusal.extraHeaders.append(m_context.limiter().release(auth.tenant->id, estimate));
        return reject(exchange, rejected, refusal);
    }

    Admission admission;
    admission.requestId = requestId;
    admission.estimatedTokens = estimate;
    admission.estimatedCostUsd = costEstimate;
    admission.limitHeaders = limits.headers;
    admission.tenantId = auth.tenant->id;
    admission.keyPrefix = auth.keyPrefix;
    admission.endpoint = endpoint;
    admission.body = std::move(*body);
    admission.resolution = std::move(resolution);
    admission.queueTimeoutMs = auth.tenant->queueTimeout();
    admission.config = std::move(config);
    auto *call = new ProxyCall(*this, exchange, std::move(admission));
    m_calls.insert(call);
    m_context.counters().inFlight.fetch_add(1, std::memory_order_relaxed);
    call->start();
}

ApiError ProxyHandler::limitError(const LimitDecision &decision)
{
    switch (decision.refusal) {
    case LimitRefusal::Requests:
        return ApiError::rateLimited("requests",
                                     "Rate limit reached for requests per minute. Please try "
                                     "again later.",
                                     decision.retryAfterMs);
    case LimitRefusal::Concurrency:
        return ApiError::rateLimited("requests",
                                     "Too many requests in flight at once for this key.", 1000);
    case LimitRefusal::Tokens:
        return ApiError::rateLimited("tokens",
                                     "Rate limit reached for tokens per minute. Please try again "
                                     "later.",
                                     decision.retryAfterMs);
    case LimitRefusal::TokensNever:
        return ApiError::rateLimited("tokens",
                                     "This request needs more tokens than the tenant's whole "
                                     "tokens-per-minute limit.",
                                     0, true);
    case LimitRefusal::None:
        break;
    }
    return ApiError::internal("no refusal");
}

ApiError ProxyHandler::budgetError(BudgetRefusal refusal)
{
    if (refusal == BudgetRefusal::Exhausted)
        return ApiError::insufficientQuota();
    // It fits once the requests in flight have settled.
    return ApiError::rateLimited("tokens",
                                 "This tenant's budget is held by requests in flight. Please try "
                                 "again shortly.",
                                 1000);
}

void ProxyHandler::reject(HttpExchange *exchange, UsageRecord record, const ApiError &error)
{
    const auto flow = m_context.metrics().tenant(record.tenantId);
    flow->requests.fetch_add(1, std::memory_order_relaxed);
    flow->errors.fetch_add(1, std::memory_order_relaxed);
    if (error.status == 429)
        flow->rateLimited.fetch_add(1, std::memory_order_relaxed);
    record.status = error.status;
    record.tsMs = m_context.clock().wallMs();
    record.latencyMs = m_context.clock().monotonicMs() - exchange->receivedMs();
    record.error = error.code;
    sendError(exchange, record.requestId, error);
    m_context.counters().requests.fetch_add(1, std::memory_order_relaxed);
    m_context.meter(std::move(record));
}

QByteArray ProxyHandler::refused(const HttpRequest &request, int status)
{
    // A known tenant's oversize body counts as one of its rejected requests (interface.md §3).
    const QByteArray requestId = newRequestId();
    const bool chat = request.path == "/v1/chat/completions";
    if (!chat && request.path != "/v1/embeddings")
        return requestId;
    ApiError error;
    const auto config = m_context.config();
    const Authenticated auth = authenticate(request, *config->directory, &error);
    if (!auth.tenant)
        return requestId;
    UsageRecord record;
    record.requestId = requestId;
    record.tenantId = auth.tenant->id;
    record.keyPrefix = auth.keyPrefix;
    record.rejected = true;
    record.endpoint = chat ? "chat" : "embeddings";
    record.status = status;
    record.error = "request_too_large";
    record.tsMs = m_context.clock().wallMs();
    const auto flow = m_context.metrics().tenant(record.tenantId);
    flow->requests.fetch_add(1, std::memory_order_relaxed);
    flow->errors.fetch_add(1, std::memory_order_relaxed);
    m_context.counters().requests.fetch_add(1, std::memory_order_relaxed);
    m_context.meter(std::move(record));
    return requestId;
}

HttpEarlyAnswer ProxyHandler::headersComplete(const HttpRequest &head, const QHostAddress &peer)
{
    Q_UNUSED(peer);
    // The key is checked before a byte of the body is buffered (interface.md §3): without a
    // valid one the body is never read.
    const QByteArray &path = head.path;
    const bool keyed = path == "/v1/chat/completions" || path == "/v1/embeddings" ||
                       path == "/v1/models" || path == "/v1/models/" || path == "/v1/usage";
    ApiError error;
    if (keyed) {
        const auto config = m_context.config();
        if (authenticate(head, *config->directory, &error).tenant)
            return {};
    } else if (path != "/healthz" && path != "/metrics") {
        error = ApiError::notFound(head.method + ' ' + path);
    } else {
        return {};
    }
    HttpHeaders headers = baseHeaders(newRequestId());
    headers.append(error.extraHeaders);
    return {error.status, headers, error.body()};
}

void ProxyHandler::callFinished(ProxyCall *call)
{
    if (m_calls.remove(call)) {
        m_context.counters().inFlight.fetch_sub(1, std::memory_order_relaxed);
        m_context.counters().requests.fetch_add(1, std::memory_order_relaxed);
        call->deleteLater();
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
