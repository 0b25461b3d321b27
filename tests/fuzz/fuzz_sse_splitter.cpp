// The server-sent-events splitter on arbitrary stream bytes: every cut must give the same
// events, each ending with a blank line, and together they are the whole stream.

#include "FuzzInput.h"
#include "core/SseEventSplitter.h"

using namespace relay;

namespace {

QByteArray run(const fuzz::Chunks &chunks, bool views)
{
    SseEventSplitter splitter;
    QByteArray out;
    const auto take = [&](QByteArrayView event, QByteArray &into) {
        fuzz::expect(event.endsWith("\n\n") || event.endsWith("\n\r\n"),
                     "an event ends with a blank line");
        bool hasData = false;
        const QByteArray data = SseEventSplitter::data(event, &hasData);
        fuzz::expect(hasData || data.isEmpty(), "no data without a data line");
        into += "[" + SseEventSplitter::name(event) + "|" + data + "|" + event.toByteArray() + "]";
    };
    for (const QByteArrayView chunk : chunks) {
        if (views) {
            out += splitter.feed(chunk, take);
        } else {
            for (const QByteArray &event : splitter.feed(chunk))
                take(event, out);
        }
    }
    out += views ? splitter.finish(take) : [&] {
        QByteArray last;
        if (const QByteArray e = splitter.finish(); !e.isEmpty())
            take(e, last);
        return last;
    }();
    return out;
}

} // namespace

FUZZ_ENTRY
{
    const QList<fuzz::Chunks> cuts = fuzz::splits(FUZZ_INPUT);
    const QByteArray first = run(cuts.first(), true);
    for (qsizetype i = 0; i < cuts.size(); ++i) {
        if (i > 0)
            fuzz::expectSame(first, run(cuts[i], true), "SseEventSplitter's events");
        fuzz::expectSame(first, run(cuts[i], false), "SseEventSplitter's copied events");
    }
    return 0;
}
