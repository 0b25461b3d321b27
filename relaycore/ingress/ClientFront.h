#pragma once

#include "RequestBody.h"
#include "http/ApiError.h"

#include <QByteArray>
#include <QStringList>

namespace relay {

// One client dialect's face of the relay (design.md, "Ingress dialects"): the shape its clients
// get errors, models and response headers in. The request itself goes through the same stages
// whatever its dialect; the front only speaks to the client. Stateless; one instance per dialect.
class ClientFront
{
public:
    virtual ~ClientFront() = default;

    static const ClientFront &of(Dialect dialect);
    // The front of the dialect a request's path speaks.
    static const ClientFront &forPath(QByteArrayView path) { return of(dialectOfPath(path)); }

    virtual Dialect dialect() const = 0;
    // content-type and x-request-id, and what else this dialect's clients read on every answer.
    virtual HttpHeaders baseHeaders(const QByteArray &requestId) const;
    // The error's body in this dialect's shape.
    virtual QByteArray errorBody(const ApiError &error) const = 0;
    // The error as the one event that ends a stream already under way.
    virtual QByteArray streamErrorEvent(const ApiError &error) const = 0;
    // GET /v1/models and /v1/models/{id} (`created` in Unix seconds).
    virtual QByteArray modelsList(const QStringList &models, qint64 created) const = 0;
    virtual QByteArray model(const QString &id, qint64 created) const = 0;
};

} // namespace relay
