#pragma once

#include <QSslCertificate>
#include <QString>

namespace relay::test {

// A self-signed certificate for 127.0.0.1 and its unencrypted key, as PEM files.
struct TestCertificate
{
    QString cert;
    QString key;
    QSslCertificate certificate() const;
};

// Made by Debian's openssl into DIR/NAME.crt and DIR/NAME.key (EC P-256, or RSA 2048).
TestCertificate makeTestCertificate(const QString &dir, const QString &name, bool rsa = false);

} // namespace relay::test
