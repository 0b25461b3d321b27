#pragma once

#include "ConsoleContext.h"
#include "relay/Engine.h"
#include "relay/RemoteRelay.h"

#include <QMainWindow>

#include <memory>

class QLabel;
class QPushButton;
class QTabWidget;

namespace relay::ui {

class AlertNotifier;
class BudgetsPanel;
class DashboardPanel;
class DbWorker;
class PricingPanel;
class RelayKeeper;
class SettingsPanel;
class TenantsPanel;
class UpstreamsPanel;
class UsagePanel;

// The console's window: one tab per panel (Ctrl+1 … Ctrl+7 switch between them; the last one
// shown is reopened next time, as are the window's place and size and the panels' splitters). It
// owns the database thread the panels read and write through (and a second one for the heavier
// sums, so a page or a write never queues behind them) and the alert notifier; the engine belongs
// to the caller and must outlive the window. What closing the window does to the relay (keep
// relaying behind a tray icon, or quit) is its RelayKeeper's.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    // `engine` may be null when the relay could not start; the panels still work on the database.
    MainWindow(Engine *engine, const QString &dbPath, QWidget *parent = nullptr);
    // Manages a relay elsewhere through its admin API: every panel reads and writes through
    // `options`, and `remote` (owned by the caller, outliving the window) feeds the live figures.
    MainWindow(RemoteRelay *remote, const RemoteAdminOptions &options, QWidget *parent = nullptr);
    ~MainWindow() override;

    void showEngineStarted(const QString &listenAddress, const QString &dbPath, int workers,
                           bool tls = false);
    void showEngineFailed(const QString &error);
    // Another process's relay serves the database: this console manages it through the database.
    void showManagingOtherRelay(const QString &relay, const QString &baseUrl,
                                const QString &dbPath);
    // Fed by Engine::statsUpdated (queued, about once a second).
    void applyStats(const relay::EngineStatsSnapshot &stats);
    // Shows a panel by its objectName ("dashboardPanel", "tenantsPanel", …); false if unknown.
    bool showPanel(const QString &objectName);

    DashboardPanel *dashboard() const { return m_dashboard; }
    TenantsPanel *tenants() const { return m_tenants; }
    UpstreamsPanel *upstreams() const { return m_upstreams; }
    BudgetsPanel *budgets() const { return m_budgets; }
    UsagePanel *usage() const { return m_usage; }
    PricingPanel *pricing() const { return m_pricing; }
    SettingsPanel *settings() const { return m_settings; }
    AlertNotifier *notifier() const { return m_notifier; }
    RelayKeeper *keeper() const { return m_keeper; }
    // The problem strip above the panels (objectName "problemStrip"): open circuits, alerts
    // nobody acknowledged and a failover pin, each a button to the panel that deals with it.
    QWidget *problemStrip() const { return m_strip; }
    DbWorker *database() const { return m_db.get(); }

protected:
    void closeEvent(QCloseEvent *event) override;

    // The status bar's word on the remote relay: connected, or why not and when it tries again.
    QString connectionText() const;

private:
    void setUp(Engine *engine);
    void addRelayMenu();
    void showPaused(bool paused);
    void showConnection();
    void addProblemStrip();
    // The strip's items and the tabs' badges, from the last stats and the budgets panel's alerts.
    void showProblems();

    std::unique_ptr<DbWorker> m_db;
    std::unique_ptr<DbWorker> m_reports;
    RelayKeeper *m_keeper = nullptr;
    AlertNotifier *m_notifier = nullptr;
    QLabel *m_pausedLabel = nullptr;
    QLabel *m_connectionLabel = nullptr;
    RemoteRelay *m_remote = nullptr;
    ConsoleContext m_context;
    QTabWidget *m_tabs = nullptr;
    DashboardPanel *m_dashboard = nullptr;
    TenantsPanel *m_tenants = nullptr;
    UpstreamsPanel *m_upstreams = nullptr;
    BudgetsPanel *m_budgets = nullptr;
    UsagePanel *m_usage = nullptr;
    PricingPanel *m_pricing = nullptr;
    SettingsPanel *m_settings = nullptr;
    QStringList m_tabTitles;
    QWidget *m_strip = nullptr;
    QPushButton *m_stripCircuits = nullptr;
    QPushButton *m_stripAlerts = nullptr;
    QPushButton *m_stripPin = nullptr;
    QStringList m_openCircuits; // "name" or "name (half-open)"
    QString m_pinned;
};

} // namespace relay::ui
