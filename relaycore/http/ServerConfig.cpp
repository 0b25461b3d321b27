#include "ServerConfig.h"

namespace relay {

bool usesEpollDispatcher(const ServerConfig &config)
{
    const QByteArray choice = qgetenv("TENANTRELAY_DISPATCHER").trimmed().toLower();
    if (choice == "qt")
        return false;
    if (!choice.isEmpty() && choice != "epoll")
        qWarning("tenantrelay: TENANTRELAY_DISPATCHER=%s is neither 'epoll' nor 'qt'; ignored",
                 choice.constData());
    return config.epollDispatcher;
}

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
