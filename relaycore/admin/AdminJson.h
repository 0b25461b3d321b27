#pragma once

#include "store/AdminTypes.h"
#include "store/RequestLog.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>

#include <optional>

namespace relay::AdminJson {

// The admin records as JSON, with the field names of interface.md §2 (`--json`) and §5 (the
// admin API): the CLI and the admin API print the same objects. null = absent / no limit.
QJsonValue time(std::optional<qint64> ms); // ISO-8601 UTC with milliseconds, "Z"
// The other way: ms since the epoch, nullopt for null or anything but such a time.
std::optional<qint64> timeMs(const QJsonValue &value);
QJsonValue number(std::optional<double> value);
// A USD amount rounded to a billionth of a dollar, so sums of per-request costs print as
// 1.5e-05 rather than 1.4999999999999999e-05.
double money(double usd);

QJsonObject toJson(const TenantRecord &tenant);
// `tenant show --json`: the list's fields, the tier's defaults filled in, and the keys.
QJsonObject toJson(const TenantDetails &details);
QJsonObject toJson(const KeyRecord &key);
QJsonObject toJson(const UpstreamRecord &upstream);
QJsonObject toJson(const RouteRecord &route);
QJsonObject toJson(const AliasRecord &alias);
QJsonObject toJson(const PriceRecord &price);
QJsonObject toJson(const UsageReportRow &row);
QJsonObject toJson(const AuditRecord &record);
QJsonObject toJson(const SettingRecord &setting);
QJsonObject toJson(const AlertRecord &alert);
QJsonObject toJson(const CostReportRow &row);
// A row of the request log (GET /admin/v1/requests).
QJsonObject toJson(const RequestLogRow &row);

template <typename Record> QJsonArray toJsonArray(const QList<Record> &records)
{
    QJsonArray array;
    for (const Record &record : records)
        array.append(toJson(record));
    return array;
}

// The other way, for a client of the admin API: an answer's object as the record it shows, so
// that the client prints what the relay's own CLI would. false (and *error, one line) when a
// field is missing or of the wrong type.
bool fromJson(const QJsonObject &object, TenantRecord *record, QString *error);
bool fromJson(const QJsonObject &object, TenantDetails *details, QString *error);
bool fromJson(const QJsonObject &object, KeyRecord *record, QString *error);
bool fromJson(const QJsonObject &object, UpstreamRecord *record, QString *error);
bool fromJson(const QJsonObject &object, RouteRecord *record, QString *error);
bool fromJson(const QJsonObject &object, AliasRecord *record, QString *error);
bool fromJson(const QJsonObject &object, PriceRecord *record, QString *error);
bool fromJson(const QJsonObject &object, UsageReportRow *record, QString *error);
bool fromJson(const QJsonObject &object, AuditRecord *record, QString *error);
bool fromJson(const QJsonObject &object, SettingRecord *record, QString *error);
bool fromJson(const QJsonObject &object, AlertRecord *record, QString *error);
bool fromJson(const QJsonObject &object, CostReportRow *record, QString *error);

template <typename Record>
bool fromJsonArray(const QJsonArray &array, QList<Record> *records, QString *error)
{
    for (const QJsonValue item : array) {
        Record record;
        if (!item.isObject() || !fromJson(item.toObject(), &record, error)) {
            if (!item.isObject())
                *error = QStringLiteral("the answer's list holds something else than objects");
            return false;
        }
        records->append(record);
    }
    return true;
}

// A body of the admin API (the same field names) as the changes it asks for.
// An absent field is unchanged; null is the CLI's `none`. Fields a GET answers but nobody sets
// (id, spent_usd, created, keys, state, ...) are accepted and ignored, so that what a GET
// returns can be sent back. false with `error` naming the field for an unknown field or a value
// of the wrong type; ranges are the admin service's to check.
// `field` (when given) names the field at fault.
bool tenantChanges(const QJsonObject &body, TenantChanges *changes, QString *error,
                   QString *field = nullptr);
// POST /admin/v1/tenants/{id}/keys: {"label": TEXT|null, "expires": "YYYY-MM-DD"|"Nd"|null,
// "rotate": BOOL}, every field optional. The expiry is checked by the admin service.
bool keyOptions(const QJsonObject &body, KeyOptions *options, bool *rotate, QString *error,
                QString *field = nullptr);
bool upstreamChanges(const QJsonObject &body, UpstreamChanges *changes, QString *error,
                     QString *field = nullptr);
// The changes as the body that tenantChanges / upstreamChanges read back: unset fields absent.
QJsonObject toJson(const TenantChanges &changes);
QJsonObject toJson(const UpstreamChanges &changes);

} // namespace relay::AdminJson
