#pragma once

#include <QHashFunctions>
#include <QObject>
#include <QString>

#include <memory>

class QSocketNotifier;
class QSslSocket;
class QTcpSocket;

namespace relay {

// Where a connection goes: scheme, host and port.
struct UpstreamEndpoint
{
    bool tls = false;
    QString host;
    quint16 port = 0;

    friend bool operator==(const UpstreamEndpoint &a, const UpstreamEndpoint &b)
    {
        return a.tls == b.tls && a.port == b.port && a.host == b.host;
    }
    friend size_t qHash(const UpstreamEndpoint &e, size_t seed = 0)
    {
        return qHashMulti(seed, e.tls, e.host, e.port);
    }
};

class UpstreamConnection;

// Whoever holds a connection (a call, or the worker's idle cache) hears of it through this,
// on the connection's thread: one pointer set when the connection changes hands, no signal
// connections made and broken per request.
class UpstreamConnectionClient
{
public:
    virtual ~UpstreamConnectionClient() = default;
    // Connected (for https: the handshake is done): requests can be sent.
    virtual void connectionReady(UpstreamConnection *connection) = 0;
    // Bytes, the end of input or a broken connection wait to be read: call read().
    virtual void connectionReadable(UpstreamConnection *connection) = 0;
    // Connecting failed (errorString() says why).
    virtual void connectionFailed(UpstreamConnection *connection) = 0;
};

// One connection to an upstream, reused for successive requests while the upstream keeps it
// alive. Lives on one worker thread. Plain HTTP is connected by a QTcpSocket (name lookup,
// connect errors) and then read and written on its own descriptor: reads into one reusable
// buffer without asking the kernel how much waits first, each request leaves in one writev,
// and the descriptor is watched for writability only while the kernel's buffer is full.
// https stays on QSslSocket, behind the same interface.
class UpstreamConnection : public QObject
{
    Q_OBJECT
public:
    explicit UpstreamConnection(const UpstreamEndpoint &endpoint, QObject *parent = nullptr);
    ~UpstreamConnection() override;

    const UpstreamEndpoint &endpoint() const { return m_endpoint; }
    void setClient(UpstreamConnectionClient *client) { m_client = client; }
    // Starts connecting (and the TLS handshake); the client hears connectionReady() or
    // connectionFailed().
    void open();
    bool isReady() const { return m_ready; }
    // Connected, and neither an end of input nor an error has been seen.
    bool isOpen() const;
    // Bytes already taken from the kernel and not yet read (https only).
    bool hasBuffered() const;

    // Sends `head` followed by `body`; what the kernel does not take at once follows as the
    // socket drains. False when the connection is broken (read() then reports it). Plain HTTP,
    // while the worker's EpollEventDispatcher has more ready sockets to handle in this pass
    // (EpollEventDispatcher::atPassEndWhileBusy): the request leaves at the end of the pass,
    // with the pass's other writes (a break found then is reported through
    // connectionReadable()); `head` is copied, `body` shared.
    bool send(const QByteArray &head, const QByteArray &body);

    enum class ReadResult {
        Data,    // `data`/`size` hold bytes, valid until the next read()
        Nothing, // nothing for now
        End,     // the upstream closed its side
        Broken,  // reset, or an error
    };
    ReadResult read(const char *&data, qsizetype &size);
    // Closes the connection now (the upstream sees it at once); safe from inside a report of
    // this connection. The object itself goes with deleteLater().
    void abort();
    // Off: bytes stay in the kernel, the TCP window fills and the upstream waits.
    void setReading(bool on);
    QString errorString() const { return m_error; }

    qint64 idleSinceMs = 0;

private:
    void onConnected();
    void onConnectError();
    void onReadable();
    void onWritable();
    bool flushPending();
    // The end of the pass in which send() was called: writes m_pending and m_passEndBody.
    static void sendAtPassEnd(void *connection);
    // Writes `head` then `body` in one writev; what the kernel does not take waits in
    // m_pending for the write notifier. False when the connection broke.
    bool writeOrQueue(QByteArrayView head, const QByteArray &body);
    // Empties m_pending, zeroing it first: it held a request head, with the provider's key.
    void clearPending();
    static void wipe(QByteArray &bytes);
    void breakWith(int error);

    UpstreamEndpoint m_endpoint;
    UpstreamConnectionClient *m_client = nullptr;
    std::unique_ptr<QTcpSocket> m_connecting; // plain: until connected
    std::unique_ptr<QSslSocket> m_tls;        // https
    int m_fd = -1;                            // plain, once connected
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    QByteArray m_pending; // plain: request bytes the kernel has not taken yet
    qsizetype m_pendingSent = 0;
    bool m_sendAtPassEnd = false; // plain: m_pending, then m_passEndBody, leave at the pass end
    QByteArray m_passEndBody;
    std::unique_ptr<char[]> m_buffer;
    bool m_ready = false;
    bool m_reading = true;
    bool m_ended = false;
    bool m_broken = false;
    bool m_mayHaveMore = true; // plain: the last read filled the buffer, or none happened yet
    QString m_error;
};

} // namespace relay
