#pragma once

#include "ConsoleContext.h"

#include <QWidget>

namespace relay::ui {

class PagedLogView;

// The request log (usage) and the admin audit log, each filterable, paged and exportable.
class UsagePanel : public QWidget
{
    Q_OBJECT
public:
    explicit UsagePanel(const ConsoleContext &context, QWidget *parent = nullptr);

    PagedLogView *requestLog() const { return m_requests; }
    PagedLogView *auditLog() const { return m_audit; }

private:
    PagedLogView *m_requests = nullptr;
    PagedLogView *m_audit = nullptr;
};

} // namespace relay::ui
