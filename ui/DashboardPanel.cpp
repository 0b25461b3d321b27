#include "DashboardPanel.h"

#include "DbWorker.h"
#include "LatencyChart.h"
#include "PanelUtil.h"
#include "RowTableModel.h"
#include "core/Format.h"

#include <QComboBox>
#include <QDateTime>
#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace relay::ui {

namespace {

enum HealthColumn { HName, HCircuit, HReason, HPool, HInFlight, HQueued, HRate, HP95, HErrors };

QString uptimeText(qint64 ms)
{
    const qint64 s = ms / 1000;
    if (s < 3600)
        return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
    return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}

QLabel *figure(QWidget *parent, const char *objectName, const QString &toolTip)
{
    auto *label = new QLabel(QStringLiteral("—"), parent);
    label->setObjectName(QLatin1String(objectName));
    label->setToolTip(toolTip);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont f = label->font();
    f.setBold(true);
    label->setFont(f);
    return label;
}

} // namespace

DashboardPanel::DashboardPanel(const ConsoleContext &context, QWidget *parent)
    : QWidget(parent), m_context(context)
{
    setObjectName(QStringLiteral("dashboardPanel"));
    m_clock.start();
    // Small screens (1366×768 at 1.5× scaling): the panel scrolls rather than squeezing its
    // charts below readable; at 1× it fits without scrolling.
    QVBoxLayout *layout = makeScrollingContent(this, "dashboardScroll");
    layout->parentWidget()->setMinimumHeight(560);
    m_status = new QLabel(tr("Starting the relay…"), this);
    m_status->setObjectName(QStringLiteral("relayStatus"));
    QFont big = m_status->font();
    big.setPointSizeF(big.pointSizeF() * 1.3);
    big.setBold(true);
    m_status->setFont(big);
    layout->addWidget(m_status);
    m_nextStep =
        makeEmptyState(this, "dashboardNextStep", QString(), QString(), "dashboardNextStepButton",
                       [this] { Q_EMIT addRequested(m_nextPanel); });
    layout->addWidget(m_nextStep);

    auto *grid = new QGridLayout;
    m_address = figure(this, "listenAddress",
                       tr("Point OpenAI SDKs here, with a tenant key as the API key"));
    m_workers = figure(this, "workerCount", tr("Worker threads serving requests"));
    m_uptime = figure(this, "uptime", tr("Since the relay started"));
    m_database = figure(this, "databasePath", tr("The database this console works on"));
    // A path can be longer than any window: shown shortened in the middle, whole in its tooltip.
    m_database->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_database->installEventFilter(this);
    m_requests = figure(this, "requestCount", tr("Requests answered since the relay started"));
    m_rate = figure(this, "requestsPerSecond", tr("Requests answered per second, last tick"));
    m_inFlight = figure(this, "inFlightCount", tr("Requests being served right now"));
    m_queued = figure(this, "queuedCount", tr("Requests waiting for an upstream slot"));
    m_errorRate = figure(this, "errorRate",
                         tr("Share of the last second's answers that failed (status ≥ 400), "
                            "not counting the relay's own refusals"));
    m_refused = figure(this, "refusedRate",
                       tr("Share of the last second's answers refused by the tenants' limits "
                          "(429) or after waiting too long for a slot (503)"));
    m_pinned = figure(this, "pinnedUpstream",
                      tr("The manual failover switch (Upstreams panel): pinned upstream, if any"));
    const QList<QPair<QString, QLabel *>> cells{
        {tr("Base URL:"), m_address},     {tr("Workers:"), m_workers},
        {tr("Uptime:"), m_uptime},        {tr("Database:"), m_database},
        {tr("Requests/s:"), m_rate},      {tr("In flight:"), m_inFlight},
        {tr("Queued:"), m_queued},        {tr("Requests:"), m_requests},
        {tr("Error rate:"), m_errorRate}, {tr("Refused by limits:"), m_refused},
        {tr("Pinned:"), m_pinned},
    };
    for (int i = 0; i < cells.size(); ++i) {
        const int row = i / 4;
        const int col = (i % 4) * 2;
        grid->addWidget(new QLabel(cells.at(i).first, this), row, col);
        grid->addWidget(cells.at(i).second, row, col + 1);
    }
    grid->setColumnStretch(1, 2);
    grid->setColumnStretch(3, 1);
    grid->setColumnStretch(5, 1);
    grid->setColumnStretch(7, 3); // the database path, shortened to fit
    layout->addLayout(grid);

    // The charts' window: live, or the usage history over an hour, a day or a week.
    auto *windowRow = new QHBoxLayout;
    m_chartWindow = new QComboBox(this);
    m_chartWindow->setObjectName(QStringLiteral("chartWindowCombo"));
    m_chartWindow->addItem(tr("Last 5 minutes (live)"));
    m_chartWindow->addItem(tr("Last hour"), int(UsageHistory::Window::Hour));
    m_chartWindow->addItem(tr("Last 24 hours"), int(UsageHistory::Window::Day));
    m_chartWindow->addItem(tr("Last 7 days"), int(UsageHistory::Window::Week));
    m_chartWindow->setToolTip(tr("Live: a point per second from the relay. Longer windows: "
                                 "per minute or per hour from the usage history"));
    auto *windowLabel = new QLabel(tr("&Charts:"), this);
    windowLabel->setBuddy(m_chartWindow);
    windowRow->addWidget(windowLabel);
    windowRow->addWidget(m_chartWindow);
    windowRow->addStretch(1);
    layout->addLayout(windowRow);
    connect(m_chartWindow, &QComboBox::currentIndexChanged, this, &DashboardPanel::loadHistory);
    auto *historyPoll = new QTimer(this);
    connect(historyPoll, &QTimer::timeout, this, [this] {
        if (m_chartWindow->currentData().isValid() && isVisible())
            loadHistory();
    });
    historyPoll->start(60'000);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    auto *charts = new QSplitter(Qt::Horizontal, splitter);
    m_tenantChart = new LatencyChart(tr("Latency per tenant"), charts);
    m_tenantChart->setObjectName(QStringLiteral("tenantLatencyChart"));
    m_upstreamChart = new LatencyChart(tr("Latency per upstream"), charts);
    m_upstreamChart->setObjectName(QStringLiteral("upstreamLatencyChart"));
    m_health =
        new RowTableModel({tr("Upstream"), tr("Circuit"), tr("Last change"), tr("Pool"),
                           tr("In flight"), tr("Queued"), tr("Req/s"), tr("p95 ms"), tr("Errors")},
                          this);
    m_health->setToolTip(HCircuit, tr("closed: healthy; open: skipped after failures; half-open: "
                                      "the next request is a probe"));
    m_health->setToolTip(HReason, tr("Why the circuit last changed (failover reason)"));
    m_health->setFormatter(HRate, RowTableModel::number);
    m_health->setFormatter(HP95, RowTableModel::millis);
    m_healthView = new QTableView(splitter);
    m_healthView->setObjectName(QStringLiteral("upstreamHealthTable"));
    setSortableModel(m_healthView, m_health);
    m_healthView->verticalHeader()->hide();
    // The figures as wide as they need; the reason takes the rest.
    m_healthView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_healthView->horizontalHeader()->setSectionResizeMode(HReason, QHeaderView::Stretch);
    m_healthView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_healthView->setAlternatingRowColors(true);
    // Small screens (1366×768 at 1.5× scaling): the charts give way before the health table
    // drops below its header and three upstreams.
    keepRowsVisible(m_healthView);
    splitter->setChildrenCollapsible(false);
    splitter->setStretchFactor(0, 4);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({420, 130});
    layout->addWidget(splitter, 1);
}

void DashboardPanel::showEngineStarted(const QString &listenAddress, const QString &dbPath,
                                       int workers, bool tls)
{
    m_runningText = workers == 1 ? tr("Relay running on 1 worker thread")
                                 : tr("Relay running on %1 worker threads").arg(workers);
    m_status->setText(m_runningText);
    m_address->setText(
        QStringLiteral("%1://%2/v1")
            .arg(tls ? QStringLiteral("https") : QStringLiteral("http"), listenAddress));
    m_workers->setText(QString::number(workers));
    showDatabasePath(dbPath);
}

void DashboardPanel::showPaused(bool paused)
{
    if (paused)
        m_status->setText(tr("Relay paused — new requests get 503; those in flight finish"));
    else if (!m_runningText.isEmpty())
        m_status->setText(m_runningText);
}

void DashboardPanel::showEngineFailed(const QString &error)
{
    m_status->setText(tr("The relay could not start"));
    m_address->setText(error);
}

void DashboardPanel::showManagingOtherRelay(const QString &relay, const QString &baseUrl,
                                            const QString &dbPath)
{
    // One relay serves a database: this console's own did not start, and manages that one.
    m_status->setText(tr("Managing the relay of another process (%1); changes made here reach it "
                         "within 2 s")
                          .arg(relay));
    m_status->setToolTip(tr("Only one relay serves a database, so this console did not start "
                            "its own. Changes made here reach that relay within 2 seconds; its "
                            "live figures are not shown."));
    m_address->setText(baseUrl);
    showDatabasePath(dbPath);
}

void DashboardPanel::showDatabasePath(const QString &text, const QString &toolTip)
{
    m_databaseText = text;
    m_database->setToolTip(toolTip.isEmpty() ? text : toolTip);
    elideDatabasePath();
}

void DashboardPanel::elideDatabasePath()
{
    const QString shown = m_database->fontMetrics().elidedText(m_databaseText, Qt::ElideMiddle,
                                                               m_database->contentsRect().width());
    if (shown != m_database->text())
        m_database->setText(shown);
}

bool DashboardPanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_database && event->type() == QEvent::Resize)
        elideDatabasePath();
    return QWidget::eventFilter(watched, event);
}

