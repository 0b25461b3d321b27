#include "AdminService.h"

#include "store/AdminRows.h"
#include "store/ConfigLoader.h"
#include "store/RelayState.h"
#include "store/SqlExec.h"
#include "tenants/DirectorySnapshot.h"

namespace relay {

using namespace adminrows;

namespace {

// The audit view of an upstream: whether a key is stored, never the key.
QJsonObject upstreamJson(const UpstreamRecord &u)
{
    return QJsonObject{
        {QStringLiteral("kind"), u.kind},
        {QStringLiteral("base_url"), u.baseUrl},
        {QStringLiteral("api_key_env"),
         u.apiKeyEnv.isEmpty() ? QJsonValue() : QJsonValue(u.apiKeyEnv)},
        {QStringLiteral("api_key_stored"), u.hasStoredKey},
        {QStringLiteral("max_connections"), u.maxConnections},
        {QStringLiteral("timeout_ms"), u.timeoutMs},
        {QStringLiteral("slow_ms"), u.slowMs ? QJsonValue(double(*u.slowMs)) : QJsonValue()},
        {QStringLiteral("enabled"), u.enabled},
    };
}

} // namespace

AdminValue<UpstreamRecord> AdminService::loadUpstream(const QString &name)
{
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q,
                  QStringLiteral("SELECT %1 FROM upstreams WHERE name = ?")
                      .arg(kUpstreamColumns.join(QStringLiteral(", "))),
                  {name}, &error))
        return dbFailure(error);
    if (!q.next())
        return notFound(QStringLiteral("no upstream '%1'").arg(name));
    return upstreamFromRow(q);
}

AdminResult AdminService::addUpstream(const QString &name, const UpstreamChanges &settings)
{
    if (!isValidId(name))
        return invalid(
            QStringLiteral("invalid upstream name '%1' (use 1-64 of A-Z a-z 0-9 . _ -)").arg(name));
    UpstreamChanges s = settings;
    if (!s.baseUrl)
        return invalid(QStringLiteral("an upstream needs a base URL"));
    if (const AdminResult r = normalizeUpstream(s); !r.ok)
        return r;
    UpstreamRecord u;
    u.name = name;
    u.kind = s.kind.value_or(QStringLiteral("openai"));
    u.baseUrl = *s.baseUrl;
    u.apiKeyEnv = s.apiKeyEnv.value_or(QString());
    u.hasStoredKey = s.apiKey.has_value();
    u.maxConnections = s.maxConnections.value_or(u.maxConnections);
    u.timeoutMs = s.timeoutMs.value_or(u.timeoutMs);
    u.slowMs = s.slowMs.value_or(std::nullopt);
    u.enabled = s.enabled.value_or(true);

    return write([&](AuditRecord &audit) -> AdminResult {
        const AdminValue<UpstreamRecord> existing = loadUpstream(name);
        if (existing.ok)
            return conflict(QStringLiteral("upstream '%1' already exists").arg(name));
        if (existing.kind != AdminErrorKind::NotFound)
            return existing;
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(
                q,
                QStringLiteral(
                    "INSERT INTO upstreams (name, position, kind, base_url, api_key_env, "
                    "api_key, max_connections, timeout_ms, enabled, created_at, slow_ms) VALUES "
                    "(?, (SELECT COALESCE(MAX(position), 0) + 1 FROM upstreams), "
                    "?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {name, u.kind, u.baseUrl,
                 u.apiKeyEnv.isEmpty() ? QVariant() : QVariant(u.apiKeyEnv),
                 s.apiKey ? QVariant(*s.apiKey) : QVariant(), u.maxConnections, u.timeoutMs,
                 u.enabled ? 1 : 0, now(), u.slowMs ? QVariant(*u.slowMs) : QVariant()},
                &error))
            return dbFailure(error);
        audit = {0,    {}, QStringLiteral("upstream.add"),
                 name, {}, beforeAfter(QJsonValue(), upstreamJson(u))};
        return {};
    });
}

