#include "TenantsPanel.h"

#include "DbWorker.h"
#include "IssueKeyDialog.h"
#include "KeyDialog.h"
#include "PanelUtil.h"
#include "RowTableModel.h"
#include "TenantDialog.h"
#include "TenantView.h"
#include "store/AdminService.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPointer>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace relay::ui {

namespace {

enum TenantColumn {
    TId,
    TName,
    TTier,
    TRpm,
    TTpm,
    TConcurrency,
    TReserved,
    TBudget,
    TSpent,
    TForecast,
    TState,
    TRate,
    TInFlight
};

struct WriteResult
{
    AdminResult result;
    QString key; // a new key, when the write issued one
};

// A dialog kept open (disabled) while its write runs: closed when the write succeeded, else
// enabled again with the reason, so the input can be corrected in place.
template <typename Dialog>
void closeOrShowError(const QPointer<Dialog> &dialog, const AdminResult &r)
{
    if (!dialog)
        return;
    dialog->setEnabled(true);
    if (r.ok)
        dialog->accept();
    else
        dialog->showError(r.error);
}

QVariant optional(const std::optional<qint64> &v)
{
    return v ? QVariant(*v) : QVariant();
}

} // namespace

TenantsPanel::TenantsPanel(const ConsoleContext &context, QWidget *parent)
    : QWidget(parent), m_context(context)
{
    setObjectName(QStringLiteral("tenantsPanel"));
    m_tenants =
        new RowTableModel({tr("Tenant"), tr("Name"), tr("Tier"), tr("RPM"), tr("TPM"),
                           tr("Concurrency"), tr("Reserved"), tr("Budget"), tr("Spent (month)"),
                           tr("Forecast"), tr("State"), tr("Req/s"), tr("In flight")},
                          this);
    m_tenants->setFormatter(TRpm, RowTableModel::number);
    m_tenants->setFormatter(TTpm, RowTableModel::number);
    m_tenants->setFormatter(TConcurrency, RowTableModel::number);
    m_tenants->setFormatter(TBudget, RowTableModel::money);
    m_tenants->setFormatter(TSpent, RowTableModel::money);
    m_tenants->setFormatter(TForecast, RowTableModel::money);
    m_tenants->setToolTip(TForecast, tr("The month's spend at its end at the current rate, as "
                                        "the relay forecasts it"));
    m_tenants->setFormatter(TRate, RowTableModel::number);
    m_tenants->setToolTip(TRpm, tr("Requests per minute; — = no limit"));
    m_tenants->setToolTip(TReserved, tr("Slots reserved on each serving upstream (effective)"));
    m_tenants->setToolTip(TSpent, tr("Spend in the current calendar month (UTC); red: over the "
                                     "budget, amber: forecast to overrun it by the month's end"));
    m_tenants->setRowColor([this](const QVariantList &row) {
        const QVariant budget = row.value(TBudget);
        if (budget.isNull())
            return QColor();
        if (row.value(TSpent).toDouble() >= budget.toDouble())
            return RowTableModel::overColor();
        if (row.value(TForecast).toDouble() > budget.toDouble())
            return RowTableModel::warnColor();
        return QColor();
    });
    m_keys = new RowTableModel(
        {tr("Key prefix"), tr("Created"), tr("Last used"), tr("State"), tr("Label"), tr("Expires")},
        this);
    for (int c : {1, 2, 5})
        m_keys->setTimeColumn(c);

    QVBoxLayout *layout = makeScrollingContent(this, "tenantsScroll");
    auto *buttons = new QHBoxLayout;
    auto *add = makeButton(this, tr("&New tenant…"), "newTenantButton",
                           tr("Create a tenant and issue its first key"));
    auto *edit = makeButton(this, tr("&Edit…"), "editTenantButton",
                            tr("Change the selected tenant's tier, limits and budget"));
    auto *toggle = makeButton(this, tr("Enable/&Disable"), "toggleTenantButton",
                              tr("A disabled tenant's keys are refused (401)"));
    auto *remove = makeButton(this, tr("Remove…"), "removeTenantButton",
                              tr("Delete the tenant and its keys; its usage history stays"));
    auto *view = makeButton(this, tr("Vie&w…"), "viewTenantButton",
                            tr("The selected tenant at a glance: limits against use, spend, "
                               "keys, recent errors"));
    buttons->addWidget(add);
    buttons->addWidget(view);
    buttons->addWidget(edit);
    buttons->addWidget(toggle);
    buttons->addWidget(remove);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    m_empty = makeEmptyState(this, "tenantsEmptyState", QString(), tr("Add tenant…"),
                             "emptyAddTenantButton", [this] { addTenant(); });
    layout->addWidget(m_empty);
    showUpstreamCount(m_upstreamCount); // not read yet

    auto *splitter = new QSplitter(Qt::Vertical, this);
    m_tenantView = makeTable(splitter, m_tenants, "tenantTable");
    m_tenantView->horizontalHeader()->setSectionResizeMode(TName, QHeaderView::Stretch);
    m_tenantView->horizontalHeader()->setStretchLastSection(false);
    auto *keysBox = new QWidget(splitter);
    auto *keysLayout = new QVBoxLayout(keysBox);
    keysLayout->setContentsMargins(0, 0, 0, 0);
    auto *keyButtons = new QHBoxLayout;
    keyButtons->addWidget(new QLabel(tr("Keys of the selected tenant:"), keysBox));
    keyButtons->addStretch(1);
    auto *issue = makeButton(keysBox, tr("&Issue key"), "issueKeyButton",
                             tr("An additional key; the others keep working"));
    auto *rotate = makeButton(keysBox, tr("&Rotate key…"), "rotateKeyButton",
                              tr("A new key; every other key of the tenant stops working"));
    auto *revoke = makeButton(keysBox, tr("Re&voke key…"), "revokeKeyButton",
                              tr("The selected key stops working at once"));
    keyButtons->addWidget(issue);
    keyButtons->addWidget(rotate);
    keyButtons->addWidget(revoke);
    keysLayout->addLayout(keyButtons);
    m_keyView = makeTable(keysBox, m_keys, "keyTable");
    keysLayout->addWidget(m_keyView);
    keepRowsVisible(m_tenantView);
    keepRowsVisible(m_keyView);
    splitter->setChildrenCollapsible(false);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    layout->addWidget(splitter, 1);

    connect(add, &QPushButton::clicked, this, [this] { openDialog(QString()); });
    connect(view, &QPushButton::clicked, this, [this] {
        if (!selectedTenant().isEmpty())
            openView(selectedTenant());
    });
    connect(edit, &QPushButton::clicked, this, [this] {
        if (!selectedTenant().isEmpty())
            openDialog(selectedTenant());
    });
    connect(m_tenantView, &QTableView::doubleClicked, this,
            [this] { openDialog(selectedTenant()); });
    connect(toggle, &QPushButton::clicked, this, &TenantsPanel::toggleEnabled);
    connect(remove, &QPushButton::clicked, this, &TenantsPanel::removeTenant);
    connect(issue, &QPushButton::clicked, this, [this] { issueKey(false); });
    connect(rotate, &QPushButton::clicked, this, [this] { issueKey(true); });
    connect(revoke, &QPushButton::clicked, this, &TenantsPanel::revokeKey);
    connect(m_tenantView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &TenantsPanel::refreshKeys);

    auto *poll = new QTimer(this);
    connect(poll, &QTimer::timeout, this, &TenantsPanel::refresh);
    poll->start(3000);
    refresh();
}

