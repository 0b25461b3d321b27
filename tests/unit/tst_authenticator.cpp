// Stage 2 on its own (design.md, "One request, start to end"): the tenant behind a request's key,
// read from `Authorization: Bearer KEY` (OpenAI SDKs) or `x-api-key: KEY` (Anthropic SDKs) on
// either dialect's paths and looked up by its SHA-256 in a real directory snapshot; every refusal
// is 401 invalid_api_key with the message a tenant reads.

#include "http/ApiError.h"
#include "http/HttpMessage.h"
#include "proxy/Authenticator.h"
#include "tenants/ApiKey.h"
#include "tenants/DirectorySnapshot.h"

#include <QTest>

#include <limits>

using namespace relay;

namespace {

// Fixed keys (sk-tr- + 40 base62 characters), so that failures name the same key every run.
const QByteArray kAcmeKey = "sk-tr-AcmeLive0123456789abcdefghijKLMNOPQRST";
const QByteArray kAcmeOldKey = "sk-tr-AcmeOld00123456789abcdefghijKLMNOPQRST";
const QByteArray kFrozenKey = "sk-tr-Frozen000123456789abcdefghijKLMNOPQRST";
const QByteArray kOrphanKey = "sk-tr-Orphan000123456789abcdefghijKLMNOPQRST";
const QByteArray kUnknownKey = "sk-tr-Nobody000123456789abcdefghijKLMNOPQRST";

const QByteArray kMissing = "You didn't provide an API key. Send it as 'Authorization: Bearer "
                            "YOUR_KEY' or 'x-api-key: YOUR_KEY'.";
const QByteArray kIncorrect = "Incorrect API key provided.";
const QByteArray kDisabled = "This API key belongs to a disabled tenant.";

void addKey(DirectorySnapshot &d, const QByteArray &key, const QString &tenant, bool revoked)
{
    d.keysByHash.insert(ApiKey::hash(key),
                        KeyConfig{ApiKey::prefix(QString::fromLatin1(key)), tenant, revoked});
}

// acme (enabled) with a live and a revoked key; frozen (disabled) with a live key; a key whose
// tenant is no longer in the directory.
DirectorySnapshot directory()
{
    DirectorySnapshot d;
    TenantConfig acme;
    acme.id = QStringLiteral("acme");
    acme.name = QStringLiteral("Acme");
    TenantConfig frozen;
    frozen.id = QStringLiteral("frozen");
    frozen.enabled = false;
    d.tenants.insert(acme.id, acme);
    d.tenants.insert(frozen.id, frozen);
    addKey(d, kAcmeKey, acme.id, false);
    addKey(d, kAcmeOldKey, acme.id, true);
    addKey(d, kFrozenKey, frozen.id, false);
    addKey(d, kOrphanKey, QStringLiteral("gone"), false);
    return d;
}

HttpRequest request(const QByteArray &path, const HttpHeaders &headers)
{
    HttpRequest r;
    r.method = "POST";
    r.target = path;
    r.path = path;
    r.headers = headers;
    r.headers.prepend({"host", "relay.example"});
    return r;
}

// An error that authenticate() must overwrite when it refuses and leave alone when it admits.
ApiError untouched()
{
    return {999, "untouched", "untouched", "untouched", {}};
}

} // namespace

