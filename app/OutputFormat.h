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
QString yesNo(bool value);

} // namespace OutputFormat
} // namespace relay::app
