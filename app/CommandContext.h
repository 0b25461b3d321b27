#pragma once

#include "ArgParser.h"
#include "CliOutput.h"
#include "store/AdminInterface.h"

#include <QDate>

namespace relay::app {

// What a command handler works with: its parsed words, the admin operations (on the opened
// database, or a relay's admin API with --connect: the handler does not know which), and the
// output. Helpers that read option values print the usage error themselves
// and return false, so a handler just returns kExitUsage.
class CommandContext
{
public:
    CommandContext(const CommandSpec &spec, ParsedArgs args, AdminInterface &admin, CliOutput &out)
        : m_spec(spec), m_args(std::move(args)), m_admin(admin), m_out(out)
    {
    }

    AdminInterface &admin() { return m_admin; }
    CliOutput &out() { return m_out; }

    QString positional(qsizetype i) const { return m_args.positionals.value(i); }
    std::optional<QString> value(const QString &option) const { return m_args.value(option); }
    bool flag(const QString &option) const { return m_args.has(option); }
    bool json() const { return flag(QStringLiteral("--json")); }
    // --enable / --disable; nullopt when neither is given.
    std::optional<bool> enabled() const;

    bool intValue(const QString &option, std::optional<int> *value);
    // A number that "none" removes (--rpm N|none): none gives an empty LimitValue.
    bool limitValue(const QString &option, std::optional<LimitValue> *value);
    bool doubleValue(const QString &option, std::optional<double> *value);
    // A USD amount that "none" removes (--budget USD|none).
    bool budgetValue(const QString &option, std::optional<BudgetValue> *value);
    // Whole percents, comma-separated; "none" = an empty list, "default" = nullopt (--alerts).
    bool thresholdsValue(const QString &option, std::optional<AlertThresholds> *value);
    // A day as YYYY-MM-DD (--since).
    bool dateValue(const QString &option, std::optional<QDate> *value);
    // Text that "none" empties (--webhook URL|none).
    std::optional<QString> textOrNone(const QString &option) const;

    // A usage error for this command: message and hint on stderr; returns kExitUsage.
    int usageError(const QString &message);
    // A failed admin call: bad input is bad usage (2), anything else a failure (1).
    int fail(const AdminResult &result);
    // The exit status of a write that prints nothing when it succeeds.
    int done(const AdminResult &result) { return result.ok ? kExitOk : fail(result); }

private:
    template <typename T, typename Parse>
    bool numberValue(const QString &option, std::optional<T> *value, const QString &what,
                     Parse parse);

    const CommandSpec &m_spec;
    ParsedArgs m_args;
    AdminInterface &m_admin;
    CliOutput &m_out;
};

} // namespace relay::app
