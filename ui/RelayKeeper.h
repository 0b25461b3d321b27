#pragma once

#include <QObject>
#include <QString>

class QAction;
class QMainWindow;

namespace relay {
class Engine;
}

namespace relay::ui {

class RelayTray;

// What closing the console's window does to the relay inside it. While tenants are being served
// (requests answered this session, or in flight) the relay can keep serving in the background
// with an icon in the system tray (Open console, Pause new requests, Quit): the console asks
// the first time, or does what Settings say ("don't ask again"). Where the desktop has no tray
// it never hides into nowhere: closing asks to confirm, then quits. Quitting lets the requests
// in flight finish (Engine::shutdown) before quitRequested(). When the application itself is
// asked to quit (SIGTERM, QCoreApplication::quit), the window closes without a question. Also
// owns the relay actions the window's menu and the tray share. GUI thread.
class RelayKeeper : public QObject
{
    Q_OBJECT
public:
    // What closing the window does (Settings, QSettings key closeActionKey()).
    enum class CloseAction { Ask, KeepRelaying, Quit };
    static QString closeActionKey() { return QStringLiteral("console/whenWindowClosed"); }
    static CloseAction savedCloseAction();
    static void saveCloseAction(CloseAction action);

    // `engine`: the relay this console runs (null when it runs none: nothing to keep).
    RelayKeeper(QMainWindow *window, Engine *engine, QObject *parent = nullptr);

    // From the window's closeEvent: true lets the window close (the console is quitting);
    // false keeps it (hidden into the tray, or a question is open).
    bool windowClosing();
    // Closes the window and stops the relay (requests in flight finish first), then emits
    // quitRequested().
    void quit();
    // The window back on screen, in front (tray, or another launch on the same database).
    void showWindow();
    // Did the relay answer tenant requests in this session, or are some in flight?
    bool servingTenants() const;
    // The window is hidden and the relay serves on, behind the tray icon.
    bool keptInBackground() const { return m_inBackground; }

    RelayTray *tray() const { return m_tray; }
    QAction *pauseAction() const { return m_pause; }
    QAction *quitAction() const { return m_quit; }
    QAction *openAction() const { return m_open; }

protected:
    // Sees the application's Quit event: Qt 6 closes every window before quitting, and a window
    // that refuses would cancel the quit (a SIGTERM would open the question instead).
    bool eventFilter(QObject *watched, QEvent *event) override;

Q_SIGNALS:
    // The relay has stopped (or there was none): the application should end.
    void quitRequested();
    // "Don't ask again" stored a choice (for the Settings panel to show it).
    void closeActionSaved(relay::ui::RelayKeeper::CloseAction action);

private:
    void askKeepOrQuit();
    void confirmQuitWithoutTray();
    void keepInBackground();
    void stopRelay();
    QString servedText() const;

    QMainWindow *m_window;
    Engine *m_engine;
    RelayTray *m_tray = nullptr;
    QAction *m_open = nullptr;
    QAction *m_pause = nullptr;
    QAction *m_quit = nullptr;
    bool m_quitting = false;
    bool m_stopping = false;
    bool m_inBackground = false;
    bool m_toldAboutTray = false;
};

} // namespace relay::ui
