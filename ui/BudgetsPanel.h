#pragma once

#include "ConsoleContext.h"
#include "PanelUtil.h"

#include <QWidget>

class QChartView;
class QComboBox;
class QLineSeries;
class QLineEdit;
class QTableView;
class QValueAxis;

namespace relay::ui {

class RowTableModel;

// Spend against budget per tenant (bars), this month's spend curve with the forecast to the
// end of the month, the alert list with acknowledge, and the global webhook. Reads budgets,
// spend and alerts on the database thread every few seconds (the store); an alert that
// appears after the console opened is passed to the AlertNotifier (tray).
class BudgetsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit BudgetsPanel(const ConsoleContext &context, QWidget *parent = nullptr);

    void refresh();
    RowTableModel *budgetModel() const { return m_budgets; }
    RowTableModel *alertModel() const { return m_alerts; }
    // Points of the month-to-date curve and of the forecast line (tests).
    int curvePoints() const;
    int forecastPoints() const;
    // Refreshes applied so far (tests wait for the first).
    int refreshCount() const { return m_refreshes; }
    // Alerts nobody has acknowledged yet, as of the last refresh.
    int unacknowledgedAlerts() const { return m_unacknowledged; }

Q_SIGNALS:
    void refreshed();

private:
    void acknowledge();
    void saveWebhook();

    ConsoleContext m_context;
    RefreshGate m_gate;
    RowTableModel *m_budgets = nullptr;
    RowTableModel *m_alerts = nullptr;
    QTableView *m_alertView = nullptr;
    QComboBox *m_tenant = nullptr;
    QWidget *m_empty = nullptr; // "No tenants yet", with Add tenant…
    QLineEdit *m_webhook = nullptr;
    QChartView *m_chartView = nullptr;
    QLineSeries *m_curve = nullptr;
    QLineSeries *m_forecast = nullptr;
    QLineSeries *m_limit = nullptr;
    QValueAxis *m_x = nullptr;
    QValueAxis *m_y = nullptr;
    qint64 m_lastAlertId = -1; // -1: not read yet; alerts up to here are not notified
    int m_refreshes = 0;
    int m_unacknowledged = 0;
    bool m_webhookLoaded = false;
};

} // namespace relay::ui
