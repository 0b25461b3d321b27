#pragma once

#include <QHostAddress>

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
};

} // namespace relay
