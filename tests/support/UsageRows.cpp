#include "UsageRows.h"

#include <QDateTime>

#include "store/UsageWriter.h"

#include <QDebug>

namespace relay::test {

qint64 utcMs(int y, int m, int d, int h, int min, int s, int ms)
{
    return QDateTime(QDate(y, m, d), QTime(h, min, s, ms), Qt::UTC).toMSecsSinceEpoch();
}

UsageRecord servedRow(qint64 tsMs, const QString &tenant, int status, qint64 promptTokens,
                      qint64 completionTokens, double costUsd, qint64 latencyMs,
                      const QString &model, const QString &upstream)
{
    UsageRecord r;
    r.tsMs = tsMs;
    r.requestId = "req";
    r.tenantId = tenant;
    r.keyPrefix = QStringLiteral("sk-tr-test00");
    r.endpoint = "chat";
    r.requestedModel = model;
    r.servedModel = model;
    r.upstream = upstream;
    r.status = status;
    r.promptTokens = promptTokens;
    r.completionTokens = completionTokens;
    r.costUsd = costUsd;
    r.priced = costUsd > 0;
    r.latencyMs = latencyMs;
    return r;
}

UsageRecord rejectedRow(qint64 tsMs, const QString &tenant, int status, const QString &model)
{
    UsageRecord r;
    r.tsMs = tsMs;
    r.requestId = "req";
    r.tenantId = tenant;
    r.keyPrefix = QStringLiteral("sk-tr-test00");
    r.rejected = true;
    r.endpoint = "chat";
    r.requestedModel = model;
    r.status = status;
    return r;
}

bool writeUsage(const QString &dbPath, const std::vector<UsageRecord> &rows, Clock &clock)
{
    UsageWriter writer(dbPath, 10, clock);
    QString error;
    if (!writer.startWriter(&error)) {
        qWarning() << "usage writer:" << error;
        return false;
    }
    for (const UsageRecord &r : rows)
        writer.record(r);
    writer.flush();
    const bool written = writer.rowsWritten() == qint64(rows.size());
    writer.stopWriter();
    return written;
}

} // namespace relay::test