TenantDialog *TenantsPanel::dialog() const
{
    return m_dialog.data();
}

QString TenantsPanel::selectedTenant() const
{
    const QModelIndex current = m_tenantView->currentIndex();
    return current.isValid() ? m_tenants->value(sourceRow(current), TId).toString() : QString();
}

void TenantsPanel::refresh()
{
    if (!m_gate.begin())
        return;
    // The tenants only: the upstreams come from the Upstreams panel's own reading
    // (showUpstreamCount), not read again every few seconds here.
    m_context.reports->run<AdminValue<QList<TenantRecord>>>(
        this, [](DbSession &s) { return s.admin.listTenants(); },
        [this](const AdminValue<QList<TenantRecord>> &tenants) {
            if (m_gate.end())
                QTimer::singleShot(0, this, &TenantsPanel::refresh);
            if (!tenants.ok) {
                showStatus(this, tenants.error, true);
                return;
            }
            m_empty->setVisible(tenants.value.isEmpty());
            m_records.clear();
            QList<QVariantList> rows;
            for (const TenantRecord &t : tenants.value) {
                m_records.insert(t.id, t);
                const auto live = m_live.value(t.id);
                rows.append(
                    {t.id, t.name, t.tier, optional(t.rpm), optional(t.tpm),
                     optional(t.concurrency), t.effectiveReserved(),
                     t.budgetUsd ? QVariant(*t.budgetUsd) : QVariant(), t.spentUsd,
                     m_forecast.contains(t.id) ? QVariant(m_forecast.value(t.id)) : QVariant(),
                     t.enabled ? tr("enabled") : tr("disabled"), live.first, live.second});
            }
            m_tenants->setRows(rows);
            // Something is always selected, so the keys and the edit buttons have a target.
            if (!m_tenantView->currentIndex().isValid() && !rows.isEmpty())
                m_tenantView->setCurrentIndex(m_tenantView->model()->index(0, TId));
            Q_EMIT refreshed();
        });
}