AdminResult AdminService::setUpstream(const QString &name, const UpstreamChanges &changes)
{
    UpstreamChanges c = changes;
    if (c.isEmpty())
        return AdminResult::nothingToChange();
    if (const AdminResult r = normalizeUpstream(c); !r.ok)
        return r;
    return write([&](AuditRecord &audit) -> AdminResult {
        const AdminValue<UpstreamRecord> before = loadUpstream(name);
        if (!before.ok)
            return before;
        UpstreamRecord u = before.value;
        u.kind = c.kind.value_or(u.kind);
        u.baseUrl = c.baseUrl.value_or(u.baseUrl);
        u.maxConnections = c.maxConnections.value_or(u.maxConnections);
        u.timeoutMs = c.timeoutMs.value_or(u.timeoutMs);
        u.enabled = c.enabled.value_or(u.enabled);
        u.slowMs = c.slowMs.value_or(u.slowMs);
        QString statement = QStringLiteral("UPDATE upstreams SET kind = ?, base_url = ?, "
                                           "api_key_env = ?, max_connections = ?, "
                                           "timeout_ms = ?, enabled = ?, slow_ms = ?");
        // One key source at a time: naming a variable forgets a stored key and vice versa.
        QVariantList values;
        if (c.apiKeyEnv) {
            u.apiKeyEnv = *c.apiKeyEnv;
            u.hasStoredKey = false;
            statement += QStringLiteral(", api_key = NULL");
        } else if (c.apiKey) {
            u.apiKeyEnv.clear();
            u.hasStoredKey = true;
            statement += QStringLiteral(", api_key = ?");
        }
        values << u.kind << u.baseUrl
               << (u.apiKeyEnv.isEmpty() ? QVariant() : QVariant(u.apiKeyEnv)) << u.maxConnections
               << u.timeoutMs << (u.enabled ? 1 : 0)
               << (u.slowMs ? QVariant(*u.slowMs) : QVariant());
        if (c.apiKey && !c.apiKeyEnv)
            values << *c.apiKey;
        values << name;
        statement += QStringLiteral(" WHERE name = ?");
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q, statement, values, &error))
            return dbFailure(error);
        audit = {0,    {}, QStringLiteral("upstream.set"),
                 name, {}, beforeAfter(upstreamJson(before.value), upstreamJson(u))};
        return {};
    });
}

AdminResult AdminService::removeUpstream(const QString &name)
{
    return write([&](AuditRecord &audit) -> AdminResult {
        const AdminValue<UpstreamRecord> before = loadUpstream(name);
        if (!before.ok)
            return before;
        const AdminValue<QList<RouteRecord>> routes = listRoutes();
        if (!routes.ok)
            return routes;
        QStringList users;
        for (const RouteRecord &route : routes.value)
            for (const QString &target : route.targets)
                if (targetUpstream(target) == name && !users.contains(route.model))
                    users.append(route.model);
        if (!users.isEmpty())
            return conflict(QStringLiteral("upstream '%1' is used by the route(s) of %2; change "
                                           "or remove them first")
                                .arg(name, users.join(QStringLiteral(", "))));
        if (const AdminValue<QString> pinned = pinnedUpstream(); !pinned.ok)
            return pinned;
        else if (pinned.value == name)
            return conflict(
                QStringLiteral("upstream '%1' is pinned; run `failover unpin` first").arg(name));
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q, QStringLiteral("DELETE FROM upstreams WHERE name = ?"), {name}, &error))
            return dbFailure(error);
        audit = {0,    {}, QStringLiteral("upstream.remove"),
                 name, {}, beforeAfter(upstreamJson(before.value), QJsonValue())};
        return {};
    });
}

AdminValue<QList<UpstreamRecord>> AdminService::listUpstreams()
{
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q,
                  QStringLiteral("SELECT %1 FROM upstreams ORDER BY position")
                      .arg(kUpstreamColumns.join(QStringLiteral(", "))),
                  {}, &error))
        return dbFailure(error);
    QList<UpstreamRecord> upstreams;
    while (q.next())
        upstreams.append(upstreamFromRow(q));
    q.finish();
    // The reserved slots as the relay computes them, after scaling: read from a snapshot of the
    // same tables the relay loads.
    const DirectorySnapshotPtr snapshot = ConfigLoader::load(m_db, &error);
    if (!snapshot)
        return dbFailure(error);
    const QHash<QString, QHash<QString, int>> reservations = snapshot->reservations();
    QStringList names;
    for (const UpstreamRecord &u : upstreams)
        names.append(u.name);
    const QHash<QString, QString> states = RelayState::upstreamStates(m_db, names, now());
    for (UpstreamRecord &u : upstreams) {
        for (const int slots : reservations.value(u.name))
            u.reserved += slots;
        u.state = states.value(u.name, u.state);
    }
    return upstreams;
}

