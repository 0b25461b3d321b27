#include "UpstreamsPanel.h"

#include "ConsoleWrites.h"
#include "DbWorker.h"
#include "PanelUtil.h"
#include "RowTableModel.h"
#include "UpstreamDialog.h"
#include "store/AdminService.h"
#include "store/RelayState.h"
#include "upstream/UpstreamTest.h"

#include <QDateTime>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace relay::ui {

namespace {

enum Column {
    UName,
    UKind,
    UUrl,
    UKey,
    UPool,
    UReserved,
    UTimeout,
    USlow,
    UEnabled,
    UCircuit,
    UReason,
    UInFlight,
    URate
};

struct Lists
{
    AdminValue<QList<UpstreamRecord>> upstreams;
    AdminValue<QList<RouteRecord>> routes;
    AdminValue<QList<AliasRecord>> aliases;
    AdminValue<FailoverState> failover;
};

// The line edits of a table's form under it, each with its label, then Set and Remove on a
// line of their own (one line would not fit beside the other table at 1.5× scaling).
QWidget *editorRow(QWidget *parent, const QList<QPair<QString, QLineEdit *>> &fields,
                   QPushButton *set, QPushButton *remove)
{
    auto *row = new QWidget(parent);
    auto *layout = new QGridLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    int column = 0;
    for (const auto &[label, edit] : fields) {
        layout->addWidget(new QLabel(label, row), 0, column++);
        layout->addWidget(edit, 0, column);
        layout->setColumnStretch(column++, 1);
    }
    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(set);
    buttons->addWidget(remove);
    layout->addLayout(buttons, 1, 0, 1, column);
    return row;
}

QLineEdit *lineEdit(QWidget *parent, const char *name, const QString &placeholder)
{
    auto *edit = new QLineEdit(parent);
    edit->setObjectName(QLatin1String(name));
    edit->setPlaceholderText(placeholder);
    keepPlaceholderReadable(edit);
    return edit;
}

} // namespace

