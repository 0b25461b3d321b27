#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QString>

#include <optional>

namespace relay {

class DirectorySnapshot;
struct ApiError;
struct HttpRequest;
struct KeyConfig;
struct TenantConfig;

// Stage 2 of a request (design.md, "One request, start to end"): the tenant behind its key.
// The key is read from `Authorization: Bearer KEY` (OpenAI SDKs) or `x-api-key: KEY` (Anthropic
// SDKs) and looked up by its SHA-256 in the directory snapshot; nothing else of the request is
// read, so it runs as soon as the headers are complete.
struct Authenticated
{
    const TenantConfig *tenant = nullptr; // null: refused
    QString keyPrefix;

    explicit operator bool() const { return tenant != nullptr; }
};

// The last key a worker found in a directory, and its tenant: a request's key is checked when its
// head arrives and again once its body has, and a connection's next requests mostly carry the
// same key; a key found here costs neither of the directory's look-ups. It holds for one
// directory only (pointers into it): its owner clears it before that directory can go away.
struct AuthMemo
{
    const DirectorySnapshot *directory = nullptr;
    QByteArray keyHash;
    const KeyConfig *key = nullptr;
    const TenantConfig *tenant = nullptr;

    void clear() { *this = AuthMemo(); }
};

// The tenant of the request's key, or (tenant null) *error: a missing, unknown, revoked or
// expired key, or a disabled tenant (401 invalid_api_key). A key's expiry is checked against
// nowMs (the relay's wall clock) on every call, so a key stops working the moment it expires.
// With a memo, a key it holds for this directory is taken from it (expiry still checked), and a
// key found is kept in it.
Authenticated authenticate(const HttpRequest &request, const DirectorySnapshot &directory,
                           qint64 nowMs, ApiError *error, AuthMemo *memo = nullptr);

// The refusal (403 ip_not_allowed) of a caller whose TCP peer address is not in the tenant's
// --allow-ips; nullopt when it may call. Headers such as X-Forwarded-For are never read.
std::optional<ApiError> checkAddress(const TenantConfig &tenant, const QHostAddress &peer);

// Compares without stopping at the first difference, so timing tells nothing about a secret.
bool sameSecret(const QByteArray &given, const QByteArray &expected);

} // namespace relay
