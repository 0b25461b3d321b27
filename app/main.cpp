#include "CommandLine.h"

#include <QByteArray>

int main(int argc, char *argv[])
{
    // The plain Unix event dispatcher costs about half the system calls per request of the GLib
    // one; it must be chosen before the application object exists.
    qputenv("QT_NO_GLIB", QByteArrayLiteral("1"));
    return relay::app::run(argc, argv);
}
