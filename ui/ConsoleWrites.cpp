#include "ConsoleWrites.h"

#include "store/AdminService.h"
#include "store/AuditLog.h"
#include "store/SqlExec.h"

#include <QDateTime>
#include <QJsonObject>
#include <QUrl>

#include <cmath>
#include <functional>

namespace relay::ui::ConsoleWrites {

namespace {

AdminResult audited(QSqlDatabase &db, const QString &action, const QString &target,
                    const QString &tenant, const QJsonObject &after,
                    const std::function<AdminResult(QSqlQuery &)> &change)
{
    QSqlQuery q(db);
    QString error;
    if (!sql::run(q, QStringLiteral("BEGIN IMMEDIATE"), {}, &error))
        return AdminResult::failure(AdminErrorKind::Database, error);
    AdminResult result = change(q);
    if (result.ok) {
        AuditRecord audit{
            QDateTime::currentMSecsSinceEpoch(), AdminService::osUser(), action, target, tenant,
            {{QStringLiteral("after"), after}}};
        if (AuditLog::append(db, audit, &error) &&
            sql::run(q,
                     QStringLiteral("UPDATE config_state SET version = version + 1 WHERE id = 1"),
                     {}, &error) &&
            sql::run(q, QStringLiteral("COMMIT"), {}, &error))
            return result;
        result = AdminResult::failure(AdminErrorKind::Database, error);
    }
    sql::run(q, QStringLiteral("ROLLBACK"));
    return result;
}

// Runs one UPDATE; NotFound when it touched no row.
AdminResult update(QSqlQuery &q, const QString &statement, const QVariantList &values,
                   const QString &missing)
{
    QString error;
    if (!sql::run(q, statement, values, &error))
        return AdminResult::failure(AdminErrorKind::Database, error);
    if (q.numRowsAffected() == 0)
        return AdminResult::failure(AdminErrorKind::NotFound, missing);
    return {};
}

QVariant orNull(const QString &text)
{
    return text.isEmpty() ? QVariant() : QVariant(text);
}

} // namespace

bool isValidThresholds(const QString &text)
{
    if (text.trimmed().isEmpty())
        return true;
    int previous = 0;
    for (const QString &part : text.split(QLatin1Char(','))) {
        bool ok = false;
        const int v = part.trimmed().toInt(&ok);
        if (!ok || v <= previous || v > 1000)
            return false;
        previous = v;
    }
    return true;
}

bool isValidWebhook(const QString &url)
{
    if (url.isEmpty())
        return true;
    const QUrl u(url, QUrl::StrictMode);
    return u.isValid() &&
           (u.scheme() == QLatin1String("http") || u.scheme() == QLatin1String("https")) &&
           !u.host().isEmpty() && u.userInfo().isEmpty();
}

AdminResult setTenantBudget(QSqlDatabase &db, const QString &tenant, const BudgetChanges &c)
{
    if (c.budgetUsd && (*c.budgetUsd < 0 || !std::isfinite(*c.budgetUsd)))
        return AdminResult::failure(AdminErrorKind::Invalid,
                                    QStringLiteral("a budget is a positive amount in USD"));
    if (!isValidThresholds(c.thresholds))
        return AdminResult::failure(AdminErrorKind::Invalid,
                                    QStringLiteral("alert thresholds are whole percents in "
                                                   "ascending order, e.g. 50,80,100"));
    if (!isValidWebhook(c.webhookUrl))
        return AdminResult::failure(AdminErrorKind::Invalid,
                                    QStringLiteral("a webhook is an http or https URL"));
    QJsonObject after{
        {QStringLiteral("budget_usd"), c.budgetUsd ? QJsonValue(*c.budgetUsd) : QJsonValue()},
        {QStringLiteral("soft_budget"), c.soft},
        {QStringLiteral("alerts"), c.thresholds},
        {QStringLiteral("webhook"), !c.webhookUrl.isEmpty()}};
    return audited(db, QStringLiteral("tenant.budget"), tenant, tenant, after, [&](QSqlQuery &q) {
        return update(q,
                      QStringLiteral("UPDATE tenants SET budget_usd = ?, soft_budget "
                                     "= ?, alert_thresholds = ?, webhook_url = ? "
                                     "WHERE id = ?"),
                      {c.budgetUsd ? QVariant(*c.budgetUsd) : QVariant(), c.soft ? 1 : 0,
                       orNull(c.thresholds.simplified().remove(QLatin1Char(' '))),
                       orNull(c.webhookUrl), tenant},
                      QStringLiteral("no tenant '%1'").arg(tenant));
    });
}

AdminResult setUpstreamSlowMs(QSqlDatabase &db, const QString &upstream, std::optional<int> ms)
{
    return audited(db, QStringLiteral("upstream.set"), upstream, QString(),
                   {{QStringLiteral("slow_ms"), ms ? QJsonValue(*ms) : QJsonValue()}},
                   [&](QSqlQuery &q) {
                       return update(q,
                                     QStringLiteral("UPDATE upstreams SET slow_ms = ? WHERE name = "
                                                    "?"),
                                     {ms ? QVariant(*ms) : QVariant(), upstream},
                                     QStringLiteral("no upstream '%1'").arg(upstream));
                   });
}

AdminResult acknowledgeAlert(QSqlDatabase &db, qint64 id)
{
    return audited(db, QStringLiteral("alert.ack"), QString::number(id), QString(),
                   {{QStringLiteral("acknowledged"), true}}, [&](QSqlQuery &q) {
                       return update(q,
                                     QStringLiteral("UPDATE alerts SET acknowledged = 1, "
                                                    "acknowledged_at = ? WHERE id = ?"),
                                     {QDateTime::currentMSecsSinceEpoch(), id},
                                     QStringLiteral("no alert %1").arg(id));
                   });
}

AdminResult setSetting(QSqlDatabase &db, const QString &key, const QString &value)
{
    if (key == QLatin1String("webhook_url") && !isValidWebhook(value))
        return AdminResult::failure(AdminErrorKind::Invalid,
                                    QStringLiteral("a webhook is an http or https URL"));
    return audited(
        db, QStringLiteral("settings.set"), key, QString(),
        {{QStringLiteral("value"),
          key == QLatin1String("webhook_url") ? QJsonValue(!value.isEmpty()) : QJsonValue(value)}},
        [&](QSqlQuery &q) -> AdminResult {
            QString error;
            const bool ok =
                value.isEmpty()
                    ? sql::run(q, QStringLiteral("DELETE FROM settings WHERE key = ?"), {key},
                               &error)
                    : sql::run(q,
                               QStringLiteral("INSERT INTO settings (key, value) VALUES "
                                              "(?, ?) ON CONFLICT(key) DO UPDATE SET "
                                              "value = excluded.value"),
                               {key, value}, &error);
            if (!ok)
                return AdminResult::failure(AdminErrorKind::Database, error);
            return {};
        });
}

} // namespace relay::ui::ConsoleWrites
