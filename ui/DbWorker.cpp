#include "DbWorker.h"

#include "relay/Engine.h"
#include "store/AdminService.h"
#include "store/Database.h"

#include <QThread>

namespace relay::ui {

void DbSession::reloadEngine()
{
    if (engine)
        engine->reloadConfig();
}

namespace {

// Lives on the database thread and owns its connection.
class WorkerCore : public QObject
{
public:
    WorkerCore(QString path, Engine *engine) : m_path(std::move(path)), m_engine(engine) {}

    void execute(const std::function<void(DbSession &)> &job)
    {
        if (!m_db.isOpen()) {
            QString error;
            if (!m_db.open(m_path, &error))
                qWarning("tenantrelay console: cannot open the database: %s", qPrintable(error));
            m_admin = std::make_unique<AdminService>(m_db.db());
        }
        DbSession session{m_db.db(), *m_admin, m_engine};
        job(session);
    }

private:
    QString m_path;
    Engine *m_engine;
    Database m_db;
    std::unique_ptr<AdminService> m_admin;
};

} // namespace

DbWorker::DbWorker(const QString &dbPath, Engine *engine, QObject *parent)
    : QObject(parent), m_pending(std::make_shared<std::atomic<int>>(0))
{
    m_thread = new QThread;
    m_thread->setObjectName(QStringLiteral("console-db"));
    auto *core = new WorkerCore(dbPath, engine);
    core->moveToThread(m_thread);
    m_core = core;
    m_thread->start();
}

DbWorker::~DbWorker()
{
    // Blocking: a queued delete still pending when quit() ends the thread's loop is dropped,
    // leaking the core and leaving its database connection open.
    QMetaObject::invokeMethod(
        m_core, [core = m_core] { delete core; }, Qt::BlockingQueuedConnection);
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
