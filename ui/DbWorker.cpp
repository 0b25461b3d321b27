#include "DbWorker.h"

#include "ConsoleContext.h"

#include "relay/Engine.h"
#include "store/AdminService.h"
#include "store/Database.h"

#include <QThread>

#include <optional>

namespace relay::ui {

void DbSession::reloadEngine()
{
    if (engine)
        engine->reloadConfig();
}

namespace {

// Lives on the database thread and owns its connection (or its admin API client), made there
// at the first job.
class WorkerCore : public QObject
{
public:
    WorkerCore(QString path, Engine *engine) : m_path(std::move(path)), m_engine(engine) {}
    explicit WorkerCore(RemoteAdminOptions remote) : m_remoteOptions(std::move(remote)) {}

    // Runs `job`, unless the console is closing (jobs still queued then are dropped). The core
    // may be gone when this returns.
    void execute(const std::function<void(DbSession &)> &job)
    {
        if (m_closing)
            return;
        if (!m_admin && m_remoteOptions) {
            auto remote = std::make_unique<RemoteAdmin>(*m_remoteOptions);
            m_remote = remote.get();
            m_admin = std::move(remote);
        } else if (!m_admin) {
            QString error;
            if (!m_db.open(m_path, &error))
                qWarning("tenantrelay console: cannot open the database: %s", qPrintable(error));
            m_admin = std::make_unique<AdminService>(m_db.db());
        }
        DbSession session{*m_admin, m_engine, m_remote};
        // A call to a relay elsewhere waits in an event loop of its own, in which the close
        // (and other jobs) may arrive: the core goes only when the outermost job has ended.
        ++m_depth;
        job(session);
        --m_depth;
        if (m_closing && m_depth == 0)
            delete this;
    }

    void close()
    {
        if (m_depth == 0)
            delete this;
        else
            m_closing = true;
    }

private:
    QString m_path;
    Engine *m_engine = nullptr;
    std::optional<RemoteAdminOptions> m_remoteOptions;
    Database m_db;
    std::unique_ptr<AdminInterface> m_admin;
    RemoteAdmin *m_remote = nullptr;
    int m_depth = 0; // jobs running (nested while a remote call waits)
    bool m_closing = false;
};

} // namespace

DbWorker::DbWorker(const QString &dbPath, Engine *engine, QObject *parent)
    : QObject(parent), m_pending(std::make_shared<std::atomic<int>>(0))
{
    start(new WorkerCore(dbPath, engine));
}

DbWorker::DbWorker(const RemoteAdminOptions &remote, QObject *parent)
    : QObject(parent), m_pending(std::make_shared<std::atomic<int>>(0))
{
    start(new WorkerCore(remote));
}

void DbWorker::start(QObject *core)
{
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("console-db"));
    core->moveToThread(m_thread);
    m_core = core;
    m_thread->start();
}

DbWorker::~DbWorker()
{
    // Blocking: a queued delete still pending when quit() ends the thread's loop is dropped,
    // leaking the core and leaving its database connection open.
    // A job waiting on a relay elsewhere ends at quit() (its wait is one of the thread's
    // event loops), and the core goes with it.
    QMetaObject::invokeMethod(
        m_core, [core = static_cast<WorkerCore *>(m_core)] { core->close(); },
        Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
    delete m_thread;
}

void DbWorker::write(QObject *receiver, std::function<AdminResult(DbSession &)> change,
                     std::function<void(AdminResult)> done)
{
    run<AdminResult>(
        receiver,
        [change = std::move(change)](DbSession &s) {
            const AdminResult r = change(s);
            s.reloadEngine();
            return r;
        },
        std::move(done));
}

std::unique_ptr<DbWorker> newDbWorker(const ConsoleContext &context)
{
    return context.remote ? std::make_unique<DbWorker>(*context.remote)
                          : std::make_unique<DbWorker>(context.dbPath, nullptr);
}

int DbWorker::pending() const
{
    return m_pending->load();
}

void DbWorker::post(std::function<void(DbSession &)> job)
{
    ++*m_pending;
    auto *core = static_cast<WorkerCore *>(m_core);
    QMetaObject::invokeMethod(
        core,
        [core, job = std::move(job), pending = m_pending] {
            core->execute(job);
            --*pending;
        },
        Qt::QueuedConnection);
}

} // namespace relay::ui
