#include "AdminApi.h"

#include "AdminJson.h"
#include "billing/PriceList.h"
#include "store/AdminService.h"
#include "store/AuditLog.h"
#include "store/RequestLog.h"
#include "store/UsageHistory.h"
#include "store/UsageReport.h"
#include "tenants/ApiKey.h"
#include "upstream/UpstreamTest.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

namespace relay {

QByteArray AdminAnswer::bodyBytes() const
{
    if (body.isObject())
        return QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact);
    if (body.isArray())
        return QJsonDocument(body.toArray()).toJson(QJsonDocument::Compact);
    return {};
}

AdminAnswer AdminApi::error(int status, const QString &type, const QString &code,
                            const QString &message, const QString &param)
{
    return {status,
            QJsonObject{{QStringLiteral("error"),
                         QJsonObject{{QStringLiteral("message"), message},
                                     {QStringLiteral("type"), type},
                                     {QStringLiteral("param"),
                                      param.isEmpty() ? QJsonValue() : QJsonValue(param)},
                                     {QStringLiteral("code"), code}}}},
            {}};
}

namespace {

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

AdminAnswer invalid(const QString &message, const QString &param = QString())
{
    return AdminApi::error(400, QStringLiteral("invalid_request_error"),
                           QStringLiteral("invalid_value"), message, param);
}

AdminAnswer notFound(const QString &message)
{
    return AdminApi::error(404, QStringLiteral("invalid_request_error"),
                           QStringLiteral("not_found"), message);
}

AdminAnswer methodNotAllowed()
{
    return AdminApi::error(405, QStringLiteral("invalid_request_error"),
                           QStringLiteral("method_not_allowed"),
                           QStringLiteral("This method is not allowed on this resource."));
}

// The admin service's failure as the API answers it.
AdminAnswer failed(const AdminResult &result)
{
    switch (result.kind) {
    case AdminErrorKind::Invalid:
        return invalid(result.error, result.field);
    case AdminErrorKind::NotFound:
        return notFound(result.error);
    case AdminErrorKind::Conflict:
        return AdminApi::error(409, QStringLiteral("invalid_request_error"),
                               QStringLiteral("conflict"), result.error);
    case AdminErrorKind::None:
    case AdminErrorKind::Database:
    case AdminErrorKind::Remote:
        break;
    }
    return AdminApi::error(500, QStringLiteral("server_error"), QStringLiteral("database_error"),
                           result.error);
}

AdminAnswer ok(QJsonValue body, int status = 200)
{
    return {status, std::move(body), {}};
}

AdminAnswer noContent()
{
    return {204, QJsonValue(), {}};
}

// A call's body as a JSON object (none: an empty one); false (and *answer) when it is not one.
bool jsonObjectBody(const QByteArray &bytes, QJsonObject *body, AdminAnswer *answer)
{
    if (bytes.trimmed().isEmpty()) {
        *body = {};
        return true;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        *answer = invalid(QStringLiteral("The body must be a JSON object."));
        return false;
    }
    *body = doc.object();
    return true;
}

// One call on its way through the routes.
class Route
{
public:
    Route(const AdminCall &call, AdminService &service, QSqlDatabase &db, Clock &clock,
          const AdminApi::Hooks &hooks)
        : m_call(call), m_service(service), m_db(db), m_clock(clock), m_hooks(hooks)
    {
        const qsizetype q = call.target.indexOf('?');
        const QByteArray path = q < 0 ? call.target : call.target.left(q);
        if (q >= 0)
            m_query.setQuery(QString::fromUtf8(call.target.mid(q + 1)));
        // /admin/v1/a/b → [a, b], each percent-decoded.
        const QList<QByteArray> parts = path.split('/');
        for (qsizetype i = 3; i < parts.size(); ++i)
            if (!parts.at(i).isEmpty() || i + 1 < parts.size())
                m_segments.append(QString::fromUtf8(QByteArray::fromPercentEncoding(parts.at(i))));
        m_versionOk = parts.size() > 2 && parts.at(1) == "admin" && parts.at(2) == "v1";
    }

    AdminAnswer dispatch();

private:
    bool is(const char *method) const { return m_call.method == method; }
    bool isWrite() const { return !is("GET") && !is("HEAD"); }
    QString segment(qsizetype i) const { return m_segments.value(i); }
    QString query(const char *name) const
    {
        return m_query.queryItemValue(QLatin1String(name), QUrl::FullyDecoded);
    }
    bool hasQuery(const char *name) const { return m_query.hasQueryItem(QLatin1String(name)); }

