#pragma once

#include "CommandContext.h"
#include "TextTable.h"

#include "admin/AdminJson.h"

#include <QJsonArray>
#include <QJsonObject>

#include <type_traits>

namespace relay::app {

// How each admin record is shown: a JSON object with the field names of interface.md, and a
// row of text cells under a header of the same names in capitals.
namespace RecordOutput {

// The JSON objects are the admin API's (AdminJson), so that both print the same.
using AdminJson::toJson;
using AdminJson::toJsonArray;

QStringList header(std::type_identity<TenantRecord>);
QStringList header(std::type_identity<KeyRecord>);
QStringList header(std::type_identity<UpstreamRecord>);
QStringList header(std::type_identity<RouteRecord>);
QStringList header(std::type_identity<AliasRecord>);
QStringList header(std::type_identity<PriceRecord>);
QStringList header(std::type_identity<UsageReportRow>);
QStringList header(std::type_identity<AuditRecord>);
QStringList header(std::type_identity<SettingRecord>);
QStringList header(std::type_identity<AlertRecord>);
QStringList header(std::type_identity<CostReportRow>);

QStringList toCells(const TenantRecord &tenant);
QStringList toCells(const KeyRecord &key);
QStringList toCells(const UpstreamRecord &upstream);
QStringList toCells(const RouteRecord &route);
QStringList toCells(const AliasRecord &alias);
QStringList toCells(const PriceRecord &price);
QStringList toCells(const UsageReportRow &row);
QStringList toCells(const AuditRecord &record);
QStringList toCells(const SettingRecord &setting);
QStringList toCells(const AlertRecord &alert);
QStringList toCells(const CostReportRow &row);

// A tenant's allow-list as text: "all", or the models joined by commas.
QString modelsText(const ModelAllowList &models);

template <typename Record> TextTable toTable(const QList<Record> &records)
{
    TextTable table(header(std::type_identity<Record>()));
    for (const Record &record : records)
        table.addRow(toCells(record));
    return table;
}

// The whole of a list command: a failure, or the records as JSON (--json) or a table.
template <typename Record>
int printList(CommandContext &ctx, const AdminValue<QList<Record>> &result)
{
    if (!result.ok)
        return ctx.fail(result);
    if (ctx.json())
        ctx.out().printJson(toJsonArray(result.value));
    else
        ctx.out().print(toTable(result.value).toString());
    return kExitOk;
}

} // namespace RecordOutput
} // namespace relay::app
