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

QJsonValue jsonTime(std::optional<qint64> ms)
{
    return ms ? QJsonValue(utc(*ms).toString(Qt::ISODateWithMs)) : QJsonValue();
}

QString textTime(std::optional<qint64> ms)
{
    return ms ? utc(*ms).toString(Qt::ISODate) : QStringLiteral("-");
}

QJsonValue jsonNumber(std::optional<double> value)
{
    return value ? QJsonValue(*value) : QJsonValue();
}

QString textNumber(std::optional<double> value)
{
    return value ? QString::number(*value) : QStringLiteral("-");
}

QString textMoney(std::optional<double> usd)
{
    return usd ? QString::number(*usd, 'f', 6) : QStringLiteral("-");
}

double jsonMoney(double usd)
{
    return std::round(usd * 1e9) / 1e9;
}

QString yesNo(bool value)
{
    return value ? QStringLiteral("yes") : QStringLiteral("no");
}

} // namespace relay::app::OutputFormat
