#pragma once

#include <QByteArray>
#include <QString>

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

} // namespace ApiKey
} // namespace relay
