#include "ConsoleLauncher.h"

namespace relay::ui {

// placeholder until the engine lands
int runConsole(const QString &, bool)
{
    return 1;
}

} // namespace relay::ui
