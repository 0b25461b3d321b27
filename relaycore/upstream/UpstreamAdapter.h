#pragma once

#include "UpstreamCall.h"
#include "core/Tokens.h"
#include "ingress/RequestBody.h"
#include "metering/SseUsageFilter.h"

#include <QByteArray>
#include <QString>

#include <memory>

namespace relay {

struct UpstreamConfig;

// One attempt's stream on its way from the upstream to the client, in the client's dialect,
// with the usage read from it however the bytes are chunked.
class StreamRelay
{
public:
    virtual ~StreamRelay() = default;
    // The client's bytes for the upstream's `bytes` (complete events only).
    virtual QByteArray feed(QByteArrayView bytes) = 0;
    // At the end of the upstream's response: what is still owed to the client.
    virtual QByteArray finish() = 0;
    virtual bool hasUsage() const = 0;
    virtual TokenUsage usage() const = 0;
    // Characters of content relayed (to estimate the tokens of a stream that had no usage).
    virtual qint64 contentChars() const = 0;
    // The model the upstream says answered (empty: not said).
    virtual QString model() const = 0;
    // Responses: the id of the response the stream created.
    virtual QString responseId() const { return {}; }
    // The upstream ended the stream with an error event (its status in errorStatus()).
    virtual bool failed() const { return false; }
    // … before anything reached the client: the next target can still answer.
    virtual bool failedBeforeOutput() const { return false; }
    virtual int errorStatus() const { return 0; }
};

// A whole (non-streamed) answer in the client's dialect, and what the relay reads of it.
struct UpstreamReply
{
    int status = 0;
    QByteArray body;
    QByteArray contentType = "application/json";
    bool hasUsage = false;
    TokenUsage usage;
    QString model;      // the model the upstream says answered (empty: not said)
    QString responseId; // Responses: the id of the response it created
};

// One upstream dialect (design.md, "Ingress dialects"): how a request of either client dialect
// is written for upstreams of this kind, and how their answers and streams go back to the
// client in its own dialect. Chosen once per target; stateless; the per-attempt state is the
// StreamRelay it makes. The pairs: an OpenAI-kind upstream passes OpenAI requests through and
// translates Anthropic ones (ingress/AnthropicIngress); an Anthropic upstream passes Anthropic
// requests through and translates OpenAI chat (upstream/AnthropicAdapter).
class UpstreamAdapter
{
public:
    virtual ~UpstreamAdapter() = default;
    static const UpstreamAdapter &of(const UpstreamConfig &upstream);

    // Whether this kind of upstream can answer the endpoint at all (a chain skips those that
    // cannot: Anthropic has no embeddings, responses, completions or moderations).
    virtual bool serves(Endpoint endpoint) const = 0;
    // The upstream's own key, never the tenant's.
    virtual HttpHeaders authHeaders(const UpstreamConfig &upstream) const = 0;
    // The path and body of `body` sent to `upstream` as `model`.
    virtual void writeRequest(UpstreamRequest &request, const UpstreamConfig &upstream,
                              const RequestBody &body, const QString &model) const = 0;
    // The upstream's whole answer for the client (`created`: now, in Unix seconds).
    virtual UpstreamReply reply(int status, const HttpHeaders &headers, const QByteArray &body,
                                const RequestBody &request, qint64 created) const = 0;
    // A relay for the answer's stream; `cost` prices the usage the client is told of.
    virtual std::unique_ptr<StreamRelay> stream(const RequestBody &request, qint64 created,
                                                CostOf cost) const = 0;
};

} // namespace relay
