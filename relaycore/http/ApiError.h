#pragma once

#include "HttpMessage.h"

#include <QByteArray>

namespace relay {

// An error as a tenant sees it: HTTP status plus OpenAI's error body
// {"error":{"message","type","param","code"}}. Every refusal of the relay is built here,
// so the table of interface.md §3 lives in one place.
struct ApiError
{
    int status = 500;
    QByteArray type;
    QByteArray code;
    QByteArray message;
    HttpHeaders extraHeaders;

    QByteArray body() const;

    static ApiError invalidApiKey(const QByteArray &message);
    // 403 ip_not_allowed: the caller's address is not in the tenant's --allow-ips.
    static ApiError ipNotAllowed(const QByteArray &address);
    static ApiError modelNotFound(const QByteArray &model);
    static ApiError badRequest(const QByteArray &message);
    static ApiError notFound(const QByteArray &path);
    static ApiError methodNotAllowed();
    static ApiError tooLarge();
    static ApiError headersTooLarge();
    static ApiError requestTimeout();
    static ApiError upstreamError(const QByteArray &message);
    static ApiError overloaded(const QByteArray &message, int retryAfterSeconds);
    // 503 relay_paused with Retry-After (kPausedRetryAfterSeconds): the relay's operator paused
    // new requests (the console's "Pause new requests").
    static ApiError paused();
    static constexpr int kPausedRetryAfterSeconds = 10;
    static ApiError internal(const QByteArray &message);
    // 429 rate_limit_exceeded of type "requests" or "tokens", with Retry-After (whole seconds,
    // rounded up) and retry-after-ms; `final` adds x-should-retry: false (it can never fit).
    static ApiError rateLimited(const QByteArray &type, const QByteArray &message,
                                qint64 retryAfterMs, bool final = false);
    // 429 insufficient_quota with x-should-retry: false: the tenant's hard budget is used up.
    static ApiError insufficientQuota();
    // From the request parser's refusal (400, 408, 413, 431, 501, 503, 505).
    static ApiError fromParserStatus(int status, const QByteArray &message);
};

// JSON string literal (with quotes) for a UTF-8 value.
QByteArray jsonQuote(QByteArrayView value);

} // namespace relay
