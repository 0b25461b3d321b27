#include "StateRecorder.h"

#include "core/Clock.h"
#include "proxy/RelayContext.h"
#include "store/Database.h"
#include "store/RelayState.h"

#include <QTimer>

namespace relay {

StateRecorder::StateRecorder(QString dbPath, RelayContext &context, int intervalMs)
    : m_dbPath(std::move(dbPath)), m_context(context), m_intervalMs(qMax(1, intervalMs))
{
}

StateRecorder::~StateRecorder()
{
    if (!m_db)
        return;
    recordState();
    QString error;
    RelayState::writeHeartbeat(m_db->db(), 0, m_listen, &error);
}

bool StateRecorder::open(QString *error)
{
    m_db = std::make_unique<Database>();
    if (!m_db->open(m_dbPath, error) || !RelayState::resetStates(m_db->db(), error)) {
        m_db.reset();
        return false;
    }
    return true;
}

void StateRecorder::start()
{
    m_timer = new QTimer(this);
    m_timer->setInterval(m_intervalMs);
    connect(m_timer, &QTimer::timeout, this, &StateRecorder::recordState);
    m_timer->start();
    recordState();
}

void StateRecorder::recordState()
{
    QString error;
    // Kept until stored: a database busy for a moment delays the record, never drops it.
    m_unrecorded += m_context.circuits().takeTransitions();
    if (RelayState::recordTransitions(m_db->db(), m_unrecorded, &error))
        m_unrecorded.clear();
    else
        qWarning("TenantRelay: cannot record upstream state yet (retried at the next tick): %s",
                 qPrintable(error));
    RelayState::writeHeartbeat(m_db->db(), m_context.clock().wallMs(), m_listen, &error);
}

} // namespace relay
