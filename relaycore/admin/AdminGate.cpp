#include "AdminGate.h"

#include "core/Clock.h"
#include "proxy/Authenticator.h"

namespace relay {

AdminGate::AdminGate(QByteArray adminToken, QByteArray readOnlyToken, Clock &clock)
    : m_adminToken(std::move(adminToken)), m_readOnlyToken(std::move(readOnlyToken)), m_clock(clock)
{
}

AdminGate::Verdict AdminGate::check(const QByteArray &authorization, const QHostAddress &peer)
{
    const qint64 now = m_clock.monotonicMs();
    const QByteArray address = peer.toString().toUtf8();
    // Both compared, whatever the first gives, so that the time taken tells nothing.
    const bool admin =
        !m_adminToken.isEmpty() && sameSecret(authorization, "Bearer " + m_adminToken);
    const bool readOnly =
        !m_readOnlyToken.isEmpty() && sameSecret(authorization, "Bearer " + m_readOnlyToken);

    std::lock_guard lock(m_mutex);
    auto it = m_attempts.find(address);
    if (it != m_attempts.end() && it->blockedUntilMs > now)
        return {Access::Blocked, it->blockedUntilMs - now};
    if (admin)
        return {Access::Admin, 0};
    if (readOnly)
        return {Access::ReadOnly, 0};
    if (it == m_attempts.end()) {
        if (m_attempts.size() >= kMaxAddresses)
            forgetIdle(now);
        it = m_attempts.insert(address, {});
    }
    std::deque<qint64> &failures = it->failures;
    while (!failures.empty() && failures.front() <= now - kWindowMs)
        failures.pop_front();
    failures.push_back(now);
    if (int(failures.size()) >= kMaxFailures) {
        failures.clear();
        it->blockedUntilMs = now + kBlockMs;
    }
    return {Access::Refused, 0};
}

void AdminGate::forgetIdle(qint64 nowMs)
{
    for (auto it = m_attempts.begin(); it != m_attempts.end();) {
        const bool recent = it->blockedUntilMs > nowMs ||
                            (!it->failures.empty() && it->failures.back() > nowMs - kWindowMs);
        it = recent ? std::next(it) : m_attempts.erase(it);
    }
    // All recent (a flood from many addresses): the table still stays bounded.
    while (m_attempts.size() >= kMaxAddresses)
        m_attempts.erase(m_attempts.begin());
}

} // namespace relay
