#pragma once

#include <QString>

namespace relay {
class Engine;
}

namespace relay::ui {

class AlertNotifier;
class DbWorker;

// What every panel of the console works with. Owned by the MainWindow (engine: by whoever
// started it); the GUI thread only.
struct ConsoleContext
{
    Engine *engine = nullptr;    // null when the relay could not start
    DbWorker *db = nullptr;      // admin writes, lists and log pages: quick jobs
    DbWorker *reports = nullptr; // sums over usage (spend, forecasts, cost comparison)
    AlertNotifier *notifier = nullptr;
    QString dbPath;
};

} // namespace relay::ui
