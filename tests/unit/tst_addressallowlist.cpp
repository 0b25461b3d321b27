// A tenant's --allow-ips (interface.md §4): CIDR blocks, IPv4 and IPv6, read the same way by the
// CLI, the admin API, the console and the relay; the caller's TCP peer address must be in one,
// an IPv4-mapped IPv6 peer matching as IPv4.

#include "tenants/AddressAllowList.h"

#include <QTest>

using namespace relay;

class TestAddressAllowList : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesToCanonicalBlocks_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QStringList>("entries");
        QTest::newRow("ipv4 block") << "10.0.0.0/8" << QStringList{"10.0.0.0/8"};
        QTest::newRow("bare ipv4 is /32") << "192.168.1.7" << QStringList{"192.168.1.7/32"};
        QTest::newRow("host bits cleared") << "10.1.2.3/8" << QStringList{"10.0.0.0/8"};
        QTest::newRow("everything ipv4") << "0.0.0.0/0" << QStringList{"0.0.0.0/0"};
        QTest::newRow("ipv6 block") << "2001:db8::/32" << QStringList{"2001:db8::/32"};
        QTest::newRow("bare ipv6 is /128") << "::1" << QStringList{"::1/128"};
        QTest::newRow("ipv6 upper case") << "2001:DB8::/48" << QStringList{"2001:db8::/48"};
        QTest::newRow("mapped host is ipv4")
            << "::ffff:127.0.0.1/128" << QStringList{"127.0.0.1/32"};
        QTest::newRow("mapped block is ipv4") << "::ffff:10.0.0.0/104" << QStringList{"10.0.0.0/8"};
        QTest::newRow("bare mapped address") << "::ffff:192.0.2.1" << QStringList{"192.0.2.1/32"};
        QTest::newRow("several, blanks and repeats")
            << " 10.0.0.0/8 , ::1,10.0.0.0/8,,127.0.0.1 "
            << QStringList{"10.0.0.0/8", "::1/128", "127.0.0.1/32"};
        QTest::newRow("nothing") << "" << QStringList{};
    }
    void parsesToCanonicalBlocks()
    {
        QFETCH(QString, text);
        QFETCH(QStringList, entries);
        QString error;
        const std::optional<AddressAllowList> list = AddressAllowList::parse(text, &error);
        QVERIFY2(list, qPrintable(error));
        QCOMPARE(list->entries(), entries);
        QCOMPARE(list->isEmpty(), entries.isEmpty());
        // The canonical form reads back as itself.
        QCOMPARE(AddressAllowList::parse(list->entries())->entries(), entries);
    }

    void refusesWhatIsNotABlock_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("octet over 255") << "10.0.0.300/8";
        QTest::newRow("prefix over 32") << "10.0.0.0/33";
        QTest::newRow("prefix over 128") << "::1/129";
        QTest::newRow("negative prefix") << "10.0.0.0/-1";
        QTest::newRow("empty prefix") << "10.0.0.0/";
        QTest::newRow("prefix with blank") << "10.0.0.0/ 8";
        QTest::newRow("netmask form") << "10.0.0.0/255.0.0.0";
        QTest::newRow("three octets") << "10.0.0/24";
        QTest::newRow("one number") << "10";
        QTest::newRow("short form") << "127.1";
        QTest::newRow("host name") << "localhost";
        QTest::newRow("wildcard") << "*";
        QTest::newRow("scope id") << "fe80::1%eth0";
        QTest::newRow("bad ipv6") << "2001:db8:::1/64";
        QTest::newRow("good then bad") << "10.0.0.0/8,bogus";
        QTest::newRow("two slashes") << "10.0.0.0/8/8";
    }
    void refusesWhatIsNotABlock()
    {
        QFETCH(QString, text);
        QString error;
        QVERIFY(!AddressAllowList::parse(text, &error));
        QVERIFY(error.contains(QStringLiteral("not an IP address or CIDR block")));
    }

    void matchesPeers_data()
    {
        QTest::addColumn<QString>("blocks");
        QTest::addColumn<QString>("peer");
        QTest::addColumn<bool>("allowed");
        QTest::newRow("in ipv4 block") << "10.0.0.0/8"
                                       << "10.200.3.4" << true;
        QTest::newRow("outside ipv4 block") << "10.0.0.0/8"
                                            << "11.0.0.1" << false;
        QTest::newRow("loopback outside 10/8") << "10.0.0.0/8"
                                               << "127.0.0.1" << false;
        QTest::newRow("block edge") << "192.168.4.0/22"
                                    << "192.168.7.255" << true;
        QTest::newRow("past block edge") << "192.168.4.0/22"
                                         << "192.168.8.0" << false;
        QTest::newRow("single host") << "127.0.0.1"
                                     << "127.0.0.1" << true;
        QTest::newRow("next host") << "127.0.0.1"
                                   << "127.0.0.2" << false;
        QTest::newRow("mapped peer as ipv4") << "127.0.0.0/8"
                                             << "::ffff:127.0.0.1" << true;
        QTest::newRow("mapped peer outside") << "10.0.0.0/8"
                                             << "::ffff:127.0.0.1" << false;
        QTest::newRow("mapped block, ipv4 peer") << "::ffff:127.0.0.1/128"
                                                 << "127.0.0.1" << true;
        QTest::newRow("mapped block, mapped peer") << "::ffff:127.0.0.1/128"
                                                   << "::ffff:127.0.0.1" << true;
        QTest::newRow("ipv6 block") << "2001:db8::/32"
                                    << "2001:db8:1::7" << true;
        QTest::newRow("outside ipv6 block") << "2001:db8::/32"
                                            << "2001:db9::1" << false;
        QTest::newRow("ipv6 loopback") << "::1"
                                       << "::1" << true;
        QTest::newRow("ipv4 peer, ipv6 block") << "::/0"
                                               << "127.0.0.1" << false;
        QTest::newRow("ipv6 peer, ipv4 block") << "0.0.0.0/0"
                                               << "::1" << false;
        QTest::newRow("any of several") << "10.0.0.0/8,::1,127.0.0.0/8"
                                        << "127.5.5.5" << true;
        QTest::newRow("empty list allows all") << ""
                                               << "203.0.113.9" << true;
    }
    void matchesPeers()
    {
        QFETCH(QString, blocks);
        QFETCH(QString, peer);
        QFETCH(bool, allowed);
        const std::optional<AddressAllowList> list = AddressAllowList::parse(blocks);
        QVERIFY(list);
        QCOMPARE(list->allows(QHostAddress(peer)), allowed);
    }
};

QTEST_GUILESS_MAIN(TestAddressAllowList)
#include "tst_addressallowlist.moc"
