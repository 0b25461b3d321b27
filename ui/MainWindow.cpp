#include "MainWindow.h"

#include "AlertNotifier.h"
#include "BudgetsPanel.h"
#include "ConnectDialog.h"
#include "ConsoleLauncher.h"
#include "DashboardPanel.h"
#include "DbWorker.h"
#include "PagedLogView.h"
#include "PanelUtil.h"
#include "PricingPanel.h"
#include "RelayKeeper.h"
#include "RowTableModel.h"
#include "SettingsPanel.h"
#include "TenantsPanel.h"
#include "UpstreamsPanel.h"
#include "UsagePanel.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QPushButton>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace relay::ui {

namespace {

// The window's place and size, kept in the application settings with each splitter's division.
const QString kGeometryKey = QStringLiteral("window/geometry");

// Every panel's splitters, each with the settings key it is kept under (its panel and its place
// there).
QList<QPair<QString, QSplitter *>> panelSplitters(const QTabWidget *tabs)
{
    QList<QPair<QString, QSplitter *>> all;
    for (int i = 0; i < tabs->count(); ++i) {
        const QWidget *panel = tabs->widget(i);
        const QList<QSplitter *> splitters = panel->findChildren<QSplitter *>();
        for (int j = 0; j < splitters.size(); ++j)
            all.append({QStringLiteral("window/splitters/%1/%2").arg(panel->objectName()).arg(j),
                        splitters.at(j)});
    }
    return all;
}

QIcon applicationIcon()
{
    QIcon icon;
    for (const int size : {16, 32, 48, 64, 128, 256})
        icon.addFile(
            QStringLiteral(":/tenantrelay/icons/io.tenantrelay.TenantRelay-%1.png").arg(size),
            QSize(size, size));
    return icon;
}

} // namespace

MainWindow::MainWindow(Engine *engine, const QString &dbPath, QWidget *parent)
    : QMainWindow(parent), m_db(std::make_unique<DbWorker>(dbPath, engine)),
      m_reports(std::make_unique<DbWorker>(dbPath, engine))
{
    m_context.dbPath = dbPath;
    setUp(engine);
}

MainWindow::MainWindow(RemoteRelay *remote, const RemoteAdminOptions &options, QWidget *parent)
    : QMainWindow(parent), m_db(std::make_unique<DbWorker>(options)),
      m_reports(std::make_unique<DbWorker>(options)), m_remote(remote)
{
    m_context.remote = options;
    setUp(nullptr);
    setWindowTitle(tr("TenantRelay — %1").arg(remote->url()));
    m_connectionLabel = new QLabel(this);
    m_connectionLabel->setObjectName(QStringLiteral("connectionLabel"));
    statusBar()->addPermanentWidget(m_connectionLabel);
    m_dashboard->showManagingRemoteRelay(remote->url());
    connect(remote, &RemoteRelay::statsUpdated, this, &MainWindow::applyStats);
    connect(remote, &RemoteRelay::connectionChanged, this, &MainWindow::showConnection);
    // A raised alert or a circuit change shows at once, not at the panels' next poll.
    connect(remote, &RemoteRelay::alertRaised, m_budgets, &BudgetsPanel::refresh);
    connect(remote, &RemoteRelay::circuitChanged, m_upstreams, &UpstreamsPanel::refresh);
    // "Pause new requests" pauses that relay, through its admin API.
    m_keeper->pauseAction()->setEnabled(true);
    m_keeper->pauseAction()->setToolTip(
        tr("The relay at %1 answers new tenant requests 503 relay_paused; those in flight finish")
            .arg(remote->url()));
    connect(m_keeper->pauseAction(), &QAction::triggered, this, [this](bool paused) {
        m_db->write(
            this,
            [paused](DbSession &s) {
                return s.remote ? s.remote->setPaused(paused) : AdminResult::nothingToChange();
            },
            [this, paused](const AdminResult &r) {
                if (!r.ok)
                    statusBar()->showMessage(r.error, 10000);
                else
                    showPaused(paused);
            });
    });
    // Once a second: the countdown to the next attempt while the relay cannot be reached.
    auto *tick = new QTimer(this);
    connect(tick, &QTimer::timeout, this, [this] {
        if (!m_remote->isConnected())
            showConnection();
    });
    tick->start(1000);
    showConnection();
}

