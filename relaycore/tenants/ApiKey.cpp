#include "ApiKey.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTimeZone>

namespace relay::ApiKey {

namespace {
constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr int kRandomChars = 40;
constexpr qint64 kMaxExpiryDays = 36500;
constexpr qint64 kDayMs = 86'400'000;
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

std::optional<qint64> parseExpiry(const QString &text, qint64 nowMs, QString *error)
{
    const QString given = text.trimmed();
    const auto refuse = [error](const QString &message) -> std::optional<qint64> {
        if (error)
            *error = message;
        return std::nullopt;
    };
    static const QRegularExpression days(QStringLiteral("^([0-9]{1,6})d$"));
    static const QRegularExpression date(QStringLiteral("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"));
    qint64 endMs = 0;
    if (const QRegularExpressionMatch m = days.match(given); m.hasMatch()) {
        const qint64 n = m.captured(1).toLongLong();
        if (n < 1 || n > kMaxExpiryDays)
            return refuse(QStringLiteral("a key expires in 1 to %1 days, not '%2'")
                              .arg(kMaxExpiryDays)
                              .arg(given));
        endMs = nowMs + n * kDayMs;
    } else {
        const QDate day = QDate::fromString(given, QStringLiteral("yyyy-MM-dd"));
        if (!date.match(given).hasMatch() || !day.isValid())
            return refuse(QStringLiteral("an expiry is a date as YYYY-MM-DD or a number of days "
                                         "such as 30d, not '%1'")
                              .arg(given.left(100)));
        endMs = QDateTime(day, QTime(0, 0), QTimeZone::utc()).toMSecsSinceEpoch();
        if (endMs <= nowMs)
            return refuse(
                QStringLiteral("the expiry %1 (00:00 UTC) is not in the future").arg(given));
        if (endMs - nowMs > kMaxExpiryDays * kDayMs)
            return refuse(QStringLiteral("a key expires within %1 days").arg(kMaxExpiryDays));
    }
    return endMs;
}

} // namespace relay::ApiKey
