#pragma once

#include <QSslConfiguration>
#include <QString>

#include <memory>
#include <mutex>

namespace relay {

// The listener's certificate and private key (`serve --tls-cert/--tls-key`, the console's
// Settings): read from PEM files, checked, and shared by every worker thread as one server-side
// TLS configuration, replaced whole on reload (SIGHUP) so that new connections use the new
// certificate while open ones keep theirs.
// Thread-safe: configuration() from any thread; load() from one thread at a time.
class TlsCredentials
{
public:
    TlsCredentials(QString certFile, QString keyFile);

    // (Re-)reads both files. On failure the previous configuration stays in use and `error` is
    // one line naming the file and what is wrong with it.
    bool load(QString *error);
    // The configuration new connections get; nullptr until a load() succeeded.
    std::shared_ptr<const QSslConfiguration> configuration() const;
    QString certFile() const { return m_certFile; }
    QString keyFile() const { return m_keyFile; }

    // Reads and checks a certificate (chain) and its key into a server configuration.
    static std::shared_ptr<const QSslConfiguration> read(const QString &certFile,
                                                         const QString &keyFile, QString *error);

private:
    const QString m_certFile;
    const QString m_keyFile;
    mutable std::mutex m_mutex;
    std::shared_ptr<const QSslConfiguration> m_configuration;
};

} // namespace relay
