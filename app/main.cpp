#include "CommandLine.h"

#include <QByteArray>

int main(int argc, char *argv[])
{
    // The plain Unix event dispatcher costs about half the system calls per request of the GLib
    // one; it must be chosen before the application object exists. The console's window takes
    // GLib's back (CommandLine.cpp, runWindowed).
    qputenv("QT_NO_GLIB", QByteArrayLiteral("1"));
    return relay::app::run(argc, argv);
}
