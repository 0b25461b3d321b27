#include "CommandSpec.h"
#include "RecordOutput.h"

namespace relay::app {

namespace {

const QString kJson = QStringLiteral("--json");
const QString kCsv = QStringLiteral("--csv");
const QString kTenant = QStringLiteral("--tenant");

QString csvCell(const QJsonValue &value)
{
    if (value.isNull())
        return QString();
    if (value.isDouble())
        return QString::number(value.toDouble(), 'g', 15);
    QString text = value.toString();
    if (text.contains(QLatin1Char(',')) || text.contains(QLatin1Char('"')) ||
        text.contains(QLatin1Char('\n')))
        text = QLatin1Char('"') + text.replace(QLatin1Char('"'), QStringLiteral("\"\"")) +
               QLatin1Char('"');
    return text;
}

// CSV with the JSON field names as its header line.
QString toCsv(const QList<UsageReportRow> &rows)
{
    using namespace RecordOutput;
    QStringList fields = header(std::type_identity<UsageReportRow>());
    for (QString &field : fields)
        field = field.toLower();
    QString text = fields.join(QLatin1Char(',')) + QLatin1Char('\n');
    for (const UsageReportRow &row : rows) {
        const QJsonObject object = toJson(row);
        QStringList cells;
        for (const QString &field : fields)
            cells << csvCell(object.value(field));
        text += cells.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return text;
}

int usage(CommandContext &ctx)
{
    UsageQuery query;
    query.tenant = ctx.value(kTenant).value_or(QString());
    if (!ctx.dateValue(QStringLiteral("--since"), &query.since))
        return kExitUsage;
    const AdminValue<QList<UsageReportRow>> rows = ctx.admin().usageReport(query);
    if (rows.ok && ctx.flag(kCsv)) {
        ctx.out().print(toCsv(rows.value));
        return kExitOk;
    }
    return RecordOutput::printList(ctx, rows);
}

int audit(CommandContext &ctx)
{
    return RecordOutput::printList(ctx,
                                   ctx.admin().auditLog(ctx.value(kTenant).value_or(QString())));
}

} // namespace

QList<CommandSpec> reportCommands()
{
    return {
        {QStringLiteral("usage"),
         QString(),
         QStringLiteral("requests, tokens and cost per tenant"),
         QStringLiteral("Reports each tenant's usage since a day (UTC), by default since the "
                        "start of the current month: requests admitted, requests rejected by "
                        "limits or budget, tokens, cost, requests that ended in an error "
                        "(status >= 400) and latency percentiles.\nFields: tenant requests "
                        "rejected prompt_tokens completion_tokens cost_usd errors p50_ms p95_ms."),
         {},
         0,
         {{kTenant, QStringLiteral("ID"), QStringLiteral("only this tenant")},
          {QStringLiteral("--since"), QStringLiteral("YYYY-MM-DD"),
           QStringLiteral("from this day, 00:00 UTC")},
          jsonOption(),
          {kCsv, QString(), QStringLiteral("print CSV")}},
         {{kJson, kCsv}},
         usage},
        {QStringLiteral("audit"),
         QString(),
         QStringLiteral("who changed what, when"),
         QStringLiteral("Lists the admin changes, oldest first: the time, who made them (the OS "
                        "user, or relay for the relay's own events), the action, its target and "
                        "the settings before and after (never a key).\nJSON fields: time actor "
                        "action target tenant details."),
         {},
         0,
         {{kTenant, QStringLiteral("ID"), QStringLiteral("only the changes to this tenant")},
          jsonOption()},
         {},
         audit},
    };
}

} // namespace relay::app
