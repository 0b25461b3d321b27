#include "SseEventSplitter.h"

namespace relay {

namespace {

// Calls `line(field, value)` for each "field: value" line of the event.
template <typename F> void forEachField(QByteArrayView event, F &&line)
{
    qsizetype pos = 0;
    while (pos < event.size()) {
        qsizetype nl = event.indexOf('\n', pos);
        if (nl < 0)
            nl = event.size();
        QByteArrayView text = event.sliced(pos, nl - pos);
        if (text.endsWith('\r'))
            text.chop(1);
        const qsizetype colon = text.indexOf(':');
        if (colon > 0) {
            QByteArrayView value = text.sliced(colon + 1);
            if (value.startsWith(' '))
                value = value.sliced(1);
            line(text.first(colon), value);
        }
        pos = nl + 1;
    }
}

} // namespace

qsizetype SseEventSplitter::append(QByteArrayView bytes)
{
    const qsizetype scanFrom = qMax<qsizetype>(0, m_pending.size() - 3);
    m_pending.append(bytes);
    return scanFrom;
}

qsizetype SseEventSplitter::eventEnd(qsizetype from) const
{
    const QByteArray &buf = m_pending;
    for (qsizetype i = qMax<qsizetype>(from, 0); i + 1 < buf.size(); ++i) {
        if (buf[i] != '\n')
            continue;
        if (buf[i + 1] == '\n')
            return i + 2;
        if (buf[i + 1] == '\r' && i + 2 < buf.size() && buf[i + 2] == '\n')
            return i + 3;
    }
    return -1;
}

QList<QByteArray> SseEventSplitter::feed(QByteArrayView bytes)
{
    QList<QByteArray> events;
    feed(bytes, [&](QByteArrayView event, QByteArray &) { events.append(event.toByteArray()); });
    return events;
}

QByteArray SseEventSplitter::finish()
{
    QByteArray last;
    if (!m_pending.trimmed().isEmpty()) {
        last = m_pending;
        while (!last.endsWith("\n\n"))
            last += '\n';
    }
    m_pending.clear();
    return last;
}

QByteArray SseEventSplitter::data(QByteArrayView event, bool *hasData)
{
    QByteArray out;
    *hasData = false;
    forEachField(event, [&](QByteArrayView field, QByteArrayView value) {
        if (field != "data")
            return;
        if (*hasData)
            out += '\n';
        out += value;
        *hasData = true;
    });
    return out;
}

QByteArray SseEventSplitter::name(QByteArrayView event)
{
    QByteArray out;
    forEachField(event, [&](QByteArrayView field, QByteArrayView value) {
        if (field == "event")
            out = value.toByteArray();
    });
    return out;
}

} // namespace relay
