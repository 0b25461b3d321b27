#pragma once

#include <QEvent>
#include <QSocketNotifier>

namespace relay {

// A socket notifier that calls one function of its owner when the descriptor is ready, instead
// of emitting activated(): on a worker's EpollEventDispatcher straight from the dispatcher's
// pass (no QEvent through QCoreApplication::notify, no signal through QMetaObject::activate),
// elsewhere (Qt's own dispatcher) from its event(). The relay's own sockets are read and
// written through these, once or twice for every request.
// activated() is never emitted: connect to a plain QSocketNotifier for that.
class DirectNotifier final : public QSocketNotifier
{
public:
    // A notifier that calls (owner->*Member)() when `socket` is ready for `type`; `owner` owns
    // it (it is the notifier's parent), so the call never outlives the owner.
    template <auto Member, typename Owner>
    static DirectNotifier *create(qintptr socket, Type type, Owner *owner)
    {
        return new DirectNotifier(
            socket, type, [](void *o) { (static_cast<Owner *>(o)->*Member)(); }, owner, owner);
    }

    // What the descriptor's readiness calls; the dispatcher calls it for an enabled notifier.
    void activate() { m_call(m_owner); }

protected:
    bool event(QEvent *event) override
    {
        if (event->type() == QEvent::SockAct || event->type() == QEvent::SockClose) {
            activate();
            return true;
        }
        return QSocketNotifier::event(event);
    }

private:
    using Call = void (*)(void *owner);
    // Enabled here, not by QSocketNotifier's constructor: the dispatcher tells a DirectNotifier
    // from others when it is enabled, which must be once it is one.
    DirectNotifier(qintptr socket, Type type, Call call, void *owner, QObject *parent)
        : QSocketNotifier(type, parent), m_call(call), m_owner(owner)
    {
        setSocket(socket);
        setEnabled(true);
    }

    Call m_call;
    void *m_owner;
};

} // namespace relay
