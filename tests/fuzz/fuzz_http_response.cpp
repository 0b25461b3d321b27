// The upstream response parser on arbitrary upstream bytes, whole and in pieces, ending with
// the connection's close: every cut must give the same status, headers, body and outcome.

#include "FuzzInput.h"
#include "http/HttpResponseParser.h"

using namespace relay;

namespace {

QByteArray run(const fuzz::Chunks &chunks)
{
    HttpResponseParser parser;
    QByteArray body;
    for (const QByteArrayView chunk : chunks) {
        const bool ok = parser.feed(chunk.data(), chunk.size());
        body += parser.takeBody();
        (void)parser.headComplete();
        (void)parser.keepAlive();
        if (!ok || parser.messageComplete())
            break;
    }
    const bool complete = parser.feedEof();
    body += parser.takeBody();
    fuzz::expect(complete == parser.messageComplete(), "feedEof() says whether it is complete");
    fuzz::expect(!(complete && parser.failed()), "a complete response did not fail");
    // The head once complete (an interim 100 Continue is forgotten by then). The headers and
    // body bytes of a response refused as malformed are thrown away by the relay, and how much
    // of them had been read before the fault depends on the cut, so only the refusal counts.
    QByteArray out = "no head\n";
    if (parser.headComplete()) {
        out = "status " + QByteArray::number(parser.status()) + '\n';
        for (const auto &[name, value] : parser.headers())
            out += name + ": " + value + '\n';
    }
    if (parser.failed() && !parser.error().startsWith("upstream closed"))
        out += "malformed";
    else
        out += "body " + QByteArray::number(body.size()) + ": " + body + '\n' +
               (complete ? QByteArray("complete") : "cut: " + parser.error());
    // The parser is reused for the next response on a keep-alive connection.
    parser.reset();
    fuzz::expect(!parser.headComplete() && !parser.failed() && parser.takeBody().isEmpty(),
                 "reset() forgets the last response");
    return out;
}

} // namespace

FUZZ_ENTRY
{
    const QList<fuzz::Chunks> cuts = fuzz::splits(FUZZ_INPUT);
    const QByteArray first = run(cuts.first());
    for (qsizetype i = 1; i < cuts.size(); ++i)
        fuzz::expectSame(first, run(cuts[i]), "HttpResponseParser's response");
    return 0;
}
