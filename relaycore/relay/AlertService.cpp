#include "AlertService.h"

#include "budget/BudgetTracker.h"
#include "core/Clock.h"
#include "proxy/RelayContext.h"
#include "store/Database.h"
#include "store/SqlExec.h"

#include <QSqlQuery>
#include <QTimer>

namespace relay {

AlertService::AlertService(QString dbPath, RelayContext &context, AlertOptions options)
    : m_dbPath(std::move(dbPath)), m_context(context), m_options(options)
{
}

AlertService::~AlertService() = default;

bool AlertService::open(QString *error)
{
    m_db = std::make_unique<Database>();
    if (!m_db->open(m_dbPath, error))
        return false;
    m_webhooks = new WebhookSender(m_options.webhook, this);
    connect(m_webhooks, &WebhookSender::finished, this, &AlertService::setDelivery);
    return seed(error);
}

bool AlertService::seed(QString *error)
{
    BudgetTracker &budgets = m_context.budgets();
    const qint64 now = m_context.clock().wallMs();
    const BudgetPeriod period = BudgetPeriod::containing(now);
    QSqlQuery q(m_db->db());
    q.setForwardOnly(true);
    // The writer keeps rollups in the same transaction as the raw rows: they are complete.
    if (!sql::run(q,
                  QStringLiteral("SELECT tenant_id, SUM(cost_usd), SUM(requests), "
                                 "SUM(prompt_tokens), SUM(completion_tokens) FROM usage_hourly "
                                 "WHERE hour >= ? GROUP BY tenant_id"),
                  {period.startMs}, error))
        return false;
    while (q.next())
        budgets.seedPeriod(q.value(0).toString(),
                           BudgetSeed{q.value(1).toDouble(), q.value(2).toLongLong(),
                                      q.value(3).toLongLong(), q.value(4).toLongLong()});
    const qint64 windowStart =
        (now / BudgetTracker::kHourMs - (BudgetTracker::kWindowHours - 1)) * BudgetTracker::kHourMs;
    if (!sql::run(q,
                  QStringLiteral("SELECT tenant_id, hour, SUM(cost_usd) FROM usage_hourly WHERE "
                                 "hour >= ? GROUP BY tenant_id, hour"),
                  {windowStart}, error))
        return false;
    while (q.next())
        budgets.seedHour(q.value(0).toString(), q.value(1).toLongLong(), q.value(2).toDouble());
    if (!sql::run(q,
                  QStringLiteral("SELECT tenant_id, kind, threshold FROM alerts WHERE period = ?"),
                  {period.key}, error))
        return false;
    while (q.next())
        budgets.markRaised(q.value(0).toString(), period.key, q.value(1).toString(),
                           q.value(2).toInt());
    // Deliveries a stopped relay left unfinished start again.
    if (!sql::run(q,
                  QStringLiteral("SELECT id, ts, tenant_id, period, kind, threshold, spent_usd, "
                                 "budget_usd, forecast_usd, acknowledged FROM alerts "
                                 "WHERE delivery = 'pending'"),
                  {}, error))
        return false;
    while (q.next()) {
        AlertSnapshot a;
        a.id = q.value(0).toLongLong();
        a.tsMs = q.value(1).toLongLong();
        a.tenant = q.value(2).toString();
        a.period = q.value(3).toString();
        a.kind = q.value(4).toString();
        a.threshold = q.value(5).toInt();
        a.spentUsd = q.value(6).toDouble();
        a.budgetUsd = q.value(7).toDouble();
        if (!q.value(8).isNull())
            a.forecastUsd = q.value(8).toDouble();
        a.acknowledged = q.value(9).toBool();
        a.delivery = QStringLiteral("pending");
        const QString url = webhookFor(a.tenant);
        if (url.isEmpty())
            setDelivery(a.id, QStringLiteral("failed: no webhook URL"));
        else
            m_webhooks->send(a.id, url, a.webhookBody());
    }
    return true;
}

void AlertService::startChecking()
{
    m_timer = new QTimer(this);
    m_timer->setInterval(m_options.checkIntervalMs);
    connect(m_timer, &QTimer::timeout, this, &AlertService::check);
    m_timer->start();
}

void AlertService::check()
{
    if (!m_db || !m_db->isOpen())
        return;
    for (AlertSnapshot &alert : m_context.budgets().takeDueAlerts()) {
        const QString url = webhookFor(alert.tenant);
        alert.delivery = url.isEmpty() ? QStringLiteral("none") : QStringLiteral("pending");
        if (!store(alert))
            continue;
        Q_EMIT alertRaised(alert);
        if (!url.isEmpty())
            m_webhooks->send(alert.id, url, alert.webhookBody());
    }
}

bool AlertService::store(AlertSnapshot &alert)
{
    QSqlQuery q(m_db->db());
    QString error;
    const bool ok = sql::run(
        q,
        QStringLiteral("INSERT OR IGNORE INTO alerts (ts, tenant_id, period, kind, threshold, "
                       "spent_usd, budget_usd, forecast_usd, delivery) "
                       "VALUES (?,?,?,?,?,?,?,?,?)"),
        {alert.tsMs, alert.tenant, alert.period, alert.kind, alert.threshold, alert.spentUsd,
         alert.budgetUsd,
         alert.forecastUsd ? QVariant(*alert.forecastUsd) : QVariant(QMetaType::fromType<double>()),
         alert.delivery},
        &error);
    if (!ok) {
        // Raised again at the next check, when the database may take it.
        qWarning("alerts: cannot store a budget alert: %s", qPrintable(error));
        m_context.budgets().unmarkRaised(alert.tenant, alert.period, alert.kind, alert.threshold);
        return false;
    }
    if (q.numRowsAffected() != 1)
        return false; // raised before (by an earlier run of the relay)
    alert.id = q.lastInsertId().toLongLong();
    return true;
}

QString AlertService::webhookFor(const QString &tenantId) const
{
    const auto directory = m_context.config()->directory;
    const auto tenant = directory->tenants.constFind(tenantId);
    if (tenant != directory->tenants.cend() && !tenant->webhookUrl.isEmpty())
        return tenant->webhookUrl;
    return directory->settings.value(QStringLiteral("webhook_url"));
}

void AlertService::setDelivery(qint64 alertId, const QString &delivery)
{
    QSqlQuery q(m_db->db());
    QString error;
    if (!sql::run(q, QStringLiteral("UPDATE alerts SET delivery = ? WHERE id = ?"),
                  {delivery, alertId}, &error))
        qWarning("alerts: cannot record a webhook delivery: %s", qPrintable(error));
    Q_EMIT deliveryChanged(alertId, delivery);
}

} // namespace relay
