#pragma once

#include "http/HttpMessage.h"
#include "http/HttpResponseParser.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QSslCertificate>
#include <QSslSocket>

namespace relay::test {

struct TestResponse
{
    int status = 0;
    HttpHeaders headers;
    QByteArray body;
    QList<QByteArray> bodyPieces; // as they arrived
    qint64 firstBodyMs = -1;      // since send()
    qint64 doneMs = -1;
    bool complete = false;
    bool connectionClosed = false;

    QByteArray header(QByteArrayView name) const { return headerValue(headers, name); }
    // The body as JSON (object), or empty.
    QJsonObject json() const;
    // A field of the OpenAI error body ("code", "type", "message"), or empty.
    QString errorField(const char *field) const;
    // The data payloads of an SSE body, in order.
    QList<QByteArray> sseData() const;
};

// A raw HTTP/1.1 (or HTTPS) client over one socket, so tests control exactly what goes on the wire
// (and can run hundreds of connections at once, which QNetworkAccessManager cannot).
// Lives on the test thread.
class TestHttpClient : public QObject
{
    Q_OBJECT
public:
    explicit TestHttpClient(quint16 port, QObject *parent = nullptr);

    // Sends one request; the response lands in response().
    void send(const QByteArray &method, const QByteArray &path, const QByteArray &body = {},
              const HttpHeaders &headers = {});
    // Writes raw bytes (for malformed input and pipelining).
    void sendRaw(const QByteArray &bytes);
    bool waitDone(int timeoutMs = 10'000);
    bool waitFirstBody(int timeoutMs = 10'000);
    bool waitClosed(int timeoutMs = 10'000);
    void close();
    const TestResponse &response() const { return m_response; }
    // Every byte received on this connection (for pipelining checks).
    const QByteArray &raw() const { return m_raw; }
    void resetResponse();

    // Speaks HTTPS from the next connection on, trusting only `trusted` (self-signed, for
    // 127.0.0.1).
    void useTls(const QSslCertificate &trusted);
    QSslSocket &socket() { return m_socket; }

    // Convenience: a JSON POST with a bearer key.
    static HttpHeaders bearer(const QString &key);

Q_SIGNALS:
    void done();
    void firstBody();

private:
    void onReadyRead();
    void connectIfNeeded();

    quint16 m_port;
    QSslSocket m_socket; // plain TCP unless useTls()
    QSslCertificate m_trusted;
    HttpResponseParser m_parser;
    TestResponse m_response;
    QByteArray m_raw;
    QElapsedTimer m_timer;
};

// Sends one request on a fresh connection and waits for the answer.
TestResponse request(quint16 port, const QByteArray &method, const QByteArray &path,
                     const QByteArray &body = {}, const HttpHeaders &headers = {},
                     int timeoutMs = 10'000);

// A loopback port nothing listens on (a provider that is down).
quint16 closedPort();

} // namespace relay::test
