#include "SseUsageFilter.h"

#include "RequestBody.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace relay {

QByteArray SseUsageFilter::event(QByteArrayView json)
{
    QByteArray out("data: ");
    out += json;
    out += "\n\n";
    return out;
}

QByteArray SseUsageFilter::feed(QByteArrayView bytes)
{
    return m_events.feed(bytes,
                         [this](QByteArrayView e, QByteArray &out) { processEvent(e, out); });
}

QByteArray SseUsageFilter::finish()
{
    return m_events.finish([this](QByteArrayView e, QByteArray &out) { processEvent(e, out); });
}

void SseUsageFilter::processEvent(QByteArrayView event, QByteArray &out)
{
    bool hasData = false;
    const QByteArray data = SseEventSplitter::data(event, &hasData);
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
        m_promptTokens = tokenCount(u.value(QLatin1String("prompt_tokens")));
        m_completionTokens = tokenCount(u.value(QLatin1String("completion_tokens")));
        if (choices.isEmpty() && !m_forwardUsage)
            return; // the chunk the relay asked for on the tenant's behalf
    }
    out += event;
    ++m_eventsForwarded;
}

} // namespace relay
