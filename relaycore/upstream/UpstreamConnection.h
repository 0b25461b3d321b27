#pragma once

#include <QObject>
#include <QTcpSocket>

#include <memory>

namespace relay {

// Where a connection goes: scheme, host and port.
struct UpstreamEndpoint
{
    bool tls = false;
    QString host;
    quint16 port = 0;

    QString key() const;
};

// One socket to an upstream (QTcpSocket, or QSslSocket for https), reused for successive
// requests while the upstream keeps it alive. Lives on one worker thread.
class UpstreamConnection : public QObject
{
    Q_OBJECT
public:
    explicit UpstreamConnection(const UpstreamEndpoint &endpoint, QObject *parent = nullptr);
    ~UpstreamConnection() override;

    const UpstreamEndpoint &endpoint() const { return m_endpoint; }
    QTcpSocket *socket() const { return m_socket.get(); }
    // Starts connecting (and the TLS handshake); `ready` is emitted when requests can be written.
    void open();
    bool isReady() const { return m_ready; }
    bool isOpen() const;
    qint64 idleSinceMs = 0;

Q_SIGNALS:
    void ready();

private:
    UpstreamEndpoint m_endpoint;
    std::unique_ptr<QTcpSocket> m_socket;
    bool m_ready = false;
};

} // namespace relay
