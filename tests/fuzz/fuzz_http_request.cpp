// The relay's request parser on arbitrary client bytes, whole and in pieces, with the default
// limits and with small ones: every cut must give the same requests and the same refusal.

#include "FuzzInput.h"
#include "http/HttpRequestParser.h"

using namespace relay;

namespace {

QByteArray describe(const HttpRequest &r)
{
    QByteArray out = r.method + ' ' + r.target + ' ' + r.path + " 1." +
                     QByteArray::number(r.versionMinor) + (r.keepAlive ? " keep\n" : " close\n");
    for (const auto &[name, value] : r.headers)
        out += name + ": " + value + '\n';
    return out + "body " + QByteArray::number(r.body.size()) + ": " + r.body + '\n';
}

QByteArray run(const fuzz::Chunks &chunks, HttpRequestParser::Limits limits)
{
    HttpRequestParser parser(limits);
    QByteArray out;
    for (const QByteArrayView chunk : chunks) {
        const bool ok = parser.feed(chunk);
        (void)parser.inHeaders();
        (void)parser.inMessage();
        (void)parser.takeContinueRequest();
        while (parser.hasRequest())
            out += describe(parser.takeRequest());
        if (!ok)
            break;
    }
    fuzz::expect(parser.failed() == (parser.errorStatus() != 0), "failed() is errorStatus() != 0");
    // A request with two faults (a malformed header that is also too long) is refused for the
    // one the parser meets first, and that depends on where the reads end: 400 or 431 for the
    // same bytes. Either way it is refused, after the same requests.
    if (parser.failed()) {
        out += "refused";
        (void)parser.errorCode();
        (void)parser.errorMessage();
        if (parser.errorStatus() == 413)
            (void)parser.refusedRequest();
    }
    return out;
}

} // namespace

FUZZ_ENTRY
{
    const QList<fuzz::Chunks> cuts = fuzz::splits(FUZZ_INPUT);
    for (const HttpRequestParser::Limits limits :
         {HttpRequestParser::Limits{}, HttpRequestParser::Limits{64, 256}}) {
        const QByteArray first = run(cuts.first(), limits);
        for (qsizetype i = 1; i < cuts.size(); ++i)
            fuzz::expectSame(first, run(cuts[i], limits), "HttpRequestParser's requests");
    }
    return 0;
}
