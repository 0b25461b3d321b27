#pragma once

#include <QHostAddress>
#include <QString>

namespace relay {

// Listen address, threads, and the client-side limits of interface.md §4 "Server limits".
struct ServerConfig
{
    QHostAddress host = QHostAddress::LocalHost;
    quint16 port = 8700;
    int workers = 0; // 0 = one per core
    qint64 maxBodyBytes = 8 * 1024 * 1024;
    qint64 maxHeaderBytes = 32 * 1024;
    int maxClientConnections = 4096;
    qint64 headerTimeoutMs = 10'000;
    qint64 idleTimeoutMs = 60'000;
    // A client that takes nothing of its answer for this long is closed (its request ended).
    qint64 sendTimeoutMs = 60'000;
    // After an answer that ends the connection, what still arrives is read and thrown away for
    // up to this long before closing, so that the client sees the answer rather than a reset.
    qint64 lingerTimeoutMs = 5'000;
    // A client that shuts its sending side after its request still gets the answer; false: the
    // end of its input ends the request at once (as a client that has gone).
    bool answerHalfClosedClients = true;
    // Request-body bytes held in memory across all connections (503 beyond).
    qint64 maxBufferedBodyBytes = 256 * 1024 * 1024;
    // HTTPS on the listener: a PEM certificate (chain) and its unencrypted PEM key; both empty:
    // plain HTTP. Re-read on HttpServer::reloadTls().
    QString tlsCertFile;
    QString tlsKeyFile;

    // Whether the listener speaks TLS (the admin API refuses a non-loopback listener without).
    bool tlsEnabled() const { return !tlsCertFile.isEmpty() || !tlsKeyFile.isEmpty(); }
    // The worker threads run on epoll (core/EpollEventDispatcher) rather than Qt's own
    // dispatcher, which polls every connection on each wake-up. TENANTRELAY_DISPATCHER=qt in the
    // environment overrides it (usesEpollDispatcher()).
    bool epollDispatcher = true;
};

// Whether the worker threads get the epoll dispatcher: the config's choice, unless the
// environment says TENANTRELAY_DISPATCHER=qt.
bool usesEpollDispatcher(const ServerConfig &config);

// "HOST:PORT" (`serve --listen`, the console's listen setting): an IP address, `localhost` or a
// bracketed IPv6 address, and a port; false when it is not one.
bool parseListenAddress(const QString &text, QHostAddress *host, quint16 *port);

} // namespace relay
