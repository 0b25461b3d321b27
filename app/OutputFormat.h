#pragma once

#include <QJsonValue>
#include <QString>

#include <optional>

namespace relay::app {

// How values look in the CLI's output: JSON for scripts (null = absent / no limit), text for
// people ("-" = absent). Times are UTC, ISO-8601, in both.
namespace OutputFormat {

QJsonValue jsonTime(std::optional<qint64> ms);
QString textTime(std::optional<qint64> ms);
QJsonValue jsonNumber(std::optional<double> value);
QString textNumber(std::optional<double> value);
QString textMoney(std::optional<double> usd);
// A USD amount for JSON: rounded to a billionth of a dollar, so sums of per-request costs
// print as 1.5e-05 rather than 1.4999999999999999e-05.
double jsonMoney(double usd);
QString yesNo(bool value);

} // namespace OutputFormat
} // namespace relay::app
