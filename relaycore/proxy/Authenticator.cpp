#include "Authenticator.h"

#include "http/ApiError.h"
#include "http/HttpMessage.h"
#include "tenants/ApiKey.h"
#include "tenants/DirectorySnapshot.h"

#include <QDateTime>

namespace relay {

namespace {

// The key, a view into `holder`.
QByteArrayView tenantKey(const HttpRequest &request, QByteArray &holder)
{
    holder = request.header("authorization");
    if (holder.size() > 7 && qstrnicmp(holder.constData(), "bearer ", 7) == 0)
        return QByteArrayView(holder).sliced(7).trimmed();
    holder = request.header("x-api-key");
    return QByteArrayView(holder).trimmed();
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
    QByteArray holder;
    const QByteArrayView key = tenantKey(request, holder);
    if (key.isEmpty()) {
        *error =
            ApiError::invalidApiKey("You didn't provide an API key. Send it as 'Authorization: "
                                    "Bearer YOUR_KEY' or 'x-api-key: YOUR_KEY'.");
        return {};
    }
    if (request.keyHash.isEmpty())
        request.keyHash = ApiKey::hash(key);
    const auto it = directory.keysByHash.constFind(request.keyHash);
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
