#pragma once

#include "AdminApi.h"
#include "AdminFeed.h"
#include "AdminGate.h"
#include "http/HttpExchange.h"
#include "http/HttpHandler.h"
#include "store/Database.h"

#include <QObject>

#include <memory>
#include <optional>

namespace relay {

class Clock;

// The admin API's own thread: its database connection and the AdminApi over it. Calls come
// from the workers' threads; each answer goes back to its exchange's thread.
class AdminHost : public QObject
{
    Q_OBJECT
public:
    AdminHost(QString dbPath, Clock &clock, AdminApi::Hooks hooks);
    // On the host's thread, before the first call.
    bool open(QString *error);
    // Any thread: answers `call` on `exchange` (on the exchange's thread) once done; nothing
    // when the exchange is gone by then.
    void post(AdminCall call, HttpExchangeRef exchange, QByteArray requestId);

private:
    void answer(const HttpExchangeRef &exchange, const QByteArray &requestId, AdminAnswer answer);

    QString m_dbPath;
    Clock &m_clock;
    AdminApi::Hooks m_hooks;
    Database m_db;
    std::optional<AdminApi> m_api;
};

// A worker's handler with the admin API in front: /admin/ paths go to the admin host (after
// the gate), everything else to the relay's own handler. Without a gate that is enabled, every
// /admin/ path is unknown (404), as if there were no admin API.
class AdminFrontHandler : public HttpHandler
{
public:
    AdminFrontHandler(std::unique_ptr<HttpHandler> inner, std::shared_ptr<AdminGate> gate,
                      AdminHost *host, std::shared_ptr<AdminFeed> feed);
    ~AdminFrontHandler() override;

    void handle(HttpExchange *exchange) override;
    HttpEarlyAnswer headersComplete(const HttpRequest &head, const QHostAddress &peer) override;
    HttpEarlyAnswer refused(const HttpRequest &request, const ApiError &error) override;
    // The inner handler's (the admin API reads only the authorization header, which the relay's
    // handler reads too).
    std::span<const QByteArrayView> requestHeadersRead() const override;
    void sweep(qint64 nowMs) override;

    static bool isAdminPath(QByteArrayView path);

private:
    // The refusal of an admin request by its token (or of every one without an admin API).
    std::optional<ApiError> admit(const HttpRequest &request, const QHostAddress &peer,
                                  AdminGate::Access *access);

    // GET /admin/v1/stats and /admin/v1/events, answered on the worker from the feed.
    bool answerLive(HttpExchange *exchange, const QByteArray &requestId);

    // An open /admin/v1/events stream on this worker.
    struct Subscriber
    {
        HttpExchangeRef exchange;
        qint64 seq = 0;           // the last event sent
        qint64 lastCommentMs = 0; // a comment every 15 s, whatever else is sent
    };
    static constexpr qint64 kKeepAliveMs = 15'000;

    std::unique_ptr<HttpHandler> m_inner;
    std::shared_ptr<AdminGate> m_gate;
    AdminHost *m_host;
    std::shared_ptr<AdminFeed> m_feed;
    QList<Subscriber> m_subscribers;
};

} // namespace relay
