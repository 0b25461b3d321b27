// The usage filter on an arbitrary upstream stream, for a tenant that asked for the usage chunk
// and one that did not: every cut must relay the same bytes and meter the same usage.

#include "FuzzInput.h"
#include "metering/SseUsageFilter.h"

using namespace relay;

namespace {

QByteArray run(const fuzz::Chunks &chunks, bool forwardUsage)
{
    SseUsageFilter filter(forwardUsage);
    QByteArray out;
    for (const QByteArrayView chunk : chunks)
        out += filter.feed(chunk);
    out += filter.finish();
    fuzz::expect(filter.contentChars() >= 0 && filter.eventsForwarded() >= 0,
                 "counts are not negative");
    return out + "\nusage " + QByteArray::number(filter.hasUsage()) + ' ' +
           QByteArray::number(filter.promptTokens()) + ' ' +
           QByteArray::number(filter.completionTokens()) + " chars " +
           QByteArray::number(filter.contentChars()) + " model " + filter.model().toUtf8() +
           " done " + QByteArray::number(filter.sawDone()) + " events " +
           QByteArray::number(filter.eventsForwarded());
}

} // namespace

FUZZ_ENTRY
{
    const QList<fuzz::Chunks> cuts = fuzz::splits(FUZZ_INPUT);
    for (const bool forwardUsage : {false, true}) {
        const QByteArray first = run(cuts.first(), forwardUsage);
        for (qsizetype i = 1; i < cuts.size(); ++i)
            fuzz::expectSame(first, run(cuts[i], forwardUsage), "SseUsageFilter's output");
    }
    return 0;
}
