#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QObject>
#include <QPair>

#include <functional>
#include <memory>
#include <utility>
#include <vector>

class QThread;

namespace relay::sim {

// The simulated provider's own small HTTP/1.1 server. It shares no code with the relay's
// server and parser, which the simulator exists to test: QTcpServer and QTcpSocket, keep-alive,
// pipelined requests (answered in order, one at a time), Content-Length and chunked request
// bodies, Expect: 100-continue. A client that shuts its sending side while its request is being
// answered has gone (as the relay does when it cancels an upstream call). Idle connections stay
// open until the client closes them.

using Headers = QList<QPair<QByteArray, QByteArray>>;

// One request: header names lower-cased, values trimmed, the body decoded.
struct Request
{
    QByteArray method;
    QByteArray target; // as sent, query string included
    QByteArray path;   // the target without its query string
    Headers headers;
    QByteArray body;
    int versionMinor = 1;
    bool keepAlive = true;

    // The first header named `lowerName`, or empty.
    QByteArray header(QByteArrayView lowerName) const;
};

// Reads requests from the bytes of one connection, in whatever pieces they arrive.
class RequestReader
{
public:
    void feed(const QByteArray &bytes) { m_buffer.append(bytes); }
    // The next complete request, if the bytes so far hold one.
    bool take(Request *out);
    // The bytes are not HTTP/1.x (or a limit was passed): answer errorStatus() and close.
    bool failed() const { return m_errorStatus != 0; }
    int errorStatus() const { return m_errorStatus; }
    // A request's head asked for "100 Continue" and its body has not come yet (asked once).
    bool takeContinue() { return std::exchange(m_wantsContinue, false); }

    static constexpr qsizetype kMaxHeadBytes = 64 * 1024;
    static constexpr qint64 kMaxBodyBytes = 64 * 1024 * 1024;

private:
    enum class Stage { Head, Body, ChunkSize, ChunkData, Trailers };
    bool parseHead(QByteArrayView head);
    bool fail(int status);
    // A line from m_pos ending in LF (CR LF or LF), without its line end; false if incomplete.
    bool line(QByteArrayView *out);

    QByteArray m_buffer;
    qsizetype m_pos = 0; // bytes of m_buffer already consumed
    Stage m_stage = Stage::Head;
    Request m_current;
    qint64 m_remaining = 0; // body or chunk bytes still to come
    int m_errorStatus = 0;
    bool m_wantsContinue = false;
};

class Connection;

// One request and its answer on a connection, on the connection's thread. Completed exactly
// once: respond(), beginStream() … endStream(), or abortConnection().
class Exchange : public QObject
{
    Q_OBJECT
public:
    Exchange(Connection *connection, Request request);

    const Request &request() const { return m_request; }
    void respond(int status, const Headers &headers, const QByteArray &body);
    void beginStream(int status, const Headers &headers);
    void writeStream(const QByteArray &data);
    void endStream();
    // Closes the connection without completing the answer.
    void abortConnection();
    bool isFinished() const { return m_finished; }

Q_SIGNALS:
    // The client closed its connection before the answer was complete.
    void clientGone();

private:
    friend class Connection;
    void markClientGone();
    void finish(bool keepAlive);

    Connection *m_connection;
    Request m_request;
    bool m_streaming = false;
    bool m_chunked = true;
    bool m_finished = false;
    bool m_gone = false;
};

using Handler = std::function<void(Exchange *)>;

class Worker;

// Listens on `host`:`port` and spreads connections over `workers` threads (each with its own
// event loop; the first also accepts). `handler` runs on the connection's thread.
class Server
{
public:
    Server(QHostAddress host, quint16 port, int workers, Handler handler);
    ~Server();
    bool start(QString *error);
    quint16 port() const { return m_port; }

private:
    class Acceptor;
    void stop();

    QHostAddress m_host;
    quint16 m_port;
    int m_workerCount;
    Handler m_handler;
    std::vector<QThread *> m_threads;
    std::vector<Worker *> m_workers;
    Acceptor *m_acceptor = nullptr;
};

// "HTTP/1.1 STATUS REASON" with `headers`, content-length and, unless keepAlive, connection: close.
QByteArray responseHead(int status, const Headers &headers, qint64 contentLength, bool keepAlive);

} // namespace relay::sim
