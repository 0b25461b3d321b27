#pragma once

#include <QByteArray>
#include <QString>

#include <optional>

namespace relay {

// Tenant API keys: "sk-tr-" + 40 random base62 characters. Only the SHA-256 is stored;
// the first 12 characters (the prefix) identify a key in listings and usage rows.
namespace ApiKey {

constexpr int kPrefixLength = 12;
QString generate();
// Lower-case hex SHA-256 of the key's UTF-8 bytes.
QByteArray hash(QByteArrayView key);
QString prefix(const QString &key);
bool looksValid(QByteArrayView key);

// A key's `--expires` (interface.md §4): "YYYY-MM-DD" ends it at 00:00 UTC of that day, "Nd" N × 24
// h after nowMs (1 to 36500 days). The end must be after nowMs. nullopt (and *error) otherwise; the
// CLI, the admin API and the console all read expiries with this.
std::optional<qint64> parseExpiry(const QString &text, qint64 nowMs, QString *error = nullptr);

} // namespace ApiKey
} // namespace relay
