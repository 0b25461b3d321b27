#pragma once

#include "http/ApiError.h"
#include "http/HttpMessage.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace relay {

struct ModelResolution;
struct RequestBody;
struct UpstreamConfig;
struct UpstreamRequest;

// Translation between OpenAI's chat completions and Anthropic's Messages API (upstreams of kind
// "anthropic"), both ways. Pure functions: no sockets, no clock (times are passed in).
namespace anthropic {

inline constexpr QByteArrayView kVersion = "2023-06-01";

bool isAnthropic(const UpstreamConfig &upstream);

// "/v1/messages" or "/v1/models" under the upstream's base URL (given as
// https://api.anthropic.com; a base URL that already ends in /v1 is not doubled).
QByteArray apiPath(const UpstreamConfig &upstream, QByteArrayView endpoint);

// An OpenAI chat request body → the Messages API request body, sent as `model`. Fields the
// Messages API has no equivalent for are dropped.
QJsonObject messagesRequest(const QJsonObject &chat, const QString &model);

// Turns the OpenAI-compatible request ProxyCall built (with authHeaders()) into the Messages
// API's: its path and body.
void adaptRequest(UpstreamRequest &request, const UpstreamConfig &upstream, const RequestBody &body,
                  const QString &model);

// A Messages API response body → an OpenAI chat.completion object; `created` in Unix seconds.
// Empty when `message` is not a Messages API response.
QJsonObject chatCompletion(const QJsonObject &message, qint64 created);

// The OpenAI finish_reason for an Anthropic stop_reason (null for none).
QJsonValue finishReason(const QJsonValue &stopReason);
// OpenAI usage from Anthropic usage: prompt tokens include the cache tokens.
QJsonObject usage(qint64 inputTokens, qint64 outputTokens, qint64 cachedTokens);
// input_tokens plus the cache tokens of an Anthropic usage object.
qint64 inputTokens(const QJsonObject &usage);

// An Anthropic error ({"type":"error","error":{"type","message"}}) in OpenAI's shape. The status
// is `httpStatus` when given (> 0), else the one Anthropic uses for the error type (529 for
// overloaded_error: what the client finally sees is decided by the relay's failover).
ApiError error(int httpStatus, const QByteArray &body);

// A whole (non-streamed) answer of the Messages API as the tenant gets it: a success becomes a
// chat.completion, an error the OpenAI error shape; *status may change (an unreadable success is
// a 502). Sets content-type in `headers`.
QByteArray reply(int *status, HttpHeaders *headers, const QByteArray &body, qint64 created);

// For the idle check of an open circuit: the path of the upstream's models list
// ({base-url}/models, or {base-url}/v1/models for Anthropic) and the headers that authenticate it.
QByteArray modelsListPath(const UpstreamConfig &upstream);
HttpHeaders authHeaders(const UpstreamConfig &upstream);

// Anthropic has no embeddings API: takes its upstreams out of an embeddings request's chain.
void dropForEmbeddings(ModelResolution &resolution);

} // namespace anthropic
} // namespace relay
