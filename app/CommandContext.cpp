#include "CommandContext.h"

#include <cmath>

namespace relay::app {

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
    return numberValue(option, value, QStringLiteral("a number"),
                       [](const QString &text, bool *ok) {
                           const double number = text.toDouble(ok);
                           *ok = *ok && std::isfinite(number);
                           return number;
                       });
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
