#pragma once

#include <QJsonValue>
#include <QString>

#include <optional>

namespace relay::app {

// How values look in the CLI's text output, for people ("-" = absent); times are UTC,
// ISO-8601. The JSON output is the admin API's (admin/AdminJson.h).
namespace OutputFormat {

QString textTime(std::optional<qint64> ms);
QString textNumber(std::optional<double> value);
QString textMoney(std::optional<double> usd);
QString yesNo(bool value);

} // namespace OutputFormat
} // namespace relay::app
