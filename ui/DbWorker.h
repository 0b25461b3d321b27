#pragma once

#include "admin/RemoteAdmin.h"

#include <QObject>
#include <QPointer>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>

class QThread;

namespace relay {
struct AdminResult;
class AdminInterface;
class Engine;
} // namespace relay

namespace relay::ui {

// What a job on the database thread works with: the admin service over that thread's own
// connection to the database, or the admin API of the relay the console manages remotely.
struct DbSession
{
    AdminInterface &admin;
    Engine *engine;      // may be null
    RemoteAdmin *remote; // the remote relay's admin API; null for a database file
    // Makes the running relay take the admin changes now, rather than at its next poll.
    void reloadEngine();
};

// A thread with its own connection to the database, or its own client of a remote relay's admin
// API: the console's reads (pages, reports) and admin writes run there, in the order posted, so
// the GUI thread never waits on SQLite or the network. Results come back to the receiver's
// thread by a queued call. Created and destroyed on the GUI thread; the engine, if given, must
// outlive it.
class DbWorker : public QObject
{
    Q_OBJECT
public:
    DbWorker(const QString &dbPath, Engine *engine, QObject *parent = nullptr);
    explicit DbWorker(const RemoteAdminOptions &remote, QObject *parent = nullptr);
    ~DbWorker() override;

    // Runs `job` on the database thread, then `done(result)` on `receiver`'s thread (skipped when
    // the receiver is gone by then).
    template <typename R>
    void run(QObject *receiver, std::function<R(DbSession &)> job, std::function<void(R)> done)
    {
        post([receiver = QPointer<QObject>(receiver), job = std::move(job),
              done = std::move(done)](DbSession &session) {
            R result = job(session);
            if (!receiver)
                return;
            QMetaObject::invokeMethod(
                receiver.data(), [done, result = std::move(result)] { done(result); },
                Qt::QueuedConnection);
        });
    }
    // An admin write: runs `change`, makes the running relay take it at once, then `done`.
    void write(QObject *receiver, std::function<AdminResult(DbSession &)> change,
               std::function<void(AdminResult)> done);
    // Jobs posted and not yet finished.
    int pending() const;

private:
    void start(QObject *core);
    void post(std::function<void(DbSession &)> job);

    QThread *m_thread = nullptr;
    QObject *m_core = nullptr;
    std::shared_ptr<std::atomic<int>> m_pending;
};

struct ConsoleContext;
// Another worker on what the console manages (its database, or the remote relay's admin API),
// for a long job that must not hold up the panels' own (a CSV export).
std::unique_ptr<DbWorker> newDbWorker(const ConsoleContext &context);

} // namespace relay::ui
