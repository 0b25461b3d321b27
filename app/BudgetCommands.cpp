#include "CommandSpec.h"
#include "RecordOutput.h"
#include "billing/PriceList.h"

namespace relay::app {

namespace {

const QString kTenant = QStringLiteral("--tenant");
const QString kSince = QStringLiteral("--since");
const QString kPrices = QStringLiteral("--prices");

int settingsSet(CommandContext &ctx)
{
    return ctx.done(ctx.admin().setSetting(ctx.positional(0), ctx.positional(1)));
}

int settingsList(CommandContext &ctx)
{
    return RecordOutput::printList(ctx, ctx.admin().listSettings());
}

int alertsList(CommandContext &ctx)
{
    return RecordOutput::printList(ctx,
                                   ctx.admin().listAlerts(ctx.value(kTenant).value_or(QString())));
}

int alertsAck(CommandContext &ctx)
{
    bool ok = false;
    const qint64 id = ctx.positional(0).toLongLong(&ok);
    if (!ok || id < 1)
        return ctx.usageError(
            QStringLiteral("an alert ID is a number (see tenantrelay alerts), not '%1'")
                .arg(ctx.positional(0)));
    return ctx.done(ctx.admin().acknowledgeAlert(id));
}

int reportCosts(CommandContext &ctx)
{
    std::optional<QDate> since;
    if (!ctx.dateValue(kSince, &since))
        return kExitUsage;
    const QString file = ctx.value(kPrices).value_or(PriceList::kShippedPath);
    QString error;
    const auto prices = PriceList::load(file, &error);
    if (!prices)
        return ctx.out().failure(QStringLiteral("prices file %1").arg(error));
    const AdminValue<QList<CostReportRow>> rows = ctx.admin().costReport(since, *prices);
    if (!rows.ok || ctx.json())
        return RecordOutput::printList(ctx, rows);
    QString text = RecordOutput::toTable(rows.value).toString();
    for (const CostReportRow &row : rows.value) {
        if (!row.altCostUsd) {
            text += QStringLiteral("\nunpriced: %1 has no price for the model, so there is no "
                                   "alternative cost.\n")
                        .arg(ctx.value(kPrices) ? file : QStringLiteral("the shipped price list"));
            break;
        }
    }
    ctx.out().print(text);
    return kExitOk;
}

} // namespace

QList<CommandSpec> budgetCommands()
{
    const QString settings = QStringLiteral("settings");
    const QString alerts = QStringLiteral("alerts");
    return {
        {settings,
         QStringLiteral("set"),
         QStringLiteral("change a relay-wide setting"),
         QStringLiteral(
             "Sets KEY to VALUE. A running relay applies it within 2 seconds.\n"
             "webhook_url URL|none: POST budget alerts as JSON to this http(s) URL, for every "
             "tenant without its own --webhook; none removes it.\n"
             "usage_retention_days N: keep the per-request usage rows N days (1-36500, default "
             "90); older ones are deleted about hourly. The hourly rollups that usage, report "
             "costs and budgets read are kept."),
         {QStringLiteral("KEY"), QStringLiteral("VALUE")},
         2,
         {},
         {},
         settingsSet},
        {settings,
         QStringLiteral("list"),
         QStringLiteral("list the relay-wide settings"),
         QStringLiteral("Lists every setting with its value, or its default.\nJSON fields: key "
                        "value (what applies; null = none) default (true when that is the "
                        "default: the setting is not set)."),
         {},
         0,
         {jsonOption()},
         {},
         settingsList},
        {alerts,
         QString(),
         QStringLiteral("list the budget alerts"),
         QStringLiteral("Lists the budget alerts the relay raised, oldest first: one per "
                        "threshold per tenant and month when spend reaches it (kind threshold), "
                        "and one when the month-end forecast passes the budget (kind forecast). "
                        "Acknowledge one with 'tenantrelay alerts ack ID'.\nJSON fields: id time "
                        "tenant kind threshold spent_usd budget_usd acknowledged delivery "
                        "(none | pending | delivered | failed: REASON)."),
         {},
         0,
         {{kTenant, QStringLiteral("ID"), QStringLiteral("only this tenant's alerts")},
          jsonOption()},
         {},
         alertsList},
        {alerts,
         QStringLiteral("ack"),
         QStringLiteral("acknowledge an alert"),
         QStringLiteral("Marks alert ID (see tenantrelay alerts) as acknowledged."),
         {QStringLiteral("ID")},
         1,
         {},
         {},
         alertsAck},
        {QStringLiteral("report"),
         QStringLiteral("costs"),
         QStringLiteral("what the traffic cost, and would cost under other prices"),
         QStringLiteral(
             "Prices each tenant's metered traffic per model since a day (UTC; by default since "
             "the start of the current month) under another price list, next to what it "
             "cost.\nFILE has the shape {\"MODEL\": {\"input\": USD, \"output\": USD}, ...} in "
             "USD per million tokens; a price also covers dated variants (longest prefix). "
             "Without --prices, the price list shipped with TenantRelay.\nFields: tenant model "
             "requests prompt_tokens completion_tokens cost_usd alt_cost_usd delta_usd "
             "(alt - actual; null when FILE has no price for the model)."),
         {},
         0,
         {{kSince, QStringLiteral("YYYY-MM-DD"), QStringLiteral("from this day, 00:00 UTC")},
          {kPrices, QStringLiteral("FILE"), QStringLiteral("the alternative price list")},
          jsonOption()},
         {},
         reportCosts},
    };
}

} // namespace relay::app
