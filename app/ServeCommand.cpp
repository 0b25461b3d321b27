#include "ServeCommand.h"

namespace relay::app {

// placeholder until the engine lands
int runServe(const QString &, bool, const QStringList &)
{
    return 1;
}

} // namespace relay::app
