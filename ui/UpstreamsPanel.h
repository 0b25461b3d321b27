#pragma once

#include "ConsoleContext.h"
#include "PanelUtil.h"
#include "relay/Engine.h"
#include "store/AdminTypes.h"

#include <QHash>
#include <QWidget>

#include <functional>
#include <optional>

class QLineEdit;
class QTableView;

namespace relay::ui {

class RowTableModel;
class UpstreamDialog;
struct DbSession;

// Upstreams (endpoints, pools, timeouts, live state, circuit and the failover pin), routes and
// aliases. Reads and writes on the database thread; each change reaches the relay at once.
class UpstreamsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit UpstreamsPanel(const ConsoleContext &context, QWidget *parent = nullptr);

    void refresh();
    void applyStats(const relay::EngineStatsSnapshot &stats);
    RowTableModel *upstreamModel() const { return m_upstreams; }
    RowTableModel *routeModel() const { return m_routes; }
    RowTableModel *aliasModel() const { return m_aliases; }
    // Opens the dialog for a new upstream (also the empty states' next step).
    void addUpstream() { openDialog(QString()); }

Q_SIGNALS:
    void refreshed();
    void changeDone(const QString &error);

private:
    void openDialog(const QString &name);
    // Test connection: from this process with the dialog's settings, or, for a relay managed
    // remotely, by that relay with the upstream as saved.
    void testConnection(UpstreamDialog *dialog);
    void pin();
    void unpin();
    void toggleEnabled();
    void removeUpstream();
    QString selected() const;
    // Runs an admin write on the database thread, reloads the relay, reports and refreshes.
    void write(const std::function<AdminResult(DbSession &)> &change, const QString &doneText);
    void rebuildRows();

    ConsoleContext m_context;
    RefreshGate m_gate;
    RowTableModel *m_upstreams = nullptr;
    RowTableModel *m_routes = nullptr;
    RowTableModel *m_aliases = nullptr;
    QTableView *m_view = nullptr;
    QLineEdit *m_routeModel = nullptr;
    QLineEdit *m_routeTargets = nullptr;
    QLineEdit *m_alias = nullptr;
    QLineEdit *m_aliasTarget = nullptr;
    QList<UpstreamRecord> m_records;
    QHash<QString, QPair<QString, QString>> m_circuits; // name → state, reason
    QHash<QString, FlowSnapshot> m_live;
    QString m_pinned;
    QWidget *m_empty = nullptr; // "No provider yet", with Add provider…
};

} // namespace relay::ui
