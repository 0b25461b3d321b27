#pragma once

#include "budget/AlertSnapshot.h"
#include "budget/WebhookSender.h"

#include <QObject>
#include <QString>

#include <memory>

class QTimer;

namespace relay {

class Database;
class RelayContext;

struct AlertOptions
{
    int checkIntervalMs = 250; // how often spend is compared with thresholds and forecast
    WebhookOptions webhook;
};

// Raises budget alerts off the request path: on its own thread, with its own database
// connection, it seeds the budget tracker from the hourly rollups at start, asks the tracker
// for due alerts on a short timer, stores each once (the alerts table's unique key keeps it
// once per period, across restarts), announces it and hands it to the webhook sender, whose
// outcome lands in the row's `delivery`.
// Lives on the alert thread: every call but the constructor is made there.
class AlertService : public QObject
{
    Q_OBJECT
public:
    AlertService(QString dbPath, RelayContext &context, AlertOptions options);
    ~AlertService() override;

    // Opens the connection, loads the period's spend and the alerts already raised into the
    // tracker and resumes deliveries a stopped relay left pending. Before requests are served.
    bool open(QString *error);
    void startChecking();
    // Stores and announces the alerts due now.
    void check();

Q_SIGNALS:
    void alertRaised(const relay::AlertSnapshot &alert);
    void deliveryChanged(qint64 alertId, const QString &delivery);

private:
    bool seed(QString *error);
    // false when nothing was stored (raised already, or a database error).
    bool store(AlertSnapshot &alert);
    QString webhookFor(const QString &tenantId) const;
    void setDelivery(qint64 alertId, const QString &delivery);

    QString m_dbPath;
    RelayContext &m_context;
    AlertOptions m_options;
    std::unique_ptr<Database> m_db;
    WebhookSender *m_webhooks = nullptr;
    QTimer *m_timer = nullptr;
};

} // namespace relay
