// An Anthropic upstream's event stream passed through to an Anthropic client, whole and in
// pieces: every cut must give the same bytes and the same counts, and without a price nothing
// but held events may change.

#include "FuzzInput.h"
#include "ingress/AnthropicUsageFilter.h"

using namespace relay;
using namespace relay::anthropic_ingress;

namespace {

QByteArray run(const fuzz::Chunks &chunks, bool priced)
{
    AnthropicUsageFilter f(priced ? CostFunction([](const MessageUsage &u) {
        return std::optional<double>(u.promptTokens() / 1024.0 + u.outputTokens / 256.0);
    })
                                  : CostFunction());
    QByteArray out;
    for (const QByteArrayView chunk : chunks)
        out += f.feed(chunk);
    out += f.finish();
    const MessageUsage &u = f.usage();
    fuzz::expect(u.inputTokens >= 0 && u.outputTokens >= 0 && u.cacheReadTokens >= 0 &&
                     u.cacheWriteTokens >= 0,
                 "counts are not negative");
    fuzz::expect(!f.failed() || f.errorStatus() >= 400, "a failure has a status");
    fuzz::expect(f.costUsd().has_value() == (priced && f.hasUsage()),
                 "a cost is written once usage arrived");
    return out + "\nusage " + QByteArray::number(f.hasUsage()) + ' ' +
           QByteArray::number(u.inputTokens) + ' ' + QByteArray::number(u.outputTokens) + ' ' +
           QByteArray::number(u.cacheReadTokens) + ' ' + QByteArray::number(u.cacheWriteTokens) +
           " chars " + QByteArray::number(f.textChars()) + " model " + f.model().toUtf8() +
           " failed " + QByteArray::number(f.failed()) + ' ' +
           QByteArray::number(f.failedBeforeOutput()) + ' ' + QByteArray::number(f.errorStatus());
}

} // namespace

FUZZ_ENTRY
{
    const QList<fuzz::Chunks> cuts = fuzz::splits(FUZZ_INPUT);
    for (const bool priced : {true, false}) {
        const QByteArray first = run(cuts.first(), priced);
        for (qsizetype i = 1; i < cuts.size(); ++i)
            fuzz::expectSame(first, run(cuts[i], priced), "AnthropicUsageFilter's output");
    }
    return 0;
}
