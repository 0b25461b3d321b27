#include "SseUsageFilter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace relay {

namespace {

// Position just past the first blank line ("\n\n" or "\r\n\r\n") at or after `from`, or -1.
qsizetype eventEnd(const QByteArray &buf, qsizetype from, qsizetype *contentEnd)
{
    for (qsizetype i = qMax<qsizetype>(from, 0); i + 1 < buf.size(); ++i) {
        if (buf[i] != '\n')
            continue;
        if (buf[i + 1] == '\n') {
            *contentEnd = i;
            return i + 2;
        }
        if (buf[i + 1] == '\r' && i + 2 < buf.size() && buf[i + 2] == '\n') {
            *contentEnd = i;
            return i + 3;
        }
    }
    return -1;
}

} // namespace

QByteArray SseUsageFilter::event(QByteArrayView json)
{
    QByteArray out("data: ");
    out += json;
    out += "\n\n";
    return out;
}

QByteArray SseUsageFilter::feed(QByteArrayView bytes)
{
    // Only the new bytes (and the 3 before them) can complete the pending event.
    qsizetype scanFrom = qMax<qsizetype>(0, m_pending.size() - 3);
    m_pending.append(bytes);
    QByteArray out;
    qsizetype start = 0;
    for (;;) {
        qsizetype contentEnd = 0;
        const qsizetype end = eventEnd(m_pending, qMax(start, scanFrom), &contentEnd);
        if (end < 0)
            break;
        processEvent(QByteArrayView(m_pending).sliced(start, end - start), out);
        Q_UNUSED(contentEnd);
        start = end;
    }
    if (start > 0)
        m_pending.remove(0, start);
    return out;
}

QByteArray SseUsageFilter::finish()
{
    QByteArray out;
    if (!m_pending.trimmed().isEmpty()) {
        QByteArray last = m_pending;
        while (!last.endsWith("\n\n"))
            last += '\n';
        processEvent(last, out);
    }
    m_pending.clear();
    return out;
}

void SseUsageFilter::processEvent(QByteArrayView event, QByteArray &out)
{
    QByteArray data;
    bool hasData = false;
    qsizetype pos = 0;
    while (pos < event.size()) {
        qsizetype nl = event.indexOf('\n', pos);
        if (nl < 0)
            nl = event.size();
        QByteArrayView line = event.sliced(pos, nl - pos);
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.startsWith("data:")) {
            QByteArrayView value = line.sliced(5);
            if (value.startsWith(' '))
                value = value.sliced(1);
            if (hasData)
                data += '\n';
            data += value;
            hasData = true;
        }
        pos = nl + 1;
    }
    if (!hasData || data == "[DONE]") {
        if (hasData)
            m_sawDone = true;
        out += event;
        ++m_eventsForwarded;
        return;
    }
    const QJsonDocument doc = QJsonDocument::fromJson(data);
    const QJsonObject obj = doc.object();
    if (const QString model = obj.value(QLatin1String("model")).toString(); !model.isEmpty())
        m_model = model;
    const QJsonArray choices = obj.value(QLatin1String("choices")).toArray();
    for (const auto &c : choices) {
        const QJsonObject delta = c.toObject().value(QLatin1String("delta")).toObject();
        m_contentChars += delta.value(QLatin1String("content")).toString().toUcs4().size();
        m_contentChars +=
            delta.value(QLatin1String("reasoning_content")).toString().toUcs4().size();
        for (const auto &call : delta.value(QLatin1String("tool_calls")).toArray())
            m_contentChars += call.toObject()
                                  .value(QLatin1String("function"))
                                  .toObject()
                                  .value(QLatin1String("arguments"))
                                  .toString()
                                  .toUcs4()
                                  .size();
    }
    const QJsonValue usage = obj.value(QLatin1String("usage"));
    if (usage.isObject()) {
        const QJsonObject u = usage.toObject();
        m_hasUsage = true;
        m_promptTokens = qint64(u.value(QLatin1String("prompt_tokens")).toDouble());
        m_completionTokens = qint64(u.value(QLatin1String("completion_tokens")).toDouble());
        if (choices.isEmpty() && !m_forwardUsage)
            return; // the chunk the relay asked for on the tenant's behalf
    }
    out += event;
    ++m_eventsForwarded;
}

} // namespace relay
