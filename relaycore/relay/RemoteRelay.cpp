#include "RemoteRelay.h"

#include "relay/StatsJson.h"

#include <QJsonDocument>
#include <QNetworkReply>

namespace relay {

RemoteRelay::RemoteRelay(RemoteAdminOptions options, QObject *parent)
    : RemoteRelay(std::move(options), Timing(), parent)
{
}

RemoteRelay::RemoteRelay(RemoteAdminOptions options, Timing timing, QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_timing(std::move(timing))
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &RemoteRelay::open);
    m_silence.setSingleShot(true);
    m_silence.setInterval(m_timing.silenceMs);
    connect(&m_silence, &QTimer::timeout, this, [this] {
        failed(tr("the relay sent nothing for %1 s").arg(m_timing.silenceMs / 1000));
    });
}

RemoteRelay::~RemoteRelay()
{
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        delete m_reply;
    }
}

QString RemoteRelay::url() const
{
    return m_options.url.toString(QUrl::RemoveUserInfo | QUrl::StripTrailingSlash);
}

int RemoteRelay::retryInMs() const
{
    return m_retry.isActive() ? m_retry.remainingTime() : -1;
}

void RemoteRelay::start()
{
    open();
}

void RemoteRelay::open()
{
    m_splitter = SseEventSplitter();
    QNetworkRequest request = adminRequest(m_options, QStringLiteral("events"));
    request.setRawHeader("Accept", "text/event-stream");
    // A stream: no transfer timeout; the silence timer watches it instead.
    m_reply = m_network.get(request);
    m_untrusted.clear();
    acceptTrustedCertificate(m_reply, m_options, &m_untrusted);
    connect(m_reply, &QNetworkReply::readyRead, this, &RemoteRelay::readEvents);
    connect(m_reply, &QNetworkReply::finished, this, &RemoteRelay::streamEnded);
    m_silence.start();
}

void RemoteRelay::readEvents()
{
    QNetworkReply *reply = m_reply;
    if (!reply)
        return;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status != 200)
        return; // the answer is read whole when it finishes
    m_silence.start();
    if (!m_connected) {
        m_connected = true;
        m_failures = 0;
        m_lastError.clear();
        Q_EMIT connectionChanged(true);
    }
    for (const QByteArray &event : m_splitter.feed(reply->readAll())) {
        const QByteArray name = SseEventSplitter::name(event);
        bool hasData = false;
        const QByteArray data = SseEventSplitter::data(event, &hasData);
        if (!hasData)
            continue;
        if (name == "stats") {
            const QJsonDocument json = QJsonDocument::fromJson(data);
            if (!json.isObject())
                continue;
            m_stats = statsFromJson(json.object());
            Q_EMIT statsUpdated(m_stats);
        } else if (name == "alert") {
            Q_EMIT alertRaised();
        } else if (name == "circuit") {
            Q_EMIT circuitChanged();
        }
    }
}

void RemoteRelay::streamEnded()
{
    QNetworkReply *reply = m_reply;
    if (!reply)
        return;
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    QString why;
    if (!status.isValid()) {
        why = m_untrusted.isEmpty() ? reply->errorString()
                                    : tr("its certificate is not trusted (SHA-256 %1)")
                                          .arg(fingerprintText(m_untrusted));
    } else if (status.toInt() != 200) {
        const QJsonObject error = QJsonDocument::fromJson(reply->readAll())
                                      .object()
                                      .value(QStringLiteral("error"))
                                      .toObject();
        const QString message = error.value(QStringLiteral("message")).toString();
        why = status.toInt() == 404 && message.isEmpty()
                  ? tr("it has no admin API (start it with serve --admin-token-env VAR)")
                  : tr("it answered HTTP %1%2")
                        .arg(status.toInt())
                        .arg(message.isEmpty() ? QString() : QStringLiteral(": ") + message);
    } else {
        why = tr("it closed the event stream");
    }
    failed(why);
}

void RemoteRelay::failed(const QString &why)
{
    m_silence.stop();
    if (m_reply) {
        QNetworkReply *reply = m_reply;
        m_reply.clear();
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
    m_lastError = why;
    const int wait =
        m_timing.retryMs.value(qMin(m_failures, int(m_timing.retryMs.size()) - 1), 10000);
    ++m_failures;
    m_retry.start(wait);
    m_connected = false;
    // Said after each failed attempt too: the wait and the reason may have changed.
    Q_EMIT connectionChanged(false);
}

} // namespace relay
