#pragma once

#include "store/AdminTypes.h"

#include <QSqlDatabase>
#include <QString>

#include <optional>

namespace relay {
class AdminInterface;
}

// What the console's dialogs need around AdminService's writes: the budget fields as the
// tenant dialog edits them (to and from TenantRecord / TenantChanges), the settings write with
// "empty removes". Database thread only. The dialogs check what they send with the admin
// service's own checks (AdminService::checkTenant, parseThresholds).
namespace relay::ui::ConsoleWrites {

// The thresholds text for "no threshold alerts" (`tenant set --alerts none`).
inline const QString kNoThresholds = QStringLiteral("none");

struct BudgetChanges
{
    std::optional<double> budgetUsd; // nullopt = no budget
    bool soft = false;
    QString thresholds; // "50,80,100"; empty = the default; "none" = no threshold alerts
    QString webhookUrl; // empty = the global one
};

// The dialog's budget fields as `tenant set` options, for one audited AdminService write.
void addBudget(TenantChanges &changes, const BudgetChanges &c);
// The other way: a tenant's budget settings as the dialog shows them.
BudgetChanges budgetOf(const TenantRecord &t);
// settings set KEY VALUE through AdminService; an empty value removes the setting.
AdminResult setSetting(AdminInterface &admin, const QString &key, const QString &value);

} // namespace relay::ui::ConsoleWrites
