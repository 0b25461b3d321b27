#include "SimAnswer.h"

#include <QJsonDocument>
#include <QRandomGenerator>
#include <QUrl>

namespace relay::sim {

Answer jsonAnswer(int status, const QByteArray &body)
{
    Answer a;
    a.status = status;
    a.body = body;
    return a;
}

Answer jsonAnswer(const QJsonObject &body)
{
    return jsonAnswer(200, json(body));
}

bool Memory::insert(const QByteArray &key)
{
    std::lock_guard lock(m_mutex);
    if (m_keys.contains(key))
        return false;
    if (m_keys.size() >= 100'000)
        m_keys.clear();
    m_keys.insert(key);
    return true;
}

bool Memory::contains(const QByteArray &key) const
{
    std::lock_guard lock(m_mutex);
    return m_keys.contains(key);
}

QByteArray json(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QByteArray sseEvent(const QJsonObject &data)
{
    return "event: " + data.value(QLatin1String("type")).toString().toUtf8() +
           "\ndata: " + json(data) + "\n\n";
}

QByteArray sseData(const QJsonObject &data)
{
    return "data: " + json(data) + "\n\n";
}

qint64 charCount(const QString &text)
{
    return text.toUcs4().size();
}

QString newId(const QString &prefix)
{
    quint32 words[3];
    QRandomGenerator::global()->fillRange(words);
    QString id = prefix;
    for (quint32 w : words)
        id += QStringLiteral("%1").arg(w, 8, 16, QLatin1Char('0'));
    return id;
}

QString completionText(int tokens)
{
    static const char *const words[] = {"The", "relay",  "keeps", "every",  "tenant", "inside",
                                        "its", "limits", "and",   "meters", "each",   "token"};
    QStringList out;
    for (int i = 0; i < tokens; ++i)
        out.append(QLatin1String(words[i % 12]));
    return out.join(QLatin1Char(' '));
}

QStringList streamWords(const QString &text)
{
    QStringList words = text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (qsizetype i = 0; i + 1 < words.size(); ++i)
        words[i] += QLatin1Char(' ');
    return words;
}

QString pathTail(const QByteArray &path, QByteArrayView marker)
{
    const qsizetype at = path.lastIndexOf(marker);
    if (at < 0)
        return {};
    return QUrl::fromPercentEncoding(path.mid(at + marker.size()));
}

} // namespace relay::sim
