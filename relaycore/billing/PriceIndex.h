#pragma once

#include "tenants/DirectorySnapshot.h"

#include <QHashFunctions>
#include <QString>
#include <QStringView>

#include <initializer_list>
#include <unordered_map>
#include <vector>

namespace relay {

// The price table of one published config, indexed for the request path: a model's price is
// found with a few hash look-ups instead of a scan of every price. Same rule as
// DirectorySnapshot::priceFor: the exact name, else the longest priced prefix (dated variants).
// The names the config already knows (priced models, aliases, routed models and their targets)
// are resolved once when the index is built. Immutable once built; any thread reads it.
class PriceIndex
{
public:
    PriceIndex() = default;
    explicit PriceIndex(const DirectorySnapshot &directory);
    // The look-ups point into the index's own table: moved, never copied.
    PriceIndex(const PriceIndex &) = delete;
    PriceIndex &operator=(const PriceIndex &) = delete;
    PriceIndex(PriceIndex &&) = default;
    PriceIndex &operator=(PriceIndex &&) = default;

    // The price `model` is billed at; nullptr when none applies. Valid while the index lives.
    const PriceConfig *find(QStringView model) const;
    // The first of `models` that has a price (empty names skipped); nullptr when none has.
    const PriceConfig *first(std::initializer_list<QStringView> models) const;

private:
    // Looked up by QStringView, so that a prefix costs no copy.
    struct NameHash
    {
        using is_transparent = void;
        size_t operator()(QStringView name) const { return qHash(name); }
    };
    struct NameEqual
    {
        using is_transparent = void;
        bool operator()(QStringView a, QStringView b) const { return a == b; }
    };
    using Names = std::unordered_map<QString, const PriceConfig *, NameHash, NameEqual>;

    const PriceConfig *longestPrefix(QStringView model) const;

    std::vector<PriceConfig> m_prices;
    Names m_exact;                    // every priced model
    std::vector<qsizetype> m_lengths; // the priced names' lengths, longest first
    Names m_resolved;                 // names the config knows → their price (nullptr: none)
};

} // namespace relay
