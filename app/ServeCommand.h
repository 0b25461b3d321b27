#pragma once

#include <QStringList>

namespace relay::app {

// `tenantrelay [--db PATH] serve [options]`: the relay alone, no GUI. `args` are the words after
// "serve". Needs a QCoreApplication. Returns the process exit status.
int runServe(const QString &dbPath, bool demo, const QStringList &args);

} // namespace relay::app
