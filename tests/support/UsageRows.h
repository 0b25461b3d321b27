#pragma once

#include "core/Clock.h"
#include "store/UsageRecord.h"

#include <QString>

#include <vector>

namespace relay::test {

// Milliseconds since the epoch of a UTC date and time.
qint64 utcMs(int y, int m, int d, int h = 0, int min = 0, int s = 0, int ms = 0);

// A served usage row as the relay records it (status >= 400 counts as an error).
UsageRecord servedRow(qint64 tsMs, const QString &tenant, int status, qint64 promptTokens,
                      qint64 completionTokens, double costUsd, qint64 latencyMs,
                      const QString &model = QStringLiteral("gpt-4o-mini"),
                      const QString &upstream = QStringLiteral("sim"));
// A request the relay refused (429, 404, ...): no upstream, nothing served.
UsageRecord rejectedRow(qint64 tsMs, const QString &tenant, int status,
                        const QString &model = QStringLiteral("gpt-4o-mini"));

// Writes the rows through a real UsageWriter on the database at `dbPath`, started and stopped
// here; false (with a warning) when the writer could not open the database.
bool writeUsage(const QString &dbPath, const std::vector<UsageRecord> &rows,
                Clock &clock = Clock::system());

} // namespace relay::test
