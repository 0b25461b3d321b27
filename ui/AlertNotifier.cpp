#include "AlertNotifier.h"

#include <QApplication>
#include <QStyle>
#include <QSystemTrayIcon>

namespace relay::ui {

AlertNotifier::AlertNotifier(QObject *parent) : QObject(parent) {}

bool AlertNotifier::trayAvailable() const
{
    return QSystemTrayIcon::isSystemTrayAvailable();
}

void AlertNotifier::notify(const QString &title, const QString &message)
{
    ++m_requested;
    Q_EMIT notificationRequested(title, message);
    if (!trayAvailable())
        return;
    if (!m_tray) {
        m_tray = new QSystemTrayIcon(
            QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning), this);
        m_tray->setToolTip(QStringLiteral("TenantRelay"));
        m_tray->show();
    }
    m_tray->showMessage(title, message, QSystemTrayIcon::Warning, 10000);
}

} // namespace relay::ui
