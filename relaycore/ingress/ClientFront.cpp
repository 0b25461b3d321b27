#include "ClientFront.h"

#include "AnthropicFront.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace relay {

namespace {

QByteArray compact(const QJsonObject &json)
{
    return QJsonDocument(json).toJson(QJsonDocument::Compact);
}

// OpenAI's dialect: chat, embeddings, responses, completions, moderations, models.
class OpenAIClientFront final : public ClientFront
{
public:
    Dialect dialect() const override { return Dialect::OpenAI; }
    QByteArray errorBody(const ApiError &error) const override { return error.body(); }
    QByteArray streamErrorEvent(const ApiError &error) const override
    {
        return "data: " + error.body() + "\n\n";
    }
    QByteArray modelsList(const QStringList &models, qint64 created) const override
    {
        QJsonArray data;
        for (const QString &id : models)
            data.append(object(id, created));
        return compact(
            {{QStringLiteral("object"), QStringLiteral("list")}, {QStringLiteral("data"), data}});
    }
    QByteArray model(const QString &id, qint64 created) const override
    {
        return compact(object(id, created));
    }

private:
    static QJsonObject object(const QString &id, qint64 created)
    {
        return {{QStringLiteral("id"), id},
                {QStringLiteral("object"), QStringLiteral("model")},
                {QStringLiteral("created"), created},
                {QStringLiteral("owned_by"), QStringLiteral("tenantrelay")}};
    }
};

// Anthropic's dialect: /v1/messages, count_tokens, and models asked for with anthropic-version.
class AnthropicClientFront final : public ClientFront
{
public:
    Dialect dialect() const override { return Dialect::Anthropic; }
    HttpHeaders baseHeaders(const QByteArray &requestId) const override
    {
        HttpHeaders headers = ClientFront::baseHeaders(requestId);
        headers.emplaceBack(QByteArrayLiteral("request-id"),
                            requestId); // what Anthropic's SDKs read
        return headers;
    }
    QByteArray errorBody(const ApiError &error) const override
    {
        return anthropic_ingress::errorBody(error);
    }
    QByteArray streamErrorEvent(const ApiError &error) const override
    {
        return anthropic_ingress::errorEvent(error.status, error.message);
    }
    QByteArray modelsList(const QStringList &models, qint64 created) const override
    {
        QList<anthropic_ingress::ModelEntry> entries;
        for (const QString &id : models)
            entries.append({id, created});
        return compact(anthropic_ingress::modelList(entries));
    }
    QByteArray model(const QString &id, qint64 created) const override
    {
        return compact(anthropic_ingress::modelObject(id, created));
    }
};

} // namespace

const ClientFront &ClientFront::of(Dialect dialect)
{
    static const OpenAIClientFront openai;
    static const AnthropicClientFront anthropic;
    if (dialect == Dialect::Anthropic)
        return anthropic;
    return openai;
}

HttpHeaders ClientFront::baseHeaders(const QByteArray &requestId) const
{
    HttpHeaders headers;
    headers.reserve(12); // room for what the call adds: upstream, cost, six limit headers
    headers.emplaceBack(QByteArrayLiteral("content-type"), QByteArrayLiteral("application/json"));
    headers.emplaceBack(QByteArrayLiteral("x-request-id"), requestId);
    return headers;
}

} // namespace relay
