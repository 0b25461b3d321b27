#pragma once

#include <QStringList>

namespace relay::app {

// `tenantrelay [--db PATH] serve [options]`: the relay alone, no GUI. `cliDbPath` is --db as
// given (empty: the default database); `demo` is true for `tenantrelay --demo serve` (`serve
// --demo` says the same among `args`, the words after "serve"). Needs a QCoreApplication.
// Returns the process exit status.
int runServe(const QString &cliDbPath, bool demo, const QStringList &args);

} // namespace relay::app