QString MainWindow::connectionText() const
{
    if (!m_remote)
        return QString();
    if (m_remote->isConnected())
        return tr("Connected to %1").arg(m_remote->url());
    const int wait = m_remote->retryInMs();
    if (m_remote->lastError().isEmpty())
        return tr("Connecting to %1…").arg(m_remote->url());
    return wait < 0
               ? tr("Cannot reach %1: %2 — connecting…").arg(m_remote->url(), m_remote->lastError())
               : tr("Cannot reach %1: %2 — trying again in %3 s")
                     .arg(m_remote->url(), m_remote->lastError())
                     .arg((wait + 999) / 1000);
}

void MainWindow::showConnection()
{
    const bool up = m_remote->isConnected();
    m_connectionLabel->setText(connectionText());
    m_connectionLabel->setStyleSheet(up ? QString()
                                        : QStringLiteral("color: #b00020; font-weight: bold"));
    m_dashboard->showConnection(up, connectionText());
}

void MainWindow::setUp(Engine *engine)
{
    setWindowTitle(QStringLiteral("TenantRelay"));
    // For every window and dialog of the console, and its tray icon.
    QApplication::setWindowIcon(applicationIcon());
    m_keeper = new RelayKeeper(this, engine, this);
    m_notifier = new AlertNotifier(m_keeper->tray(), this);
    m_context.engine = engine;
    m_context.db = m_db.get();
    m_context.reports = m_reports.get();
    m_context.notifier = m_notifier;

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("panelTabs"));
    m_tabs->setDocumentMode(true);
    m_dashboard = new DashboardPanel(m_context, m_tabs);
    m_tenants = new TenantsPanel(m_context, m_tabs);
    m_upstreams = new UpstreamsPanel(m_context, m_tabs);
    m_budgets = new BudgetsPanel(m_context, m_tabs);
    m_usage = new UsagePanel(m_context, m_tabs);
    m_pricing = new PricingPanel(m_context, m_tabs);
    m_settings = new SettingsPanel(m_context, m_tabs);
    // A tenant view's "Show requests in the log": the request log, filtered to that tenant.
    connect(m_tenants, &TenantsPanel::requestsWanted, this, [this](const QString &tenant) {
        showPanel(QStringLiteral("usagePanel"));
        if (auto *tabs = m_usage->findChild<QTabWidget *>(QStringLiteral("usageTabs")))
            tabs->setCurrentIndex(0);
        auto *log = m_usage->findChild<PagedLogView *>(QStringLiteral("requestLog"));
        auto *filter = m_usage->findChild<QLineEdit *>(QStringLiteral("requestLogTenantFilter"));
        if (log && filter) {
            filter->setText(tenant);
            log->firstPage();
        }
        raise();
        activateWindow();
    });
    // The tenants panel's first-run hints follow the upstreams the Upstreams panel reads.
    connect(m_upstreams, &UpstreamsPanel::refreshed, this,
            [this] { m_tenants->showUpstreamCount(m_upstreams->upstreamModel()->rowCount()); });
    // The dashboard's first-run guide opens the add dialog of the panel it names.
    connect(m_dashboard, &DashboardPanel::addRequested, this, [this](const QString &panel) {
        showPanel(panel);
        panel == QLatin1String("tenantsPanel") ? m_tenants->addTenant()
                                               : m_upstreams->addUpstream();
    });
    const QList<QPair<QWidget *, QString>> panels{{m_dashboard, tr("Dashboard")},
                                                  {m_tenants, tr("Tenants")},
                                                  {m_upstreams, tr("Upstreams && routes")},
                                                  {m_budgets, tr("Budgets && alerts")},
                                                  {m_usage, tr("Usage && audit")},
                                                  {m_pricing, tr("Pricing")},
                                                  {m_settings, tr("Settings")}};
    for (int i = 0; i < panels.size(); ++i) {
        m_tabTitles << panels.at(i).second;
        m_tabs->addTab(panels.at(i).first, panels.at(i).second);
        m_tabs->setTabToolTip(i, tr("Ctrl+%1").arg(i + 1));
        auto *shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)), this);
        shortcut->setContext(Qt::ApplicationShortcut);
        connect(shortcut, &QShortcut::activated, this, [this, i] { m_tabs->setCurrentIndex(i); });
    }
    addProblemStrip();
    statusBar()->setObjectName(QStringLiteral("statusBar"));
    addRelayMenu();
    if (engine) {
        showPaused(engine->isPaused());
        connect(engine, &Engine::pausedChanged, this, &MainWindow::showPaused);
    }

    // The panel shown last time; remembered when the window goes away, not on every switch:
    // writing the settings file waits for the disk, and the GUI thread must not.
    showPanel(QSettings().value(SettingsPanel::panelKey()).toString());

    // Fits a 1366×768 laptop screen with the task bar; larger screens get a little more.
    resize(sizeOnScreen(this, QSize(1280, 700)));
    setMinimumSize(800, 500);
    // As the user left them (nothing saved yet: the defaults above and the panels' own).
    const QSettings settings;
    restoreGeometry(settings.value(kGeometryKey).toByteArray());
    for (const auto &[key, splitter] : panelSplitters(m_tabs))
        splitter->restoreState(settings.value(key).toByteArray());
}

