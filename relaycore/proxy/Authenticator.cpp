#include "Authenticator.h"

#include "http/ApiError.h"
#include "http/HttpMessage.h"
#include "tenants/ApiKey.h"
#include "tenants/DirectorySnapshot.h"

#include <QDateTime>
#include <QHash>

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

// The SHA-256 digest (hex) of a key, remembered per thread for keys that matched a key of the
// directory: hashing every request's key was a twentieth of the data path's instructions. Only
// keys that matched are kept (a client trying keys neither fills nor churns it), and the memo maps
// a key to its digest only: revocation, expiry and the tenant are looked up in the current
// directory every time.
class KeyDigests
{
public:
    QByteArray digest(QByteArrayView key, bool *remembered)
    {
        const auto it = m_digests.constFind(QByteArray::fromRawData(key.data(), key.size()));
        *remembered = it != m_digests.cend();
        return *remembered ? *it : ApiKey::hash(key);
    }
    void remember(QByteArrayView key, const QByteArray &digest)
    {
        if (m_digests.size() >= kMaxKeys)
            m_digests.clear();
        m_digests.insert(key.toByteArray(), digest);
    }

private:
    static constexpr qsizetype kMaxKeys = 4096;
    QHash<QByteArray, QByteArray> m_digests;
};

thread_local KeyDigests keyDigests;

void refuseExpired(const KeyConfig &key, ApiError *error)
{
    *error = ApiError::invalidApiKey(
        "This API key expired at " +
        QDateTime::fromMSecsSinceEpoch(*key.expiresMs).toUTC().toString(Qt::ISODate).toLatin1() +
        ".");
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
                           qint64 nowMs, ApiError *error, AuthMemo *memo)
{
    // The key is read once per request: its digest stays with the request.
    QByteArray holder;
    QByteArrayView key;
    bool remembered = true;
    if (request.keyHash.isEmpty()) {
        key = tenantKey(request, holder);
        if (key.isEmpty()) {
            *error =
                ApiError::invalidApiKey("You didn't provide an API key. Send it as 'Authorization: "
                                        "Bearer YOUR_KEY' or 'x-api-key: YOUR_KEY'.");
            return {};
        }
        request.keyHash = keyDigests.digest(key, &remembered);
    }
    if (memo && memo->directory == &directory && memo->keyHash == request.keyHash) {
        if (!remembered)
            keyDigests.remember(key, request.keyHash);
        if (memo->key->expiredAt(nowMs)) {
            refuseExpired(*memo->key, error);
            return {};
        }
        return {memo->tenant, memo->key->prefix};
    }
    const auto it = directory.keysByHash.constFind(request.keyHash);
    if (it != directory.keysByHash.cend() && !remembered)
        keyDigests.remember(key, request.keyHash);
    if (it == directory.keysByHash.cend() || it->revoked) {
        *error = ApiError::invalidApiKey("Incorrect API key provided.");
        return {};
    }
    if (it->expiredAt(nowMs)) {
        refuseExpired(*it, error);
        return {};
    }
    const auto tenant = directory.tenants.constFind(it->tenantId);
    if (tenant == directory.tenants.cend() || !tenant->enabled) {
        *error = ApiError::invalidApiKey("This API key belongs to a disabled tenant.");
        return {};
    }
    if (memo)
        *memo = AuthMemo{&directory, request.keyHash, &*it, &*tenant};
    return {&*tenant, it->prefix};
}

std::optional<ApiError> checkAddress(const TenantConfig &tenant, const QHostAddress &peer)
{
    if (tenant.allowIps.allows(peer))
        return std::nullopt;
    return ApiError::ipNotAllowed(peer.toString().toLatin1());
}

} // namespace relay
