#pragma once

#include "ConsoleContext.h"
#include "PanelUtil.h"
#include "relay/Engine.h"

#include <QElapsedTimer>
#include <QWidget>

class QComboBox;
class QLabel;
class QTableView;

namespace relay::ui {

class LatencyChart;
class RowTableModel;

// Relay status, live rates, latency charts per tenant and per upstream, and upstream health.
// Everything comes from the engine's statsUpdated snapshots (circuit states and the failover
// pin included).
class DashboardPanel : public QWidget
{
    Q_OBJECT
public:
    explicit DashboardPanel(const ConsoleContext &context, QWidget *parent = nullptr);

    void showEngineStarted(const QString &listenAddress, const QString &dbPath, int workers,
                           bool tls = false);
    void showEngineFailed(const QString &error);
    // Another process's relay serves the database: this console manages it through the database.
    // The relay is elsewhere, managed through its admin API at `url`.
    void showManagingRemoteRelay(const QString &url);
    // Whether that relay can be reached now, and the status bar's words for it.
    void showConnection(bool connected, const QString &text);
    void showManagingOtherRelay(const QString &relay, const QString &baseUrl,
                                const QString &dbPath);
    void applyStats(const relay::EngineStatsSnapshot &stats);
    // Relay ▸ Pause new requests: the status line says new requests are refused.
    void showPaused(bool paused);

    LatencyChart *tenantChart() const { return m_tenantChart; }
    LatencyChart *upstreamChart() const { return m_upstreamChart; }
    RowTableModel *healthModel() const { return m_health; }

Q_SIGNALS:
    // The first-run guide's button: open the add dialog of that panel ("upstreamsPanel",
    // "tenantsPanel").
    void addRequested(const QString &panel);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    // The database's path (or where it is), shortened in the middle to the room there is.
    void showDatabasePath(const QString &text, const QString &toolTip = QString());
    void elideDatabasePath();
    void rebuildHealthRows();
    void loadHistory();
    // The next step while the relay has no provider or no tenant, else hidden.
    void updateNextStep(const relay::EngineStatsSnapshot &stats);

    ConsoleContext m_context;
    QLabel *m_status = nullptr;
    QWidget *m_nextStep = nullptr;
    QString m_nextPanel;   // where the next step's button leads
    QString m_runningText; // the status line while not paused
    QString m_remoteUrl;   // the relay managed through its admin API; empty for a local one
    QLabel *m_address = nullptr;
    QLabel *m_database = nullptr;
    QString m_databaseText; // m_database's text before shortening
    QLabel *m_workers = nullptr;
    QLabel *m_uptime = nullptr;
    QLabel *m_requests = nullptr;
    QLabel *m_rate = nullptr;
    QLabel *m_inFlight = nullptr;
    QLabel *m_queued = nullptr;
    QLabel *m_errorRate = nullptr;
    QLabel *m_refused = nullptr;
    QLabel *m_pinned = nullptr;
    QComboBox *m_chartWindow = nullptr;
    LatencyChart *m_tenantChart = nullptr;
    LatencyChart *m_upstreamChart = nullptr;
    RowTableModel *m_health = nullptr;
    QTableView *m_healthView = nullptr;
    QElapsedTimer m_clock;
    EngineStatsSnapshot m_last;
    bool m_haveLast = false;
    struct Health
    {
        QString state;
        QString reason;
    };
    QHash<QString, Health> m_circuits;
    QString m_pinnedName;
};

} // namespace relay::ui
