#pragma once

#include "http/ApiError.h"
#include "http/HttpMessage.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>
#include <optional>

namespace relay {

// The Anthropic client dialect (`/v1/messages`, interface.md §3): a Messages API request for an
// OpenAI-kind upstream, its answer back in Anthropic's shape, errors, models lists, token
// estimates and the edits of a request passed through to an Anthropic upstream. Pure functions:
// no sockets, no clock.
namespace anthropic_ingress {

// Token counts in Anthropic's terms: `inputTokens` excludes the two cache counts.
struct MessageUsage
{
    qint64 inputTokens = 0;
    qint64 outputTokens = 0;
    qint64 cacheReadTokens = 0;  // cache_read_input_tokens
    qint64 cacheWriteTokens = 0; // cache_creation_input_tokens

    // All the prompt's tokens: uncached input plus both cache counts.
    qint64 promptTokens() const { return inputTokens + cacheReadTokens + cacheWriteTokens; }
    bool operator==(const MessageUsage &) const = default;
};

// The cost of a call in USD from its final usage, or nullopt when it has no price (then no
// `cost_usd` is written). The stream classes call it once, when they write the final usage.
using CostFunction = std::function<std::optional<double>(const MessageUsage &)>;

// One model of a models list: its id and when it was created (Unix seconds).
struct ModelEntry
{
    QString id;
    qint64 created = 0;
};

// --- Requests -------------------------------------------------------------------------------

// Checks a Messages API request as Anthropic does (`model` a string, `max_tokens` a positive
// integer, `messages` a list of user/assistant messages); false and *error (for a 400
// invalid_request_error) when it is not acceptable.
bool validate(const QJsonObject &request, QByteArray *error);

// A valid Messages API request as a Chat Completions request (same `model`; the caller puts the
// routed name in); nullopt and *error when validate() refuses it. Anthropic-only fields (top_k,
// thinking, cache_control, server tools, document and thinking blocks, file image sources,
// images inside tool results, is_error) are dropped.
std::optional<QJsonObject> chatRequest(const QJsonObject &request, QByteArray *error);

// The prompt's token estimate for the tpm reservation: characters of all text (system, text
// blocks, tool inputs and results, tool definitions) / 4, rounded up, plus 1,000 per image.
qint64 estimatedPromptTokens(const QJsonObject &request);

// Answer to `/v1/messages/count_tokens` when no Anthropic target counts: {"input_tokens": N} with
// N the estimatedPromptTokens() (images included); nullopt and *error when `model` or `messages`
// is missing or of the wrong type.
std::optional<QJsonObject> countTokens(const QJsonObject &request, QByteArray *error);

// --- Answers from an OpenAI-kind upstream ---------------------------------------------------

// A chat.completion as an Anthropic message of `model`; empty when `completion` is not one.
QJsonObject messageFromChat(const QJsonObject &completion, const QString &model);

// The Anthropic stop_reason for an OpenAI finish_reason ("end_turn" for none or unknown ones).
QString stopReason(const QJsonValue &finishReason);

// Anthropic's message id for an OpenAI completion id: "msg_" + the id without "chatcmpl-".
QString messageId(const QString &chatId);

// Usage of an OpenAI usage object in Anthropic's terms (cached prompt tokens as cache reads).
MessageUsage usageFromChat(const QJsonObject &usage);

// A whole (non-streamed) answer of an OpenAI-kind upstream as an Anthropic client gets it: a
// success becomes a message of `model`, an error Anthropic's error shape; *status may change (an
// unreadable success is a 502). Sets content-type in `headers`.
QByteArray reply(int *status, HttpHeaders *headers, const QByteArray &body, const QString &model);

// --- Errors ---------------------------------------------------------------------------------

// Anthropic's error type for an HTTP status (interface.md §3's table).
QByteArray errorType(int status);
// {"type":"error","error":{"type":errorType(status),"message":message}}.
QByteArray errorBody(int status, QByteArrayView message);
// The HTTP status Anthropic answers an error type with (529 for overloaded_error; 500 for a type
// it does not document), and that of an error body {"type":"error","error":{"type",…}}.
int statusOfErrorType(QByteArrayView type);
int statusOfError(const QByteArray &anthropicErrorBody);
// errorBody() as an SSE `error` event, for a stream.
QByteArray errorEvent(int status, QByteArrayView message);
// One of the relay's own refusals in Anthropic's shape (its status is kept).
QByteArray errorBody(const ApiError &error);
// An OpenAI error body (the relay's, or an OpenAI-kind upstream's) answered with `status`, in
// Anthropic's shape with its message (keys masked; a stock message when it has none).
QByteArray errorFromOpenAi(int status, QByteArrayView openAiBody);
// The HTTP status an OpenAI error object stands for, read from its type and code (for errors
// that come without one, inside a stream); 500 when neither says.
int statusOfOpenAiError(const QJsonObject &error);

// --- Models ---------------------------------------------------------------------------------

// {"type":"model","id","display_name","created_at"} (created_at in RFC 3339, UTC).
QJsonObject modelObject(const QString &id, qint64 created);
// {"data":[model objects],"has_more":false,"first_id","last_id"} (ids null when empty).
QJsonObject modelList(const QList<ModelEntry> &models);
// The relay's OpenAI models list ({"object":"list","data":[{"id","created",…}]}) in Anthropic's
// shape.
QJsonObject modelListFromOpenAi(const QJsonObject &list);

// --- Pass-through to an Anthropic upstream --------------------------------------------------

// The request body with its top-level `model` replaced by `model` (the routed name).
QByteArray withModel(const QByteArray &body, const QString &model);
// Adds the counts an Anthropic usage object (of message_start, message_delta or a message)
// carries to `usage`, replacing those it has.
void readUsage(const QJsonObject &anthropicUsage, MessageUsage &usage);
// The usage of a whole Messages API response body; nullopt when it has none.
std::optional<MessageUsage> messageUsage(const QByteArray &body);

// One SSE event as Anthropic writes it: `event: NAME` and `data: JSON`.
QByteArray sseEvent(QByteArrayView name, const QJsonObject &data);

} // namespace anthropic_ingress
} // namespace relay
