#include "AdminService.h"

#include "store/AdminRows.h"
#include "store/SqlExec.h"
#include "store/UsageWriter.h"

namespace relay {

using namespace adminrows;

namespace {

constexpr int kMaxRetentionDays = 36500;
const QString kWebhookSetting = QStringLiteral("webhook_url");
const QString kRetentionSetting = QStringLiteral("usage_retention_days");

const QString kAlertColumns = QStringLiteral("id, ts, tenant_id, kind, threshold, spent_usd, "
                                             "budget_usd, acknowledged, delivery");

AlertRecord alertFromRow(const QSqlQuery &q)
{
    AlertRecord a;
    a.id = q.value(0).toLongLong();
    a.timeMs = q.value(1).toLongLong();
    a.tenantId = q.value(2).toString();
    a.kind = q.value(3).toString();
    a.threshold = q.value(4).toInt();
    a.spentUsd = q.value(5).toDouble();
    a.budgetUsd = q.value(6).toDouble();
    a.acknowledged = q.value(7).toBool();
    a.delivery = q.value(8).toString();
    return a;
}

} // namespace

AdminResult AdminService::setSetting(const QString &key, const QString &value)
{
    QString stored = value.trimmed();
    if (key == kWebhookSetting) {
        if (stored == QLatin1String("none"))
            stored.clear();
        if (const AdminResult r = checkWebhookUrl(&stored); !r.ok)
            return r;
    } else if (key == kRetentionSetting) {
        bool ok = false;
        const int days = stored.toInt(&ok);
        if (!ok || days < 1 || days > kMaxRetentionDays)
            return invalid(QStringLiteral("%1 is a whole number of days, between 1 and %2")
                               .arg(key)
                               .arg(kMaxRetentionDays));
        stored = QString::number(days);
    } else {
        return invalid(QStringLiteral("unknown setting '%1' (known: %2, %3)")
                           .arg(key, kRetentionSetting, kWebhookSetting));
    }
    return write([&](AuditRecord &audit) -> AdminResult {
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q, QStringLiteral("SELECT value FROM settings WHERE key = ?"), {key}, &error))
            return dbFailure(error);
        const QJsonValue before = q.next() ? QJsonValue(q.value(0).toString()) : QJsonValue();
        q.finish();
        const bool ok =
            stored.isEmpty()
                ? sql::run(q, QStringLiteral("DELETE FROM settings WHERE key = ?"), {key}, &error)
                : sql::run(q,
                           QStringLiteral("INSERT INTO settings (key, value) VALUES (?, ?) "
                                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
                           {key, stored}, &error);
        if (!ok)
            return dbFailure(error);
        audit = {0,   {}, QStringLiteral("settings.set"),
                 key, {}, beforeAfter(before, stored.isEmpty() ? QJsonValue() : stored)};
        return {};
    });
}

AdminValue<QList<SettingRecord>> AdminService::listSettings()
{
    QList<SettingRecord> settings{
        {kRetentionSetting, QString(), QString::number(UsageWriter::kDefaultRetentionDays)},
        {kWebhookSetting, QString(), QString()}};
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q, QStringLiteral("SELECT key, value FROM settings"), {}, &error))
        return dbFailure(error);
    while (q.next())
        for (SettingRecord &setting : settings)
            if (setting.key == q.value(0).toString())
                setting.value = q.value(1).toString();
    return settings;
}

AdminValue<QList<AlertRecord>> AdminService::listAlerts(const QString &tenantId)
{
    const bool filtered = !tenantId.isEmpty();
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(
            q,
            QStringLiteral("SELECT %1 FROM alerts%2 ORDER BY id")
                .arg(kAlertColumns, filtered ? QStringLiteral(" WHERE tenant_id = ?") : QString()),
            filtered ? QVariantList{tenantId} : QVariantList{}, &error))
        return dbFailure(error);
    QList<AlertRecord> alerts;
    while (q.next())
        alerts.append(alertFromRow(q));
    if (filtered && alerts.isEmpty()) {
        if (const AdminValue<TenantRecord> t = loadTenant(tenantId); !t.ok)
            return t;
    }
    return alerts;
}

AdminResult AdminService::acknowledgeAlert(qint64 id)
{
    return write([&](AuditRecord &audit) -> AdminResult {
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q, QStringLiteral("SELECT %1 FROM alerts WHERE id = ?").arg(kAlertColumns),
                      {id}, &error))
            return dbFailure(error);
        if (!q.next())
            return notFound(QStringLiteral("no alert %1").arg(id));
        const AlertRecord alert = alertFromRow(q);
        q.finish();
        if (alert.acknowledged)
            return conflict(QStringLiteral("alert %1 is already acknowledged").arg(id));
        if (!sql::run(q,
                      QStringLiteral("UPDATE alerts SET acknowledged = 1, acknowledged_at = ? "
                                     "WHERE id = ?"),
                      {now(), id}, &error))
            return dbFailure(error);
        const QString acknowledged = QStringLiteral("acknowledged");
        audit = {0,
                 {},
                 QStringLiteral("alert.ack"),
                 QString::number(id),
                 alert.tenantId,
                 beforeAfter(QJsonObject{{acknowledged, false}},
                             QJsonObject{{acknowledged, true},
                                         {QStringLiteral("kind"), alert.kind},
                                         {QStringLiteral("threshold"), alert.threshold}})};
        return {};
    });
}

} // namespace relay
