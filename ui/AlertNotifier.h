#pragma once

#include <QObject>
#include <QString>

namespace relay::ui {

class RelayTray;

// Tells the user about a budget alert through the system tray (when the desktop has one; without
// a tray the console's alert list is the notice). Every request is counted and signalled, so
// the rest of the console and the tests can observe it. GUI thread.
class AlertNotifier : public QObject
{
    Q_OBJECT
public:
    // Alerts go through `tray`, the console's one tray icon.
    explicit AlertNotifier(RelayTray *tray, QObject *parent = nullptr);

    void notify(const QString &title, const QString &message);
    int requested() const { return m_requested; }
    bool trayAvailable() const;

Q_SIGNALS:
    void notificationRequested(const QString &title, const QString &message);

private:
    RelayTray *m_tray = nullptr;
    int m_requested = 0;
};

} // namespace relay::ui
