// A tenant's chat request translated for an Anthropic upstream, as ProxyCall does it: the body
// is read as the relay reads it, then turned into a Messages API request.

#include "FuzzInput.h"
#include "ingress/RequestBody.h"
#include "upstream/AnthropicAdapter.h"

#include <QJsonDocument>

using namespace relay;

FUZZ_ENTRY
{
    QByteArray error;
    const std::optional<RequestBody> request =
        parseRequestBody(Endpoint::Chat, FUZZ_INPUT.toByteArray(), &error);
    if (!request)
        return 0;
    const QJsonObject messages = anthropic::messagesRequest(request->json, request->model);
    fuzz::expect(messages.value(QLatin1String("model")).toString() == request->model,
                 "the model is sent");
    fuzz::expect(messages.value(QLatin1String("max_tokens")).isDouble(),
                 "the Messages API gets max_tokens");
    (void)QJsonDocument(messages).toJson(QJsonDocument::Compact);
    return 0;
}
