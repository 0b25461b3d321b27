#include "RelayTray.h"

#include <QApplication>
#include <QIcon>
#include <QMenu>
#include <QStyle>
#include <QSystemTrayIcon>

namespace relay::ui {

RelayTray::RelayTray(QWidget *menuParent, QObject *parent)
    : QObject(parent), m_available(&QSystemTrayIcon::isSystemTrayAvailable),
      m_menu(new QMenu(menuParent))
{
    m_menu->setObjectName(QStringLiteral("trayMenu"));
}

RelayTray::~RelayTray() = default;

bool RelayTray::available() const
{
    return m_available();
}

void RelayTray::setAvailability(std::function<bool()> available)
{
    m_available = std::move(available);
}

void RelayTray::setActions(const QList<QAction *> &actions)
{
    m_menu->clear();
    for (QAction *action : actions) {
        if (action)
            m_menu->addAction(action);
        else
            m_menu->addSeparator();
    }
}

QSystemTrayIcon *RelayTray::icon()
{
    if (!m_icon) {
        m_icon = new QSystemTrayIcon(this);
        m_icon->setObjectName(QStringLiteral("trayIcon"));
        m_icon->setContextMenu(m_menu);
        connect(m_icon, &QSystemTrayIcon::activated, this,
                [this](QSystemTrayIcon::ActivationReason reason) {
                    if (reason == QSystemTrayIcon::Trigger ||
                        reason == QSystemTrayIcon::DoubleClick)
                        Q_EMIT openRequested();
                });
        updateLook();
    }
    return m_icon;
}

bool RelayTray::show()
{
    if (!available())
        return false;
    icon()->show();
    return true;
}

bool RelayTray::isShown() const
{
    return m_icon && m_icon->isVisible();
}

void RelayTray::hide()
{
    if (m_icon)
        m_icon->hide();
}

void RelayTray::showMessage(const QString &title, const QString &message, bool warning)
{
    if (!show())
        return;
    m_icon->showMessage(title, message,
                        warning ? QSystemTrayIcon::Warning : QSystemTrayIcon::Information, 10000);
}

void RelayTray::setPaused(bool paused)
{
    m_paused = paused;
    updateLook();
}

void RelayTray::updateLook()
{
    if (!m_icon)
        return;
    // Relaying: the application's icon (the console sets it), paused: a pause sign.
    QStyle *style = QApplication::style();
    const QIcon relaying = QApplication::windowIcon();
    m_icon->setIcon(
        m_paused || relaying.isNull()
            ? style->standardIcon(m_paused ? QStyle::SP_MediaPause : QStyle::SP_DriveNetIcon)
            : relaying);
    m_icon->setToolTip(m_paused ? tr("TenantRelay — paused: new requests get 503")
                                : tr("TenantRelay — relaying"));
}

} // namespace relay::ui
