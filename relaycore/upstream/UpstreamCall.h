#pragma once

#include "UpstreamConnection.h"
#include "core/DeadlineQueue.h"
#include "http/HttpMessage.h"
#include "http/HttpResponseParser.h"

namespace relay {

class Clock;
class ConnectionCache;

struct UpstreamRequest
{
    UpstreamEndpoint endpoint;
    QByteArray method = "POST";
    // The request target: pathBase (the upstream's base path, when the adapter keeps it apart,
    // so that neither is copied) followed by path.
    QByteArray pathBase;
    QByteArray path;
    HttpHeaders headers; // without host and content-length
    QByteArray body;
    qint64 firstByteTimeoutMs = 60'000;
    qint64 connectTimeoutMs = 5'000;
    qint64 streamIdleTimeoutMs = 120'000;
};

enum class UpstreamFailure {
    ConnectFailed, // refused, unreachable, TLS handshake failed, connect timeout
    Reset,         // the connection dropped before the response was complete
    FirstByteTimeout,
    StreamIdle, // an open response stayed silent too long
    Malformed,
};

// Receives what an UpstreamCall reports, on the call's thread. The listener must not delete
// the call from inside these functions (it goes once they have returned).
class UpstreamCallListener
{
public:
    virtual ~UpstreamCallListener() = default;
    virtual void upstreamHead(int status, const HttpHeaders &headers) = 0;
    virtual void upstreamBody(const QByteArray &bytes) = 0;
    virtual void upstreamDone() = 0;
    virtual void upstreamFailed(UpstreamFailure failure, const QByteArray &message) = 0;
};

// One request to an upstream over a pooled keep-alive connection (a fresh one when none is
// idle), with the connect, first-byte and stream-silence timeouts. A finished response returns
// its connection to the worker's cache; a cancelled call closes its socket. Lives on one worker
// thread. One object serves a request's successive attempts: start() again once the last one
// has ended (also from inside the listener's report of its end), and, given another listener,
// one request after another. A plain object: its deadlines are entries in the thread's
// DeadlineQueue, not timers of its own.
class UpstreamCall : private UpstreamConnectionClient
{
public:
    UpstreamCall(ConnectionCache &cache, Clock &clock, DeadlineQueue &deadlines,
                 UpstreamCallListener *listener);
    ~UpstreamCall() override;
    UpstreamCall(const UpstreamCall &) = delete;
    UpstreamCall &operator=(const UpstreamCall &) = delete;

    // Who hears the next call's reports (between calls only: not while one is active).
    void setListener(UpstreamCallListener *listener) { m_listener = listener; }

    void start(UpstreamRequest request);
    // Closes the upstream socket and lets go of the request and what was read of its answer;
    // nothing more is reported.
    void cancel();
    // Called from the worker's sweep, and at the connect or first-byte deadline itself (an
    // entry in the thread's DeadlineQueue), so those fire on time rather than at the next sweep.
    void checkTimeouts(qint64 nowMs);
    bool isActive() const { return m_active; }
    // Stops taking the response from the socket (the client is behind): the upstream's TCP
    // window fills and it waits, instead of the relay buffering its output.
    void pauseReading();
    void resumeReading();
    bool reusedConnection() const { return m_reused; }

private:
    void armDeadline(qint64 deadlineMs);
    void disarmDeadline();
    void deadlineReached();
    void attach(UpstreamConnection *connection);
    // UpstreamConnectionClient
    void connectionReady(UpstreamConnection *connection) override;
    void connectionReadable(UpstreamConnection *connection) override;
    void connectionFailed(UpstreamConnection *connection) override;
    void send();
    void readAvailable();
    // False when the call ended (or another attempt began) while the listener was told.
    bool consume(const char *data, qsizetype size);
    void onEnded();
    void fail(UpstreamFailure failure, const QByteArray &message);
    void complete();
    void detach();

    ConnectionCache &m_cache;
    Clock &m_clock;
    DeadlineQueue &m_deadlines;
    UpstreamCallListener *m_listener;
    UpstreamRequest m_request;
    UpstreamConnection *m_connection = nullptr;
    HttpResponseParser m_parser;
    bool m_active = false;
    bool m_reused = false;
    bool m_retriedFresh = false;
    bool m_sent = false;
    bool m_gotBytes = false;
    bool m_headReported = false;
    bool m_readPaused = false;
    quint64 m_attempt = 0; // bumped by start(): a report from inside may have begun the next
    qint64 m_connectDeadline = 0;
    qint64 m_firstByteDeadline = 0;
    qint64 m_lastByteMs = 0;
    // The connect or first-byte deadline (the stream's silence is the sweep's).
    Deadline m_deadline{this,
                        [](void *call) { static_cast<UpstreamCall *>(call)->deadlineReached(); }};
    // Reading resumed with bytes already buffered: they are taken from a fresh stack.
    Deadline m_resume{this, [](void *call) { static_cast<UpstreamCall *>(call)->readAvailable(); }};
};

} // namespace relay
