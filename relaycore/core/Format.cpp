#include "Format.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace relay::Format {

namespace {

QString valueText(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return QStringLiteral("none");
    case QJsonValue::Bool:
        return v.toBool() ? QStringLiteral("yes") : QStringLiteral("no");
    case QJsonValue::Double: {
        const double d = v.toDouble();
        if (std::abs(d) < 1e15 && d == std::floor(d))
            return count(qint64(d));
        return locale().toString(d, 'g', 12);
    }
    case QJsonValue::String:
        return v.toString();
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    }
    return {};
}

QString change(const QString &field, const QJsonValue &before, const QJsonValue &after)
{
    const QString arrow = valueText(before) + QStringLiteral(" → ") + valueText(after);
    return field.isEmpty() ? arrow : field + QStringLiteral(": ") + arrow;
}

} // namespace

QLocale locale()
{
    const QLocale l;
    if (l.language() == QLocale::C)
        return QLocale(QLocale::English, QLocale::UnitedStates);
    return l;
}

QString count(qint64 value, const QLocale &l)
{
    return l.toString(value);
}

QString number(double value, int decimals, const QLocale &l)
{
    return l.toString(value, 'f', decimals);
}

QString money(double usd, const QLocale &l)
{
    const double a = std::abs(usd);
    const int decimals = a >= 1 || a == 0 ? 2 : a >= 0.0001 ? 4 : 6;
    return l.toCurrencyString(usd, QStringLiteral("$"), decimals);
}

QString signedMoney(double usd, const QLocale &l)
{
    const QString text = money(std::abs(usd), l);
    if (text == money(0, l))
        return text;
    return (usd > 0 ? l.positiveSign() : l.negativeSign()) + text;
}

QString millis(double ms, const QLocale &l)
{
    return l.toString(qint64(std::llround(ms)));
}

QString dateTime(qint64 msSinceEpoch, const QTimeZone &zone)
{
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(msSinceEpoch, zone);
    QString name = t.timeZoneAbbreviation();
    // tzdata names some zones by their offset only ("+03"): say so as an offset from UTC.
    const bool named =
        !name.isEmpty() && name.at(0).isLetter() && !name.startsWith(QLatin1String("UTC+")) &&
        !name.startsWith(QLatin1String("UTC-")) && !name.startsWith(QLatin1String("GMT+")) &&
        !name.startsWith(QLatin1String("GMT-"));
    if (!named) {
        const int offset = t.offsetFromUtc();
        name = offset == 0 ? QStringLiteral("UTC")
                           : QStringLiteral("UTC%1%2:%3")
                                 .arg(offset < 0 ? QLatin1Char('-') : QLatin1Char('+'))
                                 .arg(std::abs(offset) / 3600, 2, 10, QLatin1Char('0'))
                                 .arg(std::abs(offset) % 3600 / 60, 2, 10, QLatin1Char('0'));
    }
    return t.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss ")) + name;
}

QStringList changeLines(const QJsonValue &details)
{
    const QJsonObject o = details.toObject();
    if (!details.isObject() || !o.contains(QStringLiteral("before")) ||
        !o.contains(QStringLiteral("after"))) {
        QStringList lines;
        if (details.isObject())
            for (auto it = o.begin(); it != o.end(); ++it)
                lines << it.key() + QStringLiteral(": ") + valueText(it.value());
        else if (!details.isNull() && !details.isUndefined())
            lines << valueText(details);
        return lines;
    }
    const QJsonValue before = o.value(QStringLiteral("before"));
    const QJsonValue after = o.value(QStringLiteral("after"));
    const bool objects = (before.isObject() || before.isNull()) &&
                         (after.isObject() || after.isNull()) &&
                         (before.isObject() || after.isObject());
    if (!objects)
        return before == after ? QStringList{QStringLiteral("no change")}
                               : QStringList{change(QString(), before, after)};
    const QJsonObject b = before.toObject();
    const QJsonObject a = after.toObject();
    // Fields in the order the entry names them after the change, then those that went away.
    QStringList fields = a.keys();
    for (const QString &k : b.keys())
        if (!a.contains(k))
            fields << k;
    QStringList lines;
    for (const QString &field : std::as_const(fields)) {
        const QJsonValue was = b.value(field);
        const QJsonValue is = a.value(field);
        const bool absentBoth =
            (was.isNull() || was.isUndefined()) && (is.isNull() || is.isUndefined());
        if (was != is && !absentBoth)
            lines << change(field, was, is);
    }
    if (lines.isEmpty())
        lines << QStringLiteral("no change");
    return lines;
}

QStringList changeLines(const QString &detailsJson)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(detailsJson.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError || doc.isNull())
        return detailsJson.isEmpty() ? QStringList() : QStringList{detailsJson};
    return changeLines(doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array()));
}

QString changeSummary(const QJsonValue &details)
{
    return changeLines(details).join(QStringLiteral("; "));
}

QString changeSummary(const QString &detailsJson)
{
    return changeLines(detailsJson).join(QStringLiteral("; "));
}

} // namespace relay::Format
