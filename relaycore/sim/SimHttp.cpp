#include "SimHttp.h"

#include <QMetaObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <sys/resource.h>

namespace relay::sim {

namespace {

constexpr qsizetype kMaxLineBytes = 4096;

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 408:
        return "Request Timeout";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    case 529:
        return "Site Overloaded";
    default:
        return "Status";
    }
}

// The status line and `headers`, without the blank line that ends a head.
QByteArray headLines(int status, const Headers &headers)
{
    QByteArray out;
    out.reserve(256);
    out += "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    for (const auto &h : headers)
        out += h.first + ": " + h.second + "\r\n";
    return out;
}

} // namespace

QByteArray responseHead(int status, const Headers &headers, qint64 contentLength, bool keepAlive)
{
    return headLines(status, headers) + "content-length: " + QByteArray::number(contentLength) +
           (keepAlive ? "\r\n\r\n" : "\r\nconnection: close\r\n\r\n");
}

QByteArray Request::header(QByteArrayView lowerName) const
{
    for (const auto &h : headers)
        if (h.first == lowerName)
            return h.second;
    return {};
}

// ---- RequestReader

bool RequestReader::fail(int status)
{
    m_errorStatus = status;
    m_buffer.clear();
    m_pos = 0;
    return false;
}

bool RequestReader::line(QByteArrayView *out)
{
    const qsizetype end = m_buffer.indexOf('\n', m_pos);
    if (end < 0) {
        if (m_buffer.size() - m_pos > kMaxLineBytes)
            fail(400);
        return false;
    }
    QByteArrayView l(m_buffer.constData() + m_pos, end - m_pos);
    if (l.endsWith('\r'))
        l.chop(1);
    m_pos = end + 1;
    *out = l;
    return true;
}

bool RequestReader::parseHead(QByteArrayView head)
{
    const QList<QByteArray> lines = head.toByteArray().split('\n');
    const QList<QByteArray> start = lines.first().trimmed().split(' ');
    if (start.size() != 3 || start[0].isEmpty() || start[1].isEmpty())
        return fail(400);
    if (start[2] != "HTTP/1.1" && start[2] != "HTTP/1.0")
        return fail(start[2].startsWith("HTTP/") ? 505 : 400);
    Request r;
    r.method = start[0];
    r.target = start[1];
    const qsizetype q = r.target.indexOf('?');
    r.path = q < 0 ? r.target : r.target.left(q);
    r.versionMinor = start[2] == "HTTP/1.1" ? 1 : 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &l = lines[i];
        const qsizetype colon = l.indexOf(':');
        if (colon <= 0 || l.front() == ' ' || l.front() == '\t')
            return fail(400);
        r.headers.append({l.left(colon).trimmed().toLower(), l.mid(colon + 1).trimmed()});
    }
    const QByteArray connection = r.header("connection").toLower();
    r.keepAlive =
        r.versionMinor == 1 ? !connection.contains("close") : connection.contains("keep-alive");
    const QByteArray coding = r.header("transfer-encoding").toLower();
    const QByteArray length = r.header("content-length");
    m_remaining = 0;
    if (!coding.isEmpty()) {
        if (coding != "chunked")
            return fail(501);
        m_stage = Stage::ChunkSize;
    } else if (!length.isEmpty()) {
        bool ok = false;
        m_remaining = length.toLongLong(&ok);
        if (!ok || m_remaining < 0)
            return fail(400);
        if (m_remaining > kMaxBodyBytes)
            return fail(413);
        m_stage = m_remaining > 0 ? Stage::Body : Stage::Head;
    }
    m_wantsContinue = m_stage != Stage::Head && r.header("expect").toLower() == "100-continue";
    m_current = std::move(r);
    return true;
}

