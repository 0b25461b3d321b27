#pragma once

#include <QObject>

class QSocketNotifier;

namespace relay::app {

// Turns SIGINT and SIGTERM (and SIGHUP) into Qt signals on the thread that created the watcher
// (a self-pipe: the C handler only writes the signal's number). One instance per process.
class SignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

    // SIGHUP then emits reloadRequested() instead of ending the process (`serve`).
    void watchHangup();

Q_SIGNALS:
    void terminationRequested();
    // SIGHUP: re-read what can be re-read without a restart (the TLS certificate).
    void reloadRequested();

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace relay::app
