#include "CommandContext.h"

#include "store/AdminService.h"

#include <cmath>

namespace relay::app {

namespace {

double finiteNumber(const QString &text, bool *ok)
{
    const double number = text.toDouble(ok);
    *ok = *ok && std::isfinite(number);
    return number;
}

} // namespace

std::optional<bool> CommandContext::enabled() const
{
    if (flag(QStringLiteral("--enable")))
        return true;
    if (flag(QStringLiteral("--disable")))
        return false;
    return std::nullopt;
}

template <typename T, typename Parse>
bool CommandContext::numberValue(const QString &option, std::optional<T> *value,
                                 const QString &what, Parse parse)
{
    const std::optional<QString> text = m_args.value(option);
    if (!text)
        return true;
    bool ok = false;
    const T number = parse(*text, &ok);
    if (!ok) {
        usageError(QStringLiteral("%1 needs %2, not '%3'").arg(option, what, *text));
        return false;
    }
    *value = number;
    return true;
}

bool CommandContext::intValue(const QString &option, std::optional<int> *value)
{
    return numberValue(option, value, QStringLiteral("a whole number"),
                       [](const QString &text, bool *ok) { return text.toInt(ok); });
}

bool CommandContext::limitValue(const QString &option, std::optional<LimitValue> *value)
{
    if (m_args.value(option) == QLatin1String("none")) {
        *value = LimitValue();
        return true;
    }
    return numberValue(
        option, value, QStringLiteral("a whole number or none"),
        [](const QString &text, bool *ok) { return LimitValue(text.toLongLong(ok)); });
}

bool CommandContext::doubleValue(const QString &option, std::optional<double> *value)
{
    return numberValue(option, value, QStringLiteral("a number"), finiteNumber);
}

bool CommandContext::budgetValue(const QString &option, std::optional<BudgetValue> *value)
{
    if (m_args.value(option) == QLatin1String("none")) {
        *value = BudgetValue();
        return true;
    }
    std::optional<double> number;
    if (!numberValue(option, &number, QStringLiteral("an amount in USD or none"), finiteNumber))
        return false;
    if (number)
        *value = BudgetValue(*number);
    return true;
}

bool CommandContext::thresholdsValue(const QString &option, std::optional<AlertThresholds> *value)
{
    const std::optional<QString> text = m_args.value(option);
    if (!text)
        return true;
    AlertThresholds thresholds;
    QString error;
    if (!AdminService::parseThresholds(*text, &thresholds, &error)) {
        usageError(QStringLiteral("%1: %2").arg(option, error));
        return false;
    }
    *value = thresholds;
    return true;
}

bool CommandContext::dateValue(const QString &option, std::optional<QDate> *value)
{
    const std::optional<QString> text = m_args.value(option);
    if (!text)
        return true;
    const QDate day = QDate::fromString(*text, QStringLiteral("yyyy-MM-dd"));
    if (!day.isValid()) {
        usageError(QStringLiteral("%1 needs a date as YYYY-MM-DD, not '%2'").arg(option, *text));
        return false;
    }
    *value = day;
    return true;
}

std::optional<QString> CommandContext::textOrNone(const QString &option) const
{
    const std::optional<QString> text = m_args.value(option);
    if (text && text->trimmed() == QLatin1String("none"))
        return QString();
    return text;
}

int CommandContext::usageError(const QString &message)
{
    return m_out.usageError(message, m_spec.path());
}

int CommandContext::fail(const AdminResult &result)
{
    if (result.kind == AdminErrorKind::Invalid)
        return usageError(result.error);
    return m_out.failure(result.error);
}

} // namespace relay::app