void DashboardPanel::showManagingRemoteRelay(const QString &url)
{
    m_remoteUrl = url;
    m_status->setToolTip(tr("This console manages the relay at %1 through its admin API; the "
                            "figures are that relay's, streamed live.")
                             .arg(url));
    showDatabasePath(tr("on the relay's server"),
                     tr("The relay at %1 keeps its own database").arg(url));
}

void DashboardPanel::showConnection(bool connected, const QString &text)
{
    m_runningText = connected ? tr("Managing the relay at %1").arg(m_remoteUrl) : text;
    m_status->setText(m_runningText);
    m_status->setStyleSheet(connected ? QString()
                                      : QStringLiteral("color: #b00020; font-weight: bold"));
}

void DashboardPanel::applyStats(const relay::EngineStatsSnapshot &stats)
{
    if (!m_remoteUrl.isEmpty())
        m_address->setText(m_remoteUrl + QStringLiteral("/v1"));
    m_uptime->setText(uptimeText(stats.uptimeMs));
    m_workers->setText(QString::number(stats.workers));
    m_requests->setText(Format::count(stats.requests));
    m_inFlight->setText(Format::count(stats.inFlight));
    double rate = 0;
    qint64 errors = 0;
    qint64 refused = 0;
    qint64 answered = 0;
    qint64 queued = 0;
    for (const FlowSnapshot &t : stats.tenants) {
        rate += t.requestsPerSec;
        if (m_haveLast) {
            for (const FlowSnapshot &before : std::as_const(m_last.tenants))
                if (before.name == t.name) {
                    const qint64 limited =
                        t.rateLimited + t.overloaded - before.rateLimited - before.overloaded;
                    errors += t.errors - before.errors - limited;
                    refused += limited;
                    answered += t.requests - before.requests;
                }
        }
    }
    for (const FlowSnapshot &u : stats.upstreams)
        queued += u.queued;
    m_rate->setText(Format::number(rate, 1));
    m_queued->setText(Format::count(queued));
    auto share = [&](qint64 part) {
        return Format::number(answered > 0 ? 100.0 * part / answered : 0.0, 1) +
               QStringLiteral(" %");
    };
    m_errorRate->setText(share(errors));
    m_refused->setText(share(refused));
    m_last = stats;
    m_haveLast = true;

    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    auto samples = [](const QList<FlowSnapshot> &flows) {
        QList<LatencyChart::Sample> out;
        for (const FlowSnapshot &f : flows)
            if (f.requestsPerSec > 0)
                out.append({f.name, f.latencyP50Ms, f.latencyP95Ms});
        return out;
    };
    m_tenantChart->addTick(now, samples(stats.tenants));
    m_upstreamChart->addTick(now, samples(stats.upstreams));
    // Circuit states and the pin as the embedded relay holds them; the reason shown is the
    // newer of the last state change and the last failover away from the upstream.
    m_circuits.clear();
    for (const CircuitSnapshot &c : stats.circuits) {
        const bool failoverNewer =
            !c.lastFailover.isEmpty() && c.lastFailoverWallMs > c.changedWallMs;
        m_circuits.insert(c.upstream,
                          {circuitStateName(c.state),
                           failoverNewer ? tr("failover: %1").arg(c.lastFailover) : c.reason});
    }
    updateNextStep(stats);
    m_pinnedName = stats.pinnedUpstream;
    m_pinned->setText(m_pinnedName.isEmpty() ? tr("none (configured chains)") : m_pinnedName);
    rebuildHealthRows();
}

