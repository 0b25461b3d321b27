#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <algorithm>
#include <optional>

namespace relay {

enum class Endpoint { Chat, Embeddings };

// The few fields of a tenant's request body the relay needs, read once; the rest is passed on
// untouched.
struct RequestBody
{
    QJsonObject json;
    QString model;
    bool stream = false;
    // The client itself asked for the usage chunk (stream_options.include_usage).
    bool clientWantsUsage = false;
    // Unicode characters of all message text (chat) or of the input (embeddings).
    qint64 promptChars = 0;
    // max_tokens / max_completion_tokens when the client set one, else -1.
    qint64 maxTokens = -1;
};

// The longest model name a request may give (in Unicode characters).
inline constexpr qsizetype kMaxModelChars = 256;

// Checks the body against what the endpoint needs; nullopt and *error (a message for a 400)
// when it is not acceptable.
std::optional<RequestBody> parseRequestBody(Endpoint endpoint, const QByteArray &body,
                                            QByteArray *error);

// The body to send upstream: `model` replaced and, for streams, include_usage switched on.
QByteArray buildUpstreamBody(const RequestBody &request, const QString &model);

// A token count as an upstream reports it (a JSON number): 0 when it is missing, negative or not
// a number, and at most 2^53, so that no report can overflow or turn the meters negative.
inline qint64 tokenCount(const QJsonValue &value)
{
    const double n = value.toDouble();
    return n > 0 ? qint64(std::min(n, 9007199254740992.0)) : 0;
}

// ceil(chars / 4): the relay's token estimate for text it has not had counted.
inline qint64 estimateTokens(qint64 chars)
{
    return (chars + 3) / 4;
}

} // namespace relay
