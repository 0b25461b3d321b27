#pragma once

#include "http/HttpResponseParser.h"

#include <QByteArray>
#include <QObject>
#include <QSslSocket>

namespace relay {

// One keep-alive HTTP/1.1 connection to a relay on loopback (HTTPS when `tls`) that sends one
// request at a time and reports each answer's status. Drives the demo's simulated tenants and the
// console's load benchmark. Lives on the thread that created it.
class LoadClient : public QObject
{
    Q_OBJECT
public:
    explicit LoadClient(quint16 port, bool tls = false, QObject *parent = nullptr);

    bool isBusy() const { return m_busy; }
    // Sends a complete raw request (see chatRequest); ignored while busy.
    void send(const QByteArray &request);

    // POST /v1/chat/completions with `key` as the bearer token.
    static QByteArray chatRequest(const QByteArray &key, const QByteArray &body);
    // A chat body with `promptChars` characters of prompt.
    static QByteArray chatBody(const QString &model, int promptChars, int maxTokens,
                               bool stream = false);

Q_SIGNALS:
    // The answer's status; 0 when the connection failed or the answer was cut.
    void finished(int status);

private:
    void onReadyRead();
    void onClosed();
    void finish(int status);

    quint16 m_port;
    bool m_tls = false;
    QSslSocket m_socket;
    HttpResponseParser m_parser;
    bool m_busy = false;
};

} // namespace relay
