#include "admin/RemoteAdmin.h"

#include "admin/AdminJson.h"
#include "billing/PriceList.h"

#include <QCryptographicHash>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslConfiguration>

#include <memory>

namespace relay {

namespace {

// A list is fetched in pages of the API's largest size.
constexpr int kPageSize = 1000;

AdminResult invalidAnswer(const QString &where, const QString &why)
{
    return AdminResult::failure(AdminErrorKind::Remote,
                                QStringLiteral("the relay at %1 answered something else than "
                                               "its admin API does: %2")
                                    .arg(where, why));
}

QUrlQuery tenantQuery(const QString &tenantId)
{
    QUrlQuery query;
    if (!tenantId.isEmpty())
        query.addQueryItem(QStringLiteral("tenant"), pathSegment(tenantId));
    return query;
}

} // namespace

QString pathSegment(const QString &name)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(name));
}

QNetworkRequest adminRequest(const RemoteAdminOptions &options, const QString &path,
                             const QUrlQuery &query)
{
    QString target = options.url.toString(QUrl::FullyEncoded | QUrl::RemoveQuery |
                                          QUrl::RemoveFragment | QUrl::StripTrailingSlash) +
                     QStringLiteral("/admin/v1/") + path;
    if (!query.isEmpty())
        target += QLatin1Char('?') + query.toString(QUrl::FullyEncoded);
    QNetworkRequest request(QUrl::fromEncoded(target.toLatin1(), QUrl::StrictMode));
    request.setRawHeader("Authorization", "Bearer " + options.token);
    // The relay speaks HTTP/1.1.
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    if (!options.caCertificates.isEmpty()) {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.addCaCertificates(options.caCertificates);
        request.setSslConfiguration(tls);
    }
    return request;
}

void acceptTrustedCertificate(QNetworkReply *reply, const RemoteAdminOptions &options,
                              QByteArray *untrusted)
{
    QObject::connect(
        reply, &QNetworkReply::sslErrors, reply,
        [reply, trusted = options.trustedSha256, untrusted](const QList<QSslError> &errors) {
            const QByteArray digest =
                certificateSha256(reply->sslConfiguration().peerCertificate());
            if (!trusted.isEmpty() && digest == trusted)
                reply->ignoreSslErrors(errors);
            else if (untrusted)
                *untrusted = digest;
        });
}

QByteArray certificateSha256(const QSslCertificate &certificate)
{
    return certificate.isNull() ? QByteArray()
                                : certificate.digest(QCryptographicHash::Sha256).toHex();
}

QString fingerprintText(const QByteArray &sha256Hex)
{
    QStringList pairs;
    for (qsizetype i = 0; i + 1 < sha256Hex.size(); i += 2)
        pairs << QString::fromLatin1(sha256Hex.mid(i, 2)).toUpper();
    return pairs.join(QLatin1Char(':'));
}

RemoteAdmin::RemoteAdmin(RemoteAdminOptions options) : m_options(std::move(options)) {}

QString RemoteAdmin::where() const
{
    return m_options.url.toString(QUrl::RemoveUserInfo);
}

AdminResult RemoteAdmin::answerFailure(int status, const QJsonValue &body) const
{
    const QJsonObject error = body.toObject().value(QStringLiteral("error")).toObject();
    const QString message = error.value(QStringLiteral("message")).toString();
    const QString code = error.value(QStringLiteral("code")).toString();
    const auto remote = [](const QString &text) {
        return AdminResult::failure(AdminErrorKind::Remote, text);
    };
    if (status == 404 && code == QLatin1String("unknown_url"))
        return remote(QStringLiteral("the relay at %1 has no admin API (start it with serve "
                                     "--admin-token-env VAR)")
                          .arg(where()));
    if (message.isEmpty())
        return remote(QStringLiteral("the relay at %1 answered HTTP %2").arg(where()).arg(status));
    // An upstream test the relay made: the provider's error (or why it could not be reached),
    // as a test from this process words it.
    if (status == 502 && code == QLatin1String("upstream_test_failed"))
        return remote(message);
    switch (status) {
    case 400:
        return AdminResult::failure(AdminErrorKind::Invalid, message);
    case 404:
        return AdminResult::failure(AdminErrorKind::NotFound, message);
    case 409:
        return AdminResult::failure(AdminErrorKind::Conflict, message);
    case 401:
        return remote(QStringLiteral("the relay at %1 refused the admin token from %2: %3")
                          .arg(where(), m_options.tokenSource, message));
    default:
        return remote(QStringLiteral("the relay at %1 answered HTTP %2: %3")
                          .arg(where())
                          .arg(status)
                          .arg(message));
    }
}