    // The body as a JSON object; false (and *answer) when it is not one.
    bool readBody(QJsonObject *body, AdminAnswer *answer) const
    {
        return jsonObjectBody(m_call.body, body, answer);
    }
    // limit= and before= of a list; false (and *answer) when they are not numbers in range.
    bool pageLimit(int *limit, AdminAnswer *answer) const
    {
        *limit = kDefaultLimit;
        bool okNumber = true;
        if (hasQuery("limit")) {
            *limit = query("limit").toInt(&okNumber);
            if (!okNumber || *limit < 1 || *limit > kMaxLimit) {
                *answer = invalid(QStringLiteral("limit must be 1 to %1").arg(kMaxLimit),
                                  QStringLiteral("limit"));
                return false;
            }
        }
        return true;
    }
    bool paging(int *limit, qsizetype *offset, AdminAnswer *answer) const
    {
        *offset = 0;
        bool okNumber = true;
        if (!pageLimit(limit, answer))
            return false;
        if (hasQuery("before")) {
            *offset = query("before").toLongLong(&okNumber);
            if (!okNumber || *offset < 0) {
                *answer = invalid(QStringLiteral("before must be a cursor from a list's next"),
                                  QStringLiteral("before"));
                return false;
            }
        }
        return true;
    }
    // {"data": [...], "next": CURSOR|null}: the records from the cursor on, `limit` of them.
    template <typename Record> AdminAnswer list(const AdminValue<QList<Record>> &result) const
    {
        if (!result.ok)
            return failed(result);
        int limit = 0;
        qsizetype offset = 0;
        AdminAnswer answer;
        if (!paging(&limit, &offset, &answer))
            return answer;
        const QList<Record> page = result.value.mid(offset, limit);
        const qsizetype next = offset + page.size();
        return ok(QJsonObject{{QStringLiteral("data"), AdminJson::toJsonArray(page)},
                              {QStringLiteral("next"), next < result.value.size()
                                                           ? QJsonValue(QString::number(next))
                                                           : QJsonValue()}});
    }
    // {"data": [...], "next": CURSOR|null}: a page of a log read by keyset (RequestLog::read,
    // AuditLog::read), `limit` rows of it.
    template <typename Query, typename Page>
    AdminAnswer keysetPage(bool (*read)(QSqlDatabase &, const Query &, Page *, QString *,
                                        QString *),
                           Query logQuery) const
    {
        AdminAnswer answer;
        if (!pageLimit(&logQuery.limit, &answer))
            return answer;
        Page page;
        QString error, field;
        if (!read(m_db, logQuery, &page, &error, &field))
            return field.isEmpty() ? failed(AdminResult::failure(AdminErrorKind::Database, error))
                                   : invalid(error, field);
        return ok(QJsonObject{
            {QStringLiteral("data"), AdminJson::toJsonArray(page.rows)},
            {QStringLiteral("next"), page.next.isEmpty() ? QJsonValue() : QJsonValue(page.next)}});
    }
    bool sinceDay(std::optional<QDate> *since, AdminAnswer *answer) const
    {
        if (!hasQuery("since"))
            return true;
        const QDate day = QDate::fromString(query("since"), QStringLiteral("yyyy-MM-dd"));
        if (!day.isValid()) {
            *answer =
                invalid(QStringLiteral("since must be a day, YYYY-MM-DD"), QStringLiteral("since"));
            return false;
        }
        *since = day;
        return true;
    }

    // PATCH of one thing named `key` in the path (and as `keyField` in its body, if at all):
    // the body read into changes, applied, and the thing answered as a GET shows it.
    template <typename Changes>
    AdminAnswer patch(const char *keyField, const QString &key,
                      bool (*parse)(const QJsonObject &, Changes *, QString *, QString *),
                      const std::function<AdminResult(const Changes &)> &apply,
                      const std::function<AdminAnswer()> &show)
    {
        if (!is("PATCH"))
            return methodNotAllowed();
        AdminAnswer answer;
        QJsonObject body;
        if (!readBody(&body, &answer))
            return answer;
        const QString field = QLatin1String(keyField);
        if (body.contains(field) && body.value(field) != key)
            return invalid(QStringLiteral("%1 cannot be changed").arg(field), field);
        Changes changes;
        QString error, errorField;
        if (!parse(body, &changes, &error, &errorField))
            return invalid(error, errorField);
        if (!changes.isEmpty()) {
            const AdminResult result = apply(changes);
            if (!result.ok)
                return failed(result);
        }
        return show();
    }

