#pragma once

#include "relay/Engine.h"

#include <QMainWindow>

class QLabel;

namespace relay::ui {

// The console's window. For now: where the relay listens and a live request counter, fed by
// the engine's statsUpdated snapshots (queued, about once a second).
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);

    void showEngineStarted(const QString &listenAddress, const QString &dbPath, int workers);
    void showEngineFailed(const QString &error);
    void applyStats(const relay::EngineStatsSnapshot &stats);

private:
    QLabel *m_status = nullptr;
    QLabel *m_address = nullptr;
    QLabel *m_requests = nullptr;
    QLabel *m_inFlight = nullptr;
    QLabel *m_database = nullptr;
};

} // namespace relay::ui