AdminResult AdminService::pinUpstream(const QString &name)
{
    return write([&](AuditRecord &audit) -> AdminResult {
        const AdminValue<UpstreamRecord> upstream = loadUpstream(name);
        if (!upstream.ok)
            return upstream;
        if (!upstream.value.enabled)
            return invalid(
                QStringLiteral("upstream '%1' is disabled; enable it before pinning it").arg(name));
        const AdminValue<QString> before = pinnedUpstream();
        if (!before.ok)
            return before;
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q, QStringLiteral("UPDATE config_state SET pinned_upstream = ? WHERE id = 1"),
                      {name}, &error))
            return dbFailure(error);
        audit = {
            0,
            {},
            QStringLiteral("failover.pin"),
            name,
            {},
            beforeAfter(before.value.isEmpty() ? QJsonValue() : QJsonValue(before.value), name)};
        return {};
    });
}

AdminValue<QString> AdminService::unpinUpstream()
{
    AdminValue<QString> previous;
    const AdminResult result = write([&](AuditRecord &audit) -> AdminResult {
        previous = pinnedUpstream();
        if (!previous.ok)
            return previous;
        if (previous.value.isEmpty())
            return conflict(QStringLiteral("no upstream is pinned"));
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q,
                      QStringLiteral("UPDATE config_state SET pinned_upstream = NULL WHERE id = 1"),
                      {}, &error))
            return dbFailure(error);
        audit = {0,
                 {},
                 QStringLiteral("failover.unpin"),
                 previous.value,
                 {},
                 beforeAfter(previous.value, QJsonValue())};
        return {};
    });
    if (!result.ok)
        return result;
    return previous;
}

AdminValue<UpstreamConfig> AdminService::upstreamConfig(const QString &name)
{
    QString error;
    const DirectorySnapshotPtr directory = ConfigLoader::load(m_db, &error);
    if (!directory)
        return dbFailure(error);
    for (const UpstreamConfig &u : directory->upstreams)
        if (u.name == name)
            return u;
    return notFound(QStringLiteral("no upstream '%1'").arg(name));
}

AdminValue<UpstreamConfig> AdminService::upstreamTestConfig(const QString &savedName,
                                                            const UpstreamChanges &settings)
{
    UpstreamChanges c = settings;
    if (const AdminResult r = normalizeUpstream(c); !r.ok)
        return r;
    UpstreamConfig u;
    if (!savedName.isEmpty()) {
        const AdminValue<UpstreamConfig> saved = upstreamConfig(savedName);
        if (!saved.ok)
            return saved;
        u = saved.value;
    } else if (!c.baseUrl) {
        return invalid(QStringLiteral("an upstream needs a base URL"), QStringLiteral("base_url"));
    }
    u.kind = c.kind.value_or(u.kind);
    u.baseUrl = c.baseUrl.value_or(u.baseUrl);
    u.timeoutMs = c.timeoutMs.value_or(u.timeoutMs);
    u.maxConnections = c.maxConnections.value_or(u.maxConnections);
    // One key source at a time, as setUpstream keeps them.
    if (c.apiKeyEnv) {
        u.apiKeyEnv = *c.apiKeyEnv;
        u.apiKey.clear();
    } else if (c.apiKey) {
        u.apiKey = *c.apiKey;
        u.apiKeyEnv.clear();
    }
    QString error;
    if (!u.parseBaseUrl(&error))
        return invalid(error, QStringLiteral("base_url"));
    return u;
}

AdminValue<QString> AdminService::pinnedUpstream()
{
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q, QStringLiteral("SELECT pinned_upstream FROM config_state WHERE id = 1"), {},
                  &error))
        return dbFailure(error);
    return q.next() ? q.value(0).toString() : QString();
}

} // namespace relay
