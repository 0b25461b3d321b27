#pragma once

#include <QObject>
#include <QString>

class QNetworkAccessManager;

namespace relay {

struct WebhookOptions
{
    int attempts = 5;          // in all, the first included
    qint64 retryBaseMs = 1000; // waits 1×, 2×, 4×, … this between attempts
    int timeoutMs = 10'000;    // one attempt, from sending to the end of the answer
};

// POSTs alert JSON to webhook URLs (http, or https where Qt has TLS), retrying with exponential
// backoff, and reports each alert's final delivery. Lives on the alert thread; nothing it does
// ever waits for the network.
class WebhookSender : public QObject
{
    Q_OBJECT
public:
    explicit WebhookSender(WebhookOptions options, QObject *parent = nullptr);
    ~WebhookSender() override;

    void send(qint64 alertId, const QString &url, const QByteArray &body);
    int pending() const { return m_pending; }

Q_SIGNALS:
    // delivery: "delivered" or "failed: REASON" (a reason never holds the URL, which may carry
    // a secret).
    void finished(qint64 alertId, const QString &delivery);

private:
    struct Job
    {
        qint64 alertId = 0;
        QString url;
        QByteArray body;
        int attempt = 0;
    };
    void attempt(Job job);
    void done(const Job &job, const QString &delivery);

    WebhookOptions m_options;
    QNetworkAccessManager *m_network;
    int m_pending = 0;
};

} // namespace relay
