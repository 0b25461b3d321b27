#include "UsagePanel.h"

#include "PagedLogView.h"

#include <QTabWidget>
#include <QVBoxLayout>

namespace relay::ui {

UsagePanel::UsagePanel(const ConsoleContext &context, QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("usagePanel"));
    LogSource usage;
    usage.table = LogPages::requests();
    usage.headers = {tr("Id"),       tr("Time"),       tr("Tenant"), tr("Key"),        tr("Client"),
                     tr("Endpoint"), tr("Outcome"),    tr("Model"),  tr("Upstream"),   tr("Status"),
                     tr("Prompt"),   tr("Completion"), tr("Cost"),   tr("Latency ms"), tr("Error")};
    usage.kinds = {{tr("all requests"), QString()},
                   {tr("errors (status ≥ 400)"), QStringLiteral("errors")},
                   {tr("rejected by limits"), QStringLiteral("refused")},
                   {tr("served"), QStringLiteral("served")},
                   {tr("Anthropic clients (/v1/messages)"), QStringLiteral("anthropic")},
                   {tr("OpenAI clients"), QStringLiteral("openai")}};
    usage.timeColumns = {1};
    usage.moneyColumns = {12};
    usage.countColumns = {10, 11};
    usage.millisColumns = {13};

    LogSource audit;
    audit.log = LogPageQuery::Log::Audit;
    audit.table = LogPages::audit();
    audit.headers = {tr("Id"),     tr("Time"),   tr("Actor"),  tr("Action"),
                     tr("Target"), tr("Tenant"), tr("Details")};
    audit.kinds = {{tr("all actions"), QString()},
                   {tr("relay events (failover)"), QStringLiteral("relay")},
                   {tr("admin changes"), QStringLiteral("admin")}};
    audit.timeColumns = {1};
    audit.changeColumns = {6};
    // The admin API does not number audit rows (interface.md §2 and §5 give no id).
    if (context.remote)
        audit.hiddenColumns = {0};

    auto *tabs = new QTabWidget(this);
    tabs->setObjectName(QStringLiteral("usageTabs"));
    m_requests = new PagedLogView(context, usage, QStringLiteral("requestLog"), tabs);
    m_audit = new PagedLogView(context, audit, QStringLiteral("auditLog"), tabs);
    tabs->addTab(m_requests, tr("&Request log"));
    tabs->addTab(m_audit, tr("A&udit log"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(tabs);
}

} // namespace relay::ui
