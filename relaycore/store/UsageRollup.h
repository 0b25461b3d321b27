#pragma once

#include "metrics/LatencyHistogram.h"
#include "store/UsageRecord.h"

#include <QSqlDatabase>
#include <QString>

#include <map>
#include <tuple>

struct sqlite3;
struct sqlite3_stmt;

namespace relay {

// Hourly usage figures per tenant, model and upstream (the usage_hourly table), accumulated in
// memory from usage rows and then added to the table with one upsert per key. The usage writer
// does this for each batch in the batch's own transaction; `usage`, `report costs`, budgets and
// `/v1/usage` read the table, so they never scan the raw rows.
class UsageRollup
{
public:
    static constexpr qint64 kHourMs = 3'600'000;

    struct Key
    {
        qint64 hourMs = 0; // the hour's start, ms since epoch (UTC)
        QString tenant;
        QString model;    // the name priced: sent upstream, else requested
        QString upstream; // empty = none

        bool operator<(const Key &o) const
        {
            return std::tie(hourMs, tenant, model, upstream) <
                   std::tie(o.hourMs, o.tenant, o.model, o.upstream);
        }
        bool operator==(const Key &o) const = default;
    };

    struct Figures
    {
        qint64 requests = 0; // served
        qint64 rejected = 0;
        qint64 errors = 0; // served with a status >= 400
        qint64 promptTokens = 0;
        qint64 completionTokens = 0;
        double costUsd = 0;
        LatencyHistogram::Counts latency; // of the served requests
    };

    UsageRollup() = default;
    // It points into its own map.
    UsageRollup(const UsageRollup &) = delete;
    UsageRollup &operator=(const UsageRollup &) = delete;

    // The model a usage row counts under: the served model, else the requested one.
    static QString modelOf(const UsageRecord &record);

    void add(const UsageRecord &record);
    void add(const Key &key, bool rejected, int status, qint64 promptTokens,
             qint64 completionTokens, double costUsd, qint64 latencyMs);
    bool isEmpty() const { return m_figures.empty(); }
    size_t size() const { return m_figures.size(); }
    void clear()
    {
        m_figures.clear();
        m_last = nullptr;
    }
    const std::map<Key, Figures> &figures() const { return m_figures; }

    // The upsert that adds one key's figures (prepare it once, pass it to writeWith).
    static const char *upsertSql();
    // Adds every key's figures to usage_hourly; runs inside the caller's transaction. False
    // (with the connection's error message available from SQLite) when a step failed.
    bool writeWith(sqlite3_stmt *upsert) const;
    bool writeTo(sqlite3 *handle) const;

    // Registers relay_hist_merge(a, b), which adds two latency_hist blobs, on a connection.
    // Database::open does it for every connection it opens.
    static bool registerFunctions(sqlite3 *handle);

private:
    std::map<Key, Figures> m_figures;
    // The key added to last and its figures: a batch's rows are mostly one tenant's one model
    // on one upstream in one hour, so most rows go there without a search of the map.
    Key m_lastKey;
    Figures *m_last = nullptr;
};

} // namespace relay
