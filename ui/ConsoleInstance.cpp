#include "ConsoleInstance.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QLocalServer>
#include <QLocalSocket>

namespace relay::ui {

namespace {

constexpr QByteArrayView kShow = "show\n";
constexpr QByteArrayView kShown = "shown\n";

// The same file under every spelling of its path (relative, through symlinks, with ".."); a
// database not created yet is named by its folder's canonical path.
QString canonicalPath(const QString &path)
{
    const QFileInfo info(path);
    if (const QString canonical = info.canonicalFilePath(); !canonical.isEmpty())
        return canonical;
    const QString folder = QFileInfo(info.absolutePath()).canonicalFilePath();
    return QDir::cleanPath((folder.isEmpty() ? info.absolutePath() : folder) + QLatin1Char('/') +
                           info.fileName());
}

} // namespace

ConsoleInstance::ConsoleInstance(const QString &dbPath, QObject *parent)
    : QObject(parent), m_name(serverName(dbPath))
{
}

ConsoleInstance::~ConsoleInstance() = default;

QString ConsoleInstance::serverName(const QString &dbPath)
{
    // Per user as well: the sockets of all users may share one folder (/tmp).
    const QByteArray key = (QDir::homePath() + QLatin1Char('\n') + canonicalPath(dbPath)).toUtf8();
    const QByteArray hash = QCryptographicHash::hash(key, QCryptographicHash::Sha256).toHex();
    return QStringLiteral("tenantrelay-console-") + QString::fromLatin1(hash.left(24));
}

bool ConsoleInstance::askRunningToShow(int timeoutMs) const
{
    QLocalSocket socket;
    socket.connectToServer(m_name);
    if (!socket.waitForConnected(timeoutMs))
        return false;
    socket.write(kShow.data(), kShow.size());
    if (!socket.waitForBytesWritten(timeoutMs))
        return false;
    QByteArray answer;
    while (!answer.contains('\n') && socket.waitForReadyRead(timeoutMs))
        answer += socket.readAll();
    return answer == kShown;
}

bool ConsoleInstance::listen(QString *error)
{
    if (m_server)
        return true;
    // A name that answers belongs to a live console (two launches at once): stand aside. One
    // that does not is a socket left by a console that died, and goes. (Asked first: with
    // access options QLocalServer renames its socket into place, taking any name.)
    QLocalSocket probe;
    probe.connectToServer(m_name);
    if (probe.waitForConnected(1000)) {
        if (error)
            *error = QStringLiteral("another console answers on %1").arg(m_name);
        return false;
    }
    probe.abort();
    QLocalServer::removeServer(m_name);
    auto *server = new QLocalServer(this);
    server->setSocketOptions(QLocalServer::UserAccessOption);
    if (!server->listen(m_name)) {
        if (error)
            *error = server->errorString();
        delete server;
        return false;
    }
    connect(server, &QLocalServer::newConnection, this, [this, server] {
        while (QLocalSocket *socket = server->nextPendingConnection()) {
            connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
            connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
                // A request is one short line; anything else is not a console's.
                if (socket->bytesAvailable() < kShow.size())
                    return;
                const QByteArray request = socket->read(kShow.size());
                if (request == kShow) {
                    socket->write(kShown.data(), kShown.size());
                    socket->flush();
                    Q_EMIT showRequested();
                }
                socket->disconnectFromServer();
            });
        }
    });
    m_server = server;
    return true;
}

} // namespace relay::ui
