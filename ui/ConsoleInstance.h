#pragma once

#include <QObject>
#include <QString>

class QLocalServer;

namespace relay::ui {

// One console per database: the first console on a database listens on a local socket named
// after it (a hash of the database's canonical path, per user); a later launch on the same
// database finds it, asks it to bring its window forward, and ends. Listening: GUI thread.
// askRunningToShow() blocks (a launch that has no window yet) and may run on any thread.
class ConsoleInstance : public QObject
{
    Q_OBJECT
public:
    explicit ConsoleInstance(const QString &dbPath, QObject *parent = nullptr);
    ~ConsoleInstance() override;

    // The local socket's name for the database at `dbPath`.
    static QString serverName(const QString &dbPath);
    const QString &name() const { return m_name; }

    // True when a console already runs on this database and has answered "show" (its window is
    // coming forward); false when none answers within `timeoutMs`.
    bool askRunningToShow(int timeoutMs = 5000) const;
    // Listens for later launches: showRequested() for each. False (with `error`) when the name
    // is held by a console that does not answer, or the socket cannot be made.
    bool listen(QString *error);

Q_SIGNALS:
    void showRequested();

private:
    QString m_name;
    QLocalServer *m_server = nullptr;
};

} // namespace relay::ui