AdminValue<QJsonValue> RemoteAdmin::call(const QByteArray &method, const QString &path,
                                         const QUrlQuery &query, const QJsonValue &body)
{
    QNetworkRequest request = adminRequest(m_options, path, query);
    request.setRawHeader("Accept", "application/json");
    request.setTransferTimeout(m_options.timeoutMs);
    QByteArray bytes;
    if (!body.isUndefined()) {
        bytes = body.isArray() ? QJsonDocument(body.toArray()).toJson(QJsonDocument::Compact)
                               : QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact);
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
    }
    QNetworkReply *reply = m_network.sendCustomRequest(request, method, bytes);
    m_untrustedSha256.clear();
    acceptTrustedCertificate(reply, m_options, &m_untrustedSha256);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec(QEventLoop::ExcludeUserInputEvents);
    // The wait ended without an answer (the thread is quitting): the call is abandoned.
    if (!reply->isFinished())
        reply->abort();
    // Freed when this call returns, not at a later turn of an event loop: the CLI's last call is
    // followed by the process's exit, with no loop to run a deferred delete (its TLS state then
    // showed as a leak).
    const std::unique_ptr<QNetworkReply> owned(reply);

    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (!status.isValid()) {
        // No HTTP answer at all: refused, unresolved, TLS, timeout.
        const QString cause =
            reply->error() == QNetworkReply::OperationCanceledError
                ? QStringLiteral("no answer within %1 s").arg(m_options.timeoutMs / 1000.0)
                : reply->errorString();
        return AdminResult::failure(
            AdminErrorKind::Remote,
            QStringLiteral("cannot reach the relay at %1: %2").arg(where(), cause));
    }
    const QByteArray answer = reply->readAll();
    QJsonValue json;
    if (!answer.trimmed().isEmpty()) {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(answer, &parseError);
        if (parseError.error != QJsonParseError::NoError)
            return invalidAnswer(
                where(),
                QStringLiteral("HTTP %1 with a body that is not JSON").arg(status.toInt()));
        json = doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object());
    }
    const int code = status.toInt();
    if (code < 200 || code > 299)
        return answerFailure(code, json);
    return json;
}

template <typename Record>
AdminValue<QList<Record>> RemoteAdmin::list(const QString &path, QUrlQuery query,
                                            const QByteArray &method, const QJsonValue &body)
{
    QList<Record> records;
    query.addQueryItem(QStringLiteral("limit"), QString::number(kPageSize));
    for (;;) {
        const AdminValue<QJsonValue> page = call(method, path, query, body);
        if (!page.ok)
            return AdminResult(page);
        QString error;
        const QJsonObject object = page.value.toObject();
        if (!object.value(QStringLiteral("data")).isArray())
            return invalidAnswer(where(), QStringLiteral("a list without its data"));
        if (!AdminJson::fromJsonArray(object.value(QStringLiteral("data")).toArray(), &records,
                                      &error))
            return invalidAnswer(where(), error);
        const QJsonValue next = object.value(QStringLiteral("next"));
        if (!next.isString())
            return records;
        query.removeAllQueryItems(QStringLiteral("before"));
        query.addQueryItem(QStringLiteral("before"), pathSegment(next.toString()));
    }
}

// ---- tenants and keys ----

AdminValue<QString> RemoteAdmin::addTenant(const QString &id, const TenantChanges &settings)
{
    QJsonObject body = AdminJson::toJson(settings);
    body.insert(QStringLiteral("id"), id);
    const AdminValue<QJsonValue> answer = call("POST", QStringLiteral("tenants"), {}, body);
    if (!answer.ok)
        return AdminResult(answer);
    return answer.value.toObject().value(QStringLiteral("key")).toString();
}

