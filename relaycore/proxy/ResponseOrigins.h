#pragma once

#include "store/ResponseOriginStore.h"

#include <QHash>
#include <QList>
#include <QString>

#include <mutex>
#include <optional>

namespace relay {

class Clock;
class UsageWriter;

// Which upstream created each Responses API response, per tenant, for 30 days (interface.md §3):
// a request with previous_response_id goes to that upstream only.
//
// The map here is what the request path reads; it never touches the database. Each origin
// remembered is also handed to the usage writer (queued, written with its next batch into
// response_origins), and a starting engine restores the last 30 days from there, so a
// continuation keeps its upstream across restarts. Response ids over
// ResponseOriginStore::kMaxIdBytes are not remembered at all. Bounded: past kMaxEntries the
// oldest half is forgotten here (the database keeps them until they expire). Entries older than
// 30 days are never answered and are dropped at most an hour later. Thread-safe; time from the
// injected clock.
class ResponseOrigins
{
public:
    static constexpr qint64 kKeepMs = ResponseOriginStore::kKeepMs;
    static constexpr qsizetype kMaxEntries = 200'000;

    explicit ResponseOrigins(Clock &clock, UsageWriter *writer = nullptr)
        : m_clock(clock), m_writer(writer)
    {
    }

    void remember(const QString &tenant, const QString &responseId, const QString &upstream);
    // The upstream that created `responseId` for `tenant`, nullopt when unknown or expired.
    std::optional<QString> upstreamOf(const QString &tenant, const QString &responseId) const;
    // Takes in origins read from the database (at engine start): nothing is written back, and an
    // entry already here that is newer is kept.
    void restore(const QList<ResponseOriginRecord> &origins);
    qsizetype size() const;

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
    // With m_mutex held: drops what has expired (hourly) and, when full, the older half.
    void trim(qint64 nowMs);

    Clock &m_clock;
    UsageWriter *const m_writer;
    mutable std::mutex m_mutex;
    QHash<QString, Origin> m_origins;
    qint64 m_nextExpiryMs = 0;
};

} // namespace relay
