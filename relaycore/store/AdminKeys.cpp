#include "AdminService.h"

#include "store/AdminRows.h"
#include "store/SqlExec.h"
#include "tenants/ApiKey.h"

#include <QJsonArray>

namespace relay {

using namespace adminrows;

namespace {

// A new key's label and end, checked: a label is one line of at most 200 characters.
AdminResult readKeyOptions(const KeyOptions &options, qint64 nowMs, QString *label,
                           std::optional<qint64> *expiresMs)
{
    *label = options.label.trimmed();
    if (label->size() > kMaxNameLength || hasControlChars(*label))
        return invalid(
            QStringLiteral("a key label is at most %1 characters on one line").arg(kMaxNameLength));
    expiresMs->reset();
    if (options.expires.trimmed().isEmpty())
        return {};
    QString error;
    *expiresMs = ApiKey::parseExpiry(options.expires, nowMs, &error);
    if (!*expiresMs)
        return invalid(error);
    return {};
}

} // namespace

AdminResult AdminService::checkKeyOptions(const KeyOptions &options, qint64 nowMs)
{
    QString label;
    std::optional<qint64> expiresMs;
    return readKeyOptions(options, nowMs, &label, &expiresMs);
}

namespace {

// The audit view of a new key: never the key, only how it is named and when it ends.
QJsonObject newKeyJson(const QString &prefix, const QString &label,
                       const std::optional<qint64> &expiresMs)
{
    QJsonObject key{{QStringLiteral("prefix"), prefix}, {QStringLiteral("revoked"), false}};
    if (!label.isEmpty())
        key.insert(QStringLiteral("label"), label);
    if (expiresMs)
        key.insert(QStringLiteral("expires_at"), double(*expiresMs));
    return key;
}

} // namespace

AdminValue<QString> AdminService::insertKey(const QString &tenantId, const QString &label,
                                            const std::optional<qint64> &expiresMs)
{
    QSqlQuery q(m_db);
    QString error;
    // The prefix is how a key is named in listings and revoked, so keep it unique.
    QString key;
    do {
        key = ApiKey::generate();
        if (!sql::run(q, QStringLiteral("SELECT 1 FROM api_keys WHERE prefix = ?"),
                      {ApiKey::prefix(key)}, &error))
            return dbFailure(error);
    } while (q.next());
    if (!sql::run(
            q,
            QStringLiteral("INSERT INTO api_keys (hash, prefix, tenant_id, created_at, label, "
                           "expires_at) VALUES (?, ?, ?, ?, ?, ?)"),
            {QString::fromLatin1(ApiKey::hash(key.toUtf8())), ApiKey::prefix(key), tenantId, now(),
             textColumn(label), expiresMs ? QVariant(*expiresMs) : QVariant()},
            &error))
        return dbFailure(error);
    return key;
}

AdminValue<QStringList> AdminService::activeKeyPrefixes(const QString &tenantId)
{
    QSqlQuery q(m_db);
    QString error;
    if (!sql::run(q,
                  QStringLiteral("SELECT prefix FROM api_keys WHERE tenant_id = ? AND revoked = 0 "
                                 "ORDER BY created_at, prefix"),
                  {tenantId}, &error))
        return dbFailure(error);
    QStringList prefixes;
    while (q.next())
        prefixes.append(q.value(0).toString());
    return prefixes;
}

AdminValue<QString> AdminService::writeKey(const QString &tenantId, const KeyOptions &options,
                                           const KeyChange &change)
{
    QString label;
    std::optional<qint64> expiresMs;
    if (const AdminResult r = readKeyOptions(options, now(), &label, &expiresMs); !r.ok)
        return r;
    AdminValue<QString> key;
    const AdminResult r = write([&](AuditRecord &audit) -> AdminResult {
        if (const AdminValue<TenantRecord> t = loadTenant(tenantId); !t.ok)
            return t;
        key = change(label, expiresMs, audit);
        return key;
    });
    if (!r.ok)
        return r;
    return key;
}

AdminValue<QString> AdminService::issueKey(const QString &tenantId, const KeyOptions &options)
{
    return writeKey(
        tenantId, options,
        [&](const QString &label, const std::optional<qint64> &expiresMs,
            AuditRecord &audit) -> AdminValue<QString> {
            const AdminValue<QString> issued = insertKey(tenantId, label, expiresMs);
            if (!issued.ok)
                return issued;
            const QString prefix = ApiKey::prefix(issued.value);
            audit = {
                0,      {},       QStringLiteral("key.issue"),
                prefix, tenantId, beforeAfter(QJsonValue(), newKeyJson(prefix, label, expiresMs))};
            return issued;
        });
}

AdminValue<QString> AdminService::rotateKey(const QString &tenantId, const KeyOptions &options)
{
    return writeKey(
        tenantId, options,
        [&](const QString &label, const std::optional<qint64> &expiresMs,
            AuditRecord &audit) -> AdminValue<QString> {
            const AdminValue<QStringList> before = activeKeyPrefixes(tenantId);
            if (!before.ok)
                return before;
            const AdminValue<QString> issued = insertKey(tenantId, label, expiresMs);
            if (!issued.ok)
                return issued;
            const QString prefix = ApiKey::prefix(issued.value);
            QSqlQuery q(m_db);
            QString error;
            if (!sql::run(q,
                          QStringLiteral("UPDATE api_keys SET revoked = 1 "
                                         "WHERE tenant_id = ? AND prefix <> ? AND revoked = 0"),
                          {tenantId, prefix}, &error))
                return dbFailure(error);
            const QString activeKeys = QStringLiteral("active_keys");
            audit = {
                0,
                {},
                QStringLiteral("key.rotate"),
                tenantId,
                tenantId,
                beforeAfter(QJsonObject{{activeKeys, QJsonArray::fromStringList(before.value)}},
                            QJsonObject{{activeKeys, QJsonArray{prefix}},
                                        {QStringLiteral("new_key"),
                                         newKeyJson(prefix, label, expiresMs)}})};
            return issued;
        });
}

AdminResult AdminService::revokeKey(const QString &prefix)
{
    if (prefix.size() != ApiKey::kPrefixLength || !prefix.startsWith(QLatin1String("sk-tr-")))
        return invalid(QStringLiteral("a key prefix is the first %1 characters of a key "
                                      "(sk-tr-XXXXXX)")
                           .arg(ApiKey::kPrefixLength));
    return write([&](AuditRecord &audit) -> AdminResult {
        QSqlQuery q(m_db);
        QString error;
        if (!sql::run(q, QStringLiteral("SELECT tenant_id, revoked FROM api_keys WHERE prefix = ?"),
                      {prefix}, &error))
            return dbFailure(error);
        if (!q.next())
            return notFound(QStringLiteral("no key with prefix '%1'").arg(prefix));
        const QString tenantId = q.value(0).toString();
        if (q.value(1).toBool())
            return conflict(QStringLiteral("key '%1' is already revoked").arg(prefix));
        if (!sql::run(q, QStringLiteral("UPDATE api_keys SET revoked = 1 WHERE prefix = ?"),
                      {prefix}, &error))
            return dbFailure(error);
        const QString revoked = QStringLiteral("revoked");
        audit = {0,
                 {},
                 QStringLiteral("key.revoke"),
                 prefix,
                 tenantId,
                 beforeAfter(QJsonObject{{revoked, false}}, QJsonObject{{revoked, true}})};
        return {};
    });
}

AdminValue<QList<KeyRecord>> AdminService::listKeys(const QString &tenantId)
{
    if (!tenantId.isEmpty()) {
        if (const AdminValue<TenantRecord> t = loadTenant(tenantId); !t.ok)
            return t;
    }
    QSqlQuery q(m_db);
    QString error;
    const QString where = tenantId.isEmpty() ? QString() : QStringLiteral(" WHERE tenant_id = ?");
    if (!sql::run(q,
                  QStringLiteral("SELECT %1 FROM api_keys%2 ORDER BY tenant_id, created_at, prefix")
                      .arg(kKeyColumns.join(QStringLiteral(", ")), where),
                  tenantId.isEmpty() ? QVariantList{} : QVariantList{tenantId}, &error))
        return dbFailure(error);
    QList<KeyRecord> keys;
    while (q.next())
        keys.append(keyFromRow(q));
    return keys;
}

} // namespace relay
