// An Anthropic client's request (and an OpenAI-kind upstream's answer) through the Anthropic
// front: a Messages API body validated and translated for a Chat Completions upstream, its token
// estimates, the pass-through edits, and the same bytes read as a chat.completion to answer in
// Anthropic's shape.

#include "FuzzInput.h"
#include "ingress/AnthropicFront.h"

#include <QJsonArray>
#include <QJsonDocument>

using namespace relay;
using namespace relay::anthropic_ingress;

FUZZ_ENTRY
{
    const QByteArray bytes = FUZZ_INPUT.toByteArray();
    const QJsonObject json = QJsonDocument::fromJson(bytes).object();

    QByteArray error;
    const std::optional<QJsonObject> chat = chatRequest(json, &error);
    fuzz::expect(bool(chat) == validate(json, &error),
                 "chatRequest() refuses what validate() does");
    if (chat) {
        fuzz::expect(chat->value(QLatin1String("model")) == json.value(QLatin1String("model")),
                     "the model is kept");
        fuzz::expect(chat->value(QLatin1String("max_tokens")).toDouble() >= 1,
                     "max_tokens is positive");
        for (const auto &m : chat->value(QLatin1String("messages")).toArray()) {
            const QString role = m.toObject().value(QLatin1String("role")).toString();
            fuzz::expect(role == QLatin1String("system") || role == QLatin1String("user") ||
                             role == QLatin1String("assistant") || role == QLatin1String("tool"),
                         "every message has an OpenAI role");
        }
        (void)QJsonDocument(*chat).toJson(QJsonDocument::Compact);
    } else {
        fuzz::expect(!error.isEmpty(), "a refusal says why");
    }
    fuzz::expect(estimatedPromptTokens(json) >= 0, "the estimate is not negative");
    if (const std::optional<QJsonObject> count = countTokens(json, &error))
        fuzz::expect(count->value(QLatin1String("input_tokens")).toDouble() ==
                         double(estimatedPromptTokens(json)),
                     "count_tokens answers the estimate");

    const QJsonObject edited =
        QJsonDocument::fromJson(withModel(bytes, QStringLiteral("routed"))).object();
    fuzz::expect(edited.value(QLatin1String("model")) == QLatin1String("routed"),
                 "the routed model is put in");
    if (const std::optional<MessageUsage> u = messageUsage(bytes))
        fuzz::expect(u->inputTokens >= 0 && u->outputTokens >= 0 && u->cacheReadTokens >= 0 &&
                         u->cacheWriteTokens >= 0,
                     "usage counts are not negative");

    const QJsonObject message = messageFromChat(json, QStringLiteral("claude"));
    if (!message.isEmpty()) {
        const QJsonObject usage = message.value(QLatin1String("usage")).toObject();
        fuzz::expect(usage.value(QLatin1String("input_tokens")).toDouble() >= 0,
                     "input_tokens is not negative");
        for (const auto &b : message.value(QLatin1String("content")).toArray())
            fuzz::expect(!b.toObject().contains(QLatin1String("input")) ||
                             b.toObject().value(QLatin1String("input")).isObject(),
                         "a tool_use input is an object");
    }
    for (const int status : {200, 400, 429, 503}) {
        int s = status;
        HttpHeaders headers;
        const QByteArray answer = reply(&s, &headers, bytes, QStringLiteral("claude"));
        fuzz::expect(QJsonDocument::fromJson(answer).isObject(), "the answer is a JSON object");
        fuzz::expect((s >= 200 && s < 300) || QJsonDocument::fromJson(answer).object().value(
                                                  QLatin1String("type")) == QLatin1String("error"),
                     "a failure is an Anthropic error");
    }
    return 0;
}