    // A POST that creates a thing named by `keyField` in its body: the name and the changes,
    // or false and *answer.
    template <typename Changes>
    bool readCreate(const char *keyField,
                    bool (*parse)(const QJsonObject &, Changes *, QString *, QString *),
                    QString *key, Changes *changes, AdminAnswer *answer) const
    {
        if (!is("POST")) {
            *answer = methodNotAllowed();
            return false;
        }
        QJsonObject body;
        if (!readBody(&body, answer))
            return false;
        const QString field = QLatin1String(keyField);
        *key = body.value(field).toString();
        if (key->isEmpty()) {
            *answer = invalid(QStringLiteral("%1 is required").arg(field), field);
            return false;
        }
        QString error, errorField;
        if (!parse(body, changes, &error, &errorField)) {
            *answer = invalid(error, errorField);
            return false;
        }
        return true;
    }

    AdminAnswer tenants();
    AdminAnswer keys();
    AdminAnswer upstreams();
    AdminAnswer keyed(); // routes, aliases, prices
    AdminAnswer settings();
    AdminAnswer settingsObject();
    AdminAnswer failover();
    AdminAnswer alerts();
    AdminAnswer report();
    AdminAnswer history();
    AdminAnswer requests();
    AdminAnswer audit();
    AdminAnswer spend();
    AdminAnswer pause(bool paused);

