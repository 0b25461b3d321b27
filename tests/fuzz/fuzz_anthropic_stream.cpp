// An Anthropic upstream's event stream translated into OpenAI chunks, whole and in pieces:
// every cut must give the same chunks and the same metering, and every stream ends.

#include "FuzzInput.h"
#include "upstream/AnthropicStreamTranslator.h"

using namespace relay;

namespace {

QByteArray run(const fuzz::Chunks &chunks)
{
    AnthropicStreamTranslator translator(1700000000);
    QByteArray out;
    for (const QByteArrayView chunk : chunks)
        out += translator.feed(chunk);
    out += translator.finish();
    fuzz::expect(translator.finished(), "the stream ends after finish()");
    fuzz::expect(!translator.failed() || translator.errorStatus() > 0, "a failure has a status");
    fuzz::expect(out.endsWith("\n\n"), "the output ends with a whole event");
    return out + "\nusage " + QByteArray::number(translator.hasUsage()) + ' ' +
           QByteArray::number(translator.inputTokens()) + ' ' +
           QByteArray::number(translator.outputTokens()) + " chars " +
           QByteArray::number(translator.textChars()) + " model " + translator.model().toUtf8() +
           " started " + QByteArray::number(translator.started()) + " failed " +
           QByteArray::number(translator.failed()) + ' ' +
           QByteArray::number(translator.failedBeforeOutput()) + ' ' +
           QByteArray::number(translator.errorStatus());
}

} // namespace

FUZZ_ENTRY
{
    const QList<fuzz::Chunks> cuts = fuzz::splits(FUZZ_INPUT);
    const QByteArray first = run(cuts.first());
    for (qsizetype i = 1; i < cuts.size(); ++i)
        fuzz::expectSame(first, run(cuts[i]), "AnthropicStreamTranslator's output");
    return 0;
}