void TenantsPanel::showUpstreamCount(int count)
{
    m_upstreamCount = count;
    m_empty->findChild<QLabel *>(QStringLiteral("tenantsEmptyStateText"))
        ->setText(count == 0 ? tr("No tenants yet, and no provider: add a provider first "
                                  "(Upstreams), then a tenant for each team or application.")
                             : tr("No tenants yet. A tenant is a team or an application: it gets "
                                  "its own key, limits and budget."));
    if (m_dialog)
        m_dialog->setNoUpstreamWarning(count == 0);
}

void TenantsPanel::openView(const QString &id)
{
    // One view per tenant: a second click brings it forward.
    for (TenantView *open : findChildren<TenantView *>())
        if (open->tenant() == id) {
            open->raise();
            open->activateWindow();
            return;
        }
    auto *view = new TenantView(m_context, id, this);
    view->setWindowFlag(Qt::Window);
    connect(view, &TenantView::requestsWanted, this, &TenantsPanel::requestsWanted);
    view->show();
}

void TenantsPanel::applyStats(const relay::EngineStatsSnapshot &stats)
{
    for (TenantView *open : findChildren<TenantView *>())
        open->applyStats(stats);
    for (const FlowSnapshot &t : stats.tenants)
        m_live.insert(t.name, {t.requestsPerSec, t.inFlight});
    m_forecast.clear();
    for (const BudgetSnapshot &b : stats.budgets)
        m_forecast.insert(b.tenant, b.forecastUsd);
    QList<QVariantList> rows;
    for (int r = 0; r < m_tenants->rowCount(); ++r) {
        QVariantList values = m_tenants->row(r);
        const auto live = m_live.value(values.at(TId).toString());
        values[TRate] = live.first;
        const QString id = values.at(TId).toString();
        values[TForecast] = m_forecast.contains(id) ? QVariant(m_forecast.value(id)) : QVariant();
        values[TInFlight] = live.second;
        rows.append(values);
    }
    m_tenants->setRows(rows);
}

void TenantsPanel::refreshKeys()
{
    const QString id = selectedTenant();
    if (id.isEmpty()) {
        m_keys->setRows({});
        return;
    }
    m_context.db->run<AdminValue<QList<KeyRecord>>>(
        this, [id](DbSession &s) { return s.admin.listKeys(id); },
        [this, id](const AdminValue<QList<KeyRecord>> &keys) {
            if (id != selectedTenant())
                return;
            QList<QVariantList> rows;
            const qint64 now = QDateTime::currentMSecsSinceEpoch();
            for (const KeyRecord &k : keys.value) {
                const QString state = k.revoked                            ? tr("revoked")
                                      : k.expiresMs && now >= *k.expiresMs ? tr("expired")
                                                                           : tr("active");
                rows.append({k.prefix, k.createdMs,
                             k.lastUsedMs ? QVariant(*k.lastUsedMs) : QVariant(), state, k.label,
                             k.expiresMs ? QVariant(*k.expiresMs) : QVariant()});
            }
            m_keys->setRows(rows);
        });
}

void TenantsPanel::openDialog(const QString &id)
{
    if (m_dialog)
        m_dialog->close();
    m_dialog = new TenantDialog(id, this);
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (!id.isEmpty() && m_records.contains(id))
        m_dialog->setTenant(m_records.value(id), ConsoleWrites::budgetOf(m_records.value(id)));
    m_dialog->setNoUpstreamWarning(m_upstreamCount == 0);
    connect(m_dialog, &TenantDialog::submitted, this, &TenantsPanel::submitDialog);
    m_dialog->open();
    // The warning as of now, not of the Upstreams panel's last reading.
    m_context.db->run<AdminValue<QList<UpstreamRecord>>>(
        this, [](DbSession &s) { return s.admin.listUpstreams(); },
        [this](const AdminValue<QList<UpstreamRecord>> &upstreams) {
            if (upstreams.ok)
                showUpstreamCount(int(upstreams.value.size()));
        });
}

