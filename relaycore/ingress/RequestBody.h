#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include "core/Headers.h"
#include "core/Tokens.h"

#include <algorithm>
#include <optional>

namespace relay {

// What a tenant calls (interface.md §3). Messages and CountTokens are Anthropic's dialect, the
// others OpenAI's.
enum class Endpoint {
    Chat,
    Embeddings,
    Responses,
    Completions,
    Moderations,
    Messages,
    CountTokens
};
enum class Dialect { OpenAI, Anthropic };

Dialect dialectOf(Endpoint endpoint);
// The endpoint a POST to `path` calls ("/v1/chat/completions" …), nullopt for any other path.
std::optional<Endpoint> endpointForPath(QByteArrayView path);
// The dialect of a path: /v1/messages… is Anthropic's, every other path OpenAI's.
Dialect dialectOfPath(QByteArrayView path);
// The name usage rows and the console give the endpoint: "chat", "embeddings", "responses",
// "completions", "moderations", "messages", "count_tokens".
QByteArray endpointName(Endpoint endpoint);
// True for the endpoints whose answer can be a stream.
bool canStream(Endpoint endpoint);

// The few fields of a tenant's request body the relay needs, read once; the rest is passed on
// untouched.
struct RequestBody
{
    Endpoint endpoint = Endpoint::Chat;
    QJsonObject json;
    QString model;
    bool stream = false;
    // The client itself asked for the usage chunk (stream_options.include_usage).
    bool clientWantsUsage = false;
    // Unicode characters of all message text (chat) or of the input (embeddings).
    qint64 promptChars = 0;
    // max_tokens / max_completion_tokens (Responses: max_output_tokens) when the client set one,
    // else -1.
    qint64 maxTokens = -1;
    // Image blocks of an Anthropic request (each counts 1,000 tokens in the tpm estimate).
    qint64 imageBlocks = 0;
    // Responses: the response this one continues (kept on the upstream that created it).
    QString previousResponseId;
    // The client's headers an upstream of its own dialect gets too (anthropic-version,
    // anthropic-beta).
    HttpHeaders forwardHeaders;

    Dialect dialect() const { return dialectOf(endpoint); }
    // The prompt tokens the relay reserves before the upstream has counted them.
    qint64 estimatedPromptTokens() const
    {
        return estimateTokens(promptChars) + imageBlocks * 1000;
    }
};

// The longest model name a request may give (in Unicode characters).
inline constexpr qsizetype kMaxModelChars = 256;

// Checks the body against what the endpoint needs; nullopt and *error (a message for a 400)
// when it is not acceptable.
std::optional<RequestBody> parseRequestBody(Endpoint endpoint, const QByteArray &body,
                                            QByteArray *error);

// The model a moderation request without one is routed as (OpenAI's default).
inline constexpr QStringView kDefaultModerationModel = u"omni-moderation-latest";

// The body to send to an upstream of the client's own dialect: `model` replaced and, for chat
// and completions streams, include_usage switched on.
QByteArray buildUpstreamBody(const RequestBody &request, const QString &model);

} // namespace relay
