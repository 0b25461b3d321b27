#pragma once

#include "SimAnswer.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace relay::sim {

// The simulated provider's Anthropic API: POST /v1/messages (streaming, tool use, prompt
// caching), POST /v1/messages/count_tokens, GET /v1/models and /v1/models/{id} — with x-api-key
// and anthropic-version, as Anthropic answers them.

// The answer to a request in Anthropic's dialect (the key and version header are checked here).
Answer answerAnthropic(const Request &request, const Context &context);

// What the simulator needs from a POST /v1/messages (or count_tokens) body.
struct MessagesRequest
{
    QString model;
    qint64 maxTokens = 0;
    bool stream = false;
    qint64 promptChars = 0; // system text, text blocks and tool results
    QString toolName;       // set when tool_choice asks for a tool (type tool, or any)
    // Prompt caching: the blocks up to and including the last one with cache_control (system
    // blocks first, then the messages' blocks), as a key, and their characters. Empty key: none.
    QByteArray cachedPrefix;
    qint64 cachedPrefixChars = 0;
};

// The request, or nullopt and *error (the message of a 400 invalid_request_error).
// count_tokens bodies have no max_tokens.
std::optional<MessagesRequest> parseMessagesRequest(const QByteArray &body, bool countTokens,
                                                    QByteArray *error);

// {"type":"error","error":{"type","message"}} with the error type Anthropic uses for `status`.
QByteArray errorBody(int status, const QByteArray &message);

} // namespace relay::sim
