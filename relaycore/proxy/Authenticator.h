#pragma once

#include <QByteArray>
#include <QString>

namespace relay {

class DirectorySnapshot;
struct ApiError;
struct HttpRequest;
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

// The tenant of the request's key, or (tenant null) *error: a missing, unknown or revoked key,
// or a disabled tenant (401 invalid_api_key).
Authenticated authenticate(const HttpRequest &request, const DirectorySnapshot &directory,
                           ApiError *error);

// Compares without stopping at the first difference, so timing tells nothing about a secret.
bool sameSecret(const QByteArray &given, const QByteArray &expected);

} // namespace relay
