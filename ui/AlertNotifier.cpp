#include "AlertNotifier.h"

#include "RelayTray.h"

namespace relay::ui {

AlertNotifier::AlertNotifier(RelayTray *tray, QObject *parent) : QObject(parent), m_tray(tray) {}

bool AlertNotifier::trayAvailable() const
{
    return m_tray->available();
}

void AlertNotifier::notify(const QString &title, const QString &message)
{
    ++m_requested;
    Q_EMIT notificationRequested(title, message);
    m_tray->showMessage(title, message, true);
}

} // namespace relay::ui
