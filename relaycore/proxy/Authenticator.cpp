#include "Authenticator.h"

#include "http/ApiError.h"
#include "http/HttpMessage.h"
#include "tenants/ApiKey.h"
#include "tenants/DirectorySnapshot.h"

#include <QDateTime>

namespace relay {

namespace {

QByteArray tenantKey(const HttpRequest &request)
{
    const QByteArray auth = request.header("authorization");
    if (auth.size() > 7 && auth.left(7).toLower() == "bearer ")
        return auth.mid(7).trimmed();
    return request.header("x-api-key").trimmed();
}

} // namespace

bool sameSecret(const QByteArray &given, const QByteArray &expected)
{
    if (given.size() != expected.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < given.size(); ++i)
        diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
    return diff == 0;
}

Authenticated authenticate(const HttpRequest &request, const DirectorySnapshot &directory,
                           qint64 nowMs, ApiError *error)
{
    const QByteArray key = tenantKey(request);
    if (key.isEmpty()) {
        *error =
            ApiError::invalidApiKey("You didn't provide an API key. Send it as 'Authorization: "
                                    "Bearer YOUR_KEY' or 'x-api-key: YOUR_KEY'.");
        return {};
    }
    const auto it = directory.keysByHash.constFind(ApiKey::hash(key));
    if (it == directory.keysByHash.cend() || it->revoked) {
        *error = ApiError::invalidApiKey("Incorrect API key provided.");
        return {};
    }
    if (it->expiredAt(nowMs)) {
        *error = ApiError::invalidApiKey("This API key expired at " +
                                         QDateTime::fromMSecsSinceEpoch(*it->expiresMs)
                                             .toUTC()
                                             .toString(Qt::ISODate)
                                             .toLatin1() +
                                         ".");
        return {};
    }
    const auto tenant = directory.tenants.constFind(it->tenantId);
    if (tenant == directory.tenants.cend() || !tenant->enabled) {
        *error = ApiError::invalidApiKey("This API key belongs to a disabled tenant.");
        return {};
    }
    return {&*tenant, it->prefix};
}

std::optional<ApiError> checkAddress(const TenantConfig &tenant, const QHostAddress &peer)
{
    if (tenant.allowIps.allows(peer))
        return std::nullopt;
    return ApiError::ipNotAllowed(peer.toString().toLatin1());
}

} // namespace relay