AdminResult RemoteAdmin::setTenant(const QString &id, const TenantChanges &changes)
{
    // The API answers an empty PATCH with the tenant as it is; the CLI calls it bad usage.
    if (changes.isEmpty())
        return AdminResult::nothingToChange();
    return done(call("PATCH", QStringLiteral("tenants/") + pathSegment(id), {},
                     AdminJson::toJson(changes)));
}

AdminResult RemoteAdmin::removeTenant(const QString &id)
{
    return done(call("DELETE", QStringLiteral("tenants/") + pathSegment(id)));
}

AdminValue<QList<TenantRecord>> RemoteAdmin::listTenants()
{
    return list<TenantRecord>(QStringLiteral("tenants"));
}

AdminValue<TenantDetails> RemoteAdmin::tenant(const QString &id)
{
    const AdminValue<QJsonValue> answer = call("GET", QStringLiteral("tenants/") + pathSegment(id));
    if (!answer.ok)
        return AdminResult(answer);
    TenantDetails details;
    QString error;
    if (!AdminJson::fromJson(answer.value.toObject(), &details, &error))
        return invalidAnswer(where(), error);
    return details;
}

namespace {

AdminValue<QString> newKey(const AdminValue<QJsonValue> &answer)
{
    if (!answer.ok)
        return AdminResult(answer);
    return answer.value.toObject().value(QStringLiteral("key")).toString();
}

} // namespace

// The body of POST /tenants/{id}/keys: the key's label and expiry, as `key issue` takes them.
static QJsonObject keyBody(const KeyOptions &options, bool rotate)
{
    QJsonObject body;
    if (!options.label.isEmpty())
        body.insert(QStringLiteral("label"), options.label);
    if (!options.expires.isEmpty())
        body.insert(QStringLiteral("expires"), options.expires);
    if (rotate)
        body.insert(QStringLiteral("rotate"), true);
    return body;
}

AdminValue<QString> RemoteAdmin::issueKey(const QString &tenantId, const KeyOptions &options)
{
    return newKey(call("POST", QStringLiteral("tenants/%1/keys").arg(pathSegment(tenantId)), {},
                       keyBody(options, false)));
}

AdminValue<QString> RemoteAdmin::rotateKey(const QString &tenantId, const KeyOptions &options)
{
    return newKey(call("POST", QStringLiteral("tenants/%1/keys").arg(pathSegment(tenantId)), {},
                       keyBody(options, true)));
}

AdminResult RemoteAdmin::revokeKey(const QString &prefix)
{
    return done(call("POST", QStringLiteral("keys/%1/revoke").arg(pathSegment(prefix))));
}

AdminValue<QList<KeyRecord>> RemoteAdmin::listKeys(const QString &tenantId)
{
    return list<KeyRecord>(QStringLiteral("keys"), tenantQuery(tenantId));
}

// ---- upstreams ----

AdminResult RemoteAdmin::addUpstream(const QString &name, const UpstreamChanges &settings)
{
    QJsonObject body = AdminJson::toJson(settings);
    body.insert(QStringLiteral("name"), name);
    return done(call("POST", QStringLiteral("upstreams"), {}, body));
}

AdminResult RemoteAdmin::setUpstream(const QString &name, const UpstreamChanges &changes)
{
    if (changes.isEmpty())
        return AdminResult::nothingToChange();
    return done(call("PATCH", QStringLiteral("upstreams/") + pathSegment(name), {},
                     AdminJson::toJson(changes)));
}

AdminResult RemoteAdmin::removeUpstream(const QString &name)
{
    return done(call("DELETE", QStringLiteral("upstreams/") + pathSegment(name)));
}

AdminValue<QList<UpstreamRecord>> RemoteAdmin::listUpstreams()
{
    return list<UpstreamRecord>(QStringLiteral("upstreams"));
}

AdminResult RemoteAdmin::pinUpstream(const QString &name)
{
    return done(call("POST", QStringLiteral("failover/pin"), {},
                     QJsonObject{{QStringLiteral("upstream"), name}}));
}