MainWindow::~MainWindow()
{
    QSettings settings;
    settings.setValue(SettingsPanel::panelKey(), m_tabs->currentWidget()->objectName());
    settings.setValue(kGeometryKey, saveGeometry());
    for (const auto &[key, splitter] : panelSplitters(m_tabs))
        settings.setValue(key, splitter->saveState());
    // The database thread finishes its jobs before the panels it answers go away.
    m_reports.reset();
    m_db.reset();
}

void MainWindow::addRelayMenu()
{
    QMenu *menu = menuBar()->addMenu(tr("&Relay"));
    menu->setObjectName(QStringLiteral("relayMenu"));
    menu->addAction(m_keeper->pauseAction());
    menu->addSeparator();
    // Another relay, in a window (and a process) of its own.
    QAction *connectAction = menu->addAction(tr("&Connect to relay…"));
    connectAction->setObjectName(QStringLiteral("connectAction"));
    connectAction->setToolTip(tr("Manage a relay that runs elsewhere, through its admin API"));
    connect(connectAction, &QAction::triggered, this, [this] {
        ConnectDialog dialog(this);
        if (dialog.exec() != QDialog::Accepted)
            return;
        QString error;
        if (startRemoteConsole(dialog.options(), &error))
            statusBar()->showMessage(
                tr("Opening the console of %1…").arg(dialog.options().url.toString()), 10000);
        else
            statusBar()->showMessage(tr("Cannot open another console: %1").arg(error), 10000);
    });
    menu->addSeparator();
    menu->addAction(m_keeper->quitAction());
    // Shown while new requests are refused, whichever panel is open.
    m_pausedLabel = new QLabel(tr("Paused — new requests get 503"), this);
    m_pausedLabel->setObjectName(QStringLiteral("pausedLabel"));
    m_pausedLabel->setToolTip(tr("Relay ▸ Pause new requests: tenants' new requests are answered "
                                 "503 relay_paused; those in flight finish"));
    m_pausedLabel->setStyleSheet(QStringLiteral("color: #b26a00; font-weight: bold"));
    m_pausedLabel->hide();
    statusBar()->addPermanentWidget(m_pausedLabel);
    // Settings show a "don't ask again" choice made when the window was closed.
    connect(m_keeper, &RelayKeeper::closeActionSaved, m_settings, &SettingsPanel::showCloseAction);
}

void MainWindow::addProblemStrip()
{
    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    m_strip = new QWidget(central);
    m_strip->setObjectName(QStringLiteral("problemStrip"));
    m_strip->setAttribute(Qt::WA_StyledBackground);
    m_strip->setStyleSheet(
        QStringLiteral("#problemStrip { background: #fdecea; border-bottom: 1px solid #e0b4b4; }"
                       "#problemStrip QPushButton { border: none; padding: 2px 6px; "
                       "color: #8a1c1c; font-weight: bold; text-align: left; }"
                       "#problemStrip QPushButton:hover { text-decoration: underline; }"));
    auto *row = new QHBoxLayout(m_strip);
    row->setContentsMargins(6, 2, 6, 2);
    const auto item = [&](const char *name, const QString &panel, const QString &toolTip) {
        auto *button = makeButton(m_strip, QString(), name, toolTip);
        button->setFlat(true);
        button->setCursor(Qt::PointingHandCursor);
        button->hide();
        connect(button, &QPushButton::clicked, this, [this, panel] { showPanel(panel); });
        row->addWidget(button);
        return button;
    };
    m_stripCircuits = item("stripCircuitButton", QStringLiteral("upstreamsPanel"),
                           tr("Requests skip these upstreams until a probe succeeds; "
                              "Upstreams & routes shows why"));
    m_stripAlerts = item("stripAlertButton", QStringLiteral("budgetsPanel"),
                         tr("Budget alerts nobody has acknowledged: Budgets & alerts"));
    m_stripPin = item("stripPinButton", QStringLiteral("upstreamsPanel"),
                      tr("All traffic that upstream can serve goes to it, whatever the routes say; "
                         "unpin in Upstreams & routes"));
    row->addStretch(1);
    m_strip->hide();
    layout->addWidget(m_strip);
    layout->addWidget(m_tabs, 1);
    setCentralWidget(central);
    connect(m_budgets, &BudgetsPanel::refreshed, this, &MainWindow::showProblems);
}

