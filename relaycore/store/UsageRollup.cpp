#include "UsageRollup.h"

#include "SqliteBind.h"

#include <sqlite3.h>

namespace relay {

namespace {

LatencyHistogram::Counts countsOf(sqlite3_value *value)
{
    if (sqlite3_value_type(value) != SQLITE_BLOB)
        return {};
    return LatencyHistogram::Counts::fromBlob(static_cast<const char *>(sqlite3_value_blob(value)),
                                              sqlite3_value_bytes(value));
}

void histMerge(sqlite3_context *context, int argc, sqlite3_value **argv)
{
    if (argc != 2)
        return;
    const bool leftNull = sqlite3_value_type(argv[0]) == SQLITE_NULL;
    const bool rightNull = sqlite3_value_type(argv[1]) == SQLITE_NULL;
    if (leftNull && rightNull) {
        sqlite3_result_null(context);
        return;
    }
    LatencyHistogram::Counts merged = countsOf(argv[0]);
    merged += countsOf(argv[1]);
    const QByteArray blob = merged.toBlob();
    sqlite3_result_blob(context, blob.constData(), int(blob.size()), SQLITE_TRANSIENT);
}

} // namespace

QString UsageRollup::modelOf(const UsageRecord &record)
{
    const QString &model =
        record.servedModel.isEmpty() ? record.requestedModel : record.servedModel;
    return model.isNull() ? QStringLiteral("") : model;
}

void UsageRollup::add(const UsageRecord &r)
{
    add({r.tsMs - r.tsMs % kHourMs, r.tenantId.isNull() ? QStringLiteral("") : r.tenantId,
         modelOf(r), r.upstream.isNull() ? QStringLiteral("") : r.upstream},
        r.rejected, r.status, r.promptTokens, r.completionTokens, r.costUsd, r.latencyMs);
}

void UsageRollup::add(const Key &key, bool rejected, int status, qint64 promptTokens,
                      qint64 completionTokens, double costUsd, qint64 latencyMs)
{
    if (!m_last || !(key == m_lastKey)) {
        m_last = &m_figures[key];
        m_lastKey = key;
    }
    Figures &f = *m_last;
    if (rejected) {
        ++f.rejected;
    } else {
        ++f.requests;
        if (status >= 400)
            ++f.errors;
        f.latency.add(latencyMs);
    }
    f.promptTokens += promptTokens;
    f.completionTokens += completionTokens;
    f.costUsd += costUsd;
}

const char *UsageRollup::upsertSql()
{
    return "INSERT INTO usage_hourly (hour, tenant_id, model, upstream, requests, rejected, "
           "errors, prompt_tokens, completion_tokens, cost_usd, latency_hist) "
           "VALUES (?,?,?,?,?,?,?,?,?,?,?) "
           "ON CONFLICT (hour, tenant_id, model, upstream) DO UPDATE SET "
           "requests = requests + excluded.requests, rejected = rejected + excluded.rejected, "
           "errors = errors + excluded.errors, "
           "prompt_tokens = prompt_tokens + excluded.prompt_tokens, "
           "completion_tokens = completion_tokens + excluded.completion_tokens, "
           "cost_usd = cost_usd + excluded.cost_usd, "
           "latency_hist = relay_hist_merge(latency_hist, excluded.latency_hist)";
}

bool UsageRollup::writeWith(sqlite3_stmt *upsert) const
{
    for (const auto &[key, f] : m_figures) {
        sqlite3_reset(upsert);
        sqlite3_bind_int64(upsert, 1, key.hourMs);
        sqlite::bindKeyText(upsert, 2, key.tenant);
        sqlite::bindKeyText(upsert, 3, key.model);
        sqlite::bindKeyText(upsert, 4, key.upstream);
        sqlite3_bind_int64(upsert, 5, f.requests);
        sqlite3_bind_int64(upsert, 6, f.rejected);
        sqlite3_bind_int64(upsert, 7, f.errors);
        sqlite3_bind_int64(upsert, 8, f.promptTokens);
        sqlite3_bind_int64(upsert, 9, f.completionTokens);
        sqlite3_bind_double(upsert, 10, f.costUsd);
        if (f.latency.count == 0) {
            sqlite3_bind_null(upsert, 11);
        } else {
            const QByteArray blob = f.latency.toBlob();
            sqlite3_bind_blob(upsert, 11, blob.constData(), int(blob.size()), SQLITE_TRANSIENT);
        }
        if (sqlite3_step(upsert) != SQLITE_DONE) {
            sqlite3_reset(upsert);
            return false;
        }
    }
    sqlite3_reset(upsert);
    return true;
}

bool UsageRollup::writeTo(sqlite3 *handle) const
{
    sqlite3_stmt *upsert = nullptr;
    if (sqlite3_prepare_v2(handle, upsertSql(), -1, &upsert, nullptr) != SQLITE_OK)
        return false;
    const bool ok = writeWith(upsert);
    sqlite3_finalize(upsert);
    return ok;
}

bool UsageRollup::registerFunctions(sqlite3 *handle)
{
    return sqlite3_create_function_v2(handle, "relay_hist_merge", 2,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr, histMerge,
                                      nullptr, nullptr, nullptr) == SQLITE_OK;
}

} // namespace relay
