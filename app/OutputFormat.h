#pragma once

#include <QJsonValue>
#include <QString>

#include <optional>

namespace relay::app {

// How values look in the CLI's text output, for people ("-" = absent): the console's format
// (core/Format.h) — grouped digits, "$" amounts, whole milliseconds, local times with the zone
// named. The JSON output is the admin API's (admin/AdminJson.h), plain numbers and UTC.
namespace OutputFormat {

QString textTime(std::optional<qint64> ms);
QString textCount(std::optional<qint64> value);
QString textMillis(std::optional<double> ms);
QString textMoney(std::optional<double> usd);
QString yesNo(bool value);

} // namespace OutputFormat
} // namespace relay::app
