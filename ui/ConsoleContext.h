#pragma once

#include "admin/RemoteAdmin.h"

#include <QString>

#include <optional>

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
    QString dbPath; // empty when the console manages a relay elsewhere
    // Set when the console manages a relay elsewhere, through its admin API (--connect).
    std::optional<RemoteAdminOptions> remote;
};

} // namespace relay::ui