AdminValue<QString> RemoteAdmin::unpinUpstream()
{
    const AdminValue<QJsonValue> answer = call("POST", QStringLiteral("failover/unpin"));
    if (!answer.ok)
        return AdminResult(answer);
    return answer.value.toObject().value(QStringLiteral("unpinned")).toString();
}

// ---- routes, aliases, prices ----

AdminResult RemoteAdmin::setRoute(const QString &model, const QStringList &targets)
{
    return done(
        call("PUT", QStringLiteral("routes/") + pathSegment(model), {},
             QJsonObject{{QStringLiteral("targets"), QJsonArray::fromStringList(targets)}}));
}

AdminResult RemoteAdmin::removeRoute(const QString &model)
{
    return done(call("DELETE", QStringLiteral("routes/") + pathSegment(model)));
}

AdminValue<QList<RouteRecord>> RemoteAdmin::listRoutes()
{
    return list<RouteRecord>(QStringLiteral("routes"));
}

AdminResult RemoteAdmin::setAlias(const QString &alias, const QString &model)
{
    return done(call("PUT", QStringLiteral("aliases/") + pathSegment(alias), {},
                     QJsonObject{{QStringLiteral("model"), model}}));
}

AdminResult RemoteAdmin::removeAlias(const QString &alias)
{
    return done(call("DELETE", QStringLiteral("aliases/") + pathSegment(alias)));
}

AdminValue<QList<AliasRecord>> RemoteAdmin::listAliases()
{
    return list<AliasRecord>(QStringLiteral("aliases"));
}

AdminResult RemoteAdmin::setPrice(const QString &model, double input, double output,
                                  std::optional<double> cacheRead, std::optional<double> cacheWrite)
{
    PriceRecord price{model, input, output, cacheRead, cacheWrite};
    QJsonObject body = AdminJson::toJson(price);
    // Unset cache prices follow the input price: absent, not null.
    for (const QString &field : {QStringLiteral("cache_read"), QStringLiteral("cache_write")})
        if (body.value(field).isNull())
            body.remove(field);
    return done(call("PUT", QStringLiteral("prices/") + pathSegment(model), {}, body));
}

AdminResult RemoteAdmin::removePrice(const QString &model)
{
    return done(call("DELETE", QStringLiteral("prices/") + pathSegment(model)));
}

AdminValue<QList<PriceRecord>> RemoteAdmin::listPrices()
{
    return list<PriceRecord>(QStringLiteral("prices"));
}

// ---- settings, alerts, reports ----

AdminResult RemoteAdmin::setSetting(const QString &key, const QString &value)
{
    return done(call("PUT", QStringLiteral("settings"), {}, QJsonObject{{key, value}}));
}

AdminValue<QList<SettingRecord>> RemoteAdmin::listSettings()
{
    return list<SettingRecord>(QStringLiteral("settings/list"));
}

AdminValue<QList<AlertRecord>> RemoteAdmin::listAlerts(const QString &tenantId)
{
    return list<AlertRecord>(QStringLiteral("alerts"), tenantQuery(tenantId));
}

AdminResult RemoteAdmin::acknowledgeAlert(qint64 id)
{
    return done(call("POST", QStringLiteral("alerts/%1/ack").arg(id)));
}

AdminValue<QList<UsageReportRow>> RemoteAdmin::usageReport(const UsageQuery &query)
{
    QUrlQuery params = tenantQuery(query.tenant);
    if (query.since)
        params.addQueryItem(QStringLiteral("since"),
                            query.since->toString(QStringLiteral("yyyy-MM-dd")));
    return list<UsageReportRow>(QStringLiteral("usage"), params);
}

AdminValue<QList<CostReportRow>> RemoteAdmin::costReport(const std::optional<QDate> &since,
                                                         const std::vector<PriceConfig> &altPrices)
{
    QJsonObject body{{QStringLiteral("prices"), PriceList::toJson(altPrices)}};
    if (since)
        body.insert(QStringLiteral("since"), since->toString(QStringLiteral("yyyy-MM-dd")));
    // POST, to send the price list the CLI read (the shipped one, or --prices FILE).
    return list<CostReportRow>(QStringLiteral("report/costs"), {}, "POST", body);
}

