#include "WebhookSender.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>
#include <QUrl>

namespace relay {

namespace {

// Short reasons of our own: Qt's error strings may quote the URL.
QString failureReason(QNetworkReply *reply)
{
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status > 0)
        return QStringLiteral("HTTP %1").arg(status);
    switch (reply->error()) {
    case QNetworkReply::ConnectionRefusedError:
        return QStringLiteral("connection refused");
    case QNetworkReply::RemoteHostClosedError:
        return QStringLiteral("connection closed");
    case QNetworkReply::HostNotFoundError:
        return QStringLiteral("host not found");
    case QNetworkReply::TimeoutError:
    case QNetworkReply::OperationCanceledError:
        return QStringLiteral("timed out");
    case QNetworkReply::SslHandshakeFailedError:
        return QStringLiteral("TLS handshake failed");
    default:
        return QStringLiteral("network error %1").arg(int(reply->error()));
    }
}

} // namespace

WebhookSender::WebhookSender(WebhookOptions options, QObject *parent)
    : QObject(parent), m_options(options), m_network(new QNetworkAccessManager(this))
{
}

WebhookSender::~WebhookSender() = default;

void WebhookSender::send(qint64 alertId, const QString &url, const QByteArray &body)
{
    ++m_pending;
    attempt(Job{alertId, url, body, 0});
}

void WebhookSender::attempt(Job job)
{
    ++job.attempt;
    const QUrl url(job.url);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || url.host().isEmpty() ||
        (scheme != QLatin1String("http") && scheme != QLatin1String("https")))
        return done(job, QStringLiteral("failed: not an http(s) URL"));
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("TenantRelay/0.1"));
    request.setTransferTimeout(m_options.timeoutMs);
    QNetworkReply *reply = m_network->post(request, job.body);
    connect(reply, &QNetworkReply::finished, this, [this, reply, job] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (reply->error() == QNetworkReply::NoError && status >= 200 && status < 300)
            return done(job, QStringLiteral("delivered"));
        const QString reason = failureReason(reply);
        if (job.attempt >= m_options.attempts)
            return done(job, QStringLiteral("failed: ") + reason);
        const qint64 wait = m_options.retryBaseMs << std::min(job.attempt - 1, 20);
        QTimer::singleShot(std::chrono::milliseconds(wait), this, [this, job] { attempt(job); });
    });
}

void WebhookSender::done(const Job &job, const QString &delivery)
{
    --m_pending;
    Q_EMIT finished(job.alertId, delivery);
}

} // namespace relay
