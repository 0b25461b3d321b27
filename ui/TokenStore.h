#pragma once

#include <QByteArray>
#include <QString>

namespace relay::ui {

// The admin tokens of the relays the console manages, in the desktop's keychain (the Secret
// Service, KWallet, …), one per relay URL; never in a file. Where no keychain service runs,
// reads find nothing and writes fail with why, and the console asks for the token each session.
// Each call waits for the keychain (a few ms; at most kTimeoutMs) with the event loop running.
namespace TokenStore {

constexpr int kTimeoutMs = 5000;

// The token kept for `url`, or empty (none kept, or no keychain: *error says which).
QByteArray read(const QString &url, QString *error = nullptr);
bool write(const QString &url, const QByteArray &token, QString *error);
bool remove(const QString &url, QString *error = nullptr);

// The keychain entry of the admin token of this console's own relay on `dbPath` (the admin API
// it serves for consoles and `--connect` elsewhere).
QString localRelayKey(const QString &dbPath);
// A new random admin token ("tra-" and 43 URL-safe characters).
QByteArray newToken();

} // namespace TokenStore

// The certificate a user chose to trust for a relay's URL (a self-signed one), by its SHA-256
// digest (hex), kept in the console's settings: a digest is public, unlike the token.
namespace TrustedCertificates {

QByteArray digestFor(const QString &url);
void trust(const QString &url, const QByteArray &sha256Hex);

} // namespace TrustedCertificates

} // namespace relay::ui