AdminValue<QList<AuditRecord>> RemoteAdmin::auditLog(const QString &tenantId)
{
    return list<AuditRecord>(QStringLiteral("audit"), tenantQuery(tenantId));
}

AdminResult RemoteAdmin::backup(const QString &)
{
    return AdminResult::failure(AdminErrorKind::Invalid,
                                QStringLiteral("backup copies the database file and cannot run "
                                               "through --connect; run it where the database is "
                                               "(tenantrelay --db PATH backup FILE)"));
}

// ---- what the console reads ----

namespace {

qint64 timeMs(const QJsonValue &value)
{
    return AdminJson::timeMs(value).value_or(0);
}

// A request log row of the API as the console's columns (LogPages::requests()).
QVariantList requestRow(const QJsonObject &o)
{
    const auto text = [&o](const char *name) { return o.value(QLatin1String(name)).toVariant(); };
    return {text("id"),
            timeMs(o.value(QStringLiteral("time"))),
            text("tenant"),
            text("key_prefix"),
            o.value(QStringLiteral("dialect")).toString() == QLatin1String("anthropic")
                ? QStringLiteral("Anthropic")
                : QStringLiteral("OpenAI"),
            text("endpoint"),
            text("outcome"),
            text("requested_model"),
            text("upstream"),
            text("status"),
            text("prompt_tokens"),
            text("completion_tokens"),
            text("cost_usd"),
            text("latency_ms"),
            text("error")};
}

// An audit row of the API as the console's columns (LogPages::audit()); the API does not number
// audit rows.
QVariantList auditRow(const QJsonObject &o)
{
    const auto text = [&o](const char *name) { return o.value(QLatin1String(name)).toVariant(); };
    return {QVariant(),
            timeMs(o.value(QStringLiteral("time"))),
            text("actor"),
            text("action"),
            text("target"),
            text("tenant"),
            QString::fromUtf8(QJsonDocument(o.value(QStringLiteral("details")).toObject())
                                  .toJson(QJsonDocument::Compact))};
}

} // namespace

// One read of the live snapshot serves both.
AdminValue<FailoverState> RemoteAdmin::failoverState()
{
    const AdminValue<QJsonValue> stats = call("GET", QStringLiteral("stats"));
    if (!stats.ok)
        return AdminResult(stats);
    FailoverState state;
    state.pinnedUpstream =
        stats.value.toObject().value(QStringLiteral("pinned_upstream")).toString();
    const QJsonArray upstreams =
        stats.value.toObject().value(QStringLiteral("upstreams")).toArray();
    for (const QJsonValue item : upstreams) {
        const QJsonObject u = item.toObject();
        if (const qint64 since = timeMs(u.value(QStringLiteral("circuit_since"))); since > 0)
            state.circuitChanges.insert(
                u.value(QStringLiteral("name")).toString(),
                {u.value(QStringLiteral("circuit_reason")).toString(), since});
    }
    return state;
}

AdminValue<SpendOverview> RemoteAdmin::spendOverview(const QString &tenantId)
{
    const AdminValue<QJsonValue> answer =
        call("GET", QStringLiteral("spend"), tenantQuery(tenantId));
    if (!answer.ok)
        return AdminResult(answer);
    const QJsonObject object = answer.value.toObject();
    SpendOverview overview;
    overview.monthStartMs = timeMs(object.value(QStringLiteral("month_start")));
    for (const QJsonValue day : object.value(QStringLiteral("daily")).toArray())
        overview.daily << day.toDouble();
    for (const QJsonValue item : object.value(QStringLiteral("last_24h")).toArray()) {
        const QJsonObject row = item.toObject();
        overview.lastDay.insert(row.value(QStringLiteral("tenant")).toString(),
                                row.value(QStringLiteral("spent_usd")).toDouble());
    }
    return overview;
}

