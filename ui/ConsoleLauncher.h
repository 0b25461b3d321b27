#pragma once

#include "admin/RemoteAdmin.h"
#include "http/ServerConfig.h"

#include <QString>

namespace relay::ui {

// Opens the console window with the relay engine running inside it. Needs a QApplication.
// Returns the process exit status.
int runConsole(const QString &dbPath, bool demo);

// The admin token the console's own relay on `dbPath` serves the admin API with (interface.md
// §5): the keychain's, when Settings turned the admin API on and `server` may carry it (loopback
// or TLS); else empty, and *note says why when the user asked for it.
QByteArray localAdminToken(const QString &dbPath, const ServerConfig &server, QString *note);

// Opens the console on a relay elsewhere, through its admin API (`--connect URL`). Without a
// token in `options`, takes the one the keychain keeps for the URL, else asks for it (the
// Connect dialog). Needs a QApplication. Returns the process exit status.
int runRemoteConsole(RemoteAdminOptions options);

// The environment variable through which "Connect to relay…" hands the token to the console
// process it starts for that relay; that process clears it once read.
inline constexpr char kHandOverTokenEnv[] = "TENANTRELAY_CONSOLE_TOKEN";
// Starts a console process on the relay of `options` (its own window); false with *error when
// it could not start.
bool startRemoteConsole(const RemoteAdminOptions &options, QString *error);

} // namespace relay::ui
