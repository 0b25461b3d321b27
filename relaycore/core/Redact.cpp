#include "Redact.h"

#include <QRegularExpression>
#include <QString>

namespace relay {

QByteArray redactKeys(const QByteArray &text)
{
    static const QRegularExpression key(QStringLiteral("\\b(sk-[A-Za-z0-9_\\-]{6,})"));
    QString s = QString::fromUtf8(text);
    s.replace(key, QStringLiteral("[redacted key]"));
    return s.toUtf8();
}

} // namespace relay
