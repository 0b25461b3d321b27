#pragma once

#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <optional>

namespace relay {

// A tenant's `--allow-ips` (interface.md §4 "Keys and upstreams"): the CIDR blocks, IPv4 and
// IPv6, its callers' TCP peer addresses must be in. An empty list allows every address. The
// CLI, the admin API, the console and the relay all read the blocks with parse(), so each
// refuses the same input.
class AddressAllowList
{
public:
    // "10.0.0.0/8", "2001:db8::/32", a bare address (/32 or /128). A block written as an
    // IPv4-mapped IPv6 address (::ffff:a.b.c.d/96 or longer) is the IPv4 block it maps. Host
    // bits below the prefix are cleared. nullopt (and *error naming the entry) when one entry is
    // not an address or a block; blank entries are skipped and repeats dropped.
    static std::optional<AddressAllowList> parse(const QStringList &entries,
                                                 QString *error = nullptr);
    // The same from comma-separated text ("10.0.0.0/8,::1").
    static std::optional<AddressAllowList> parse(const QString &text, QString *error = nullptr);

    bool isEmpty() const { return m_blocks.isEmpty(); }
    // True when the list is empty or `peer` is in one of its blocks; an IPv4-mapped IPv6 peer
    // (::ffff:a.b.c.d, as a dual-stack listener sees IPv4 callers) is matched as IPv4.
    bool allows(const QHostAddress &peer) const;
    // The blocks in their canonical form ("10.0.0.0/8", "::1/128"), in the order given.
    QStringList entries() const;

private:
    QList<QPair<QHostAddress, int>> m_blocks;
};

} // namespace relay
