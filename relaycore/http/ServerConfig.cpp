#include "ServerConfig.h"

namespace relay {

bool parseListenAddress(const QString &text, QHostAddress *host, quint16 *port)
{
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return false;
    QString h = text.left(colon);
    if (h.startsWith(QLatin1Char('[')) && h.endsWith(QLatin1Char(']')))
        h = h.mid(1, h.size() - 2);
    bool ok = false;
    const uint p = text.mid(colon + 1).toUInt(&ok);
    if (!ok || p > 65535)
        return false;
    QHostAddress address;
    if (h == QLatin1String("localhost"))
        address = QHostAddress::LocalHost;
    else if (!address.setAddress(h))
        return false;
    *host = address;
    *port = quint16(p);
    return true;
}

} // namespace relay
