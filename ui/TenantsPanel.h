#pragma once

#include "ConsoleContext.h"
#include "ConsoleWrites.h"
#include "PanelUtil.h"
#include "relay/Engine.h"
#include "store/AdminTypes.h"

#include <QHash>
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
    RowTableModel *tenantModel() const { return m_tenants; }
    RowTableModel *keyModel() const { return m_keys; }
    // The open create/edit dialog, if any (tests).
    TenantDialog *dialog() const { return m_dialog; }

Q_SIGNALS:
    // Emitted after each list refresh has been applied (tests wait for it).
    void refreshed();
    // A write finished; `error` is empty on success.
    void changeDone(const QString &error);

private:
    void openDialog(const QString &id);
    void submitDialog();
    void toggleEnabled();
    void issueKey(bool rotate);
    void revokeKey();
    void removeTenant();
    void refreshKeys();
    QString selectedTenant() const;
    void showKey(const QString &tenant, const QString &key);
    void finishWrite(const AdminResult &result, const QString &doneText);

    ConsoleContext m_context;
    RefreshGate m_gate;
    RowTableModel *m_tenants = nullptr;
    RowTableModel *m_keys = nullptr;
    QTableView *m_tenantView = nullptr;
    QTableView *m_keyView = nullptr;
    TenantDialog *m_dialog = nullptr;
    QHash<QString, TenantRecord> m_records;
    QHash<QString, QPair<double, qint64>> m_live; // tenant → req/s, in flight
    QHash<QString, double> m_forecast;            // tenant → the relay's month-end forecast
};

} // namespace relay::ui
