#pragma once

#include "admin/RemoteAdmin.h"
#include "core/SseEventSplitter.h"
#include "relay/Engine.h"

#include <QElapsedTimer>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QTimer>

class QNetworkReply;

namespace relay {

// The live side of a relay the console manages through its admin API (`--connect`): reads
// GET /admin/v1/events as a stream and gives each `stats` event as the snapshot the embedded
// engine would have given, each `alert` and `circuit` event as a signal. When the relay cannot
// be reached, the stream breaks or stays silent past the keep-alive, it says so and connects
// again by itself, waiting a little longer after each failure. Never blocks the thread it lives
// on (the GUI thread).
class RemoteRelay : public QObject
{
    Q_OBJECT
public:
    struct Timing
    {
        // Waits before each new attempt after a failure; the last one repeats.
        QList<int> retryMs{1000, 2000, 5000, 10000};
        // A stream silent this long is taken for dead (the relay comments every 15 s).
        int silenceMs = 40000;
    };

    explicit RemoteRelay(RemoteAdminOptions options, QObject *parent = nullptr);
    RemoteRelay(RemoteAdminOptions options, Timing timing, QObject *parent = nullptr);
    ~RemoteRelay() override;

    // Opens the stream; connects again by itself from then on.
    void start();
    bool isConnected() const { return m_connected; }
    // Why the last attempt failed, one line; empty while connected.
    QString lastError() const { return m_lastError; }
    // The digest (hex SHA-256) of a certificate the relay presented that is not trusted.
    QByteArray untrustedCertificateSha256() const { return m_untrusted; }
    // The relay's URL as the user gave it, for titles and messages.
    QString url() const;
    // Milliseconds until the next attempt; -1 while connected or connecting.
    int retryInMs() const;
    const EngineStatsSnapshot &lastStats() const { return m_stats; }

Q_SIGNALS:
    void statsUpdated(const relay::EngineStatsSnapshot &stats);
    void alertRaised();
    void circuitChanged();
    // Connected (the stream answered 200), or not any more with why and when it tries again.
    void connectionChanged(bool connected);

private:
    void open();
    void readEvents();
    void streamEnded();
    void failed(const QString &why);

    RemoteAdminOptions m_options;
    Timing m_timing;
    QNetworkAccessManager m_network;
    QPointer<QNetworkReply> m_reply;
    SseEventSplitter m_splitter;
    QTimer m_retry;
    QTimer m_silence;
    int m_failures = 0;
    bool m_connected = false;
    QString m_lastError;
    QByteArray m_untrusted;
    EngineStatsSnapshot m_stats;
};

} // namespace relay