class TestAuthenticator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void admitsEitherHeaderOnEitherDialect_data()
    {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<QByteArray>("value");
        for (const QByteArray &path : {QByteArray("/v1/chat/completions"),
                                       QByteArray("/v1/messages"), QByteArray("/v1/models")}) {
            QTest::addRow("%s bearer", path.constData())
                << path << QByteArray("authorization") << "Bearer " + kAcmeKey;
            QTest::addRow("%s x-api-key", path.constData())
                << path << QByteArray("x-api-key") << kAcmeKey;
        }
        // The scheme is case-insensitive; blanks around the key are not part of it.
        QTest::newRow("lower-case scheme") << QByteArray("/v1/chat/completions")
                                           << QByteArray("authorization") << "bearer " + kAcmeKey;
        QTest::newRow("upper-case scheme") << QByteArray("/v1/chat/completions")
                                           << QByteArray("authorization") << "BEARER " + kAcmeKey;
        QTest::newRow("blanks after the scheme")
            << QByteArray("/v1/chat/completions") << QByteArray("authorization")
            << "Bearer   " + kAcmeKey + "  ";
        QTest::newRow("x-api-key with blanks")
            << QByteArray("/v1/messages") << QByteArray("x-api-key") << " " + kAcmeKey + "\t";
    }

    void admitsEitherHeaderOnEitherDialect()
    {
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, header);
        QFETCH(QByteArray, value);
        const DirectorySnapshot d = directory();
        ApiError error = untouched();
        const Authenticated auth = authenticate(request(path, {{header, value}}), d, 0, &error);
        QVERIFY(auth);
        // The tenant is the snapshot's own entry, not a copy.
        QCOMPARE(auth.tenant, &*d.tenants.constFind(QStringLiteral("acme")));
        QCOMPARE(auth.tenant->name, QStringLiteral("Acme"));
        QCOMPARE(auth.keyPrefix, QStringLiteral("sk-tr-AcmeLi"));
        QCOMPARE(error.status, 999);
    }

    void refusals_data()
    {
        QTest::addColumn<HttpHeaders>("headers");
        QTest::addColumn<QByteArray>("message");

        QTest::newRow("no key header")
            << HttpHeaders{{"content-type", "application/json"}} << kMissing;
        QTest::newRow("empty x-api-key") << HttpHeaders{{"x-api-key", ""}} << kMissing;
        QTest::newRow("blank x-api-key") << HttpHeaders{{"x-api-key", "   "}} << kMissing;
        QTest::newRow("bearer without a key")
            << HttpHeaders{{"authorization", "Bearer "}} << kMissing;
        QTest::newRow("bearer with only blanks")
            << HttpHeaders{{"authorization", "Bearer     "}} << kMissing;
        // Another scheme is not a key: without x-api-key there is none.
        QTest::newRow("basic scheme")
            << HttpHeaders{{"authorization", "Basic " + kAcmeKey}} << kMissing;
        QTest::newRow("no scheme") << HttpHeaders{{"authorization", kAcmeKey}} << kMissing;
        QTest::newRow("scheme without a blank")
            << HttpHeaders{{"authorization", "Bearer" + kAcmeKey}} << kMissing;

        QTest::newRow("unknown key, bearer")
            << HttpHeaders{{"authorization", "Bearer " + kUnknownKey}} << kIncorrect;
        QTest::newRow("unknown key, x-api-key")
            << HttpHeaders{{"x-api-key", kUnknownKey}} << kIncorrect;
        QTest::newRow("key in another case")
            << HttpHeaders{{"x-api-key", kAcmeKey.toLower()}} << kIncorrect;
        QTest::newRow("key cut short")
            << HttpHeaders{{"x-api-key", kAcmeKey.chopped(1)}} << kIncorrect;
        QTest::newRow("not a relay key")
            << HttpHeaders{{"x-api-key", "sk-ant-api03-xyz"}} << kIncorrect;
        QTest::newRow("revoked key, bearer")
            << HttpHeaders{{"authorization", "Bearer " + kAcmeOldKey}} << kIncorrect;
        QTest::newRow("revoked key, x-api-key")
            << HttpHeaders{{"x-api-key", kAcmeOldKey}} << kIncorrect;

        QTest::newRow("disabled tenant, bearer")
            << HttpHeaders{{"authorization", "Bearer " + kFrozenKey}} << kDisabled;
        QTest::newRow("disabled tenant, x-api-key")
            << HttpHeaders{{"x-api-key", kFrozenKey}} << kDisabled;
        QTest::newRow("tenant gone from the directory")
            << HttpHeaders{{"x-api-key", kOrphanKey}} << kDisabled;

        // A Bearer key is the one checked, even when x-api-key holds a good one.
        QTest::newRow("bad bearer beside a good x-api-key")
            << HttpHeaders{{"authorization", "Bearer " + kUnknownKey}, {"x-api-key", kAcmeKey}}
            << kIncorrect;
        QTest::newRow("empty bearer beside a good x-api-key")
            << HttpHeaders{{"authorization", "Bearer   "}, {"x-api-key", kAcmeKey}} << kMissing;
    }

    void refusals()
    {
        QFETCH(HttpHeaders, headers);
        QFETCH(QByteArray, message);
        const DirectorySnapshot d = directory();
        for (const QByteArray &path :
             {QByteArray("/v1/chat/completions"), QByteArray("/v1/messages")}) {
            ApiError error = untouched();
            const Authenticated auth = authenticate(request(path, headers), d, 0, &error);
            QVERIFY2(!auth, path.constData());
            QCOMPARE(auth.tenant, nullptr);
            QVERIFY(auth.keyPrefix.isEmpty());
            QCOMPARE(error.status, 401);
            QCOMPARE(error.type, QByteArray("invalid_request_error"));
            QCOMPARE(error.code, QByteArray("invalid_api_key"));
            QCOMPARE(error.message, message);
            QVERIFY(error.extraHeaders.isEmpty());
            QCOMPARE(error.body(), R"({"error":{"message":")" + message +
                                       R"(","type":"invalid_request_error","param":null,)"
                                       R"("code":"invalid_api_key"}})");
        }
    }

    // A non-Bearer Authorization (a proxy's own credentials, say) leaves x-api-key to speak.
    void otherSchemeFallsBackToXApiKey()
    {
        const DirectorySnapshot d = directory();
        ApiError error = untouched();
        const Authenticated auth =
            authenticate(request("/v1/messages", {{"authorization", "Basic dXNlcjpwYXNz"},
                                                  {"x-api-key", kAcmeKey}}),
                         d, 0, &error);
        QVERIFY(auth);
        QCOMPARE(auth.tenant->id, QStringLiteral("acme"));
        QCOMPARE(error.status, 999);
    }

    // The answer follows the snapshot it is given: a key revoked or a tenant disabled in the next
    // published snapshot is refused there, while the old snapshot still answers as before.
    void followsTheSnapshotItIsGiven()
    {
        const DirectorySnapshot before = directory();
        DirectorySnapshot after = directory();
        after.keysByHash[ApiKey::hash(kAcmeKey)].revoked = true;
        after.keysByHash[ApiKey::hash(kFrozenKey)].revoked = false;
        after.tenants[QStringLiteral("frozen")].enabled = true;

        const HttpRequest acme = request("/v1/chat/completions", {{"x-api-key", kAcmeKey}});
        const HttpRequest frozen = request("/v1/chat/completions", {{"x-api-key", kFrozenKey}});
        ApiError error;
        QVERIFY(authenticate(acme, before, 0, &error));
        QVERIFY(!authenticate(acme, after, 0, &error));
        QCOMPARE(error.message, kIncorrect);
        QVERIFY(!authenticate(frozen, before, 0, &error));
        QCOMPARE(error.message, kDisabled);
        const Authenticated thawed = authenticate(frozen, after, 0, &error);
        QVERIFY(thawed);
        QCOMPARE(thawed.tenant->id, QStringLiteral("frozen"));
        QCOMPARE(thawed.keyPrefix, QStringLiteral("sk-tr-Frozen"));
    }

    // A key that matched once is remembered (its digest), yet every new request is still judged
    // by the snapshot it is given: revoked, removed, given to a disabled tenant, or a key that
    // only begins like a remembered one; and past the memo's size every key still matches.
    void rememberedKeysStillFollowTheSnapshot()
    {
        const DirectorySnapshot before = directory();
        const auto fresh = [](const QByteArray &key) {
            return request("/v1/chat/completions", {{"authorization", "Bearer " + key}});
        };
        ApiError error;
        for (int i = 0; i < 3; ++i)
            QVERIFY(authenticate(fresh(kAcmeKey), before, 0, &error));

        DirectorySnapshot revoked = directory();
        revoked.keysByHash[ApiKey::hash(kAcmeKey)].revoked = true;
        QVERIFY(!authenticate(fresh(kAcmeKey), revoked, 0, &error));
        QCOMPARE(error.message, kIncorrect);

        DirectorySnapshot removed = directory();
        removed.keysByHash.remove(ApiKey::hash(kAcmeKey));
        QVERIFY(!authenticate(fresh(kAcmeKey), removed, 0, &error));
        QCOMPARE(error.message, kIncorrect);

        DirectorySnapshot disabled = directory();
        disabled.tenants[QStringLiteral("acme")].enabled = false;
        QVERIFY(!authenticate(fresh(kAcmeKey), disabled, 0, &error));
        QCOMPARE(error.message, kDisabled);

        QVERIFY(!authenticate(fresh(kAcmeKey + "x"), before, 0, &error));
        QCOMPARE(error.message, kIncorrect);
        QVERIFY(!authenticate(fresh(kAcmeKey.chopped(1)), before, 0, &error));
        QCOMPARE(error.message, kIncorrect);

        DirectorySnapshot many = directory();
        QList<QByteArray> keys;
        for (int i = 0; i < 5000; ++i) {
            keys << "sk-tr-Many" + QByteArray::number(i).rightJustified(36, '0');
            addKey(many, keys.last(), QStringLiteral("acme"), false);
        }
        for (int round = 0; round < 2; ++round) {
            for (const QByteArray &key : std::as_const(keys)) {
                const Authenticated auth = authenticate(fresh(key), many, 0, &error);
                QVERIFY2(auth, key.constData());
                QCOMPARE(auth.tenant->id, QStringLiteral("acme"));
            }
        }
        QVERIFY(authenticate(fresh(kAcmeKey), many, 0, &error));
        QVERIFY(!authenticate(fresh(kAcmeKey), revoked, 0, &error));
    }

    // An expiring key works up to the millisecond before its end and is refused from then on,
    // by the same snapshot: the time is the caller's clock, read on every request.
    void expiredKeyIsRefusedAtItsEnd()
    {
        DirectorySnapshot d = directory();
        const qint64 end = 1'800'000'000'000;
        d.keysByHash[ApiKey::hash(kAcmeKey)].expiresMs = end;
        const HttpRequest acme = request("/v1/chat/completions", {{"x-api-key", kAcmeKey}});
        ApiError error = untouched();
        QVERIFY(authenticate(acme, d, end - 1, &error));
        QCOMPARE(error.status, 999);
        QVERIFY(!authenticate(acme, d, end, &error));
        QCOMPARE(error.status, 401);
        QCOMPARE(error.code, QByteArray("invalid_api_key"));
        QCOMPARE(error.message, QByteArray("This API key expired at 2027-01-15T08:00:00Z."));
        // A key that never expires does not care about the time.
        d.keysByHash[ApiKey::hash(kAcmeKey)].expiresMs.reset();
        QVERIFY(authenticate(acme, d, std::numeric_limits<qint64>::max(), &error));
    }

    // With a memo (a worker's last key), a key found is kept with the directory it was found
    // in, and the next requests with that key in that directory are answered from it: the same
    // tenant and prefix, the expiry still checked against the time of each call. Refusals are
    // not kept, and a memo of another directory is not used.
    void memoAnswersTheLastKeyOfItsDirectory()
    {
        DirectorySnapshot d = directory();
        const qint64 end = 1'800'000'000'000;
        d.keysByHash[ApiKey::hash(kAcmeKey)].expiresMs = end;
        const auto fresh = [](const QByteArray &key) {
            return request("/v1/chat/completions", {{"authorization", "Bearer " + key}});
        };
        AuthMemo memo;
        ApiError error = untouched();
        QVERIFY(!authenticate(fresh(kUnknownKey), d, 0, &error, &memo));
        QVERIFY(!authenticate(fresh(kFrozenKey), d, 0, &error, &memo));
        QVERIFY(!authenticate(fresh(kAcmeOldKey), d, 0, &error, &memo));
        QVERIFY(!memo.tenant);

        error = untouched();
        const Authenticated first = authenticate(fresh(kAcmeKey), d, end - 1, &error, &memo);
        QVERIFY(first);
        QCOMPARE(memo.directory, &d);
        QCOMPARE(memo.tenant, first.tenant);
        const Authenticated again = authenticate(fresh(kAcmeKey), d, end - 1, &error, &memo);
        QCOMPARE(again.tenant, first.tenant);
        QCOMPARE(again.keyPrefix, QStringLiteral("sk-tr-AcmeLi"));
        QCOMPARE(error.status, 999);
        QVERIFY(!authenticate(fresh(kAcmeKey), d, end, &error, &memo));
        QCOMPARE(error.message, QByteArray("This API key expired at 2027-01-15T08:00:00Z."));

        // The memo is what answers for its directory: one that names another tenant for the key
        // is believed (which is why its owner clears it before the directory can change)...
        const TenantConfig &frozen = *d.tenants.constFind(QStringLiteral("frozen"));
        memo.tenant = &frozen;
        QCOMPARE(authenticate(fresh(kAcmeKey), d, 0, &error, &memo).tenant, &frozen);
        // ...and for any other directory it is passed over, and then holds that one's answer.
        DirectorySnapshot revoked = directory();
        revoked.keysByHash[ApiKey::hash(kAcmeKey)].revoked = true;
        QVERIFY(!authenticate(fresh(kAcmeKey), revoked, 0, &error, &memo));
        QCOMPARE(error.message, kIncorrect);
        const DirectorySnapshot other = directory();
        const Authenticated there = authenticate(fresh(kAcmeKey), other, 0, &error, &memo);
        QCOMPARE(there.tenant->id, QStringLiteral("acme"));
        QCOMPARE(memo.directory, &other);

        memo.clear();
        QVERIFY(!memo.directory && !memo.key && !memo.tenant && memo.keyHash.isEmpty());
    }

    // --allow-ips: the TCP peer address only; a mapped IPv6 peer is its IPv4 address.
    void callerAddressIsChecked()
    {
        TenantConfig t;
        t.id = QStringLiteral("acme");
        QVERIFY(!checkAddress(t, QHostAddress(QStringLiteral("203.0.113.9"))));
        t.allowIps = *AddressAllowList::parse(QStringLiteral("10.0.0.0/8,::1"));
        QVERIFY(!checkAddress(t, QHostAddress(QStringLiteral("10.9.8.7"))));
        QVERIFY(!checkAddress(t, QHostAddress(QStringLiteral("::ffff:10.9.8.7"))));
        QVERIFY(!checkAddress(t, QHostAddress(QStringLiteral("::1"))));
        const std::optional<ApiError> refused =
            checkAddress(t, QHostAddress(QStringLiteral("127.0.0.1")));
        QVERIFY(refused);
        QCOMPARE(refused->status, 403);
        QCOMPARE(refused->type, QByteArray("invalid_request_error"));
        QCOMPARE(refused->code, QByteArray("ip_not_allowed"));
        QVERIFY(refused->message.contains("127.0.0.1"));
    }

    void emptyDirectoryRefusesEveryKey()
    {
        const DirectorySnapshot empty;
        ApiError error;
        QVERIFY(!authenticate(request("/v1/chat/completions", {{"x-api-key", kAcmeKey}}), empty, 0,
                              &error));
        QCOMPARE(error.status, 401);
        QCOMPARE(error.message, kIncorrect);
    }

    void sameSecret_data()
    {
        QTest::addColumn<QByteArray>("given");
        QTest::addColumn<QByteArray>("expected");
        QTest::addColumn<bool>("same");
        QTest::newRow("equal") << QByteArray("Bearer s3cret") << QByteArray("Bearer s3cret")
                               << true;
        QTest::newRow("both empty") << QByteArray() << QByteArray() << true;
        QTest::newRow("last byte differs")
            << QByteArray("Bearer s3cret") << QByteArray("Bearer s3creT") << false;
        QTest::newRow("first byte differs")
            << QByteArray("bearer s3cret") << QByteArray("Bearer s3cret") << false;
        QTest::newRow("prefix of the secret")
            << QByteArray("Bearer s3cre") << QByteArray("Bearer s3cret") << false;
        QTest::newRow("longer than the secret")
            << QByteArray("Bearer s3cret!") << QByteArray("Bearer s3cret") << false;
        QTest::newRow("empty given") << QByteArray() << QByteArray("Bearer s3cret") << false;
        QTest::newRow("embedded NUL") << QByteArray("ab\0d", 4) << QByteArray("ab\0c", 4) << false;
    }

    void sameSecret()
    {
        QFETCH(QByteArray, given);
        QFETCH(QByteArray, expected);
        QFETCH(bool, same);
        QCOMPARE(relay::sameSecret(given, expected), same);
    }
};

QTEST_GUILESS_MAIN(TestAuthenticator)
#include "tst_authenticator.moc"
