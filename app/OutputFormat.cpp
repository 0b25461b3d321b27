#include "OutputFormat.h"

#include "core/Format.h"

namespace relay::app::OutputFormat {

QString textTime(std::optional<qint64> ms)
{
    return ms ? Format::dateTime(*ms) : QStringLiteral("-");
}

QString textCount(std::optional<qint64> value)
{
    return value ? Format::count(*value) : QStringLiteral("-");
}

QString textMillis(std::optional<double> ms)
{
    return ms ? Format::millis(*ms) : QStringLiteral("-");
}

QString textMoney(std::optional<double> usd)
{
    return usd ? Format::money(*usd) : QStringLiteral("-");
}

QString yesNo(bool value)
{
    return value ? QStringLiteral("yes") : QStringLiteral("no");
}

} // namespace relay::app::OutputFormat
