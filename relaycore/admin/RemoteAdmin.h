#pragma once

#include "store/AdminInterface.h"

#include <QJsonValue>
#include <QNetworkAccessManager>
#include <QNetworkRequest>
#include <QSslCertificate>
#include <QUrl>
#include <QUrlQuery>

class QNetworkReply;

namespace relay {

// Where a relay's admin API is and how to get in (`--connect URL`).
struct RemoteAdminOptions
{
    QUrl url;                              // http(s)://HOST:PORT, maybe with a path prefix
    QByteArray token;                      // the admin token; never printed
    QString tokenSource;                   // where the token came from, for messages: "$VAR"
    QList<QSslCertificate> caCertificates; // trusted besides the system's (--connect-ca)
    // A self-signed certificate the user chose to trust, by its SHA-256 digest (hex): accepted
    // when the relay presents exactly that certificate, whatever its issuer and name.
    QByteArray trustedSha256;
    int timeoutMs = 30000; // for each call, from connecting to the whole answer
};

// The admin operations carried out by a relay elsewhere through its admin API
// (interface.md §5): one blocking HTTP(S) call each, run on a local event loop. Answers are read
// back into the records AdminService returns (AdminJson), and the API's errors into the same
// failures with the same texts, so a command prints the same as against a database file.
// 400 is Invalid, 404 NotFound, 409 Conflict; an unreachable relay, a refused token, 429 and
// 5xx are Remote, with one line naming the URL and the cause. Used on one thread, which needs a
// QCoreApplication.
class RemoteAdmin : public AdminInterface
{
public:
    explicit RemoteAdmin(RemoteAdminOptions options);

    AdminValue<QString> addTenant(const QString &id, const TenantChanges &settings) override;
    AdminResult setTenant(const QString &id, const TenantChanges &changes) override;
    AdminResult removeTenant(const QString &id) override;
    AdminValue<QList<TenantRecord>> listTenants() override;
    AdminValue<TenantDetails> tenant(const QString &id) override;

    AdminValue<QString> issueKey(const QString &tenantId, const KeyOptions &options = {}) override;
    AdminValue<QString> rotateKey(const QString &tenantId, const KeyOptions &options = {}) override;
    AdminResult revokeKey(const QString &prefix) override;
    AdminValue<QList<KeyRecord>> listKeys(const QString &tenantId = QString()) override;

    AdminResult addUpstream(const QString &name, const UpstreamChanges &settings) override;
    AdminResult setUpstream(const QString &name, const UpstreamChanges &changes) override;
    AdminResult removeUpstream(const QString &name) override;
    AdminValue<QList<UpstreamRecord>> listUpstreams() override;
    AdminResult pinUpstream(const QString &name) override;
    AdminValue<QString> unpinUpstream() override;

    AdminResult setRoute(const QString &model, const QStringList &targets) override;
    AdminResult removeRoute(const QString &model) override;
    AdminValue<QList<RouteRecord>> listRoutes() override;

    AdminResult setAlias(const QString &alias, const QString &model) override;
    AdminResult removeAlias(const QString &alias) override;
    AdminValue<QList<AliasRecord>> listAliases() override;

    AdminResult setPrice(const QString &model, double input, double output,
                         std::optional<double> cacheRead = std::nullopt,
                         std::optional<double> cacheWrite = std::nullopt) override;
    AdminResult removePrice(const QString &model) override;
    AdminValue<QList<PriceRecord>> listPrices() override;

    AdminResult setSetting(const QString &key, const QString &value) override;
    AdminValue<QList<SettingRecord>> listSettings() override;

    AdminValue<QList<AlertRecord>> listAlerts(const QString &tenantId = QString()) override;
    AdminResult acknowledgeAlert(qint64 id) override;

    AdminValue<QList<UsageReportRow>> usageReport(const UsageQuery &query) override;
    AdminValue<QList<CostReportRow>> costReport(const std::optional<QDate> &since,
                                                const std::vector<PriceConfig> &altPrices) override;
    AdminValue<QList<AuditRecord>> auditLog(const QString &tenantId = QString()) override;
    // Invalid: a backup copies the database file, which is on the relay's machine.
    AdminResult backup(const QString &file) override;

    AdminValue<FailoverState> failoverState() override;
    AdminValue<SpendOverview> spendOverview(const QString &tenantId) override;
    AdminValue<LogPage> logPage(const LogPageQuery &query) override;
    AdminValue<QList<HistorySeries>> history(UsageHistory::Window window) override;

    // POST /admin/v1/pause or /unpause.
    AdminResult setPaused(bool paused);
    // POST /admin/v1/upstreams/{name}/test: the relay asks the provider for its models list
    // with the upstream as saved, `changes` applied (its stored key kept unless they give
    // another key source). The models when it answered; else the failure, with the provider's
    // error (or why the relay could not reach it) in the message.
    AdminValue<QStringList> testUpstream(const QString &name, const UpstreamChanges &changes = {});
    // POST /admin/v1/upstreams/test: the same for an upstream not saved, as `settings`
    // describe it (a base URL needed; the key typed, the name of a variable of the relay's
    // environment, or none).
    AdminValue<QStringList> testNewUpstream(const UpstreamChanges &settings);

    // The SHA-256 digest (hex) of the certificate the relay presented when the last call failed
    // on TLS (untrusted, self-signed, wrong name); empty otherwise. What the console shows the
    // user to decide whether to trust it.
    QByteArray untrustedCertificateSha256() const { return m_untrustedSha256; }

private:
    // One call: `path` below /admin/v1/ (segments already percent-encoded), `body` sent as JSON
    // unless undefined. The answer's JSON when the status is 2xx, else the failure.
    AdminValue<QJsonValue> call(const QByteArray &method, const QString &path,
                                const QUrlQuery &query = {},
                                const QJsonValue &body = QJsonValue(QJsonValue::Undefined));
    // A list, every page of it, read into records.
    template <typename Record>
    AdminValue<QList<Record>> list(const QString &path, QUrlQuery query = {},
                                   const QByteArray &method = "GET",
                                   const QJsonValue &body = QJsonValue(QJsonValue::Undefined));
    // A failure answered by the relay (status, and its {"error": ...} body).
    AdminResult answerFailure(int status, const QJsonValue &body) const;
    // The answer of a write that prints nothing: ok or the failure.
    AdminResult done(const AdminValue<QJsonValue> &answer) const { return answer; }
    QString where() const;

    RemoteAdminOptions m_options;
    QNetworkAccessManager m_network;
    QByteArray m_untrustedSha256;
};

// A path segment of the admin API, percent-encoded: /admin/v1/tenants/{id}.
QString pathSegment(const QString &name);
// A request to the admin API at `path` below /admin/v1/ (segments already percent-encoded), with
// the token and the trusted certificates of `options`.
QNetworkRequest adminRequest(const RemoteAdminOptions &options, const QString &path,
                             const QUrlQuery &query = {});
// Lets `reply` go on when the relay presents the certificate the user trusts by its digest;
// otherwise notes the digest of the certificate it presented in *untrusted (when given, which
// must outlive the reply).
void acceptTrustedCertificate(QNetworkReply *reply, const RemoteAdminOptions &options,
                              QByteArray *untrusted);
// A certificate's SHA-256 digest as hex, and as the user reads it: "AB:CD:…".
QByteArray certificateSha256(const QSslCertificate &certificate);
QString fingerprintText(const QByteArray &sha256Hex);

} // namespace relay
