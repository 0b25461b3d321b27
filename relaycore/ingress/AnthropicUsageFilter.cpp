#include "AnthropicUsageFilter.h"

#include <QJsonDocument>

namespace relay::anthropic_ingress {

using namespace Qt::StringLiterals;

QByteArray AnthropicUsageFilter::feed(QByteArrayView bytes)
{
    return m_events.feed(bytes, [this](QByteArrayView e, QByteArray &o) { process(e, o); });
}

QByteArray AnthropicUsageFilter::finish()
{
    QByteArray out = m_events.finish([this](QByteArrayView e, QByteArray &o) { process(e, o); });
    out += m_held;
    m_held.clear();
    return out;
}

void AnthropicUsageFilter::forward(QByteArrayView event, QByteArray &out)
{
    out += m_held;
    m_held.clear();
    out += event;
    m_emitted = true;
}

void AnthropicUsageFilter::process(QByteArrayView event, QByteArray &out)
{
    bool hasData = false;
    const QByteArray data = SseEventSplitter::data(event, &hasData);
    const QJsonObject e = hasData ? QJsonDocument::fromJson(data).object() : QJsonObject();
    QString type = e.value("type"_L1).toString();
    if (type.isEmpty())
        type = QString::fromUtf8(SseEventSplitter::name(event));

    if (type == "message_start"_L1 || (!m_emitted && (type == "ping"_L1 || !hasData))) {
        if (type == "message_start"_L1) {
            const QJsonObject message = e.value("message"_L1).toObject();
            m_model = message.value("model"_L1).toString();
            readUsage(message.value("usage"_L1).toObject(), m_usage);
            m_started = true;
        }
        if (m_emitted)
            forward(event, out);
        else
            m_held += event;
        return;
    }
    if (type == "error"_L1) {
        setFailed(statusOfError(data));
        if (!m_emitted)
            m_held.clear(); // the relay may fail over: nothing of this answer is owed
        out += event;
        return;
    }
    if (type == "content_block_start"_L1) {
        const QJsonObject block = e.value("content_block"_L1).toObject();
        m_textChars += block.value("text"_L1).toString().toUcs4().size();
    } else if (type == "content_block_delta"_L1) {
        const QJsonObject delta = e.value("delta"_L1).toObject();
        for (const auto field : {"text"_L1, "partial_json"_L1, "thinking"_L1})
            m_textChars += delta.value(field).toString().toUcs4().size();
    } else if (type == "message_delta"_L1) {
        readUsage(e.value("usage"_L1).toObject(), m_usage);
        m_hasUsage = true;
        price();
        if (m_costUsd) {
            QJsonObject rewritten = e;
            QJsonObject usage = e.value("usage"_L1).toObject();
            usage.insert(u"cost_usd"_s, *m_costUsd);
            rewritten.insert(u"usage"_s, usage);
            forward(sseEvent("message_delta", rewritten), out);
            return;
        }
    } else if (type == "message_stop"_L1) {
        m_finished = true;
    }
    forward(event, out);
}

} // namespace relay::anthropic_ingress
