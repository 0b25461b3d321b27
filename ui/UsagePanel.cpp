#include "UsagePanel.h"

#include "PagedLogView.h"

#include <QTabWidget>
#include <QVBoxLayout>

namespace relay::ui {

UsagePanel::UsagePanel(const ConsoleContext &context, QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("usagePanel"));
    LogSource usage;
    usage.table = QStringLiteral("usage");
    usage.columns = {QStringLiteral("id"),
                     QStringLiteral("ts"),
                     QStringLiteral("tenant_id"),
                     QStringLiteral("key_prefix"),
                     QStringLiteral("CASE WHEN endpoint IN ('messages', 'count_tokens') "
                                    "THEN 'Anthropic' ELSE 'OpenAI' END AS dialect"),
                     QStringLiteral("endpoint"),
                     QStringLiteral("outcome"),
                     QStringLiteral("requested_model"),
                     QStringLiteral("upstream"),
                     QStringLiteral("status"),
                     QStringLiteral("prompt_tokens"),
                     QStringLiteral("completion_tokens"),
                     QStringLiteral("cost_usd"),
                     QStringLiteral("latency_ms"),
                     QStringLiteral("error")};
    usage.headers = {tr("Id"),       tr("Time"),       tr("Tenant"), tr("Key"),        tr("Client"),
                     tr("Endpoint"), tr("Outcome"),    tr("Model"),  tr("Upstream"),   tr("Status"),
                     tr("Prompt"),   tr("Completion"), tr("Cost"),   tr("Latency ms"), tr("Error")};
    usage.orderKeys = {QStringLiteral("ts"), QStringLiteral("id")};
    usage.tenantColumn = QStringLiteral("tenant_id");
    usage.textColumn = QStringLiteral("requested_model");
    usage.kinds = {
        {tr("all requests"), QString()},
        {tr("errors (status ≥ 400)"), QStringLiteral("status >= 400")},
        {tr("rejected by limits"), QStringLiteral("outcome = 'rejected'")},
        {tr("served"), QStringLiteral("outcome = 'served'")},
        {tr("Anthropic clients (/v1/messages)"),
         QStringLiteral("endpoint IN ('messages', 'count_tokens')")},
        {tr("OpenAI clients"), QStringLiteral("endpoint NOT IN ('messages', 'count_tokens')")}};
    usage.timeColumns = {1};
    usage.moneyColumns = {12};

    LogSource audit;
    audit.table = QStringLiteral("audit");
    audit.columns = {QStringLiteral("id"),     QStringLiteral("ts"),
                     QStringLiteral("actor"),  QStringLiteral("action"),
                     QStringLiteral("target"), QStringLiteral("tenant_id"),
                     QStringLiteral("details")};
    audit.headers = {tr("Id"),     tr("Time"),   tr("Actor"),  tr("Action"),
                     tr("Target"), tr("Tenant"), tr("Details")};
    audit.orderKeys = {QStringLiteral("id")};
    audit.tenantColumn = QStringLiteral("tenant_id");
    audit.textColumn = QStringLiteral("action");
    audit.kinds = {{tr("all actions"), QString()},
                   {tr("relay events (failover)"), QStringLiteral("actor = 'relay'")},
                   {tr("admin changes"), QStringLiteral("actor <> 'relay'")}};
    audit.timeColumns = {1};

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