UpstreamsPanel::UpstreamsPanel(const ConsoleContext &context, QWidget *parent)
    : QWidget(parent), m_context(context)
{
    setObjectName(QStringLiteral("upstreamsPanel"));
    m_upstreams =
        new RowTableModel({tr("Upstream"), tr("Kind"), tr("Base URL"), tr("API key"), tr("Pool"),
                           tr("Reserved"), tr("Timeout ms"), tr("Slow ms"), tr("Enabled"),
                           tr("Circuit"), tr("Last change"), tr("In flight"), tr("Req/s")},
                          this);
    m_upstreams->setFormatter(UTimeout, RowTableModel::millis);
    m_upstreams->setFormatter(USlow, RowTableModel::millis);
    m_upstreams->setFormatter(URate, RowTableModel::number);
    m_upstreams->setToolTip(UKey, tr("Where the key comes from; the key itself is never shown"));
    m_upstreams->setToolTip(UReserved, tr("Slots reserved for tenants, after scaling"));
    m_routes = new RowTableModel({tr("Model"), tr("Fallback chain")}, this);
    m_aliases = new RowTableModel({tr("Alias"), tr("Model")}, this);

    QVBoxLayout *layout = makeScrollingContent(this, "upstreamsScroll");
    auto *buttons = new QHBoxLayout;
    auto *add = makeButton(this, tr("&Add upstream…"), "addUpstreamButton",
                           tr("A provider endpoint with its own connection pool"));
    auto *edit =
        makeButton(this, tr("&Edit…"), "editUpstreamButton", tr("Change the selected upstream"));
    auto *toggle = makeButton(this, tr("Enable/&Disable"), "toggleUpstreamButton",
                              tr("A disabled upstream is skipped in every chain"));
    auto *remove = makeButton(this, tr("Remove…"), "removeUpstreamButton",
                              tr("Remove the selected upstream (no route may name it)"));
    auto *pin = makeButton(this, tr("&Pin (manual switch)…"), "pinUpstreamButton",
                           tr("Send all traffic the selected upstream can serve to it first"));
    auto *unpin = makeButton(this, tr("&Unpin (roll back)…"), "unpinUpstreamButton",
                             tr("Back to the configured fallback chains"));
    for (QPushButton *b : {add, edit, toggle, remove})
        buttons->addWidget(b);
    buttons->addStretch(1);
    buttons->addWidget(pin);
    buttons->addWidget(unpin);
    layout->addLayout(buttons);
    m_empty =
        makeEmptyState(this, "upstreamsEmptyState",
                       tr("No provider yet. Add one first — OpenAI, Anthropic, a local "
                          "server… — then the tenants' requests are relayed to it."),
                       tr("Add provider…"), "emptyAddUpstreamButton", [this] { addUpstream(); });
    layout->addWidget(m_empty);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    m_view = makeTable(splitter, m_upstreams, "upstreamTable");
    m_view->horizontalHeader()->setSectionResizeMode(UUrl, QHeaderView::Stretch);
    m_view->horizontalHeader()->setStretchLastSection(false);

    auto *lower = new QWidget(splitter);
    auto *lowerLayout = new QHBoxLayout(lower);
    lowerLayout->setContentsMargins(0, 0, 0, 0);
    auto *routesBox = new QGroupBox(tr("Routes (model → fallback chain)"), lower);
    auto *routesLayout = new QVBoxLayout(routesBox);
    auto *routeView = makeTable(routesBox, m_routes, "routeTable");
    keepRowsVisible(routeView);
    routesLayout->addWidget(routeView);
    m_routeModel = lineEdit(routesBox, "routeModelEdit", QStringLiteral("gpt-4o"));
    m_routeTargets =
        lineEdit(routesBox, "routeTargetsEdit", QStringLiteral("openai,anthropic:claude-sonnet-4"));
    m_routeTargets->setToolTip(
        tr("UPSTREAM or UPSTREAM:MODEL, comma-separated, in fallback order"));
    auto *setRoute =
        makeButton(routesBox, tr("Set"), "setRouteButton", tr("Add or replace the route"));
    auto *removeRoute = makeButton(routesBox, tr("Remove"), "removeRouteButton",
                                   tr("Remove the route of the model"));
    routesLayout->addWidget(
        editorRow(routesBox, {{tr("Model:"), m_routeModel}, {tr("Targets:"), m_routeTargets}},
                  setRoute, removeRoute));
    auto *aliasesBox = new QGroupBox(tr("Aliases"), lower);
    auto *aliasesLayout = new QVBoxLayout(aliasesBox);
    auto *aliasView = makeTable(aliasesBox, m_aliases, "aliasTable");
    keepRowsVisible(aliasView);
    aliasesLayout->addWidget(aliasView);
    m_alias = lineEdit(aliasesBox, "aliasEdit", QStringLiteral("gpt-4"));
    m_aliasTarget = lineEdit(aliasesBox, "aliasModelEdit", QStringLiteral("gpt-4o"));
    auto *setAlias =
        makeButton(aliasesBox, tr("Set"), "setAliasButton", tr("Add or replace the alias"));
    auto *removeAlias =
        makeButton(aliasesBox, tr("Remove"), "removeAliasButton", tr("Remove the alias"));
    aliasesLayout->addWidget(editorRow(aliasesBox,
                                       {{tr("Alias:"), m_alias}, {tr("Model:"), m_aliasTarget}},
                                       setAlias, removeAlias));
    lowerLayout->addWidget(routesBox, 3);
    lowerLayout->addWidget(aliasesBox, 2);
    keepRowsVisible(m_view);
    splitter->setChildrenCollapsible(false);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter, 1);

    connect(add, &QPushButton::clicked, this, [this] { openDialog(QString()); });
    connect(edit, &QPushButton::clicked, this, [this] {
        if (!selected().isEmpty())
            openDialog(selected());
    });
    connect(m_view, &QTableView::doubleClicked, this, [this] { openDialog(selected()); });
    connect(toggle, &QPushButton::clicked, this, &UpstreamsPanel::toggleEnabled);
    connect(remove, &QPushButton::clicked, this, &UpstreamsPanel::removeUpstream);
    connect(pin, &QPushButton::clicked, this, &UpstreamsPanel::pin);
    connect(unpin, &QPushButton::clicked, this, &UpstreamsPanel::unpin);
    connect(setRoute, &QPushButton::clicked, this, [this] {
        const QString model = m_routeModel->text().trimmed();
        const QStringList targets =
            m_routeTargets->text().split(QLatin1Char(','), Qt::SkipEmptyParts);
        write([=](DbSession &s) { return s.admin.setRoute(model, targets); },
              tr("Route of %1 set").arg(model));
    });
    connect(removeRoute, &QPushButton::clicked, this, [this] {
        const QString model = m_routeModel->text().trimmed();
        write([=](DbSession &s) { return s.admin.removeRoute(model); },
              tr("Route of %1 removed").arg(model));
    });
    connect(setAlias, &QPushButton::clicked, this, [this] {
        const QString alias = m_alias->text().trimmed();
        const QString model = m_aliasTarget->text().trimmed();
        write([=](DbSession &s) { return s.admin.setAlias(alias, model); },
              tr("Alias %1 set").arg(alias));
    });
    connect(removeAlias, &QPushButton::clicked, this, [this] {
        const QString alias = m_alias->text().trimmed();
        write([=](DbSession &s) { return s.admin.removeAlias(alias); },
              tr("Alias %1 removed").arg(alias));
    });
    connect(routeView, &QTableView::clicked, this, [this](const QModelIndex &i) {
        m_routeModel->setText(m_routes->value(sourceRow(i), 0).toString());
        m_routeTargets->setText(m_routes->value(sourceRow(i), 1).toString());
    });
    connect(aliasView, &QTableView::clicked, this, [this](const QModelIndex &i) {
        m_alias->setText(m_aliases->value(sourceRow(i), 0).toString());
        m_aliasTarget->setText(m_aliases->value(sourceRow(i), 1).toString());
    });

    auto *poll = new QTimer(this);
    connect(poll, &QTimer::timeout, this, &UpstreamsPanel::refresh);
    poll->start(3000);
    refresh();
}

