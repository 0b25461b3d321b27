#pragma once

#include <QJsonValue>
#include <QLocale>
#include <QString>
#include <QStringList>
#include <QTimeZone>

namespace relay::Format {

// How the console and the CLI's text tables show money, counts, milliseconds and times, so that
// both print them alike. Numbers follow the user's locale (its digit grouping and decimal mark);
// the C/POSIX locale, which has no grouping, reads as English (United States). Times are local,
// in ISO order, with the zone always shown. Machine output (--json, --csv, CSV exports) does not
// go through here: it stays plain numbers and UTC.

// The locale numbers are written in: QLocale(), or English (United States) for C/POSIX.
QLocale locale();

// A whole number with the locale's grouping, never an exponent: "2,000,000".
QString count(qint64 value, const QLocale &l = locale());
// A number with `decimals` fixed decimals and grouping: "1,234.5".
QString number(double value, int decimals, const QLocale &l = locale());
// US dollars: cents from a dollar up ("$1,974.00"), four decimals below a dollar ("$0.0098",
// "$0.0100"), six below a hundredth of a cent ("$0.000015"); the sign and symbol placed as the
// locale places them.
QString money(double usd, const QLocale &l = locale());
// A difference in dollars, always signed when not zero: "+$0.0225", "-$0.50", "$0.00".
QString signedMoney(double usd, const QLocale &l = locale());
// Milliseconds, rounded to whole ones and grouped: "3,000" (the column says "ms").
QString millis(double ms, const QLocale &l = locale());
// A moment, ms since the epoch, in `zone` (the system's by default), with the zone named:
// "2026-03-14 10:30:00 CET", "2026-03-14 09:30:00 UTC", or by offset when the zone has no
// name: "2026-03-14 12:30:00 UTC+03:00".
QString dateTime(qint64 msSinceEpoch, const QTimeZone &zone = QTimeZone::systemTimeZone());

// An audit entry's change, {"before": …, "after": …}, as one line per field that changed:
// "rpm: 100 → 200", "budget_usd: none → 50" (none = absent or null); a change of a single value
// (a circuit's state) reads "closed → open". Details of another shape list their fields.
QStringList changeLines(const QJsonValue &details);
// The same, from the details as stored (JSON text); text that is not JSON is returned as it is.
QStringList changeLines(const QString &detailsJson);
// The change on one line, as the console's audit table and `tenantrelay audit` show it: the
// lines above joined by "; " ("rpm: 100 → 200; tier: best-effort → dedicated").
QString changeSummary(const QJsonValue &details);
QString changeSummary(const QString &detailsJson);

} // namespace relay::Format
