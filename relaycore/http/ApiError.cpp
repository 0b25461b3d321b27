#include "ApiError.h"

namespace relay {

QByteArray jsonQuote(QByteArrayView value)
{
    QByteArray out;
    out.reserve(value.size() + 2);
    out += '"';
    for (const char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                char buf[8];
                qsnprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += ch;
            }
        }
    }
    out += '"';
    return out;
}

QByteArray ApiError::body() const
{
    return "{\"error\":{\"message\":" + jsonQuote(message) + ",\"type\":" + jsonQuote(type) +
           ",\"param\":null,\"code\":" + (code.isEmpty() ? QByteArray("null") : jsonQuote(code)) +
           "}}";
}

ApiError ApiError::invalidApiKey(const QByteArray &message)
{
    return {401, "invalid_request_error", "invalid_api_key", message, {}};
}

ApiError ApiError::ipNotAllowed(const QByteArray &address)
{
    return {403,
            "invalid_request_error",
            "ip_not_allowed",
            "Requests from " + address + " are not allowed for this API key's tenant.",
            {}};
}

ApiError ApiError::modelNotFound(const QByteArray &model)
{
    return {404,
            "invalid_request_error",
            "model_not_found",
            "The model `" + model + "` does not exist or you do not have access to it.",
            {}};
}

ApiError ApiError::badRequest(const QByteArray &message)
{
    return {400, "invalid_request_error", "invalid_request_error", message, {}};
}

ApiError ApiError::notFound(const QByteArray &path)
{
    return {404, "invalid_request_error", "unknown_url", "Unknown request URL: " + path, {}};
}

ApiError ApiError::methodNotAllowed()
{
    return {405,
            "invalid_request_error",
            "method_not_allowed",
            "This method is not supported for this URL.",
            {}};
}

ApiError ApiError::tooLarge()
{
    return {413,
            "invalid_request_error",
            "request_too_large",
            "The request body is larger than the relay accepts.",
            {}};
}

ApiError ApiError::headersTooLarge()
{
    return {431,
            "invalid_request_error",
            "request_header_fields_too_large",
            "The request headers are larger than 32 KiB.",
            {}};
}

ApiError ApiError::requestTimeout()
{
    return {408,
            "invalid_request_error",
            "request_timeout",
            "The request headers did not arrive in time.",
            {}};
}

ApiError ApiError::upstreamError(const QByteArray &message)
{
    return {502, "server_error", "upstream_error", message, {}};
}

ApiError ApiError::overloaded(const QByteArray &message, int retryAfterSeconds)
{
    return {503,
            "server_error",
            "server_overloaded",
            message,
            {{"retry-after", QByteArray::number(retryAfterSeconds)}}};
}

ApiError ApiError::paused()
{
    return {503,
            "server_error",
            "relay_paused",
            "The relay is paused by its operator: it takes no new requests for now. Retry later.",
            {{"retry-after", QByteArray::number(kPausedRetryAfterSeconds)}}};
}

ApiError ApiError::rateLimited(const QByteArray &type, const QByteArray &message,
                               qint64 retryAfterMs, bool final)
{
    ApiError e{429, type, "rate_limit_exceeded", message, {}};
    if (final) {
        e.extraHeaders.emplaceBack("x-should-retry", "false");
        return e;
    }
    const qint64 ms = qMax<qint64>(1, retryAfterMs);
    e.extraHeaders.emplaceBack("retry-after", QByteArray::number((ms + 999) / 1000));
    e.extraHeaders.emplaceBack("retry-after-ms", QByteArray::number(ms));
    return e;
}

ApiError ApiError::insufficientQuota()
{
    return {429,
            "insufficient_quota",
            "insufficient_quota",
            "You exceeded your current quota: this tenant's budget for the month is used up.",
            {{"x-should-retry", "false"}}};
}

ApiError ApiError::internal(const QByteArray &message)
{
    return {500, "server_error", "internal_error", message, {}};
}

ApiError ApiError::fromParserStatus(int status, const QByteArray &message)
{
    switch (status) {
    case 413:
        return tooLarge();
    case 431:
        return headersTooLarge();
    case 408:
        return requestTimeout();
    case 501:
        return {
            501, "invalid_request_error", "not_implemented", "Unsupported request: " + message, {}};
    case 503:
        return overloaded(message, 1);
    case 505:
        return {505,
                "invalid_request_error",
                "http_version_not_supported",
                "Unsupported HTTP version: " + message,
                {}};
    default:
        return badRequest("Malformed HTTP request: " + message);
    }
}

} // namespace relay
