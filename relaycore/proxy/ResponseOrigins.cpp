#include "ResponseOrigins.h"

#include "core/Clock.h"
#include "store/UsageWriter.h"

#include <algorithm>
#include <vector>

namespace relay {

namespace {

constexpr qint64 kExpiryIntervalMs = 3'600'000;

} // namespace

void ResponseOrigins::trim(qint64 nowMs)
{
    if (nowMs >= m_nextExpiryMs) {
        m_nextExpiryMs = nowMs + kExpiryIntervalMs;
        m_origins.removeIf([&](const auto &it) { return nowMs - it.value().wallMs > kKeepMs; });
    }
    if (m_origins.size() < kMaxEntries)
        return;
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

void ResponseOrigins::remember(const QString &tenant, const QString &responseId,
                               const QString &upstream)
{
    if (!ResponseOriginStore::storable(responseId))
        return;
    const qint64 now = m_clock.wallMs();
    {
        std::lock_guard lock(m_mutex);
        trim(now);
        m_origins.insert(key(tenant, responseId), {upstream, now});
    }
    if (m_writer)
        m_writer->recordOrigin({now, tenant, responseId, upstream});
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

void ResponseOrigins::restore(const QList<ResponseOriginRecord> &origins)
{
    const qint64 now = m_clock.wallMs();
    std::lock_guard lock(m_mutex);
    for (const ResponseOriginRecord &o : origins) {
        if (!ResponseOriginStore::storable(o.responseId) || now - o.tsMs > kKeepMs)
            continue;
        trim(now);
        Origin &origin = m_origins[key(o.tenantId, o.responseId)];
        if (origin.upstream.isEmpty() || origin.wallMs <= o.tsMs)
            origin = {o.upstream, o.tsMs};
    }
}

qsizetype ResponseOrigins::size() const
{
    std::lock_guard lock(m_mutex);
    return m_origins.size();
}

} // namespace relay
