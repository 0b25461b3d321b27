#include "ApiKey.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

namespace relay::ApiKey {

namespace {
constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr int kRandomChars = 40;
} // namespace

QString generate()
{
    QString key = QStringLiteral("sk-tr-");
    // QRandomGenerator::system() reads the operating system's CSPRNG. Rejection sampling keeps
    // every base62 character equally likely.
    auto *rng = QRandomGenerator::system();
    while (key.size() < 6 + kRandomChars) {
        const quint32 v = rng->generate() & 0xff;
        if (v < 248)
            key.append(QLatin1Char(kAlphabet[v % 62]));
    }
    return key;
}

QByteArray hash(QByteArrayView key)
{
    return QCryptographicHash::hash(key, QCryptographicHash::Sha256).toHex();
}

QString prefix(const QString &key)
{
    return key.left(kPrefixLength);
}

bool looksValid(QByteArrayView key)
{
    if (key.size() < 6 + 32 || !key.startsWith("sk-tr-"))
        return false;
    for (qsizetype i = 6; i < key.size(); ++i) {
        const char c = key[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}

} // namespace relay::ApiKey
