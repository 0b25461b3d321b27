#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>

#include <optional>

namespace relay {

// One budget alert (a row of the alerts table), as the engine emits it to the console and
// POSTs it to a webhook (interface.md §4 "Budgets and usage").
struct AlertSnapshot
{
    qint64 id = 0;   // the alerts row; 0 until stored
    qint64 tsMs = 0; // when it was raised (wall clock)
    QString tenant;
    QString period;    // "YYYY-MM"
    QString kind;      // "threshold" | "forecast"
    int threshold = 0; // whole percent of the budget (forecast: 100)
    double spentUsd = 0;
    double budgetUsd = 0;
    std::optional<double> forecastUsd; // kind forecast: the projected month-end spend
    bool acknowledged = false;
    QString delivery = QStringLiteral("none"); // none | pending | delivered | failed: REASON

    // The `alerts --json` fields (time as ISO-8601 UTC), plus forecast_usd for a forecast.
    QJsonObject toJson() const;
    // What a webhook receives: toJson() plus "event": "budget_alert".
    QByteArray webhookBody() const;
};

} // namespace relay

Q_DECLARE_METATYPE(relay::AlertSnapshot)
