#include "AddressAllowList.h"

#include <QRegularExpression>

namespace relay {

namespace {

constexpr int kMaxEntries = 1000;

// An IPv4-mapped IPv6 address as the IPv4 address it maps; anything else as it is.
QHostAddress unmapped(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    if (isV4 && address.protocol() == QAbstractSocket::IPv6Protocol)
        return QHostAddress(v4);
    return address;
}

// The address, or a null one when `text` is not a whole IPv4 (four dotted numbers) or IPv6
// address. QHostAddress alone would also take "10" or "127.1", which nobody means in a block.
QHostAddress strictAddress(const QString &text)
{
    static const QRegularExpression dotted(
        QStringLiteral("^[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}$"));
    const bool v6 = text.contains(QLatin1Char(':'));
    if (!v6 && !dotted.match(text).hasMatch())
        return {};
    // No scope ids ("fe80::1%eth0"): a block is about addresses, not interfaces.
    if (text.contains(QLatin1Char('%')))
        return {};
    QHostAddress address;
    if (!address.setAddress(text))
        return {};
    return address;
}

} // namespace

std::optional<AddressAllowList> AddressAllowList::parse(const QString &text, QString *error)
{
    return parse(text.split(QLatin1Char(',')), error);
}

std::optional<AddressAllowList> AddressAllowList::parse(const QStringList &entries, QString *error)
{
    AddressAllowList list;
    const auto refuse = [error](const QString &entry) -> std::optional<AddressAllowList> {
        if (error)
            *error = QStringLiteral("'%1' is not an IP address or CIDR block (such as "
                                    "10.0.0.0/8 or 2001:db8::/32)")
                         .arg(entry.left(100));
        return std::nullopt;
    };
    for (const QString &raw : entries) {
        const QString entry = raw.trimmed();
        if (entry.isEmpty())
            continue;
        const qsizetype slash = entry.indexOf(QLatin1Char('/'));
        QHostAddress address = strictAddress(slash < 0 ? entry : entry.left(slash));
        if (address.isNull())
            return refuse(entry);
        const bool v6 = address.protocol() == QAbstractSocket::IPv6Protocol;
        int length = v6 ? 128 : 32;
        if (slash >= 0) {
            static const QRegularExpression digits(QStringLiteral("^[0-9]{1,3}$"));
            const QString bits = entry.mid(slash + 1);
            if (!digits.match(bits).hasMatch() || bits.toInt() > length)
                return refuse(entry);
            length = bits.toInt();
        }
        // ::ffff:a.b.c.d/N (N >= 96) is the IPv4 block a.b.c.d/(N - 96): the peer is matched
        // unmapped, so the block must be too.
        if (const QHostAddress v4 = unmapped(address); v6 && v4 != address && length >= 96) {
            address = v4;
            length -= 96;
        }
        // Cleared host bits: "10.1.2.3/8" is 10.0.0.0/8, as the kernel's routes read it.
        const QPair<QHostAddress, int> block = QHostAddress::parseSubnet(
            address.toString() + QLatin1Char('/') + QString::number(length));
        if (block.first.isNull())
            return refuse(entry);
        if (!list.m_blocks.contains(block))
            list.m_blocks.append(block);
        if (list.m_blocks.size() > kMaxEntries) {
            if (error)
                *error = QStringLiteral("at most %1 address blocks").arg(kMaxEntries);
            return std::nullopt;
        }
    }
    return list;
}

bool AddressAllowList::allows(const QHostAddress &peer) const
{
    if (m_blocks.isEmpty())
        return true;
    const QHostAddress address = unmapped(peer);
    for (const auto &block : m_blocks)
        if (address.protocol() == block.first.protocol() && address.isInSubnet(block))
            return true;
    return false;
}

QStringList AddressAllowList::entries() const
{
    QStringList out;
    for (const auto &[address, length] : m_blocks)
        out.append(address.toString() + QLatin1Char('/') + QString::number(length));
    return out;
}

} // namespace relay
