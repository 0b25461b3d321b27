#include "BudgetPeriod.h"

#include <QDateTime>

#include <chrono>

namespace relay {

BudgetPeriod BudgetPeriod::containing(qint64 wallMs)
{
    using namespace std::chrono;
    const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(wallMs)));
    const year_month month{year_month_day(day).year(), year_month_day(day).month()};
    const auto msOf = [](const year_month &ym) {
        return qint64(duration_cast<milliseconds>(sys_days(ym / 1).time_since_epoch()).count());
    };
    BudgetPeriod p;
    p.startMs = msOf(month);
    p.endMs = msOf(month + months(1));
    p.key = QStringLiteral("%1-%2")
                .arg(int(month.year()), 4, 10, QLatin1Char('0'))
                .arg(unsigned(month.month()), 2, 10, QLatin1Char('0'));
    return p;
}

QString BudgetPeriod::startIso() const
{
    return isoUtc(startMs);
}

QString isoUtc(qint64 wallMs)
{
    return QDateTime::fromMSecsSinceEpoch(wallMs, Qt::UTC).toString(Qt::ISODate);
}

} // namespace relay
