#include "AdminFront.h"

#include "core/RequestId.h"
#include "http/HttpExchange.h"
#include "proxy/ProxyHandler.h"
#include "upstream/UpstreamTest.h"

#include <QMetaObject>

#include <algorithm>

namespace relay {

AdminHost::AdminHost(QString dbPath, Clock &clock, AdminApi::Hooks hooks)
    : m_dbPath(std::move(dbPath)), m_clock(clock), m_hooks(std::move(hooks))
{
}

bool AdminHost::open(QString *error)
{
    if (!m_db.open(m_dbPath, error))
        return false;
    m_api.emplace(m_db.db(), m_clock, m_hooks);
    return true;
}

void AdminHost::post(AdminCall call, HttpExchangeRef exchange, QByteArray requestId)
{
    QMetaObject::invokeMethod(
        this, [this, call = std::move(call), exchange, requestId = std::move(requestId)] {
            if (!m_api)
                return answer(exchange, requestId,
                              AdminApi::error(503, QStringLiteral("server_error"),
                                              QStringLiteral("admin_unavailable"),
                                              QStringLiteral("The admin API is starting.")));
            UpstreamConfig upstream;
            AdminAnswer refusal;
            if (!m_api->upstreamTest(call, &upstream, &refusal))
                return answer(exchange, requestId, m_api->handle(call));
            if (refusal.status != 200)
                return answer(exchange, requestId, refusal);
            // Asks the provider; answered when it has (or has not) answered.
            auto *test = new UpstreamTest(upstream, m_clock, {}, this);
            test->setDone([this, test, exchange, requestId](const UpstreamTestResult &result) {
                answer(exchange, requestId, AdminApi::upstreamTestAnswer(result));
                test->deleteLater();
            });
            test->start();
        });
}

void AdminHost::answer(const HttpExchangeRef &ref, const QByteArray &requestId, AdminAnswer answer)
{
    // Answered on the exchange's own thread; dropped if it has gone meanwhile.
    ref.post([ref, answer = std::move(answer), requestId] {
        HttpExchange *exchange = ref.get();
        if (!exchange)
            return;
        HttpHeaders headers = answer.headers;
        headers.emplaceBack("x-request-id", requestId);
        const QByteArray body = answer.bodyBytes();
        if (!body.isEmpty())
            headers.emplaceBack("content-type", "application/json");
        exchange->respond(answer.status, headers, body);
    });
}

AdminFrontHandler::AdminFrontHandler(std::unique_ptr<HttpHandler> inner,
                                     std::shared_ptr<AdminGate> gate, AdminHost *host,
                                     std::shared_ptr<AdminFeed> feed)
    : m_inner(std::move(inner)), m_gate(std::move(gate)), m_host(host), m_feed(std::move(feed))
{
}

AdminFrontHandler::~AdminFrontHandler()
{
    // Every exchange is completed, even one whose client has gone.
    for (const Subscriber &subscriber : std::as_const(m_subscribers))
        if (HttpExchange *exchange = subscriber.exchange.get(); exchange && !exchange->isFinished())
            exchange->endStream();
}

bool AdminFrontHandler::answerLive(HttpExchange *exchange, const QByteArray &requestId)
{
    const HttpRequest &request = exchange->request();
    const bool stats = request.path == "/admin/v1/stats";
    if (!m_feed || (!stats && request.path != "/admin/v1/events"))
        return false;
    if (request.method != "GET") {
        ProxyHandler::sendError(exchange, requestId, ApiError::methodNotAllowed());
        return true;
    }
    if (stats) {
        HttpHeaders headers = ProxyHandler::baseHeaders(requestId);
        const QByteArray snapshot = m_feed->stats();
        exchange->respond(200, headers, snapshot.isEmpty() ? QByteArray("{}") : snapshot);
        return true;
    }
    exchange->beginStream(200, {{"content-type", "text/event-stream"},
                                {"cache-control", "no-cache"},
                                {"x-request-id", requestId}});
    // The snapshot now, then what happens from here on (no replay).
    const QByteArray snapshot = m_feed->stats();
    if (!snapshot.isEmpty())
        exchange->writeStream("event: stats\ndata: " + snapshot + "\n\n");
    else
        exchange->writeStream(": connected\n\n");
    m_subscribers.append({HttpExchangeRef(exchange), m_feed->lastSeq(), exchange->receivedMs()});
    return true;
}

bool AdminFrontHandler::isAdminPath(QByteArrayView path)
{
    return path == "/admin" || path.startsWith("/admin/");
}

std::optional<ApiError> AdminFrontHandler::admit(const HttpRequest &request,
                                                 const QHostAddress &peer,
                                                 AdminGate::Access *access)
{
    if (!m_gate || !m_gate->isEnabled() || !m_host)
        return ApiError::notFound(request.method + ' ' + request.path);
    const AdminGate::Verdict verdict = m_gate->check(request.header("authorization"), peer);
    *access = verdict.access;
    switch (verdict.access) {
    case AdminGate::Access::Blocked:
        return ApiError::rateLimited(
            "requests", "Too many failed admin token attempts from this address; try later.",
            verdict.retryAfterMs);
    case AdminGate::Access::Refused:
        return ApiError::invalidApiKey("The admin API needs the admin token.");
    case AdminGate::Access::ReadOnly:
    case AdminGate::Access::Admin:
        break;
    }
    return std::nullopt;
}

void AdminFrontHandler::handle(HttpExchange *exchange)
{
    const HttpRequest &request = exchange->request();
    if (!isAdminPath(request.path))
        return m_inner->handle(exchange);
    const QByteArray requestId = newRequestId();
    AdminGate::Access access = AdminGate::Access::Refused;
    if (const std::optional<ApiError> error = admit(request, exchange->peerAddress(), &access))
        return ProxyHandler::sendError(exchange, requestId, *error);
    if (answerLive(exchange, requestId))
        return;
    AdminCall call;
    call.method = request.method;
    call.target = request.target;
    call.body = request.body;
    call.actor = QStringLiteral("admin-api@") + exchange->peerAddress().toString();
    call.readOnly = access == AdminGate::Access::ReadOnly;
    m_host->post(std::move(call), HttpExchangeRef(exchange), requestId);
}

std::span<const QByteArrayView> AdminFrontHandler::requestHeadersRead() const
{
    const std::span<const QByteArrayView> inner = m_inner->requestHeadersRead();
    const bool readsAuthorization =
        std::find(inner.begin(), inner.end(), QByteArrayView("authorization")) != inner.end();
    return readsAuthorization ? inner : std::span<const QByteArrayView>();
}

HttpEarlyAnswer AdminFrontHandler::headersComplete(const HttpRequest &head,
                                                   const QHostAddress &peer)
{
    if (!isAdminPath(head.path))
        return m_inner->headersComplete(head, peer);
    // A body follows: refused before it is read when the token is wrong (and counted then;
    // a refused request ends here), as the relay does with tenant keys.
    AdminGate::Access access = AdminGate::Access::Refused;
    const std::optional<ApiError> error = admit(head, peer, &access);
    if (!error)
        return {};
    HttpHeaders headers = ProxyHandler::baseHeaders(newRequestId());
    headers.append(error->extraHeaders);
    return {error->status, headers, error->body()};
}

HttpEarlyAnswer AdminFrontHandler::refused(const HttpRequest &request, const ApiError &error)
{
    return m_inner->refused(request, error);
}

void AdminFrontHandler::sweep(qint64 nowMs)
{
    m_inner->sweep(nowMs);
    if (m_subscribers.isEmpty())
        return;
    const qint64 lastSeq = m_feed->lastSeq();
    QList<AdminFeed::Event> events;
    qint64 eventsFrom = -1;
    for (qsizetype i = 0; i < m_subscribers.size();) {
        Subscriber &s = m_subscribers[i];
        HttpExchange *exchange = s.exchange.get();
        if (!exchange || exchange->isClientGone() || exchange->isDraining()) {
            if (exchange && !exchange->isFinished())
                exchange->endStream();
            m_subscribers.removeAt(i);
            continue;
        }
        ++i;
        // A client that does not read is sent nothing more until it does; it misses events.
        if (exchange->isClientBacklogged()) {
            s.seq = lastSeq;
            continue;
        }
        if (s.seq < lastSeq) {
            if (eventsFrom < 0 || s.seq < eventsFrom) {
                events = m_feed->since(s.seq);
                eventsFrom = s.seq;
            }
            QByteArray bytes;
            for (const AdminFeed::Event &event : std::as_const(events))
                if (event.seq > s.seq && event.seq <= lastSeq)
                    bytes += "event: " + event.name + "\ndata: " + event.data + "\n\n";
            s.seq = lastSeq;
            if (!bytes.isEmpty())
                exchange->writeStream(bytes);
        }
        if (nowMs - s.lastCommentMs >= kKeepAliveMs) {
            exchange->writeStream(": keep-alive\n\n");
            s.lastCommentMs = nowMs;
        }
    }
}

} // namespace relay
