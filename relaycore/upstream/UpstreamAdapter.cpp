#include "UpstreamAdapter.h"

#include "AnthropicAdapter.h"
#include "AnthropicStreamTranslator.h"
#include "ingress/AnthropicFront.h"
#include "ingress/AnthropicIngressStream.h"
#include "ingress/AnthropicUsageFilter.h"
#include "metering/OpenAIAnswer.h"
#include "tenants/DirectorySnapshot.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <type_traits>

namespace relay {

namespace {

QByteArray compact(const QJsonObject &json)
{
    return QJsonDocument(json).toJson(QJsonDocument::Compact);
}

QByteArray contentTypeOf(const HttpHeaders &headers)
{
    const QByteArray type = headerValue(headers, "content-type");
    return type.isEmpty() ? QByteArray("application/json") : type;
}

// The OpenAI-dialect stream filter as a StreamRelay, fed either the upstream's own bytes or a
// translator's output.
class FilterRelay : public StreamRelay
{
public:
    FilterRelay(bool forwardUsage, SseUsageFilter::Shape shape, CostOf cost)
        : m_filter(forwardUsage, shape, std::move(cost))
    {
    }
    QByteArray feed(QByteArrayView bytes) override { return m_filter.feed(bytes); }
    QByteArray finish() override { return m_filter.finish(); }
    bool hasUsage() const override { return m_filter.hasUsage(); }
    TokenUsage usage() const override { return m_filter.usage(); }
    qint64 contentChars() const override { return m_filter.contentChars(); }
    QString model() const override { return m_filter.model(); }
    QString responseId() const override { return m_filter.responseId(); }

protected:
    SseUsageFilter m_filter;
};

// An Anthropic upstream's stream to an OpenAI chat client: translated, then filtered.
class AnthropicToChatRelay final : public FilterRelay
{
public:
    AnthropicToChatRelay(bool forwardUsage, qint64 created, CostOf cost)
        : FilterRelay(forwardUsage, SseUsageFilter::Shape::Chat, std::move(cost)),
          m_translator(created)
    {
    }
    QByteArray feed(QByteArrayView bytes) override
    {
        return m_filter.feed(m_translator.feed(bytes));
    }
    QByteArray finish() override
    {
        QByteArray out = m_filter.feed(m_translator.finish());
        return out + m_filter.finish();
    }
    TokenUsage usage() const override
    {
        TokenUsage u = m_filter.usage();
        u.cacheRead = m_translator.cacheReadTokens();
        u.cacheWrite = m_translator.cacheWriteTokens();
        return u;
    }
    bool failed() const override { return m_translator.failed(); }
    bool failedBeforeOutput() const override { return m_translator.failedBeforeOutput(); }
    int errorStatus() const override { return m_translator.errorStatus(); }

private:
    AnthropicStreamTranslator m_translator;
};

TokenUsage tokenUsage(const anthropic_ingress::MessageUsage &u)
{
    return {u.promptTokens(), u.outputTokens, u.cacheReadTokens, u.cacheWriteTokens};
}

anthropic_ingress::CostFunction anthropicCost(CostOf cost)
{
    if (!cost)
        return {};
    return [cost = std::move(cost)](const anthropic_ingress::MessageUsage &u) {
        return cost(tokenUsage(u));
    };
}

// A stream to an Anthropic client (translated from an OpenAI-kind upstream's chat stream, or an
// Anthropic upstream's passed through) as a StreamRelay.
template <typename Meter> class AnthropicClientRelay final : public StreamRelay
{
public:
    explicit AnthropicClientRelay(Meter meter) : m_meter(std::move(meter)) {}
    QByteArray feed(QByteArrayView bytes) override { return m_meter.feed(bytes); }
    QByteArray finish() override { return m_meter.finish(); }
    bool hasUsage() const override { return m_meter.hasUsage(); }
    TokenUsage usage() const override { return tokenUsage(m_meter.usage()); }
    qint64 contentChars() const override { return m_meter.textChars(); }
    QString model() const override
    {
        if constexpr (std::is_same_v<Meter, anthropic_ingress::AnthropicIngressStream>)
            return m_meter.upstreamModel();
        else
            return m_meter.model();
    }
    bool failed() const override { return m_meter.failed(); }
    bool failedBeforeOutput() const override { return m_meter.failedBeforeOutput(); }
    int errorStatus() const override { return m_meter.errorStatus(); }

private:
    Meter m_meter;
};

// Upstreams that speak OpenAI's API (OpenAI, DeepSeek, vLLM, Ollama, any compatible server).
class OpenAIKindAdapter final : public UpstreamAdapter
{
public:
    bool serves(Endpoint endpoint) const override { return endpoint != Endpoint::CountTokens; }

    HttpHeaders authHeaders(const UpstreamConfig &upstream) const override
    {
        return anthropic::authHeaders(upstream);
    }

    void writeRequest(UpstreamRequest &request, const UpstreamConfig &upstream,
                      const RequestBody &body, const QString &model) const override
    {
        request.pathBase = upstream.basePath;
        request.path = path(body.endpoint);
        if (body.dialect() == Dialect::OpenAI) {
            request.body = buildUpstreamBody(body, model);
            return;
        }
        // An Anthropic client's Messages request, as chat (validated when it was parsed).
        QByteArray error;
        QJsonObject chat =
            anthropic_ingress::chatRequest(body.json, &error).value_or(QJsonObject());
        chat.insert(QLatin1String("model"), model);
        if (body.stream)
            chat.insert(QLatin1String("stream_options"),
                        QJsonObject{{QStringLiteral("include_usage"), true}});
        request.body = compact(chat);
    }

