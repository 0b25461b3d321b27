#pragma once

#include "store/AdminTypes.h"

#include <QSqlDatabase>
#include <QString>

#include <optional>

// Admin writes of the schema-3 settings that AdminService does not offer yet (budgets, alert
// thresholds and webhooks, slow-ms, alert acknowledgement, the settings table). Each is one
// audited transaction that bumps the config version, exactly as AdminService's writes are; each
// maps one-to-one onto the AdminService call that will replace it. Database thread only.
namespace relay::ui::ConsoleWrites {

struct BudgetChanges
{
    std::optional<double> budgetUsd; // nullopt = no budget
    bool soft = false;
    QString thresholds; // "50,80,100"; empty = the default
    QString webhookUrl; // empty = the global one
};

// tenant set ID --budget/--soft-budget/--alerts/--webhook
AdminResult setTenantBudget(QSqlDatabase &db, const QString &tenant, const BudgetChanges &c);
// upstream set NAME --slow-ms N|none
AdminResult setUpstreamSlowMs(QSqlDatabase &db, const QString &upstream, std::optional<int> ms);
// alerts ack ID
AdminResult acknowledgeAlert(QSqlDatabase &db, qint64 id);
// settings set KEY VALUE; an empty value removes the setting.
AdminResult setSetting(QSqlDatabase &db, const QString &key, const QString &value);

// Checks shared with the dialogs: "50,80,100" (whole percents 1..1000, ascending), and webhook
// URLs (http or https).
bool isValidThresholds(const QString &text);
bool isValidWebhook(const QString &url);

} // namespace relay::ui::ConsoleWrites
