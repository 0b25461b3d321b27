#include "PostBox.h"

#include <QMetaObject>
#include <QObject>

namespace relay {

bool PostBox::post(std::function<void()> work)
{
    std::lock_guard lock(m_mutex);
    if (!m_target)
        return false;
    QMetaObject::invokeMethod(m_target, std::move(work), Qt::QueuedConnection);
    return true;
}

void PostBox::close()
{
    std::lock_guard lock(m_mutex);
    m_target = nullptr;
}

} // namespace relay
