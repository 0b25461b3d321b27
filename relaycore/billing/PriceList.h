#pragma once

#include "tenants/DirectorySnapshot.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>
#include <vector>

namespace relay {

// A price list in the shape of resources/pricing.json: {"MODEL": {"input": USD, "output": USD}}
// in USD per million tokens. The shipped one seeds a new database's price table and is the
// default alternative of `report costs`.
namespace PriceList {

// The shipped list, compiled in as a resource.
inline const QString kShippedPath = QStringLiteral(":/relaycore/pricing.json");

// Sorted by model name; nullopt (and *error, one line) when the text is not such a list.
std::optional<std::vector<PriceConfig>> parse(const QByteArray &json, QString *error);
// Reads and parses a file (or a resource path).
std::optional<std::vector<PriceConfig>> load(const QString &path, QString *error);
// The other way: the list as parse() reads it (the body of POST /admin/v1/report/costs).
QJsonObject toJson(const std::vector<PriceConfig> &prices);

} // namespace PriceList
} // namespace relay
