#include "TestCertificate.h"

#include <QProcess>

namespace relay::test {

QSslCertificate TestCertificate::certificate() const
{
    const auto list = QSslCertificate::fromPath(cert);
    return list.isEmpty() ? QSslCertificate() : list.first();
}

TestCertificate makeTestCertificate(const QString &dir, const QString &name, bool rsa)
{
    TestCertificate files{dir + QLatin1Char('/') + name + QStringLiteral(".crt"),
                          dir + QLatin1Char('/') + name + QStringLiteral(".key")};
    QStringList args{"req",         "-x509",   "-nodes",
                     "-days",       "2",       "-subj",
                     "/CN=" + name, "-addext", "subjectAltName=IP:127.0.0.1",
                     "-keyout",     files.key, "-out",
                     files.cert};
    args += rsa ? QStringList{"-newkey", "rsa:2048"}
                : QStringList{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"};
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"), args);
    if (!openssl.waitForFinished(60'000) || openssl.exitCode() != 0)
        qWarning("openssl failed: %s", openssl.readAllStandardError().constData());
    return files;
}

} // namespace relay::test
