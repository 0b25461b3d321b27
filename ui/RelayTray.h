#pragma once

#include <QObject>
#include <QString>

#include <functional>

class QAction;
class QMenu;
class QSystemTrayIcon;
class QWidget;

namespace relay::ui {

// The console's one icon in the system tray: there while the relay keeps serving with its window
// closed, and for budget alerts. Its menu holds the actions it is given (Open console, Pause new
// requests, Quit); a click on the icon asks for the window. Whether the desktop has a tray is
// asked through a function that tests replace (the offscreen platform has none). GUI thread.
class RelayTray : public QObject
{
    Q_OBJECT
public:
    // `menuParent` owns the menu (a window: menus are widgets).
    explicit RelayTray(QWidget *menuParent, QObject *parent = nullptr);
    ~RelayTray() override;

    // Does the desktop have a system tray? (QSystemTrayIcon::isSystemTrayAvailable unless set.)
    bool available() const;
    void setAvailability(std::function<bool()> available);

    void setActions(const QList<QAction *> &actions);
    QMenu *menu() const { return m_menu; }
    // Puts the icon in the tray; false when the desktop has none.
    bool show();
    bool isShown() const;
    void hide();
    // A balloon message from the icon (shown first if needed); nothing without a tray.
    void showMessage(const QString &title, const QString &message, bool warning);
    // The icon and its tooltip say whether new requests are refused.
    void setPaused(bool paused);

Q_SIGNALS:
    // The icon was clicked (or double-clicked): the user wants the window.
    void openRequested();

private:
    QSystemTrayIcon *icon();
    void updateLook();

    std::function<bool()> m_available;
    QMenu *m_menu = nullptr;
    QSystemTrayIcon *m_icon = nullptr;
    bool m_paused = false;
};

} // namespace relay::ui
