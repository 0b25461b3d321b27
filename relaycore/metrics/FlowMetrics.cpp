#include "FlowMetrics.h"

namespace relay {

namespace {

std::shared_ptr<FlowMetrics> getOrCreate(QHash<QString, std::shared_ptr<FlowMetrics>> &map,
                                         const QString &key)
{
    auto &slot = map[key];
    if (!slot)
        slot = std::make_shared<FlowMetrics>();
    return slot;
}

QList<QPair<QString, std::shared_ptr<FlowMetrics>>>
sorted(const QHash<QString, std::shared_ptr<FlowMetrics>> &map)
{
    QList<QPair<QString, std::shared_ptr<FlowMetrics>>> out;
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        if (it.value()->used.load(std::memory_order_relaxed))
            out.append({it.key(), it.value()});
    std::sort(out.begin(), out.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    return out;
}

} // namespace

std::shared_ptr<FlowMetrics> MetricsRegistry::tenant(const QString &id)
{
    auto flow = prepareTenant(id);
    flow->use();
    return flow;
}

std::shared_ptr<FlowMetrics> MetricsRegistry::upstream(const QString &name)
{
    auto flow = prepareUpstream(name);
    flow->use();
    return flow;
}

std::shared_ptr<FlowMetrics> MetricsRegistry::prepareTenant(const QString &id)
{
    std::lock_guard lock(m_mutex);
    return getOrCreate(m_tenants, id);
}

std::shared_ptr<FlowMetrics> MetricsRegistry::prepareUpstream(const QString &name)
{
    std::lock_guard lock(m_mutex);
    return getOrCreate(m_upstreams, name);
}

QList<QPair<QString, std::shared_ptr<FlowMetrics>>> MetricsRegistry::tenants() const
{
    std::lock_guard lock(m_mutex);
    return sorted(m_tenants);
}

QList<QPair<QString, std::shared_ptr<FlowMetrics>>> MetricsRegistry::upstreams() const
{
    std::lock_guard lock(m_mutex);
    return sorted(m_upstreams);
}

} // namespace relay