    const AdminCall &m_call;
    AdminService &m_service;
    QSqlDatabase &m_db;
    Clock &m_clock;
    const AdminApi::Hooks &m_hooks;
    QStringList m_segments;
    QUrlQuery m_query;
    bool m_versionOk = false;
};

AdminAnswer Route::dispatch()
{
    if (!m_versionOk || m_segments.isEmpty())
        return notFound(QStringLiteral("Unknown admin resource %1.")
                            .arg(QString::fromUtf8(m_call.target.left(200))));
    if (m_call.readOnly && isWrite())
        return AdminApi::error(403, QStringLiteral("invalid_request_error"),
                               QStringLiteral("read_only_token"),
                               QStringLiteral("The read-only admin token cannot change anything."));
    const QString resource = segment(0);
    if (resource == QLatin1String("tenants"))
        return tenants();
    if (resource == QLatin1String("keys"))
        return keys();
    if (resource == QLatin1String("upstreams"))
        return upstreams();
    if (resource == QLatin1String("routes") || resource == QLatin1String("aliases") ||
        resource == QLatin1String("prices"))
        return keyed();
    if (resource == QLatin1String("settings") && m_segments.size() == 1)
        return settings();
    // `settings list --json`: each setting with whether it is at its default.
    if (resource == QLatin1String("settings") && m_segments.size() == 2 &&
        segment(1) == QLatin1String("list")) {
        if (!is("GET"))
            return methodNotAllowed();
        return list(m_service.listSettings());
    }
    if (resource == QLatin1String("failover"))
        return failover();
    if (resource == QLatin1String("alerts"))
        return alerts();
    if (resource == QLatin1String("usage") && m_segments.size() == 1) {
        if (!is("GET"))
            return methodNotAllowed();
        UsageQuery usageQuery;
        usageQuery.tenant = query("tenant");
        AdminAnswer answer;
        if (!sinceDay(&usageQuery.since, &answer))
            return answer;
        return list(m_service.usageReport(usageQuery));
    }
    if (resource == QLatin1String("audit") && m_segments.size() == 1)
        return audit();
    if (resource == QLatin1String("spend") && m_segments.size() == 1)
        return spend();
    if (resource == QLatin1String("report"))
        return report();
    if (resource == QLatin1String("history") && m_segments.size() == 1)
        return history();
    if (resource == QLatin1String("requests") && m_segments.size() == 1)
        return requests();
    if ((resource == QLatin1String("pause") || resource == QLatin1String("unpause")) &&
        m_segments.size() == 1 && m_hooks.setPaused)
        return pause(resource == QLatin1String("pause"));
    return notFound(QStringLiteral("Unknown admin resource %1.")
                        .arg(QString::fromUtf8(m_call.target.left(200))));
}

AdminAnswer Route::tenants()
{
    const QString id = segment(1);
    AdminAnswer answer;
    QJsonObject body;
    if (m_segments.size() == 1) {
        if (is("GET"))
            return list(m_service.listTenants());
        QString newId;
        TenantChanges changes;
        if (!readCreate("id", AdminJson::tenantChanges, &newId, &changes, &answer))
            return answer;
        const AdminValue<QString> key = m_service.addTenant(newId, changes);
        if (!key.ok)
            return failed(key);
        const AdminValue<TenantDetails> created = m_service.tenant(newId);
        if (!created.ok)
            return failed(created);
        QJsonObject object = AdminJson::toJson(created.value);
        object.insert(QStringLiteral("key"), key.value);
        return ok(object, 201);
    }
    if (m_segments.size() == 2) {
        if (is("GET")) {
            const AdminValue<TenantDetails> details = m_service.tenant(id);
            return details.ok ? ok(AdminJson::toJson(details.value)) : failed(details);
        }
        if (is("DELETE")) {
            const AdminResult result = m_service.removeTenant(id);
            return result.ok ? noContent() : failed(result);
        }
        return patch<TenantChanges>(
            "id", id, AdminJson::tenantChanges,
            [&](const TenantChanges &changes) { return m_service.setTenant(id, changes); },
            [&] {
                const AdminValue<TenantDetails> details = m_service.tenant(id);
                return details.ok ? ok(AdminJson::toJson(details.value)) : failed(details);
            });
    }
    if (m_segments.size() == 3 && segment(2) == QLatin1String("keys")) {
        if (is("GET"))
            return list(m_service.listKeys(id));
        if (!is("POST"))
            return methodNotAllowed();
        if (!readBody(&body, &answer))
            return answer;
        KeyOptions options;
        bool rotate = false;
        QString error, errorField;
        if (!AdminJson::keyOptions(body, &options, &rotate, &error, &errorField))
            return invalid(error, errorField);
        // Checked here too (the service checks again), so that the answer names the field.
        if (!options.expires.isEmpty() &&
            !ApiKey::parseExpiry(options.expires, m_clock.wallMs(), &error))
            return invalid(error, QStringLiteral("expires"));
        const AdminValue<QString> key =
            rotate ? m_service.rotateKey(id, options) : m_service.issueKey(id, options);
        if (!key.ok)
            return failed(key);
        // The new key's record as `key list` shows it, with the key itself this once.
        const QString prefix = ApiKey::prefix(key.value);
        QJsonObject object{{QStringLiteral("tenant"), id}, {QStringLiteral("prefix"), prefix}};
        if (const AdminValue<QList<KeyRecord>> keys = m_service.listKeys(id); keys.ok) {
            for (const KeyRecord &record : keys.value)
                if (record.prefix == prefix)
                    object = AdminJson::toJson(record);
        }
        object.insert(QStringLiteral("key"), key.value);
        return ok(object, 201);
    }
    return notFound(QStringLiteral("Unknown tenant resource."));
}

AdminAnswer Route::keys()
{
    if (m_segments.size() == 1) {
        if (!is("GET"))
            return methodNotAllowed();
        return list(m_service.listKeys(query("tenant")));
    }
    if (m_segments.size() == 3 && segment(2) == QLatin1String("revoke")) {
        if (!is("POST"))
            return methodNotAllowed();
        const AdminResult result = m_service.revokeKey(segment(1));
        return result.ok ? noContent() : failed(result);
    }
    return notFound(QStringLiteral("Unknown key resource."));
}

AdminAnswer Route::upstreams()
{
    AdminAnswer answer;
    QJsonObject body;
    const auto find = [this](const QString &name) -> AdminAnswer {
        const AdminValue<QList<UpstreamRecord>> all = m_service.listUpstreams();
        if (!all.ok)
            return failed(all);
        for (const UpstreamRecord &upstream : all.value)
            if (upstream.name == name)
                return ok(AdminJson::toJson(upstream));
        return notFound(QStringLiteral("no upstream '%1'").arg(name));
    };
    if (m_segments.size() == 1) {
        if (is("GET"))
            return list(m_service.listUpstreams());
        QString name;
        UpstreamChanges changes;
        if (!readCreate("name", AdminJson::upstreamChanges, &name, &changes, &answer))
            return answer;
        const AdminResult result = m_service.addUpstream(name, changes);
        if (!result.ok)
            return failed(result);
        answer = find(name);
        answer.status = answer.status == 200 ? 201 : answer.status;
        return answer;
    }
    if (m_segments.size() != 2)
        return notFound(QStringLiteral("Unknown upstream resource."));
    const QString name = segment(1);
    if (is("GET"))
        return find(name);
    if (is("DELETE")) {
        const AdminResult result = m_service.removeUpstream(name);
        return result.ok ? noContent() : failed(result);
    }
    return patch<UpstreamChanges>(
        "name", name, AdminJson::upstreamChanges,
        [&](const UpstreamChanges &changes) { return m_service.setUpstream(name, changes); },
        [&] { return find(name); });
}

AdminAnswer Route::keyed()
{
    const QString resource = segment(0);
    if (m_segments.size() == 1) {
        if (!is("GET"))
            return methodNotAllowed();
        if (resource == QLatin1String("routes"))
            return list(m_service.listRoutes());
        if (resource == QLatin1String("aliases"))
            return list(m_service.listAliases());
        return list(m_service.listPrices());
    }
    if (m_segments.size() != 2)
        return notFound(QStringLiteral("Unknown %1 resource.").arg(resource));
    const QString key = segment(1);
    if (is("DELETE")) {
        const AdminResult result = resource == QLatin1String("routes") ? m_service.removeRoute(key)
                                   : resource == QLatin1String("aliases")
                                       ? m_service.removeAlias(key)
                                       : m_service.removePrice(key);
        return result.ok ? noContent() : failed(result);
    }
    if (!is("PUT"))
        return methodNotAllowed();
    AdminAnswer answer;
    QJsonObject body;
    if (!readBody(&body, &answer))
        return answer;
    // The field names a GET answers; the key is in the path.
    QStringList fields;
    if (resource == QLatin1String("routes"))
        fields = {QStringLiteral("model"), QStringLiteral("targets")};
    else if (resource == QLatin1String("aliases"))
        fields = {QStringLiteral("alias"), QStringLiteral("model")};
    else
        fields = {QStringLiteral("model"), QStringLiteral("input"), QStringLiteral("output"),
                  QStringLiteral("cache_read"), QStringLiteral("cache_write")};
    for (auto it = body.begin(); it != body.end(); ++it)
        if (!fields.contains(it.key()))
            return invalid(QStringLiteral("unknown field '%1'").arg(it.key()), it.key());
    AdminResult result;
    if (resource == QLatin1String("routes")) {
        if (body.contains(QStringLiteral("model")) && body.value(QStringLiteral("model")) != key)
            return invalid(QStringLiteral("model is the path's"), QStringLiteral("model"));
        const QJsonValue targets = body.value(QStringLiteral("targets"));
        QStringList list;
        for (const QJsonValue target : targets.toArray()) {
            if (!target.isString())
                return invalid(QStringLiteral("targets must be an array of strings"),
                               QStringLiteral("targets"));
            list.append(target.toString());
        }
        if (!targets.isArray() || list.isEmpty())
            return invalid(QStringLiteral("targets must be a non-empty array of "
                                          "\"UPSTREAM\" or \"UPSTREAM:MODEL\""),
                           QStringLiteral("targets"));
        result = m_service.setRoute(key, list);
    } else if (resource == QLatin1String("aliases")) {
        if (body.contains(QStringLiteral("alias")) && body.value(QStringLiteral("alias")) != key)
            return invalid(QStringLiteral("alias is the path's"), QStringLiteral("alias"));
        const QJsonValue model = body.value(QStringLiteral("model"));
        if (!model.isString())
            return invalid(QStringLiteral("model must be a string"), QStringLiteral("model"));
        result = m_service.setAlias(key, model.toString());
    } else {
        if (body.contains(QStringLiteral("model")) && body.value(QStringLiteral("model")) != key)
            return invalid(QStringLiteral("model is the path's"), QStringLiteral("model"));
        const auto price = [&body](const char *name, bool required,
                                   std::optional<double> *out) -> QString {
            const QJsonValue v = body.value(QLatin1String(name));
            if (v.isUndefined() || v.isNull())
                return required ? QStringLiteral("%1 is required").arg(QLatin1String(name))
                                : QString();
            if (!v.isDouble())
                return QStringLiteral("%1 must be a number of USD per million tokens")
                    .arg(QLatin1String(name));
            *out = v.toDouble();
            return QString();
        };
        std::optional<double> input, output, cacheRead, cacheWrite;
        for (const auto &[name, required, out] :
             {std::tuple{"input", true, &input}, std::tuple{"output", true, &output},
              std::tuple{"cache_read", false, &cacheRead},
              std::tuple{"cache_write", false, &cacheWrite}}) {
            const QString problem = price(name, required, out);
            if (!problem.isEmpty())
                return invalid(problem, QLatin1String(name));
        }
        result = m_service.setPrice(key, *input, *output, cacheRead, cacheWrite);
    }
    if (!result.ok)
        return failed(result);
    // The row as a GET lists it.
    const AdminValue<QJsonArray> rows = [&]() -> AdminValue<QJsonArray> {
        if (resource == QLatin1String("routes")) {
            const auto all = m_service.listRoutes();
            return all.ok ? AdminValue<QJsonArray>(AdminJson::toJsonArray(all.value))
                          : AdminValue<QJsonArray>(AdminResult(all));
        }
        if (resource == QLatin1String("aliases")) {
            const auto all = m_service.listAliases();
            return all.ok ? AdminValue<QJsonArray>(AdminJson::toJsonArray(all.value))
                          : AdminValue<QJsonArray>(AdminResult(all));
        }
        const auto all = m_service.listPrices();
        return all.ok ? AdminValue<QJsonArray>(AdminJson::toJsonArray(all.value))
                      : AdminValue<QJsonArray>(AdminResult(all));
    }();
    if (!rows.ok)
        return failed(rows);
    const QString keyField =
        resource == QLatin1String("aliases") ? QStringLiteral("alias") : QStringLiteral("model");
    for (const QJsonValue row : rows.value)
        if (row.toObject().value(keyField).toString() == key)
            return ok(row);
    return ok(QJsonObject{{keyField, key}});
}

// {"key": value, ...}: what PUT /settings takes.
AdminAnswer Route::settingsObject()
{
    const AdminValue<QList<SettingRecord>> all = m_service.listSettings();
    if (!all.ok)
        return failed(all);
    QJsonObject object;
    for (const SettingRecord &setting : all.value)
        object.insert(setting.key, AdminJson::toJson(setting).value(QStringLiteral("value")));
    return ok(object);
}

AdminAnswer Route::settings()
{
    if (is("GET"))
        return settingsObject();
    if (!is("PUT"))
        return methodNotAllowed();
    AdminAnswer answer;
    QJsonObject body;
    if (!readBody(&body, &answer))
        return answer;
    for (auto it = body.begin(); it != body.end(); ++it) {
        const QJsonValue v = it.value();
        QString text;
        if (v.isNull())
            text = QStringLiteral("none");
        else if (v.isString())
            text = v.toString();
        else if (v.isDouble())
            text = QString::number(v.toDouble(), 'g', 17);
        else
            return invalid(QStringLiteral("%1 must be a string, a number or null").arg(it.key()),
                           it.key());
        const AdminResult result = m_service.setSetting(it.key(), text);
        if (!result.ok)
            return failed(result);
    }
    return settingsObject();
}

AdminAnswer Route::failover()
{
    if (!is("POST"))
        return methodNotAllowed();
    if (segment(1) == QLatin1String("pin") && m_segments.size() == 2) {
        AdminAnswer answer;
        QJsonObject body;
        if (!readBody(&body, &answer))
            return answer;
        const QJsonValue upstream = body.value(QStringLiteral("upstream"));
        if (!upstream.isString())
            return invalid(QStringLiteral("upstream must be an upstream's name"),
                           QStringLiteral("upstream"));
        const AdminResult result = m_service.pinUpstream(upstream.toString());
        return result.ok ? ok(QJsonObject{{QStringLiteral("pinned"), upstream}}) : failed(result);
    }
    if (segment(1) == QLatin1String("unpin") && m_segments.size() == 2) {
        const AdminValue<QString> result = m_service.unpinUpstream();
        return result.ok ? ok(QJsonObject{{QStringLiteral("unpinned"), result.value}})
                         : failed(result);
    }
    return notFound(QStringLiteral("Unknown failover resource."));
}

AdminAnswer Route::alerts()
{
    if (m_segments.size() == 1) {
        if (!is("GET"))
            return methodNotAllowed();
        return list(m_service.listAlerts(query("tenant")));
    }
    if (m_segments.size() == 3 && segment(2) == QLatin1String("ack")) {
        if (!is("POST"))
            return methodNotAllowed();
        bool number = false;
        const qint64 id = segment(1).toLongLong(&number);
        if (!number)
            return notFound(QStringLiteral("no alert %1").arg(segment(1)));
        const AdminResult result = m_service.acknowledgeAlert(id);
        return result.ok ? noContent() : failed(result);
    }
    return notFound(QStringLiteral("Unknown alert resource."));
}

AdminAnswer Route::report()
{
    if (m_segments.size() != 2 || segment(1) != QLatin1String("costs"))
        return notFound(QStringLiteral("Unknown report."));
    std::optional<QDate> since;
    std::vector<PriceConfig> prices;
    AdminAnswer answer;
    QString error;
    if (is("GET")) {
        if (!sinceDay(&since, &answer))
            return answer;
        const auto shipped = PriceList::load(PriceList::kShippedPath, &error);
        if (!shipped)
            return AdminApi::error(500, QStringLiteral("server_error"),
                                   QStringLiteral("price_list"), error);
        prices = *shipped;
    } else if (is("POST")) {
        QJsonObject body;
        if (!readBody(&body, &answer))
            return answer;
        for (auto it = body.begin(); it != body.end(); ++it)
            if (it.key() != QLatin1String("since") && it.key() != QLatin1String("prices"))
                return invalid(QStringLiteral("unknown field '%1'").arg(it.key()), it.key());
        const QJsonValue day = body.value(QStringLiteral("since"));
        if (!day.isUndefined() && !day.isNull()) {
            const QDate parsed = QDate::fromString(day.toString(), QStringLiteral("yyyy-MM-dd"));
            if (!parsed.isValid())
                return invalid(QStringLiteral("since must be a day, YYYY-MM-DD"),
                               QStringLiteral("since"));
            since = parsed;
        }
        const QJsonValue table = body.value(QStringLiteral("prices"));
        const auto parsed =
            table.isUndefined()
                ? PriceList::load(PriceList::kShippedPath, &error)
                : PriceList::parse(QJsonDocument(table.toObject()).toJson(), &error);
        if (!table.isUndefined() && !table.isObject())
            return invalid(QStringLiteral("prices must be an object of model prices"),
                           QStringLiteral("prices"));
        if (!parsed)
            return invalid(QStringLiteral("prices: %1").arg(error), QStringLiteral("prices"));
        prices = *parsed;
    } else {
        return methodNotAllowed();
    }
    return list(m_service.costReport(since, prices));
}

AdminAnswer Route::history()
{
    if (!is("GET"))
        return methodNotAllowed();
    const std::optional<UsageHistory::Window> window =
        UsageHistory::windowFromText(hasQuery("window") ? query("window") : QStringLiteral("1h"));
    if (!window)
        return invalid(QStringLiteral("window must be 1h, 24h or 7d"), QStringLiteral("window"));
    QList<HistorySeries> series;
    QString error;
    if (!UsageHistory::build(m_db, m_clock.wallMs(), *window, &series, &error))
        return failed(AdminResult::failure(AdminErrorKind::Database, error));
    QJsonObject out{{QStringLiteral("window"),
                     query("window").isEmpty() ? QStringLiteral("1h") : query("window")},
                    {QStringLiteral("bucket_ms"), UsageHistory::bucketMs(*window)}};
    QJsonArray tenants, upstreams;
    for (const HistorySeries &s : std::as_const(series)) {
        QJsonArray points;
        for (const HistoryPoint &p : s.points)
            points.append(QJsonObject{{QStringLiteral("time"), AdminJson::time(p.startMs)},
                                      {QStringLiteral("requests"), p.requests},
                                      {QStringLiteral("errors"), p.errors},
                                      {QStringLiteral("p50_ms"), AdminJson::number(p.p50Ms)},
                                      {QStringLiteral("p95_ms"), AdminJson::number(p.p95Ms)},
                                      {QStringLiteral("cost_usd"), AdminJson::money(p.costUsd)}});
        (s.kind == QLatin1String("tenant") ? tenants : upstreams)
            .append(
                QJsonObject{{QStringLiteral("name"), s.name}, {QStringLiteral("points"), points}});
    }
    out.insert(QStringLiteral("tenants"), tenants);
    out.insert(QStringLiteral("upstreams"), upstreams);
    return ok(out);
}

AdminAnswer Route::requests()
{
    if (!is("GET"))
        return methodNotAllowed();
    RequestLogQuery logQuery;
    logQuery.tenant = query("tenant");
    logQuery.status = query("status");
    logQuery.model = query("model");
    logQuery.before = query("before");
    // The request log pages by its own cursor (time and id, RequestLog), not by offset.
    return keysetPage(RequestLog::read, logQuery);
}

AdminAnswer Route::audit()
{
    if (!is("GET"))
        return methodNotAllowed();
    AuditLogQuery auditQuery;
    auditQuery.tenant = query("tenant");
    auditQuery.kind = query("kind");
    auditQuery.action = query("action");
    auditQuery.before = query("before");
    // Oldest first, as `audit` lists them; order=newest reads the way the console shows them.
    const QString order = query("order");
    if (order == QLatin1String("newest"))
        auditQuery.order = LogOrder::NewestFirst;
    else if (!order.isEmpty() && order != QLatin1String("oldest"))
        return invalid(QStringLiteral("order must be oldest or newest"), QStringLiteral("order"));
    return keysetPage(AuditLog::read, auditQuery);
}

// What the console's budget panel draws: this month's spend per day (UTC, by the relay's clock)
// of one tenant or all, and each tenant's spend in the last 24 hours of this month.
AdminAnswer Route::spend()
{
    if (!is("GET"))
        return methodNotAllowed();
    constexpr qint64 kDayMs = 86'400'000;
    const qint64 nowMs = m_clock.wallMs();
    const qint64 monthStart = UsageReport::monthStartMs(nowMs);
    QHash<QString, double> lastDay;
    QString error;
    if (!UsageReport::spentSince(m_db, qMax(monthStart, nowMs - kDayMs), &lastDay, &error))
        return failed(AdminResult::failure(AdminErrorKind::Database, error));
    QJsonArray daily;
    for (const double usd : UsageHistory::dailySpend(m_db, nowMs, query("tenant")))
        daily.append(AdminJson::money(usd));
    QStringList tenants = lastDay.keys();
    tenants.sort();
    QJsonArray last24h;
    for (const QString &tenant : std::as_const(tenants))
        last24h.append(
            QJsonObject{{QStringLiteral("tenant"), tenant},
                        {QStringLiteral("spent_usd"), AdminJson::money(lastDay.value(tenant))}});
    return ok(QJsonObject{{QStringLiteral("month_start"), AdminJson::time(monthStart)},
                          {QStringLiteral("daily"), daily},
                          {QStringLiteral("last_24h"), last24h}});
}

AdminAnswer Route::pause(bool paused)
{
    if (!is("POST"))
        return methodNotAllowed();
    AdminAnswer answer;
    QJsonObject body;
    if (!readBody(&body, &answer))
        return answer;
    if (!body.isEmpty())
        return invalid(QStringLiteral("unknown field '%1'").arg(body.begin().key()),
                       body.begin().key());
    m_hooks.setPaused(paused);
    QString error;
    AuditRecord audit;
    audit.timeMs = m_clock.wallMs();
    audit.actor = m_call.actor;
    audit.action = paused ? QStringLiteral("relay.pause") : QStringLiteral("relay.unpause");
    audit.target = QStringLiteral("relay");
    audit.details =
        QJsonObject{{QStringLiteral("before"), QJsonObject{{QStringLiteral("paused"), !paused}}},
                    {QStringLiteral("after"), QJsonObject{{QStringLiteral("paused"), paused}}}};
    if (!AuditLog::append(m_db, audit, &error))
        return failed(AdminResult::failure(AdminErrorKind::Database, error));
    return ok(QJsonObject{{QStringLiteral("paused"), paused}});
}

} // namespace

