#pragma once

#include "ConsoleContext.h"
#include "ConsoleWrites.h"
#include "PanelUtil.h"
#include "relay/Engine.h"
#include "store/AdminTypes.h"

#include <QHash>
#include <QPointer>
#include <QWidget>

class QPushButton;
class QTableView;

namespace relay::ui {

class RowTableModel;
class TenantDialog;

// The tenants: tier, limits, budget, this month's spend and state, with create/edit, enable/
// disable and the keys (issue, rotate, revoke; a new key is shown once). Lists are read and
// every change is written on the database thread; a change is then pushed to the running relay
// at once (Engine::reloadConfig).
class TenantsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit TenantsPanel(const ConsoleContext &context, QWidget *parent = nullptr);

    void refresh();
    void applyStats(const relay::EngineStatsSnapshot &stats);
    // How many upstreams there are, as the Upstreams panel last read them: the empty state's
    // next step and the tenant dialog's "no provider" warning follow it.
    void showUpstreamCount(int count);
    RowTableModel *tenantModel() const { return m_tenants; }
    RowTableModel *keyModel() const { return m_keys; }
    // The open create/edit dialog, if any (tests).
    TenantDialog *dialog() const;
    // Opens the dialog for a new tenant (also the empty states' next step).
    void addTenant() { openDialog(QString()); }

Q_SIGNALS:
    // Emitted after each list refresh has been applied (tests wait for it).
    void refreshed();
    // A write finished; `error` is empty on success.
    void changeDone(const QString &error);
    // A tenant view asked for that tenant's requests in the log.
    void requestsWanted(const QString &tenant);

private:
    void openDialog(const QString &id);
    void openView(const QString &id);
    void submitDialog();
    void toggleEnabled();
    void issueKey(bool rotate);
    void revokeKey();
    void removeTenant();
    void refreshKeys();
    QString selectedTenant() const;
    // The new key with snippets; `allowed`: the tenant's models when it is not listed yet.
    void showKey(const QString &tenant, const QString &key,
                 const ModelAllowList &allowed = ModelAllowList());
    void finishWrite(const AdminResult &result, const QString &doneText);

    ConsoleContext m_context;
    RefreshGate m_gate;
    RowTableModel *m_tenants = nullptr;
    RowTableModel *m_keys = nullptr;
    QTableView *m_tenantView = nullptr;
    QTableView *m_keyView = nullptr;
    QPointer<TenantDialog> m_dialog; // deletes itself on close
    QHash<QString, TenantRecord> m_records;
    QHash<QString, QPair<double, qint64>> m_live; // tenant → req/s, in flight
    QWidget *m_empty = nullptr;                   // "No tenants yet", with Add tenant…
    int m_upstreamCount = -1;                     // -1 until read
    QHash<QString, double> m_forecast;            // tenant → the relay's month-end forecast
};

} // namespace relay::ui
