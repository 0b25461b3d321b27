#pragma once

#include <QHash>
#include <QList>
#include <QPair>
#include <QSet>
#include <QString>

#include <algorithm>
#include <memory>
#include <mutex>

namespace relay {

// Per-tenant state objects shared by every worker, made on first use. The registry's own lock
// only finds an object; each State carries its own lock, so tenants never wait for each other.
// Thread-safe.
template <class State> class TenantRegistry
{
public:
    // The tenant's state; made when missing and `create`, else nullptr.
    std::shared_ptr<State> find(const QString &tenantId, bool create)
    {
        std::lock_guard lock(m_mutex);
        auto it = m_states.find(tenantId);
        if (it != m_states.end())
            return *it;
        if (!create)
            return nullptr;
        return *m_states.insert(tenantId, std::make_shared<State>());
    }

    // Every tenant's state, sorted by id.
    QList<QPair<QString, std::shared_ptr<State>>> all() const
    {
        QList<QPair<QString, std::shared_ptr<State>>> out;
        {
            std::lock_guard lock(m_mutex);
            for (auto it = m_states.cbegin(); it != m_states.cend(); ++it)
                out.append({it.key(), it.value()});
        }
        std::sort(out.begin(), out.end(),
                  [](const auto &a, const auto &b) { return a.first < b.first; });
        return out;
    }

    // Forgets the tenants not in `tenantIds`.
    void retain(const QList<QString> &tenantIds)
    {
        const QSet<QString> keep(tenantIds.cbegin(), tenantIds.cend());
        std::lock_guard lock(m_mutex);
        m_states.removeIf([&](const auto &it) { return !keep.contains(it.key()); });
    }

private:
    mutable std::mutex m_mutex;
    QHash<QString, std::shared_ptr<State>> m_states;
};

} // namespace relay
