#include "UpstreamConnection.h"

#include <QSslSocket>

namespace relay {

QString UpstreamEndpoint::key() const
{
    return (tls ? QStringLiteral("https://") : QStringLiteral("http://")) + host +
           QLatin1Char(':') + QString::number(port);
}

UpstreamConnection::UpstreamConnection(const UpstreamEndpoint &endpoint, QObject *parent)
    : QObject(parent), m_endpoint(endpoint)
{
    if (endpoint.tls) {
        auto *ssl = new QSslSocket;
        m_socket.reset(ssl);
        connect(ssl, &QSslSocket::encrypted, this, [this] {
            m_ready = true;
            Q_EMIT ready();
        });
    } else {
        m_socket = std::make_unique<QTcpSocket>();
        connect(m_socket.get(), &QTcpSocket::connected, this, [this] {
            m_ready = true;
            Q_EMIT ready();
        });
    }
}

UpstreamConnection::~UpstreamConnection()
{
    m_socket->disconnect();
    m_socket->abort();
}

void UpstreamConnection::open()
{
    // Bounded, so that pausing a stream for a slow client pushes back on the upstream.
    m_socket->setReadBufferSize(256 * 1024);
    if (m_endpoint.tls)
        static_cast<QSslSocket *>(m_socket.get())
            ->connectToHostEncrypted(m_endpoint.host, m_endpoint.port);
    else
        m_socket->connectToHost(m_endpoint.host, m_endpoint.port);
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
}

bool UpstreamConnection::isOpen() const
{
    return m_socket->state() == QAbstractSocket::ConnectedState;
}

} // namespace relay