bool RequestReader::take(Request *out)
{
    while (!failed()) {
        switch (m_stage) {
        case Stage::Head: {
            // Line ends between requests are tolerated.
            while (m_pos < m_buffer.size() && (m_buffer[m_pos] == '\r' || m_buffer[m_pos] == '\n'))
                ++m_pos;
            const qsizetype end = m_buffer.indexOf("\r\n\r\n", m_pos);
            if (end < 0) {
                if (m_buffer.size() - m_pos > kMaxHeadBytes)
                    return fail(431);
                if (m_pos == m_buffer.size()) {
                    m_buffer.clear();
                    m_pos = 0;
                }
                return false;
            }
            const QByteArrayView head(m_buffer.constData() + m_pos, end - m_pos);
            m_pos = end + 4;
            if (!parseHead(head))
                return false;
            if (m_stage == Stage::Head)
                break; // no body: complete
            continue;
        }
        case Stage::Body:
        case Stage::ChunkData: {
            if (m_remaining > 0) {
                const qint64 n = qMin<qint64>(m_remaining, m_buffer.size() - m_pos);
                m_current.body.append(m_buffer.constData() + m_pos, n);
                m_pos += n;
                m_remaining -= n;
                if (m_remaining > 0) {
                    m_buffer.remove(0, m_pos);
                    m_pos = 0;
                    return false;
                }
            }
            if (m_stage == Stage::Body)
                break;
            QByteArrayView end; // the line end after a chunk's data
            if (!line(&end))
                return false;
            if (!end.isEmpty())
                return fail(400);
            m_stage = Stage::ChunkSize;
            continue;
        }
        case Stage::ChunkSize: {
            QByteArrayView l;
            if (!line(&l))
                return false;
            const qsizetype ext = l.indexOf(';');
            bool ok = false;
            const qint64 size =
                (ext < 0 ? l : l.first(ext)).toByteArray().trimmed().toLongLong(&ok, 16);
            if (!ok || size < 0)
                return fail(400);
            if (m_current.body.size() + size > kMaxBodyBytes)
                return fail(413);
            m_remaining = size;
            m_stage = size == 0 ? Stage::Trailers : Stage::ChunkData;
            continue;
        }
        case Stage::Trailers: {
            QByteArrayView l;
            if (!line(&l))
                return false;
            if (!l.isEmpty())
                continue; // trailer fields are ignored
            break;
        }
        }
        // A whole request.
        *out = std::move(m_current);
        m_current = Request();
        m_stage = Stage::Head;
        m_wantsContinue = false;
        if (m_pos == m_buffer.size()) {
            m_buffer.clear();
            m_pos = 0;
        } else if (m_pos > kMaxHeadBytes) {
            m_buffer.remove(0, m_pos); // pipelined requests behind it
            m_pos = 0;
        }
        return true;
    }
    return false;
}

// ---- Connection

// One client connection on a worker thread; deletes itself once closed and its last exchange
// has finished.
class Connection : public QObject
{
public:
    Connection(qintptr descriptor, const Handler &handler, QObject *parent)
        : QObject(parent), m_handler(handler), m_socket(new QTcpSocket(this))
    {
        if (!m_socket->setSocketDescriptor(descriptor)) {
            m_gone = true;
            deleteLater();
            return;
        }
        m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        connect(m_socket, &QTcpSocket::readyRead, this, &Connection::onReadyRead);
        connect(m_socket, &QTcpSocket::disconnected, this, &Connection::onDisconnected);
        if (m_socket->bytesAvailable() > 0)
            QMetaObject::invokeMethod(this, &Connection::onReadyRead, Qt::QueuedConnection);
    }
    ~Connection() override { m_socket->disconnect(this); }

    void write(const QByteArray &bytes)
    {
        if (!m_gone)
            m_socket->write(bytes);
    }

    void exchangeFinished(Exchange *exchange, bool keepAlive)
    {
        if (m_active == exchange)
            m_active = nullptr;
        exchange->deleteLater();
        if (m_gone) {
            deleteLater();
            return;
        }
        if (!keepAlive) {
            closeAfterWrite();
            return;
        }
        if (!m_dispatching)
            QMetaObject::invokeMethod(this, &Connection::processNext, Qt::QueuedConnection);
    }

    void exchangeAborted(Exchange *exchange)
    {
        if (m_active == exchange)
            m_active = nullptr;
        exchange->deleteLater();
        m_socket->abort();
        onDisconnected();
    }

private:
    void onReadyRead()
    {
        const QByteArray bytes = m_socket->readAll();
        if (m_closing || m_gone)
            return;
        m_reader.feed(bytes);
        processNext();
    }

    void processNext()
    {
        if (m_dispatching || m_closing || m_gone)
            return;
        m_dispatching = true;
        Request request;
        while (!m_active && !m_closing && !m_gone && m_reader.take(&request)) {
            m_active = new Exchange(this, std::move(request));
            m_handler(m_active);
        }
        m_dispatching = false;
        if (m_active || m_closing || m_gone)
            return;
        if (m_reader.failed()) {
            const int status = m_reader.errorStatus();
            const QByteArray body = "{\"error\":{\"message\":\"" + reasonPhrase(status) +
                                    "\",\"type\":\"invalid_request_error\",\"param\":null,"
                                    "\"code\":null}}";
            write(responseHead(status, {{"content-type", "application/json"}}, body.size(), false) +
                  body);
            closeAfterWrite();
            return;
        }
        if (m_reader.takeContinue())
            write("HTTP/1.1 100 Continue\r\n\r\n");
    }

    void closeAfterWrite()
    {
        m_closing = true;
        m_socket->disconnectFromHost(); // once what was written has gone
    }

    void onDisconnected()
    {
        if (m_gone)
            return;
        m_gone = true;
        if (m_active)
            m_active->markClientGone();
        if (!m_active)
            deleteLater();
    }

    const Handler &m_handler;
    QTcpSocket *m_socket;
    RequestReader m_reader;
    Exchange *m_active = nullptr;
    bool m_dispatching = false;
    bool m_closing = false;
    bool m_gone = false;
};

// ---- Exchange

Exchange::Exchange(Connection *connection, Request request)
    : QObject(connection), m_connection(connection), m_request(std::move(request))
{
}

