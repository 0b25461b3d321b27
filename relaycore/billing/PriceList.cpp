#include "PriceList.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>

namespace relay::PriceList {

namespace {

bool validPrice(const QJsonValue &value)
{
    return value.isDouble() && std::isfinite(value.toDouble()) && value.toDouble() >= 0;
}

} // namespace

std::optional<std::vector<PriceConfig>> parse(const QByteArray &json, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        *error = QStringLiteral("not JSON: %1 at offset %2")
                     .arg(parseError.errorString())
                     .arg(parseError.offset);
        return std::nullopt;
    }
    if (!doc.isObject()) {
        *error = QStringLiteral("expected an object {\"MODEL\": {\"input\": USD, \"output\": "
                                "USD}, ...}");
        return std::nullopt;
    }
    std::vector<PriceConfig> prices;
    const QJsonObject object = doc.object();
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QJsonObject price = it.value().toObject();
        const QJsonValue input = price.value(QLatin1String("input"));
        const QJsonValue output = price.value(QLatin1String("output"));
        if (it.key().trimmed().isEmpty() || !it.value().isObject() || !validPrice(input) ||
            !validPrice(output)) {
            *error = QStringLiteral("model '%1' needs {\"input\": USD, \"output\": USD}, zero or "
                                    "more per million tokens")
                         .arg(it.key());
            return std::nullopt;
        }
        prices.push_back({it.key(), input.toDouble(), output.toDouble()});
    }
    std::sort(prices.begin(), prices.end(),
              [](const PriceConfig &a, const PriceConfig &b) { return a.model < b.model; });
    return prices;
}

std::optional<std::vector<PriceConfig>> load(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    QString why;
    auto prices = parse(file.readAll(), &why);
    if (!prices)
        *error = QStringLiteral("%1: %2").arg(path, why);
    return prices;
}

QJsonObject toJson(const std::vector<PriceConfig> &prices)
{
    QJsonObject list;
    for (const PriceConfig &price : prices)
        list.insert(price.model, QJsonObject{{QStringLiteral("input"), price.inputPerMTok},
                                             {QStringLiteral("output"), price.outputPerMTok}});
    return list;
}

} // namespace relay::PriceList
