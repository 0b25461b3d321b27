#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>

#include <deque>
#include <mutex>

namespace relay {

class Clock;

// Who may use the admin API (interface.md §5): the bearer token is compared in constant time
// with the admin token and the read-only one; after 10 failed attempts within a minute an
// address is refused for 60 s, with the right token or not. Thread-safe: every worker asks.
class AdminGate
{
public:
    enum class Access { Refused, Blocked, ReadOnly, Admin };
    struct Verdict
    {
        Access access = Access::Refused;
        qint64 retryAfterMs = 0; // Blocked: until the address may try again
    };

    static constexpr int kMaxFailures = 10;
    static constexpr qint64 kWindowMs = 60'000;
    static constexpr qint64 kBlockMs = 60'000;
    // Addresses remembered at once; beyond it, the ones with nothing recent are forgotten.
    static constexpr qsizetype kMaxAddresses = 10'000;

    // No admin token: the admin API is off (every /admin/ path answers 404).
    AdminGate(QByteArray adminToken, QByteArray readOnlyToken, Clock &clock);

    bool isEnabled() const { return !m_adminToken.isEmpty(); }
    // `authorization` is the request's Authorization header as sent.
    Verdict check(const QByteArray &authorization, const QHostAddress &peer);

private:
    struct Attempts
    {
        std::deque<qint64> failures; // monotonic ms, oldest first, within the window
        qint64 blockedUntilMs = 0;
    };
    void forgetIdle(qint64 nowMs);

    const QByteArray m_adminToken;
    const QByteArray m_readOnlyToken;
    Clock &m_clock;
    std::mutex m_mutex;
    QHash<QByteArray, Attempts> m_attempts; // by address
};

} // namespace relay