void Exchange::respond(int status, const Headers &headers, const QByteArray &body)
{
    if (m_finished)
        return;
    if (m_streaming) {
        endStream();
        return;
    }
    const bool keepAlive = m_request.keepAlive;
    Headers all = headers;
    if (keepAlive && m_request.versionMinor == 0)
        all.append(qMakePair(QByteArray("connection"), QByteArray("keep-alive")));
    if (!m_gone)
        m_connection->write(responseHead(status, all, body.size(), keepAlive) + body);
    finish(keepAlive);
}

void Exchange::beginStream(int status, const Headers &headers)
{
    if (m_finished || m_streaming)
        return;
    m_streaming = true;
    // HTTP/1.0 has no chunked coding: the body then ends when the connection closes.
    m_chunked = m_request.versionMinor >= 1;
    if (!m_gone)
        m_connection->write(headLines(status, headers) + (m_chunked
                                                              ? "transfer-encoding: chunked\r\n\r\n"
                                                              : "connection: close\r\n\r\n"));
}

void Exchange::writeStream(const QByteArray &data)
{
    if (m_finished || !m_streaming || m_gone || data.isEmpty())
        return;
    m_connection->write(m_chunked ? QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n"
                                  : data);
}

void Exchange::endStream()
{
    if (m_finished)
        return;
    if (!m_streaming) {
        respond(200, {}, {});
        return;
    }
    if (!m_gone && m_chunked)
        m_connection->write("0\r\n\r\n");
    finish(m_chunked && m_request.keepAlive);
}

void Exchange::abortConnection()
{
    if (m_finished)
        return;
    m_finished = true;
    m_gone = true;
    m_connection->exchangeAborted(this);
}

void Exchange::markClientGone()
{
    if (m_gone || m_finished)
        return;
    m_gone = true;
    Q_EMIT clientGone();
}

void Exchange::finish(bool keepAlive)
{
    m_finished = true;
    m_connection->exchangeFinished(this, keepAlive);
}

// ---- Worker and Server

// One thread's share of the connections (their parent).
class Worker : public QObject
{
public:
    explicit Worker(const Handler &handler) : m_handler(handler) {}
    void addConnection(qintptr descriptor) { new Connection(descriptor, m_handler, this); }

private:
    const Handler &m_handler;
};

class Server::Acceptor : public QTcpServer
{
public:
    explicit Acceptor(std::vector<Worker *> workers) : m_workers(std::move(workers)) {}

protected:
    void incomingConnection(qintptr descriptor) override
    {
        Worker *worker = m_workers[m_next++ % m_workers.size()];
        if (worker->thread() == QThread::currentThread())
            worker->addConnection(descriptor);
        else
            QMetaObject::invokeMethod(
                worker, [worker, descriptor] { worker->addConnection(descriptor); },
                Qt::QueuedConnection);
    }

private:
    std::vector<Worker *> m_workers;
    size_t m_next = 0;
};

Server::Server(QHostAddress host, quint16 port, int workers, Handler handler)
    : m_host(std::move(host)), m_port(port), m_workerCount(qMax(1, workers)),
      m_handler(std::move(handler))
{
}

Server::~Server()
{
    stop();
}

bool Server::start(QString *error)
{
    // Benchmarks open thousands of connections: the open-file limit goes to its hard limit.
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }
    for (int i = 0; i < m_workerCount; ++i) {
        auto *thread = new QThread;
        thread->setObjectName(QStringLiteral("sim-worker-%1").arg(i));
        auto *worker = new Worker(m_handler);
        worker->moveToThread(thread);
        thread->start();
        m_threads.push_back(thread);
        m_workers.push_back(worker);
    }
    m_acceptor = new Acceptor(m_workers);
    m_acceptor->moveToThread(m_threads.front());
    bool listening = false;
    QString listenError;
    QMetaObject::invokeMethod(
        m_acceptor,
        [&] {
            m_acceptor->setListenBacklogSize(1024);
            listening = m_acceptor->listen(m_host, m_port);
            if (listening)
                m_port = m_acceptor->serverPort();
            else
                listenError = m_acceptor->errorString();
        },
        Qt::BlockingQueuedConnection);
    if (!listening) {
        if (error)
            *error = QStringLiteral("cannot listen on %1:%2: %3")
                         .arg(m_host.toString())
                         .arg(m_port)
                         .arg(listenError);
        stop();
        return false;
    }
    return true;
}

void Server::stop()
{
    if (m_acceptor) {
        Acceptor *acceptor = m_acceptor;
        QMetaObject::invokeMethod(
            acceptor, [acceptor] { delete acceptor; }, Qt::BlockingQueuedConnection);
        m_acceptor = nullptr;
    }
    for (size_t i = 0; i < m_workers.size(); ++i) {
        Worker *worker = m_workers[i];
        QMetaObject::invokeMethod(
            worker, [worker] { delete worker; }, Qt::BlockingQueuedConnection);
        m_threads[i]->quit();
        m_threads[i]->wait();
        delete m_threads[i];
    }
    m_workers.clear();
    m_threads.clear();
}

} // namespace relay::sim