void MainWindow::showProblems()
{
    const int alerts = m_budgets->unacknowledgedAlerts();
    m_stripCircuits->setText(
        m_openCircuits.size() == 1
            ? tr("⚠ Circuit open: %1").arg(m_openCircuits.first())
            : tr("⚠ Circuits open: %1").arg(m_openCircuits.join(QStringLiteral(", "))));
    m_stripCircuits->setVisible(!m_openCircuits.isEmpty());
    m_stripAlerts->setText(alerts == 1 ? tr("⚠ 1 unacknowledged alert")
                                       : tr("⚠ %1 unacknowledged alerts").arg(alerts));
    m_stripAlerts->setVisible(alerts > 0);
    m_stripPin->setText(tr("Failover pinned to %1").arg(m_pinned));
    m_stripPin->setVisible(!m_pinned.isEmpty());
    m_strip->setVisible(!m_openCircuits.isEmpty() || alerts > 0 || !m_pinned.isEmpty());
    // Badges: the count of alerts to read, a warning sign where an upstream needs a look.
    const auto badge = [this](QWidget *panel, const QString &suffix) {
        const int i = m_tabs->indexOf(panel);
        const QString title = m_tabTitles.value(i) + suffix;
        if (m_tabs->tabText(i) != title)
            m_tabs->setTabText(i, title);
    };
    badge(m_budgets, alerts > 0 ? QStringLiteral(" (%1)").arg(alerts) : QString());
    badge(m_upstreams,
          m_openCircuits.isEmpty() && m_pinned.isEmpty() ? QString() : QStringLiteral(" ⚠"));
}

void MainWindow::showPaused(bool paused)
{
    {
        // Shown as the relay reports it, without pausing again.
        const QSignalBlocker blocker(m_keeper->pauseAction());
        m_keeper->pauseAction()->setChecked(paused);
    }
    m_pausedLabel->setVisible(paused);
    m_dashboard->showPaused(paused);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_keeper->windowClosing())
        event->accept();
    else
        event->ignore();
}

bool MainWindow::showPanel(const QString &objectName)
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        if (m_tabs->widget(i)->objectName() == objectName) {
            m_tabs->setCurrentIndex(i);
            return true;
        }
    }
    return false;
}

void MainWindow::showEngineStarted(const QString &listenAddress, const QString &dbPath, int workers,
                                   bool tls)
{
    m_dashboard->showEngineStarted(listenAddress, dbPath, workers, tls);
}

void MainWindow::showEngineFailed(const QString &error)
{
    m_dashboard->showEngineFailed(error);
}

void MainWindow::showManagingOtherRelay(const QString &relay, const QString &baseUrl,
                                        const QString &dbPath)
{
    m_dashboard->showManagingOtherRelay(relay, baseUrl, dbPath);
}

void MainWindow::applyStats(const relay::EngineStatsSnapshot &stats)
{
    if (m_remote && stats.paused != m_pausedLabel->isVisible())
        showPaused(stats.paused);
    m_dashboard->applyStats(stats);
    m_tenants->applyStats(stats);
    m_upstreams->applyStats(stats);
    QStringList open;
    for (const CircuitSnapshot &c : stats.circuits)
        if (c.state == CircuitState::Open)
            open << c.upstream;
        else if (c.state == CircuitState::HalfOpen)
            open << tr("%1 (half-open)").arg(c.upstream);
    if (open != m_openCircuits || stats.pinnedUpstream != m_pinned) {
        m_openCircuits = open;
        m_pinned = stats.pinnedUpstream;
        showProblems();
    }
}

} // namespace relay::ui
