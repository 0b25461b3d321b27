#include "AlertSnapshot.h"

#include "billing/BudgetPeriod.h"

#include <QJsonDocument>

namespace relay {

QJsonObject AlertSnapshot::toJson() const
{
    QJsonObject o{{QStringLiteral("id"), id},
                  {QStringLiteral("time"), isoUtc(tsMs)},
                  {QStringLiteral("tenant"), tenant},
                  {QStringLiteral("kind"), kind},
                  {QStringLiteral("threshold"), threshold},
                  {QStringLiteral("spent_usd"), spentUsd},
                  {QStringLiteral("budget_usd"), budgetUsd},
                  {QStringLiteral("acknowledged"), acknowledged},
                  {QStringLiteral("delivery"), delivery}};
    if (forecastUsd)
        o.insert(QStringLiteral("forecast_usd"), *forecastUsd);
    return o;
}

QByteArray AlertSnapshot::webhookBody() const
{
    QJsonObject o = toJson();
    o.insert(QStringLiteral("event"), QStringLiteral("budget_alert"));
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace relay
