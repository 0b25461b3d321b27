#include "PriceIndex.h"

#include <algorithm>

namespace relay {

PriceIndex::PriceIndex(const DirectorySnapshot &directory) : m_prices(directory.prices)
{
    m_exact.reserve(m_prices.size());
    for (const PriceConfig &p : m_prices) {
        m_exact.emplace(p.model, &p);
        m_lengths.push_back(p.model.size());
    }
    std::sort(m_lengths.begin(), m_lengths.end(), std::greater<>());
    m_lengths.erase(std::unique(m_lengths.begin(), m_lengths.end()), m_lengths.end());

    // The names requests use most (priced, aliased, routed) are answered by one look-up.
    const auto resolve = [this](const QString &name) {
        if (!name.isEmpty())
            m_resolved.try_emplace(name, longestPrefix(name));
    };
    for (const PriceConfig &p : m_prices)
        resolve(p.model);
    for (auto it = directory.aliases.cbegin(); it != directory.aliases.cend(); ++it) {
        resolve(it.key());
        resolve(it.value());
    }
    for (auto it = directory.routes.cbegin(); it != directory.routes.cend(); ++it) {
        resolve(it.key());
        for (const RouteTarget &t : it.value())
            resolve(t.model);
    }
}

const PriceConfig *PriceIndex::longestPrefix(QStringView model) const
{
    for (const qsizetype length : m_lengths) {
        if (length > model.size())
            continue;
        const auto it = m_exact.find(model.left(length));
        if (it != m_exact.end())
            return it->second;
    }
    return nullptr;
}

const PriceConfig *PriceIndex::find(QStringView model) const
{
    if (const auto it = m_resolved.find(model); it != m_resolved.end())
        return it->second;
    return longestPrefix(model);
}

const PriceConfig *PriceIndex::first(std::initializer_list<QStringView> models) const
{
    for (const QStringView model : models) {
        if (model.isEmpty())
            continue;
        if (const PriceConfig *price = find(model))
            return price;
    }
    return nullptr;
}

} // namespace relay
