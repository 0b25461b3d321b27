#include "ThreadPriority.h"

#include <QDir>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace relay::ui {

void lowerOtherThreads(int nice)
{
    const int self = int(::syscall(SYS_gettid));
    const QDir tasks(QStringLiteral("/proc/self/task"));
    for (const QString &entry : tasks.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        const int tid = entry.toInt();
        if (tid > 0 && tid != self)
            ::setpriority(PRIO_PROCESS, id_t(tid), nice);
    }
}

} // namespace relay::ui
