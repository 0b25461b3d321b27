#pragma once

#include <QString>

namespace relay {

// A budget period: the calendar month in UTC holding a moment (interface.md §4 "Budgets and
// usage"). Pure arithmetic on wall-clock milliseconds, so no job ever has to reset a budget:
// the next month simply starts from zero.
struct BudgetPeriod
{
    qint64 startMs = 0; // 00:00:00.000 UTC on the month's first day
    qint64 endMs = 0;   // the next month's start (exclusive)
    QString key;        // "YYYY-MM", the alerts table's period

    static BudgetPeriod containing(qint64 wallMs);

    bool contains(qint64 wallMs) const { return wallMs >= startMs && wallMs < endMs; }
    qint64 lengthMs() const { return endMs - startMs; }
    // "2026-11-01T00:00:00Z"
    QString startIso() const;
};

// "2026-11-26T14:03:36Z": a wall-clock moment as ISO-8601 in UTC, to the second.
QString isoUtc(qint64 wallMs);

} // namespace relay
