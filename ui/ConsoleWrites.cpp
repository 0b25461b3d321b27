#include "ConsoleWrites.h"

#include "store/AdminService.h"
#include "store/ConfigLoader.h"

#include <QUrl>

namespace relay::ui::ConsoleWrites {

bool isValidThresholds(const QString &text)
{
    if (text.trimmed().isEmpty() || text.trimmed() == kNoThresholds)
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

void addBudget(TenantChanges &changes, const BudgetChanges &c)
{
    changes.budgetUsd = BudgetValue(c.budgetUsd);
    changes.softBudget = c.soft;
    const QString text = c.thresholds.trimmed();
    changes.alertThresholds = text.isEmpty() ? AlertThresholds()
                              : text == kNoThresholds
                                  ? AlertThresholds(QList<int>())
                                  : AlertThresholds(ConfigLoader::thresholdsFromText(text));
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

AdminResult setSetting(AdminService &admin, const QString &key, const QString &value)
{
    return admin.setSetting(key, value.isEmpty() ? QStringLiteral("none") : value);
}

} // namespace relay::ui::ConsoleWrites