    UpstreamReply reply(int status, const HttpHeaders &headers, const QByteArray &body,
                        const RequestBody &request, qint64 /*created*/) const override
    {
        UpstreamReply r{status, body, contentTypeOf(headers), false, {}, {}, {}};
        if (status >= 200 && status < 300) {
            const bool responses = request.endpoint == Endpoint::Responses;
            OpenAIAnswer answer = OpenAIAnswer::read(body, responses);
            r.hasUsage = answer.hasUsage;
            r.usage = answer.usage;
            r.model = std::move(answer.model);
            r.responseId = std::move(answer.id);
        }
        if (request.dialect() == Dialect::Anthropic) {
            HttpHeaders translated = headers;
            r.body = anthropic_ingress::reply(&r.status, &translated, body, request.model);
            r.contentType = contentTypeOf(translated);
        }
        return r;
    }

    std::unique_ptr<StreamRelay> stream(const RequestBody &request, qint64 created,
                                        CostOf cost) const override
    {
        Q_UNUSED(created);
        if (request.dialect() == Dialect::Anthropic) {
            using Stream = anthropic_ingress::AnthropicIngressStream;
            return std::make_unique<AnthropicClientRelay<Stream>>(
                Stream(request.model, anthropicCost(std::move(cost))));
        }
        const auto shape = request.endpoint == Endpoint::Responses
                               ? SseUsageFilter::Shape::Responses
                               : SseUsageFilter::Shape::Chat;
        return std::make_unique<FilterRelay>(request.clientWantsUsage, shape, std::move(cost));
    }

private:
    static QByteArray path(Endpoint endpoint)
    {
        switch (endpoint) {
        case Endpoint::Chat:
        case Endpoint::Messages: // translated to chat
        case Endpoint::CountTokens:
            return QByteArrayLiteral("/chat/completions");
        case Endpoint::Embeddings:
            return QByteArrayLiteral("/embeddings");
        case Endpoint::Responses:
            return QByteArrayLiteral("/responses");
        case Endpoint::Completions:
            return QByteArrayLiteral("/completions");
        case Endpoint::Moderations:
            return QByteArrayLiteral("/moderations");
        }
        return QByteArrayLiteral("/chat/completions");
    }
};

// Anthropic's Messages API.
class AnthropicKindAdapter final : public UpstreamAdapter
{
public:
    bool serves(Endpoint endpoint) const override
    {
        return endpoint == Endpoint::Chat || endpoint == Endpoint::Messages ||
               endpoint == Endpoint::CountTokens;
    }

    HttpHeaders authHeaders(const UpstreamConfig &upstream) const override
    {
        return anthropic::authHeaders(upstream);
    }

    void writeRequest(UpstreamRequest &request, const UpstreamConfig &upstream,
                      const RequestBody &body, const QString &model) const override
    {
        if (body.dialect() == Dialect::OpenAI)
            return anthropic::adaptRequest(request, upstream, body, model);
        // Anthropic's own request passes through, but for the model a route names and the
        // client's anthropic-version and anthropic-beta.
        request.path = anthropic::apiPath(upstream, body.endpoint == Endpoint::CountTokens
                                                        ? "/messages/count_tokens"
                                                        : "/messages");
        QJsonObject json = body.json;
        json.insert(QLatin1String("model"), model);
        request.body = compact(json);
        // Not a structured binding: clang 14 (the sanitizer build) cannot capture one.
        for (const auto &header : body.forwardHeaders) {
            request.headers.removeIf([&](const auto &h) { return h.first == header.first; });
            request.headers.emplaceBack(header.first, header.second);
        }
    }

    UpstreamReply reply(int status, const HttpHeaders &headers, const QByteArray &body,
                        const RequestBody &request, qint64 created) const override
    {
        UpstreamReply r{status, body, contentTypeOf(headers), false, {}, {}, {}};
        if (request.dialect() == Dialect::Anthropic) { // passes through as it is
            if (request.endpoint == Endpoint::CountTokens) {
                r.hasUsage = true; // a request with 0 tokens
            } else if (status >= 200 && status < 300) {
                const auto usage = anthropic_ingress::messageUsage(body);
                r.hasUsage = usage.has_value();
                r.usage = usage ? tokenUsage(*usage) : TokenUsage();
                r.model =
                    QJsonDocument::fromJson(body).object().value(QLatin1String("model")).toString();
            }
            return r;
        }
        HttpHeaders translated = headers;
        r.body = anthropic::reply(&r.status, &translated, body, created);
        r.contentType = contentTypeOf(translated);
        if (r.status >= 200 && r.status < 300) {
            const auto usage = anthropic_ingress::messageUsage(body);
            r.hasUsage = usage.has_value();
            r.usage = usage ? tokenUsage(*usage) : TokenUsage();
            r.model =
                QJsonDocument::fromJson(r.body).object().value(QLatin1String("model")).toString();
        }
        return r;
    }

    std::unique_ptr<StreamRelay> stream(const RequestBody &request, qint64 created,
                                        CostOf cost) const override
    {
        if (request.dialect() == Dialect::Anthropic) {
            using Filter = anthropic_ingress::AnthropicUsageFilter;
            return std::make_unique<AnthropicClientRelay<Filter>>(
                Filter(anthropicCost(std::move(cost))));
        }
        return std::make_unique<AnthropicToChatRelay>(request.clientWantsUsage, created,
                                                      std::move(cost));
    }
};

} // namespace

const UpstreamAdapter &UpstreamAdapter::of(const UpstreamConfig &upstream)
{
    static const OpenAIKindAdapter openai;
    static const AnthropicKindAdapter anthropicKind;
    if (anthropic::isAnthropic(upstream))
        return anthropicKind;
    return openai;
}

} // namespace relay
