#pragma once

#include <QHash>
#include <QString>

#include <mutex>
#include <optional>

namespace relay {

class Clock;

// Which upstream created each Responses API response, per tenant, for 30 days (interface.md §3):
// a request with previous_response_id goes to that upstream only. Bounded: past kMaxEntries the
// oldest half is forgotten. Thread-safe; time from the injected clock.
class ResponseOrigins
{
public:
    static constexpr qint64 kKeepMs = 30LL * 24 * 3600 * 1000;
    static constexpr qsizetype kMaxEntries = 200'000;

    explicit ResponseOrigins(Clock &clock) : m_clock(clock) {}

    void remember(const QString &tenant, const QString &responseId, const QString &upstream);
    // The upstream that created `responseId` for `tenant`, nullopt when unknown or expired.
    std::optional<QString> upstreamOf(const QString &tenant, const QString &responseId) const;

private:
    struct Origin
    {
        QString upstream;
        qint64 wallMs = 0;
    };
    static QString key(const QString &tenant, const QString &responseId)
    {
        return tenant + QLatin1Char('\n') + responseId;
    }

    Clock &m_clock;
    mutable std::mutex m_mutex;
    QHash<QString, Origin> m_origins;
};

} // namespace relay