AdminApi::AdminApi(QSqlDatabase db, Clock &clock, Hooks hooks)
    : m_db(std::move(db)), m_clock(clock), m_hooks(std::move(hooks))
{
}

bool AdminApi::upstreamTest(const AdminCall &call, UpstreamConfig *upstream, AdminAnswer *refusal)
{
    const QByteArray path = call.target.left(
        call.target.indexOf('?') < 0 ? call.target.size() : call.target.indexOf('?'));
    const QList<QByteArray> parts = path.split('/');
    // "", admin, v1, upstreams, NAME, test: a saved upstream, with the body's changes if any.
    const bool saved = parts.size() == 6 && parts.at(3) == "upstreams" && parts.at(5) == "test";
    // "", admin, v1, upstreams, test: one not saved, described by the body. Only POST: the
    // other methods there are those of an upstream named "test".
    const bool unsaved = parts.size() == 5 && parts.at(3) == "upstreams" && parts.at(4) == "test" &&
                         call.method == "POST";
    if (!saved && !unsaved)
        return false;
    if (call.method != "POST") {
        *refusal = methodNotAllowed();
        return true;
    }
    if (call.readOnly) {
        *refusal =
            error(403, QStringLiteral("invalid_request_error"), QStringLiteral("read_only_token"),
                  QStringLiteral("The read-only admin token cannot test upstreams."));
        return true;
    }
    // The fields of POST /upstreams (what a GET returns may be sent), checked as a save checks
    // them; nothing is saved or audited.
    QJsonObject body;
    if (!jsonObjectBody(call.body, &body, refusal))
        return true;
    UpstreamChanges changes;
    QString problem, field;
    if (!AdminJson::upstreamChanges(body, &changes, &problem, &field)) {
        *refusal = invalid(problem, field);
        return true;
    }
    const QString name =
        saved ? QString::fromUtf8(QByteArray::fromPercentEncoding(parts.at(4))) : QString();
    const AdminValue<UpstreamConfig> found =
        AdminService(m_db, m_clock).upstreamTestConfig(name, changes);
    if (!found.ok)
        *refusal = failed(found);
    else
        *upstream = found.value;
    return true;
}

AdminAnswer AdminApi::upstreamTestAnswer(const UpstreamTestResult &result)
{
    if (!result.ok)
        return error(502, QStringLiteral("upstream_error"), QStringLiteral("upstream_test_failed"),
                     result.error);
    return ok(QJsonObject{{QStringLiteral("ok"), true},
                          {QStringLiteral("status"), result.status},
                          {QStringLiteral("latency_ms"), result.latencyMs},
                          {QStringLiteral("models"), QJsonArray::fromStringList(result.models)}});
}

AdminAnswer AdminApi::handle(const AdminCall &call)
{
    AdminService service(m_db, m_clock, call.actor);
    const qint64 versionBefore = service.configVersion();
    AdminAnswer answer = Route(call, service, m_db, m_clock, m_hooks).dispatch();
    if (call.method != "GET" && m_hooks.configChanged && service.configVersion() != versionBefore)
        m_hooks.configChanged();
    return answer;
}

} // namespace relay
