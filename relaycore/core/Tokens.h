#pragma once

#include <QJsonValue>

#include <algorithm>

namespace relay {

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

// The tokens one answer used, as its upstream reported them. `prompt` includes the prompt-cache
// tokens, which Anthropic also reports on their own.
struct TokenUsage
{
    qint64 prompt = 0;
    qint64 completion = 0;
    qint64 cacheRead = 0;
    qint64 cacheWrite = 0;
};

} // namespace relay
