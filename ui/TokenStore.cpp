#include "TokenStore.h"

#include <qt6keychain/keychain.h>

#include <QEventLoop>
#include <QSettings>
#include <QTimer>

namespace relay::ui {

namespace {

const QString kService = QStringLiteral("TenantRelay admin token");

// Runs `job` to its end (or the timeout); true when it succeeded.
bool finish(QKeychain::Job &job, QString *error)
{
    job.setAutoDelete(false);
    bool done = false;
    QEventLoop loop;
    QObject::connect(&job, &QKeychain::Job::finished, &loop, [&done, &loop] {
        done = true;
        loop.quit();
    });
    QTimer::singleShot(TokenStore::kTimeoutMs, &loop, &QEventLoop::quit);
    job.start();
    if (!done)
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    if (!done) {
        if (error)
            *error = QObject::tr("the keychain did not answer within %1 s")
                         .arg(TokenStore::kTimeoutMs / 1000);
        return false;
    }
    if (job.error() != QKeychain::NoError) {
        if (error)
            *error = job.error() == QKeychain::NoBackendAvailable
                         ? QObject::tr("no keychain service runs on this desktop")
                         : job.errorString();
        return false;
    }
    return true;
}

QString settingsKey(const QString &url)
{
    // One group per relay; QSettings keys cannot hold '/' as data.
    return QStringLiteral("trustedCertificates/") +
           QString::fromLatin1(url.toUtf8().toBase64(QByteArray::Base64UrlEncoding));
}

} // namespace

namespace TokenStore {

QByteArray read(const QString &url, QString *error)
{
    QKeychain::ReadPasswordJob job(kService);
    job.setKey(url);
    if (!finish(job, error))
        return {};
    return job.textData().toUtf8();
}

bool write(const QString &url, const QByteArray &token, QString *error)
{
    QKeychain::WritePasswordJob job(kService);
    job.setKey(url);
    job.setTextData(QString::fromUtf8(token));
    return finish(job, error);
}

bool remove(const QString &url, QString *error)
{
    QKeychain::DeletePasswordJob job(kService);
    job.setKey(url);
    return finish(job, error);
}

} // namespace TokenStore

namespace TrustedCertificates {

QByteArray digestFor(const QString &url)
{
    return QSettings().value(settingsKey(url)).toByteArray();
}

void trust(const QString &url, const QByteArray &sha256Hex)
{
    QSettings().setValue(settingsKey(url), sha256Hex);
}

} // namespace TrustedCertificates

} // namespace relay::ui
