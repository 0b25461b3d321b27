#include "TokenStore.h"

#include <qt6keychain/keychain.h>

#include <QEventLoop>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSettings>
#include <QTimer>

#include <array>
#include <memory>

namespace relay::ui {

namespace {

const QString kService = QStringLiteral("TenantRelay admin token");

// Runs `job` to its end (or the timeout); true when it succeeded. The job lives on the heap and
// deletes itself when it ends: one the keychain never answers may still be running after we stop
// waiting for it.
bool finish(QKeychain::Job *job, QString *error, QString *text = nullptr)
{
    job->setAutoDelete(true);
    struct Outcome
    {
        bool done = false;
        QKeychain::Error error = QKeychain::NoError;
        QString errorString;
        QString text;
    };
    auto outcome = std::make_shared<Outcome>();
    QEventLoop loop;
    QObject::connect(job, &QKeychain::Job::finished, &loop, [outcome, &loop](QKeychain::Job *j) {
        outcome->done = true;
        outcome->error = j->error();
        outcome->errorString = j->errorString();
        if (auto *read = qobject_cast<QKeychain::ReadPasswordJob *>(j))
            outcome->text = read->textData();
        loop.quit();
    });
    QTimer::singleShot(TokenStore::kTimeoutMs, &loop, &QEventLoop::quit);
    job->start();
    if (!outcome->done)
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    if (!outcome->done) {
        if (error)
            *error = QObject::tr("the keychain did not answer within %1 s")
                         .arg(TokenStore::kTimeoutMs / 1000);
        return false;
    }
    if (outcome->error != QKeychain::NoError) {
        if (error)
            *error = outcome->error == QKeychain::NoBackendAvailable
                         ? QObject::tr("no keychain service runs on this desktop")
                         : outcome->errorString;
        return false;
    }
    if (text)
        *text = outcome->text;
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
    auto *job = new QKeychain::ReadPasswordJob(kService);
    job->setKey(url);
    QString text;
    if (!finish(job, error, &text))
        return {};
    return text.toUtf8();
}

bool write(const QString &url, const QByteArray &token, QString *error)
{
    auto *job = new QKeychain::WritePasswordJob(kService);
    job->setKey(url);
    job->setTextData(QString::fromUtf8(token));
    return finish(job, error);
}

bool remove(const QString &url, QString *error)
{
    auto *job = new QKeychain::DeletePasswordJob(kService);
    job->setKey(url);
    return finish(job, error);
}

QString localRelayKey(const QString &dbPath)
{
    return QStringLiteral("console relay on ") + QFileInfo(dbPath).absoluteFilePath();
}

QByteArray newToken()
{
    // 32 random bytes: as strong as the tenant keys, and safe in a header and a shell.
    std::array<quint32, 8> words;
    QRandomGenerator::system()->fillRange(words.data(), qsizetype(words.size()));
    const QByteArray bytes(reinterpret_cast<const char *>(words.data()), sizeof(words));
    return QByteArrayLiteral("tra-") +
           bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
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
