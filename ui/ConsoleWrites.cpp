#include "ConsoleWrites.h"

#include "store/AdminService.h"

namespace relay::ui::ConsoleWrites {

void addBudget(TenantChanges &changes, const BudgetChanges &c)
{
    changes.budgetUsd = BudgetValue(c.budgetUsd);
    changes.softBudget = c.soft;
    QString error; // the dialog showed it already (thresholdsError)
    AlertThresholds thresholds;
    if (AdminService::parseThresholds(c.thresholds.trimmed().isEmpty() ? QStringLiteral("default")
                                                                       : c.thresholds,
                                      &thresholds, &error))
        changes.alertThresholds = thresholds;
    changes.webhookUrl = c.webhookUrl;
}

BudgetChanges budgetOf(const TenantRecord &t)
{
    QStringList thresholds;
    for (const int percent : t.alertThresholds.value_or(QList<int>()))
        thresholds << QString::number(percent);
    const bool none = t.alertThresholds && t.alertThresholds->isEmpty();
    return {t.budgetUsd, t.softBudget, none ? kNoThresholds : thresholds.join(QLatin1Char(',')),
            t.webhookUrl};
}

AdminResult setSetting(AdminInterface &admin, const QString &key, const QString &value)
{
    return admin.setSetting(key, value.isEmpty() ? QStringLiteral("none") : value);
}

} // namespace relay::ui::ConsoleWrites
