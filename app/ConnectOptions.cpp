#include "ConnectOptions.h"

#include "CommandSpec.h"
#include "admin/RemoteAdmin.h"

#include <QFileInfo>

namespace relay::app {

int ConnectOptions::resolve(CliOutput &out, RemoteAdminOptions *options, Token token) const
{
    const QUrl parsed(url, QUrl::StrictMode);
    const QString scheme = parsed.scheme();
    if (!parsed.isValid() || parsed.host().isEmpty() ||
        (scheme != QLatin1String("http") && scheme != QLatin1String("https")) ||
        parsed.hasQuery() || parsed.hasFragment())
        return out.usageError(QStringLiteral("--connect needs the relay's http:// or https:// "
                                             "URL (e.g. https://relay.example.com:8700), not "
                                             "'%1'")
                                  .arg(url));
    if (!parsed.userInfo().isEmpty())
        return out.usageError(QStringLiteral("--connect: put the admin token in an environment "
                                             "variable (--admin-token-env VAR), not in the URL"));
    options->url = parsed;
    options->tokenSource = QLatin1Char('$') + tokenEnv;
    options->token = qgetenv(tokenEnv.toLocal8Bit().constData());
    if (options->token.isEmpty() && token == TokenRequired)
        return out.usageError(QStringLiteral("--connect needs the relay's admin token in $%1 "
                                             "(or name another variable with --admin-token-env "
                                             "VAR)")
                                  .arg(tokenEnv));
    if (caFile.isEmpty())
        return kExitOk;
    if (scheme != QLatin1String("https"))
        return out.usageError(
            QStringLiteral("--connect-ca is for an https:// URL; %1 is plain HTTP").arg(url));
    if (!QFileInfo(caFile).isReadable())
        return out.failure(QStringLiteral("--connect-ca %1: cannot read the file").arg(caFile));
    options->caCertificates = QSslCertificate::fromPath(caFile, QSsl::Pem);
    if (options->caCertificates.isEmpty())
        return out.failure(
            QStringLiteral("--connect-ca %1: no PEM certificate in the file").arg(caFile));
    return kExitOk;
}

} // namespace relay::app
