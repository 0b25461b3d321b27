// An OpenAI-kind upstream's chat stream translated into Anthropic events, whole and in pieces:
// every cut must give the same events and the same metering, every stream ends, and what goes
// out is a well-formed Anthropic event stream.

#include "FuzzInput.h"
#include "core/SseEventSplitter.h"
#include "ingress/AnthropicIngressStream.h"

#include <QJsonDocument>

using namespace relay;
using namespace relay::anthropic_ingress;

namespace {

void checkEvents(const QByteArray &out, bool failed)
{
    SseEventSplitter splitter;
    const QList<QByteArray> events = splitter.feed(out);
    fuzz::expect(splitter.finish().isEmpty(), "the output is whole events");
    fuzz::expect(!events.isEmpty(), "something is said");
    int starts = 0;
    for (qsizetype i = 0; i < events.size(); ++i) {
        bool hasData = false;
        const QByteArray data = SseEventSplitter::data(events[i], &hasData);
        const QJsonObject o = QJsonDocument::fromJson(data).object();
        fuzz::expect(hasData && !o.isEmpty(), "every event has a JSON object");
        fuzz::expect(o.value(QLatin1String("type")).toString().toUtf8() ==
                         SseEventSplitter::name(events[i]),
                     "the event name is its type");
        if (SseEventSplitter::name(events[i]) == "message_start") {
            fuzz::expect(i == 0, "message_start comes first");
            ++starts;
        }
    }
    fuzz::expect(starts <= 1, "one message_start");
    fuzz::expect(SseEventSplitter::name(events.last()) == (failed ? "error" : "message_stop"),
                 "the stream ends with message_stop or an error");
}

QByteArray run(const fuzz::Chunks &chunks)
{
    int costCalls = 0;
    AnthropicIngressStream s(QStringLiteral("claude"), [&costCalls](const MessageUsage &u) {
        ++costCalls;
        return std::optional<double>(u.inputTokens / 1024.0 + u.outputTokens / 256.0);
    });
    QByteArray out;
    for (const QByteArrayView chunk : chunks)
        out += s.feed(chunk);
    out += s.finish();
    fuzz::expect(s.finished(), "the stream ends after finish()");
    fuzz::expect(!s.failed() || s.errorStatus() >= 400, "a failure has a status");
    fuzz::expect(costCalls == (s.hasUsage() && !s.failed() ? 1 : 0),
                 "the cost is asked for once, with the final usage");
    fuzz::expect(s.inputTokens() >= 0 && s.outputTokens() >= 0 && s.usage().inputTokens >= 0,
                 "counts are not negative");
    checkEvents(out, s.failed());
    return out + "\nusage " + QByteArray::number(s.hasUsage()) + ' ' +
           QByteArray::number(s.inputTokens()) + ' ' + QByteArray::number(s.outputTokens()) +
           " chars " + QByteArray::number(s.textChars()) + " model " + s.upstreamModel().toUtf8() +
           " started " + QByteArray::number(s.started()) + " failed " +
           QByteArray::number(s.failed()) + ' ' + QByteArray::number(s.failedBeforeOutput()) + ' ' +
           QByteArray::number(s.errorStatus());
}

} // namespace

FUZZ_ENTRY
{
    const QList<fuzz::Chunks> cuts = fuzz::splits(FUZZ_INPUT);
    const QByteArray first = run(cuts.first());
    for (qsizetype i = 1; i < cuts.size(); ++i)
        fuzz::expectSame(first, run(cuts[i]), "AnthropicIngressStream's output");
    return 0;
}
