#pragma once

#include "store/AdminTypes.h"

#include <QSqlQuery>
#include <QString>
#include <QStringList>
#include <QVariant>

// Internal to relaycore: what the AdminService files (AdminService.cpp, AdminTenants.cpp, ...)
// share, and how the tenants, upstreams and api_keys rows are read, which ConfigLoader shares
// so that a column added later is read in one place.
namespace relay::adminrows {

// The longest tenant name, key label or model name.
constexpr int kMaxNameLength = 200;

// `field`: the JSON name of the field at fault (the admin API's `param`), if one is.
AdminResult invalid(const QString &error, const QString &field = QString());
AdminResult notFound(const QString &error);
AdminResult conflict(const QString &error);
AdminResult dbFailure(const QString &error);

// The audit details of a change: {"before": ..., "after": ...}.
QJsonObject beforeAfter(const QJsonValue &before, const QJsonValue &after);

bool hasControlChars(const QString &text);
// Model names travel in comma-separated lists and "UPSTREAM:MODEL" targets, so no commas and
// no blanks; colons are fine (e.g. "llama3:8b").
bool isValidModel(const QString &model);
AdminResult checkModel(const QString &model, const char *field = "model");
// A webhook: an http or https URL with a host, without credentials or blanks. An empty URL
// (none) is fine: it removes the webhook. Trims *url.
AdminResult checkWebhookUrl(QString *url);

// An optional text column: empty = NULL.
QVariant textColumn(const QString &text);
// The upstream named by a route target: everything before the first colon.
QString targetUpstream(const QString &target);

// Each table's columns in the order its *FromRow function reads them, for a SELECT list. A
// query may select more columns after them; the first is at index `columns.size()`.
extern const QStringList kTenantColumns;
extern const QStringList kUpstreamColumns; // the stored key only as whether there is one
extern const QStringList kKeyColumns;      // not the hash

TenantRecord tenantFromRow(const QSqlQuery &q);
UpstreamRecord upstreamFromRow(const QSqlQuery &q);
KeyRecord keyFromRow(const QSqlQuery &q);

} // namespace relay::adminrows
