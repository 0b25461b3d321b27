#pragma once

#include <QString>

namespace relay::ui {

// Opens the console window with the relay engine running inside it. Needs a QApplication.
// Returns the process exit status.
int runConsole(const QString &dbPath, bool demo);

} // namespace relay::ui
