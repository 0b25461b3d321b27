#pragma once

#include "ConsoleContext.h"
#include "PanelUtil.h"
#include "relay/Engine.h"
#include "store/AdminInterface.h"

#include <QDialog>

class QLabel;
class QLineSeries;
class QProgressBar;
class QValueAxis;

namespace relay::ui {

class RowTableModel;

// One tenant at a glance (issue: "a per-tenant view"): its limits against what it uses now
// (requests and tokens per minute, requests in flight, as gauges), this month's spend curve
// against its budget, its keys, its recent errors, and a jump to its requests in the log.
// The figures come from the live snapshot (requests/s, in flight) and from the admin
// interface on the console's database thread (on a file or over the admin API), refreshed every
// few seconds while shown.
class TenantView : public QDialog
{
    Q_OBJECT
public:
    TenantView(const ConsoleContext &context, const QString &tenant, QWidget *parent = nullptr);

    const QString &tenant() const { return m_tenant; }
    void refresh();
    void applyStats(const relay::EngineStatsSnapshot &stats);

    // What a gauge shows (tests): its text, and its value and maximum (0 and 0: no limit).
    struct Gauge
    {
        QString text;
        int value = 0;
        int maximum = 0;
    };
    Gauge gauge(const char *objectName) const;
    RowTableModel *keyModel() const { return m_keys; }
    RowTableModel *errorModel() const { return m_errors; }
    int spendPoints() const;

Q_SIGNALS:
    // "Show requests in the log": the main window opens the request log on this tenant.
    void requestsWanted(const QString &tenant);
    // Each refresh has been applied (tests wait for it).
    void refreshed();

private:
    struct Data;
    void apply(const Data &data);
    void showGauge(QProgressBar *bar, qint64 value, std::optional<qint64> limit,
                   const QString &unit);

    ConsoleContext m_context;
    QString m_tenant;
    RefreshGate m_gate;
    QLabel *m_summary = nullptr;
    QProgressBar *m_rpm = nullptr;
    QProgressBar *m_tpm = nullptr;
    QProgressBar *m_concurrency = nullptr;
    QLabel *m_spend = nullptr;
    QLineSeries *m_curve = nullptr;
    QLineSeries *m_budget = nullptr;
    QValueAxis *m_spendX = nullptr;
    QValueAxis *m_spendY = nullptr;
    RowTableModel *m_keys = nullptr;
    RowTableModel *m_errors = nullptr;
    std::optional<TenantRecord> m_record;
    qint64 m_tokensLastMinute = 0;
    double m_requestsPerSec = 0;
    qint64 m_inFlight = 0;
};

} // namespace relay::ui