void DashboardPanel::loadHistory()
{
    const QVariant data = m_chartWindow->currentData();
    if (!data.isValid()) {
        m_tenantChart->showLive();
        m_upstreamChart->showLive();
        return;
    }
    if (!m_context.db)
        return;
    const auto window = UsageHistory::Window(data.toInt());
    m_context.db->run<AdminValue<QList<HistorySeries>>>(
        this, [window](DbSession &s) { return s.admin.history(window); },
        [this, window](const AdminValue<QList<HistorySeries>> &history) {
            // A newer choice was made meanwhile: that one's answer draws.
            if (m_chartWindow->currentData() != QVariant(int(window)))
                return;
            if (!history.ok) {
                m_chartWindow->setToolTip(
                    tr("The history could not be read: %1").arg(history.error));
                return;
            }
            QList<HistorySeries> tenants;
            QList<HistorySeries> upstreams;
            for (const HistorySeries &s : history.value)
                (s.kind == QLatin1String("tenant") ? tenants : upstreams).append(s);
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            m_tenantChart->showHistory(window, tenants, now);
            m_upstreamChart->showHistory(window, upstreams, now);
        });
}

void DashboardPanel::updateNextStep(const relay::EngineStatsSnapshot &stats)
{
    QString text;
    QString button;
    if (stats.upstreams.isEmpty()) {
        text = tr("<b>Step 1 of 2: add a provider.</b> The relay is running but has nowhere to "
                  "send requests yet: add OpenAI, Anthropic, a local server…");
        button = tr("Add provider…");
        m_nextPanel = QStringLiteral("upstreamsPanel");
    } else if (stats.budgets.isEmpty()) {
        text = tr("<b>Step 2 of 2: add a tenant.</b> A tenant (a team or an application) gets "
                  "its own key, limits and budget, and a snippet to paste into its code.");
        button = tr("Add tenant…");
        m_nextPanel = QStringLiteral("tenantsPanel");
    }
    m_nextStep->setVisible(!text.isEmpty());
    if (text.isEmpty())
        return;
    m_nextStep->findChild<QLabel *>(QStringLiteral("dashboardNextStepText"))->setText(text);
    m_nextStep->findChild<QPushButton *>(QStringLiteral("dashboardNextStepButton"))
        ->setText(button);
}

// Engine figures per upstream, with the circuit state and last reason beside them.
void DashboardPanel::rebuildHealthRows()
{
    QList<QVariantList> rows;
    for (const FlowSnapshot &u : std::as_const(m_last.upstreams)) {
        const Health h = m_circuits.value(u.name, {QStringLiteral("unknown"), QString()});
        rows.append({u.name, h.state, h.reason, u.poolSize, u.inFlight, u.queued, u.requestsPerSec,
                     u.latencyP95Ms, u.errors});
    }
    m_health->setRows(rows);
}

} // namespace relay::ui
