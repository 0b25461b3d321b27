#pragma once

#include <functional>
#include <memory>
#include <mutex>

class QObject;

namespace relay {

// Lets other threads hand work to an object's thread for as long as that object lives: a
// post either reaches the target's event queue while the target is still there, or is refused
// (closed). Posting and closing take the same lock, so a post cannot race the target's end; a
// post queued before the target goes is dropped by Qt with it.
class PostBox
{
public:
    explicit PostBox(QObject *target) : m_target(target) {}

    // Any thread: queues `work` to run on the target's thread. False when closed.
    bool post(std::function<void()> work);
    // On the target's thread, before the target goes.
    void close();

private:
    std::mutex m_mutex;
    QObject *m_target; // guarded by m_mutex; nullptr once closed
};

} // namespace relay
