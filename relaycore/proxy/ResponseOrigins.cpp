#include "ResponseOrigins.h"

#include "core/Clock.h"

#include <algorithm>
#include <vector>

namespace relay {

void ResponseOrigins::remember(const QString &tenant, const QString &responseId,
                               const QString &upstream)
{
    const qint64 now = m_clock.wallMs();
    std::lock_guard lock(m_mutex);
    if (m_origins.size() >= kMaxEntries) {
        // Forget the older half at once, so that the cost of a trim is spread over many calls.
        std::vector<qint64> times;
        times.reserve(size_t(m_origins.size()));
        for (const Origin &o : std::as_const(m_origins))
            times.push_back(o.wallMs);
        auto middle = times.begin() + std::ptrdiff_t(times.size() / 2);
        std::nth_element(times.begin(), middle, times.end());
        const qint64 cut = *middle;
        m_origins.removeIf([&](const auto &it) { return it.value().wallMs <= cut; });
    }
    m_origins.insert(key(tenant, responseId), {upstream, now});
}

std::optional<QString> ResponseOrigins::upstreamOf(const QString &tenant,
                                                   const QString &responseId) const
{
    const qint64 now = m_clock.wallMs();
    std::lock_guard lock(m_mutex);
    const auto it = m_origins.constFind(key(tenant, responseId));
    if (it == m_origins.cend() || now - it->wallMs > kKeepMs)
        return std::nullopt;
    return it->upstream;
}

} // namespace relay
