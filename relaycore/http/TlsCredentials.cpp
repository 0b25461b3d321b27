#include "TlsCredentials.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>

#include <sys/socket.h>

#include <unistd.h>

namespace relay {

namespace {

bool readFile(const QString &path, const char *what, QByteArray *data, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read the TLS %1 file %2: %3")
                     .arg(QLatin1String(what), path, file.errorString());
        return false;
    }
    *data = file.readAll();
    return true;
}

QSslKey parseKey(const QByteArray &pem)
{
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        QSslKey key(pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            return key;
    }
    return {};
}

// Whether the key belongs to the certificate: the TLS backend checks that when it builds a
// server context, which starting a server handshake on one end of a socket pair does at once
// (nothing is sent; the pair is closed right after).
bool keyMatchesCertificate(const QSslConfiguration &configuration)
{
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return true; // cannot tell; a mismatch then shows as failed handshakes
    ::close(pair[1]);
    QSslSocket probe;
    probe.setSslConfiguration(configuration);
    if (!probe.setSocketDescriptor(pair[0])) {
        ::close(pair[0]);
        return true;
    }
    probe.startServerEncryption();
    // The backend reports a context it cannot build as an internal error.
    const bool ok = probe.error() != QAbstractSocket::SslInternalError &&
                    probe.error() != QAbstractSocket::SslInvalidUserDataError;
    probe.abort();
    return ok;
}

} // namespace

TlsCredentials::TlsCredentials(QString certFile, QString keyFile)
    : m_certFile(std::move(certFile)), m_keyFile(std::move(keyFile))
{
}

std::shared_ptr<const QSslConfiguration>
TlsCredentials::read(const QString &certFile, const QString &keyFile, QString *error)
{
    if (!QSslSocket::supportsSsl()) {
        *error = QStringLiteral("TLS is not available: no TLS backend (Qt's OpenSSL plugin and "
                                "libssl) could be loaded");
        return nullptr;
    }
    QByteArray certPem;
    QByteArray keyPem;
    if (!readFile(certFile, "certificate", &certPem, error) ||
        !readFile(keyFile, "key", &keyPem, error))
        return nullptr;
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certPem, QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull()) {
        *error = QStringLiteral("%1 is not a PEM certificate (-----BEGIN CERTIFICATE-----)")
                     .arg(certFile);
        return nullptr;
    }
    if (keyPem.contains("ENCRYPTED")) {
        *error = QStringLiteral("the key in %1 is protected by a passphrase, which TenantRelay "
                                "does not ask for; store it without one (openssl pkey -in %1 -out "
                                "NEWFILE) and keep that file readable by this user only")
                     .arg(keyFile);
        return nullptr;
    }
    const QSslKey key = parseKey(keyPem);
    if (key.isNull()) {
        *error = QStringLiteral("%1 is not a PEM private key (RSA, EC or DSA)").arg(keyFile);
        return nullptr;
    }
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(key);
    // The relay does not ask its clients for certificates.
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    if (!keyMatchesCertificate(configuration)) {
        *error = QStringLiteral("the key in %1 does not belong to the certificate in %2")
                     .arg(keyFile, certFile);
        return nullptr;
    }
    return std::make_shared<const QSslConfiguration>(configuration);
}

bool TlsCredentials::load(QString *error)
{
    QString why;
    auto configuration = read(m_certFile, m_keyFile, &why);
    if (!configuration) {
        if (error)
            *error = why;
        return false;
    }
    std::lock_guard lock(m_mutex);
    m_configuration = std::move(configuration);
    return true;
}

std::shared_ptr<const QSslConfiguration> TlsCredentials::configuration() const
{
    std::lock_guard lock(m_mutex);
    return m_configuration;
}

} // namespace relay
