// A tenant's request body as both endpoints read it; an accepted body is rewritten for the
// upstream, and what the upstream gets must read back the same way.

#include "FuzzInput.h"
#include "ingress/RequestBody.h"

#include <QJsonDocument>
#include <QJsonObject>

using namespace relay;

FUZZ_ENTRY
{
    const QByteArray body = FUZZ_INPUT.toByteArray();
    for (const Endpoint endpoint :
         {Endpoint::Chat, Endpoint::Embeddings, Endpoint::Completions, Endpoint::Responses}) {
        QByteArray error;
        const std::optional<RequestBody> request = parseRequestBody(endpoint, body, &error);
        fuzz::expect(request.has_value() == error.isEmpty(), "a refusal has a message");
        // The reading without a DOM decides exactly as the QJsonDocument reading.
        QByteArray domError;
        const std::optional<RequestBody> dom = parseRequestBodyWithDom(endpoint, body, &domError);
        fuzz::expect(error == domError, "the same refusal as the DOM reading");
        if (!request)
            continue;
        fuzz::expect(request->model == dom->model && request->stream == dom->stream &&
                         request->clientWantsUsage == dom->clientWantsUsage &&
                         request->promptChars == dom->promptChars &&
                         request->maxTokens == dom->maxTokens &&
                         request->previousResponseId == dom->previousResponseId,
                     "the same fields as the DOM reading");
        fuzz::expect(
            QJsonDocument::fromJson(buildUpstreamBody(*request, QStringLiteral("u"))).object() ==
                QJsonDocument::fromJson(buildUpstreamBody(*dom, QStringLiteral("u"))).object(),
            "the same upstream body as the DOM reading");
        fuzz::expect(!request->model.isEmpty() && request->promptChars >= 0,
                     "an accepted body has a model and a prompt size");
        (void)estimateTokens(request->promptChars);
        const QByteArray upstream = buildUpstreamBody(*request, QStringLiteral("upstream-model"));
        QByteArray again;
        const std::optional<RequestBody> sent = parseRequestBody(endpoint, upstream, &again);
        fuzz::expect(sent.has_value(), "the upstream body is accepted too");
        fuzz::expect(sent->model == QLatin1String("upstream-model"), "the model is replaced");
        fuzz::expect(sent->stream == request->stream, "stream is kept");
        fuzz::expect(sent->promptChars == request->promptChars, "the prompt is kept");
        fuzz::expect(sent->maxTokens == request->maxTokens, "max tokens are kept");
        fuzz::expect(!sent->stream || sent->clientWantsUsage, "a stream asks for usage");
    }
    return 0;
}