void TenantsPanel::submitDialog()
{
    TenantDialog *dialog = m_dialog;
    if (!dialog)
        return;
    const bool creating = !m_records.contains(dialog->tenantId());
    const QString id = dialog->tenantId();
    const TenantChanges changes = dialog->changes();
    const ConsoleWrites::BudgetChanges budget = dialog->budget();
    // Budget settings are written (and audited) only when they change.
    const ConsoleWrites::BudgetChanges before = ConsoleWrites::budgetOf(m_records.value(id));
    const bool budgetChanged = budget.budgetUsd != before.budgetUsd || budget.soft != before.soft ||
                               budget.thresholds != before.thresholds ||
                               budget.webhookUrl != before.webhookUrl;
    dialog->setEnabled(false);
    m_context.db->run<WriteResult>(
        this,
        [=](DbSession &s) {
            WriteResult w;
            TenantChanges all = changes;
            if (budgetChanged)
                ConsoleWrites::addBudget(all, budget); // one audited write with the rest
            if (creating) {
                const AdminValue<QString> key = s.admin.addTenant(id, all);
                w.result = key;
                w.key = key.value;
            } else {
                w.result = s.admin.setTenant(id, all);
            }
            s.reloadEngine();
            return w;
        },
        [this, dialog = QPointer<TenantDialog>(dialog), id,
         models = changes.models.value_or(ModelAllowList())](const WriteResult &w) {
            closeOrShowError(dialog, w.result);
            if (!w.key.isEmpty())
                showKey(id, w.key, models);
            finishWrite(w.result, tr("Tenant %1 saved").arg(id));
        });
}

void TenantsPanel::finishWrite(const AdminResult &result, const QString &doneText)
{
    showStatus(this, result.ok ? doneText : result.error, !result.ok);
    refresh();
    refreshKeys();
    Q_EMIT changeDone(result.ok ? QString() : result.error);
}

void TenantsPanel::toggleEnabled()
{
    const QString id = selectedTenant();
    if (id.isEmpty())
        return;
    TenantChanges c;
    c.enabled = !m_records.value(id).enabled;
    m_context.db->write(
        this, [id, c](DbSession &s) { return s.admin.setTenant(id, c); },
        [this, id, c](const AdminResult &r) {
            finishWrite(r,
                        (*c.enabled ? tr("Tenant %1 enabled") : tr("Tenant %1 disabled")).arg(id));
        });
}

void TenantsPanel::removeTenant()
{
    const QString id = selectedTenant();
    if (id.isEmpty())
        return;
    confirmThen(this, tr("Remove tenant"),
                tr("Remove tenant %1 and all its keys? Its usage history stays.").arg(id),
                [this, id] {
                    m_context.db->write(
                        this, [id](DbSession &s) { return s.admin.removeTenant(id); },
                        [this, id](const AdminResult &r) {
                            finishWrite(r, tr("Tenant %1 removed").arg(id));
                        });
                });
}

void TenantsPanel::issueKey(bool rotate)
{
    const QString id = selectedTenant();
    if (id.isEmpty())
        return;
    // The label and expiry first; the dialog stays open until the key is issued or refused.
    auto *dialog = new IssueKeyDialog(id, rotate, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &IssueKeyDialog::submitted, this, [this, id, rotate, dialog] {
        const KeyOptions options = dialog->options();
        dialog->setEnabled(false);
        m_context.db->run<WriteResult>(
            this,
            [id, rotate, options](DbSession &s) {
                const AdminValue<QString> key =
                    rotate ? s.admin.rotateKey(id, options) : s.admin.issueKey(id, options);
                s.reloadEngine();
                return WriteResult{key, key.value};
            },
            [this, id, rotate, dialog = QPointer<IssueKeyDialog>(dialog)](const WriteResult &w) {
                closeOrShowError(dialog, w.result);
                if (w.result.ok)
                    showKey(id, w.key);
                finishWrite(w.result, rotate ? tr("Key of %1 rotated").arg(id)
                                             : tr("Key issued for %1").arg(id));
            });
    });
    dialog->open();
}

void TenantsPanel::revokeKey()
{
    const QModelIndex current = m_keyView->currentIndex();
    if (!current.isValid())
        return;
    const QString prefix = m_keys->value(sourceRow(current), 0).toString();
    confirmThen(this, tr("Revoke key"), tr("Revoke key %1…? It stops working at once.").arg(prefix),
                [this, prefix] {
                    m_context.db->write(
                        this, [prefix](DbSession &s) { return s.admin.revokeKey(prefix); },
                        [this, prefix](const AdminResult &r) {
                            finishWrite(r, tr("Key %1 revoked").arg(prefix));
                        });
                });
}

void TenantsPanel::showKey(const QString &tenant, const QString &key, const ModelAllowList &allowed)
{
    // The snippets ask for a model the tenant may use.
    const ModelAllowList models =
        m_records.contains(tenant) ? m_records.value(tenant).models : allowed;
    const QString model = models && !models->isEmpty() ? models->first() : QString();
    auto *dialog = new KeyDialog(tenant, key, relayBaseUrl(m_context), model, this);
    dialog->open();
}

} // namespace relay::ui
