#pragma once

#include <QObject>

class QSocketNotifier;

namespace relay::app {

// Turns SIGINT and SIGTERM into a Qt signal on the thread that created the watcher
// (a self-pipe: the C handler only writes a byte). One instance per process.
class SignalWatcher : public QObject
{
    Q_OBJECT
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void terminationRequested();

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace relay::app
