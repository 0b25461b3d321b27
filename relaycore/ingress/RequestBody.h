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
    // Where in `raw` the relay's edits go (offsets of the tokens; -1: not in the body).
    struct Splice
    {
        bool on = false;      // read without a DOM: the upstream gets `raw` with the edits
        qsizetype open = -1;  // the top-level object's '{'
        bool members = false; // the top-level object has members
        qsizetype modelBegin = -1, modelEnd = -1;     // the model's value (a string or null)
        qsizetype optionsBegin = -1, optionsEnd = -1; // stream_options' value (object or null)
        bool optionsMembers = false;                  // stream_options has members
        bool optionsNull = false;                     // stream_options is null
        qsizetype usageBegin = -1, usageEnd = -1;     // stream_options.include_usage's value
    };

    Endpoint endpoint = Endpoint::Chat;
    // The body as a DOM: Anthropic's dialect, and OpenAI bodies the fast reading left to
    // QJsonDocument (escaped model names, duplicate fields the relay reads, exotic numbers,
    // bad JSON). Empty when `splice.on`; object() reads it either way.
    QJsonObject json;
    // The client's bytes.
    QByteArray raw;
    Splice splice;
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
    // The whole body as a DOM (parsed here when it was read without one), for translations.
    QJsonObject object() const;
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

// The same reading entirely through QJsonDocument (the way every body was read before the
// fast path; what the fast path leaves to it): for tests and the benchmark.
std::optional<RequestBody> parseRequestBodyWithDom(Endpoint endpoint, const QByteArray &body,
                                                   QByteArray *error);

// The model a moderation request without one is routed as (OpenAI's default).
inline constexpr QStringView kDefaultModerationModel = u"omni-moderation-latest";

// The body to send to an upstream of the client's own dialect: `model` replaced and, for chat
// and completions streams, include_usage switched on. A body read without a DOM is the
// client's bytes with only these edits spliced in.
QByteArray buildUpstreamBody(const RequestBody &request, const QString &model);

} // namespace relay
