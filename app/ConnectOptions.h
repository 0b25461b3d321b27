#pragma once

#include "CliOutput.h"

#include <QString>

namespace relay {
struct RemoteAdminOptions;
}

namespace relay::app {

// `--connect URL [--admin-token-env VAR] [--connect-ca FILE]`: a relay elsewhere, managed
// through its admin API, as the user gave it.
struct ConnectOptions
{
    // The variable that holds the admin token when --admin-token-env names none.
    static constexpr char kDefaultTokenEnv[] = "TENANTRELAY_ADMIN_TOKEN";

    QString url;
    QString tokenEnv = QString::fromLatin1(kDefaultTokenEnv);
    QString caFile; // empty: only the system's certificate authorities

    enum Token { TokenRequired, TokenOptional };
    // Checks the URL, reads the token and the certificates: kExitOk with *options set, else the
    // exit status after saying why (2 for bad usage, 1 for a file that cannot be read).
    // TokenOptional: an unset variable leaves the token empty (the console asks for it).
    int resolve(CliOutput &out, RemoteAdminOptions *options, Token token = TokenRequired) const;
};

} // namespace relay::app
