#pragma once

#include "core/Headers.h"

#include <QByteArray>
#include <QJsonValue>
#include <QSqlDatabase>
#include <QString>

#include <functional>

namespace relay {

class Clock;
struct UpstreamConfig;
struct UpstreamTestResult;

// One call of the admin API, as the HTTP front hands it over.
struct AdminCall
{
    QByteArray method;
    QByteArray target; // path and query as sent: /admin/v1/...
    QByteArray body;
    QString actor;         // the audit's actor: admin-api@ADDRESS
    bool readOnly = false; // the read-only token: writes are refused (403)
};

// Its answer: a status and a JSON body (none for 204).
struct AdminAnswer
{
    int status = 200;
    QJsonValue body;
    HttpHeaders headers;

    QByteArray bodyBytes() const;
};

// The admin API's resources (interface.md §5) over the admin service: the same operations,
// validation and errors as the CLI, with the CLI's `--json` field names. Used on the thread
// that owns `db`; it never blocks on the network.
class AdminApi
{
public:
    struct Hooks
    {
        // A write committed: the running relay reloads its configuration now.
        std::function<void()> configChanged;
        // POST /admin/v1/pause and /unpause: the relay stops (or starts again) admitting new
        // tenant requests, as the console's "Pause new requests" does. Absent: 404.
        std::function<void(bool paused)> setPaused;
    };

    AdminApi(QSqlDatabase db, Clock &clock, Hooks hooks);

    AdminAnswer handle(const AdminCall &call);

    // POST /admin/v1/upstreams/{name}/test (a saved upstream, with the body's changes applied)
    // and POST /admin/v1/upstreams/test (an upstream not saved, all in the body) ask the
    // provider itself, so they are answered later (AdminHost runs them): true for such a call,
    // with the upstream as the relay would reach it (its key included) in *upstream, or the
    // refusal in *refusal.
    bool upstreamTest(const AdminCall &call, UpstreamConfig *upstream, AdminAnswer *refusal);
    // Its answer: the models, or the provider's error (502).
    static AdminAnswer upstreamTestAnswer(const UpstreamTestResult &result);

    // The error body of interface.md §3: {"error": {message, type, param, code}}.
    static AdminAnswer error(int status, const QString &type, const QString &code,
                             const QString &message, const QString &param = QString());

private:
    QSqlDatabase m_db;
    Clock &m_clock;
    Hooks m_hooks;
};

} // namespace relay