QString UpstreamsPanel::selected() const
{
    const QModelIndex current = m_view->currentIndex();
    return current.isValid() ? m_upstreams->value(sourceRow(current), UName).toString() : QString();
}

void UpstreamsPanel::refresh()
{
    if (!m_gate.begin())
        return;
    m_context.db->run<Lists>(
        this,
        [](DbSession &s) {
            return Lists{s.admin.listUpstreams(), s.admin.listRoutes(), s.admin.listAliases(),
                         s.admin.failoverState()};
        },
        [this](const Lists &l) {
            if (m_gate.end())
                QTimer::singleShot(0, this, &UpstreamsPanel::refresh);
            if (!l.upstreams.ok) {
                showStatus(this, l.upstreams.error, true);
                return;
            }
            m_records = l.upstreams.value;
            m_empty->setVisible(m_records.isEmpty());
            m_pinned = l.failover.value.pinnedUpstream;
            m_circuits.clear();
            for (const UpstreamRecord &u : std::as_const(m_records))
                m_circuits.insert(u.name,
                                  {u.state, l.failover.value.circuitChanges.value(u.name).reason});
            rebuildRows();
            QList<QVariantList> routes;
            for (const RouteRecord &r : l.routes.value)
                routes.append({r.model, r.targets.join(QStringLiteral(", "))});
            m_routes->setRows(routes);
            QList<QVariantList> aliases;
            for (const AliasRecord &a : l.aliases.value)
                aliases.append({a.alias, a.model});
            m_aliases->setRows(aliases);
            Q_EMIT refreshed();
        });
}

void UpstreamsPanel::applyStats(const relay::EngineStatsSnapshot &stats)
{
    for (const FlowSnapshot &u : stats.upstreams)
        m_live.insert(u.name, u);
    rebuildRows();
}

void UpstreamsPanel::rebuildRows()
{
    QList<QVariantList> rows;
    for (const UpstreamRecord &u : std::as_const(m_records)) {
        const QString key = u.hasStoredKey          ? tr("stored")
                            : u.apiKeyEnv.isEmpty() ? tr("none")
                                                    : QStringLiteral("$") + u.apiKeyEnv;
        const auto circuit = m_circuits.value(u.name, {QStringLiteral("unknown"), QString()});
        const FlowSnapshot live = m_live.value(u.name);
        rows.append({u.name, u.kind, u.baseUrl, key, u.maxConnections, u.reserved, u.timeoutMs,
                     u.slowMs ? QVariant(*u.slowMs) : QVariant(), u.enabled ? tr("yes") : tr("no"),
                     u.name == m_pinned ? circuit.first + tr(", pinned") : circuit.first,
                     circuit.second, live.inFlight, live.requestsPerSec});
    }
    m_upstreams->setRows(rows);
}

void UpstreamsPanel::write(const std::function<AdminResult(DbSession &)> &change,
                           const QString &doneText)
{
    m_context.db->write(this, change, [this, doneText](const AdminResult &r) {
        showStatus(this, r.ok ? doneText : r.error, !r.ok);
        refresh();
        Q_EMIT changeDone(r.ok ? QString() : r.error);
    });
}