AdminValue<LogPage> RemoteAdmin::logPage(const LogPageQuery &query)
{
    const bool audit = query.log == LogPageQuery::Log::Audit;
    QUrlQuery params = tenantQuery(query.filter.tenant);
    if (!query.filter.kind.isEmpty())
        params.addQueryItem(audit ? QStringLiteral("kind") : QStringLiteral("status"),
                            pathSegment(query.filter.kind));
    if (!query.filter.text.isEmpty())
        params.addQueryItem(audit ? QStringLiteral("action") : QStringLiteral("model"),
                            pathSegment(query.filter.text));
    // The audit lists oldest first, as `audit` prints it; the console shows the newest first.
    if (audit)
        params.addQueryItem(QStringLiteral("order"), QStringLiteral("newest"));
    if (!query.cursor.isEmpty())
        params.addQueryItem(QStringLiteral("before"), pathSegment(query.cursor));
    params.addQueryItem(QStringLiteral("limit"), QString::number(query.limit));
    const AdminValue<QJsonValue> answer =
        call("GET", audit ? QStringLiteral("audit") : QStringLiteral("requests"), params);
    if (!answer.ok)
        return AdminResult(answer);
    const QJsonObject object = answer.value.toObject();
    LogPage page;
    for (const QJsonValue item : object.value(QStringLiteral("data")).toArray())
        page.rows << (audit ? auditRow(item.toObject()) : requestRow(item.toObject()));
    page.next = object.value(QStringLiteral("next")).toString();
    return page;
}

AdminResult RemoteAdmin::setPaused(bool paused)
{
    return done(call("POST", paused ? QStringLiteral("pause") : QStringLiteral("unpause"), {},
                     QJsonObject()));
}

AdminValue<QList<HistorySeries>> RemoteAdmin::history(UsageHistory::Window window)
{
    QUrlQuery params;
    params.addQueryItem(QStringLiteral("window"), UsageHistory::windowText(window));
    const AdminValue<QJsonValue> answer = call("GET", QStringLiteral("history"), params);
    if (!answer.ok)
        return AdminResult(answer);
    QList<HistorySeries> series;
    const QJsonObject object = answer.value.toObject();
    for (const char *kind : {"tenant", "upstream"}) {
        const QJsonArray list = object.value(QLatin1String(kind) + QLatin1Char('s')).toArray();
        for (const QJsonValue item : list) {
            const QJsonObject o = item.toObject();
            HistorySeries s{QLatin1String(kind), o.value(QStringLiteral("name")).toString(), {}};
            for (const QJsonValue p : o.value(QStringLiteral("points")).toArray()) {
                const QJsonObject point = p.toObject();
                const auto optionalMs = [&point](const char *name) -> std::optional<qint64> {
                    const QJsonValue v = point.value(QLatin1String(name));
                    return v.isDouble() ? std::optional<qint64>(v.toInteger()) : std::nullopt;
                };
                s.points.append({timeMs(point.value(QStringLiteral("time"))),
                                 point.value(QStringLiteral("requests")).toInteger(),
                                 point.value(QStringLiteral("errors")).toInteger(),
                                 optionalMs("p50_ms"), optionalMs("p95_ms"),
                                 point.value(QStringLiteral("cost_usd")).toDouble()});
            }
            series.append(s);
        }
    }
    return series;
}

namespace {

// The models list of a test's answer, or its failure.
AdminValue<QStringList> testedModels(const AdminValue<QJsonValue> &answer)
{
    if (!answer.ok)
        return AdminResult(answer);
    QStringList models;
    for (const QJsonValue model : answer.value.toObject().value(QStringLiteral("models")).toArray())
        models.append(model.toString());
    return models;
}

} // namespace

AdminValue<QStringList> RemoteAdmin::testUpstream(const QString &name,
                                                  const UpstreamChanges &changes)
{
    return testedModels(call("POST", QStringLiteral("upstreams/%1/test").arg(pathSegment(name)), {},
                             AdminJson::toJson(changes)));
}

AdminValue<QStringList> RemoteAdmin::testNewUpstream(const UpstreamChanges &settings)
{
    return testedModels(
        call("POST", QStringLiteral("upstreams/test"), {}, AdminJson::toJson(settings)));
}

} // namespace relay
