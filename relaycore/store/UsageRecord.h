#pragma once

#include <QByteArray>
#include <QString>

namespace relay {

// One metered request, as the usage table stores it.
struct UsageRecord
{
    qint64 tsMs = 0; // wall clock, when the request finished
    QByteArray requestId;
    QString tenantId;
    QString keyPrefix;
    bool rejected = false; // refused by the relay (400/404/413/429) rather than served
    QByteArray endpoint;   // "chat", "embeddings"
    QString requestedModel;
    QString servedModel;
    QString upstream;
    int status = 0;
    qint64 promptTokens = 0;
    qint64 completionTokens = 0;
    // Anthropic's prompt-cache tokens (also counted in promptTokens).
    qint64 cacheReadTokens = 0;
    qint64 cacheWriteTokens = 0;
    double costUsd = 0;
    bool priced = false;
    qint64 latencyMs = 0;
    qint64 ttfbMs = -1; // -1: no byte reached the client
    bool streamed = false;
    bool estimated = false;
    QByteArray error;
};

} // namespace relay