void UpstreamsPanel::openDialog(const QString &name)
{
    auto *dialog = new UpstreamDialog(name, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    for (const UpstreamRecord &u : std::as_const(m_records))
        if (u.name == name)
            dialog->setUpstream(u);
    const bool creating = name.isEmpty();
    connect(dialog, &UpstreamDialog::testRequested, this,
            [this, dialog] { testConnection(dialog); });
    connect(dialog, &UpstreamDialog::submitted, this, [this, dialog, creating] {
        const QString upstream = dialog->upstreamName();
        UpstreamChanges changes = dialog->changes();
        const std::optional<int> slow = dialog->slowMs();
        changes.slowMs = slow ? LimitValue(*slow) : LimitValue();
        dialog->setEnabled(false);
        m_context.db->run<AdminResult>(
            this,
            [=](DbSession &s) {
                AdminResult r = creating ? s.admin.addUpstream(upstream, changes)
                                         : s.admin.setUpstream(upstream, changes);
                s.reloadEngine();
                return r;
            },
            [this, dialog = QPointer<UpstreamDialog>(dialog), upstream](const AdminResult &r) {
                if (dialog) {
                    dialog->setEnabled(true);
                    if (r.ok)
                        dialog->accept();
                    else
                        dialog->showError(r.error);
                }
                showStatus(this, r.ok ? tr("Upstream %1 saved").arg(upstream) : r.error, !r.ok);
                refresh();
                Q_EMIT changeDone(r.ok ? QString() : r.error);
            });
    });
    dialog->open();
}

void UpstreamsPanel::testConnection(UpstreamDialog *dialog)
{
    const QPointer<UpstreamDialog> guard(dialog);
    const QString name = dialog->upstreamName();
    dialog->showTestRunning();
    if (m_context.remote) {
        // The relay asks the provider, with the upstream as the form describes it: a saved one
        // keeps its stored key (which never leaves the relay), any other goes whole.
        const bool stored = dialog->usesStoredKey();
        const UpstreamChanges form = dialog->changes();
        m_context.db->run<AdminValue<QStringList>>(
            this,
            [name, stored, form](DbSession &s) -> AdminValue<QStringList> {
                if (!s.remote)
                    return AdminResult::failure(AdminErrorKind::Remote,
                                                QStringLiteral("no remote relay"));
                return stored ? s.remote->testUpstream(name, form)
                              : s.remote->testNewUpstream(form);
            },
            [guard](const AdminValue<QStringList> &answer) {
                if (!guard)
                    return;
                UpstreamTestResult result;
                result.ok = answer.ok;
                result.models = answer.value;
                result.error = answer.error;
                guard->showTestResult(result);
            });
        return;
    }
    // Runs on this thread without blocking it; ends with the dialog if it closes first.
    const auto start = [guard](const UpstreamConfig &config) {
        if (!guard)
            return;
        auto *test = new UpstreamTest(config, Clock::system(), {}, guard.data());
        test->setDone([guard, test](const UpstreamTestResult &result) {
            if (guard)
                guard->showTestResult(result);
            test->deleteLater();
        });
        test->start();
    };
    const UpstreamConfig config = dialog->testConfig();
    if (!dialog->usesStoredKey())
        return start(config);
    // The stored key never reaches the form: read it on the database thread.
    m_context.db->run<AdminValue<UpstreamConfig>>(
        this,
        [name](DbSession &s) -> AdminValue<UpstreamConfig> {
            auto *service = dynamic_cast<AdminService *>(&s.admin);
            if (!service)
                return AdminResult::failure(AdminErrorKind::Remote,
                                            QStringLiteral("the stored key is not at hand"));
            return service->upstreamConfig(name);
        },
        [guard, config, start](const AdminValue<UpstreamConfig> &saved) {
            if (!guard)
                return;
            if (!saved.ok) {
                UpstreamTestResult result;
                result.error = saved.error;
                guard->showTestResult(result);
                return;
            }
            UpstreamConfig withKey = config;
            withKey.apiKey = saved.value.apiKey;
            start(withKey);
        });
}

void UpstreamsPanel::toggleEnabled()
{
    const QString name = selected();
    for (const UpstreamRecord &u : std::as_const(m_records)) {
        if (u.name != name)
            continue;
        UpstreamChanges c;
        c.enabled = !u.enabled;
        write([name, c](DbSession &s) { return s.admin.setUpstream(name, c); },
              (*c.enabled ? tr("Upstream %1 enabled") : tr("Upstream %1 disabled")).arg(name));
    }
}

void UpstreamsPanel::removeUpstream()
{
    const QString name = selected();
    if (name.isEmpty())
        return;
    confirmThen(this, tr("Remove upstream"), tr("Remove upstream %1?").arg(name), [this, name] {
        write([name](DbSession &s) { return s.admin.removeUpstream(name); },
              tr("Upstream %1 removed").arg(name));
    });
}

void UpstreamsPanel::pin()
{
    const QString name = selected();
    if (name.isEmpty()) {
        showStatus(this, tr("Select the upstream to pin first"), true);
        return;
    }
    confirmThen(this, tr("Manual switch"),
                tr("Send all traffic that %1 can serve to it first? The rest of each chain still "
                   "backs it up. This stays until you unpin, also across restarts.")
                    .arg(name),
                [this, name] {
                    write([name](DbSession &s) { return s.admin.pinUpstream(name); },
                          tr("Traffic pinned to %1").arg(name));
                });
}

void UpstreamsPanel::unpin()
{
    confirmThen(this, tr("Roll back"), tr("Unpin and return to the configured fallback chains?"),
                [this] {
                    write([](DbSession &s) { return AdminResult(s.admin.unpinUpstream()); },
                          tr("Back to the configured chains"));
                });
}

} // namespace relay::ui
