#include "OutputFormat.h"

#include <QDateTime>

#include <cmath>

namespace relay::app::OutputFormat {

namespace {

// In UTC spec (not a UTC time zone), so that ISO dates end in "Z" rather than "+00:00".
QDateTime utc(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toUTC();
}

} // namespace

QString textTime(std::optional<qint64> ms)
{
    return ms ? utc(*ms).toString(Qt::ISODate) : QStringLiteral("-");
}

QString textNumber(std::optional<double> value)
{
    return value ? QString::number(*value) : QStringLiteral("-");
}

QString textMoney(std::optional<double> usd)
{
    return usd ? QString::number(*usd, 'f', 6) : QStringLiteral("-");
}

QString yesNo(bool value)
{
    return value ? QStringLiteral("yes") : QStringLiteral("no");
}

} // namespace relay::app::OutputFormat
