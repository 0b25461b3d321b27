// The console managing a relay in another process through its admin API (`--connect`): every
// panel reads and writes through the API, the live figures come over /admin/v1/events, an
// unreachable relay is shown and reconnected by itself, and a self-signed certificate is
// trusted only by its fingerprint.

#include "BudgetsPanel.h"
#include "ConnectDialog.h"
#include "DashboardPanel.h"
#include "DbWorker.h"
#include "KeyDialog.h"
#include "LatencyChart.h"
#include "MainWindow.h"
#include "PagedLogView.h"
#include "RelayHarness.h"
#include "RelayKeeper.h"
#include "RowTableModel.h"
#include "ServeProcess.h"
#include "TempDir.h"
#include "TenantDialog.h"
#include "TenantsPanel.h"
#include "TestCertificate.h"
#include "TestHttpClient.h"
#include "TokenStore.h"
#include "UpstreamDialog.h"
#include "UpstreamsPanel.h"
#include "UsagePanel.h"
#include "admin/RemoteAdmin.h"
#include "relay/RemoteRelay.h"
#include "relay/StatsJson.h"
#include "sim/Simulator.h"
#include "store/AdminService.h"
#include "store/Database.h"

#include <QAction>
#include <QComboBox>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QSslSocket>
#include <QStatusBar>
#include <QTableView>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace relay;
using namespace relay::test;
using namespace relay::ui;

namespace {

constexpr int kWait = 15'000;
constexpr char kToken[] = "remote-console-admin-token-0123456789";
constexpr char kTokenEnv[] = "TR_REMOTE_CONSOLE_TOKEN";

QProcessEnvironment relayEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("TENANTRELAY_DB"));
    env.insert(QString::fromLatin1(kTokenEnv), QString::fromLatin1(kToken));
    return env;
}

// The relay's database before it starts: one tenant, the simulated provider as its upstream.
QString seed(const QString &dbPath, const QString &upstreamUrl)
{
    Database db;
    QString error;
    if (!db.open(dbPath, &error))
        return {};
    AdminService admin(db.db());
    UpstreamChanges upstream;
    upstream.kind = QStringLiteral("openai");
    upstream.baseUrl = upstreamUrl;
    if (!admin.addUpstream(QStringLiteral("sim"), upstream).ok)
        return {};
    const AdminValue<QString> key = admin.addTenant(QStringLiteral("alpha"), {});
    return key.ok ? key.value : QString();
}

// A console window on a relay elsewhere, as `tenantrelay --connect URL` opens it.
struct RemoteConsole
{
    std::unique_ptr<RemoteRelay> remote;
    std::unique_ptr<MainWindow> window;

    bool open(RemoteAdminOptions options)
    {
        // Short waits between attempts, so that a reconnection shows within the test's time.
        RemoteRelay::Timing timing;
        timing.retryMs = {200, 500};
        remote = std::make_unique<RemoteRelay>(options, timing);
        window = std::make_unique<MainWindow>(remote.get(), options);
        window->show();
        remote->start();
        return QTest::qWaitForWindowExposed(window.get());
    }
    template <typename T> T *find(const char *name)
    {
        return window->findChild<T *>(QLatin1String(name));
    }
    QString connection() { return find<QLabel>("connectionLabel")->text(); }
};

RemoteAdminOptions optionsFor(const QString &url)
{
    RemoteAdminOptions options;
    options.url = QUrl(url);
    options.token = kToken;
    options.tokenSource = QStringLiteral("the test");
    options.timeoutMs = 5000;
    return options;
}

} // namespace

class TestRemoteConsole : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // The console's settings (trusted certificates among them) stay in this test's folder.
        QVERIFY(m_config.isValid());
        qputenv("XDG_CONFIG_HOME", m_config.path().toLocal8Bit());
        m_bin = qEnvironmentVariable("TENANTRELAY_BIN");
        QVERIFY2(!m_bin.isEmpty(), "TENANTRELAY_BIN names the tenantrelay program");
        QVERIFY(m_sim.start());
        m_key = seed(m_db.path(), m_sim.baseUrl());
        QVERIFY(!m_key.isEmpty());
        QVERIFY(m_relay.start(m_bin, m_db.path(), {"--admin-token-env", kTokenEnv},
                              relayEnvironment()));
    }

    void cleanupTestCase() { m_relay.stop(); }

    // The snapshot the console draws survives the trip through the API's JSON.
    void statsReadBackAsTheEngineGaveThem()
    {
        EngineStatsSnapshot s;
        s.listenAddress = QStringLiteral("127.0.0.1:8700");
        s.workers = 2;
        s.requests = 42;
        s.paused = true;
        s.pinnedUpstream = QStringLiteral("b");
        FlowSnapshot t;
        t.name = QStringLiteral("alpha");
        t.requestsPerSec = 2.5;
        t.inFlight = 3;
        t.latencyP95Ms = 812;
        s.tenants << t;
        FlowSnapshot u;
        u.name = QStringLiteral("b");
        u.poolSize = 16;
        s.upstreams << u;
        CircuitSnapshot c;
        c.upstream = u.name;
        c.state = CircuitState::Open;
        c.reason = QStringLiteral("5 failures in a row");
        c.changedWallMs = 1'764'000'000'123;
        s.circuits << c;
        BudgetSnapshot b;
        b.tenant = QStringLiteral("alpha");
        b.budgetUsd = 50;
        b.spentUsd = 12.5;
        s.budgets << b;
        const EngineStatsSnapshot back = statsFromJson(statsJson(s));
        QCOMPARE(back.listenAddress, s.listenAddress);
        QCOMPARE(back.workers, 2);
        QCOMPARE(back.requests, qint64(42));
        QVERIFY(back.paused);
        QCOMPARE(back.pinnedUpstream, QStringLiteral("b"));
        QCOMPARE(back.tenants.size(), 1);
        QCOMPARE(back.tenants.at(0).requestsPerSec, 2.5);
        QCOMPARE(back.tenants.at(0).inFlight, qint64(3));
        QCOMPARE(back.tenants.at(0).latencyP95Ms, 812.0);
        QCOMPARE(back.upstreams.at(0).poolSize, 16);
        QCOMPARE(back.circuits.at(0).state, CircuitState::Open);
        QCOMPARE(back.circuits.at(0).reason, c.reason);
        QCOMPARE(back.budgets.at(0).budgetUsd, std::optional<double>(50));
        QCOMPARE(back.budgets.at(0).spentUsd, 12.5);
    }

    void panelsShowTheRemoteRelayLive()
    {
        RemoteConsole c;
        QVERIFY(c.open(optionsFor(m_relay.url())));
        QVERIFY2(c.window->windowTitle().contains(m_relay.url()),
                 qPrintable(c.window->windowTitle()));
        QTRY_VERIFY_WITH_TIMEOUT(c.connection().startsWith(QStringLiteral("Connected to ")), kWait);
        QVERIFY2(c.connection().contains(m_relay.url()), qPrintable(c.connection()));
        // The tenants panel lists the relay's tenants, read through its admin API.
        QTRY_VERIFY_WITH_TIMEOUT(
            c.window->tenants()->tenantModel()->findRow(QStringLiteral("alpha")) >= 0, kWait);
        // Requests the relay serves show in the dashboard's live count and in the request log.
        auto *count = c.find<QLabel>("requestCount");
        const qint64 before = c.remote->lastStats().requests;
        for (int i = 0; i < 3; ++i)
            QCOMPARE(chat(m_key), 200);
        QTRY_VERIFY_WITH_TIMEOUT(count->text().toLongLong() >= before + 3, kWait);
        auto *log = c.window->findChild<PagedLogView *>(QStringLiteral("requestLog"));
        QVERIFY(log);
        log->firstPage();
        QTRY_VERIFY_WITH_TIMEOUT(log->model()->rowCount() >= 3, kWait);
        QCOMPARE(log->model()->value(0, 2).toString(), QStringLiteral("alpha"));
        QCOMPARE(log->model()->value(0, 9).toInt(), 200);

        // The CSV export pages through the API to the end of the log.
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("requests.csv"));
        QSignalSpy exported(log, &PagedLogView::exportFinished);
        log->exportCsv(path);
        QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kWait);
        QVERIFY2(exported.first().at(1).toString().isEmpty(),
                 qPrintable(exported.first().at(1).toString()));
        const qint64 rows = exported.first().at(0).toLongLong();
        QVERIFY(rows >= 3);
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
        QCOMPARE(lines.size(), rows + 1);
        QVERIFY2(lines.first().startsWith("id,ts,tenant_id,"), lines.first().constData());
        QVERIFY(lines.at(1).contains(",alpha,"));

        // The dashboard's history windows come from GET /admin/v1/history.
        c.window->showPanel(QStringLiteral("dashboardPanel"));
        auto *window = c.find<QComboBox>("chartWindowCombo");
        window->setCurrentIndex(window->findData(int(UsageHistory::Window::Hour)));
        QTRY_VERIFY_WITH_TIMEOUT(
            c.window->dashboard()->tenantChart()->pointCount(QStringLiteral("alpha")) >= 1, kWait);
        QVERIFY(c.window->dashboard()->upstreamChart()->pointCount(QStringLiteral("sim")) >= 1);

        // The budget panel's month curve comes from GET /admin/v1/spend: a point per day of the
        // relay's month so far, after the origin.
        c.window->showPanel(QStringLiteral("budgetsPanel"));
        c.window->budgets()->refresh();
        QTRY_COMPARE_WITH_TIMEOUT(c.window->budgets()->curvePoints(),
                                  1 + QDateTime::currentDateTimeUtc().date().day(), kWait);
    }

    // Closing the window while its calls wait on a relay that accepted and never answers: the
    // waits end, the worker goes after its last call, nothing is left running or crashes.
    void closingWhileACallWaitsOnASilentRelay()
    {
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        QList<QTcpSocket *> held;
        connect(&silent, &QTcpServer::newConnection, this, [&] {
            while (QTcpSocket *s = silent.nextPendingConnection())
                held << s; // read nothing, answer nothing
        });
        RemoteConsole c;
        RemoteAdminOptions options =
            optionsFor(QStringLiteral("http://127.0.0.1:%1").arg(silent.serverPort()));
        options.timeoutMs = 60'000;
        QVERIFY(c.open(options));
        // The panels' first reads are out and waiting.
        QTRY_VERIFY_WITH_TIMEOUT(held.size() >= 2 && c.window->database()->pending() > 0, kWait);
        QElapsedTimer closing;
        closing.start();
        c.window.reset();
        c.remote.reset();
        QVERIFY2(closing.elapsed() < 5000, "the window closes without waiting for the relay");
        qDeleteAll(held);
    }

    void tenantCreatedInTheConsoleWorksOnTheRemoteRelay()
    {
        RemoteConsole c;
        QVERIFY(c.open(optionsFor(m_relay.url())));
        c.window->showPanel(QStringLiteral("tenantsPanel"));
        QTest::mouseClick(c.find<QPushButton>("newTenantButton"), Qt::LeftButton);
        TenantDialog *dialog = c.window->tenants()->dialog();
        QVERIFY(dialog);
        QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("tenantIdEdit")),
                         QStringLiteral("beta"));
        QTest::mouseClick(dialog->findChild<QPushButton *>(QStringLiteral("tenantDialogOk")),
                          Qt::LeftButton);
        KeyDialog *shown = nullptr;
        QVERIFY(QTest::qWaitFor(
            [&] { return (shown = c.find<KeyDialog>("newKeyDialog")) != nullptr; }, kWait));
        const QString key = shown->findChild<QLineEdit *>(QStringLiteral("newKeyField"))->text();
        shown->close();
        QVERIFY2(key.startsWith(QStringLiteral("sk-tr-")), qPrintable(key));
        QTRY_VERIFY_WITH_TIMEOUT(
            c.window->tenants()->tenantModel()->findRow(QStringLiteral("beta")) >= 0, kWait);
        // The relay in the other process serves the new tenant's key at once.
        QCOMPARE(chat(key), 200);
        // The audit log, newest first, names the change and the console's address as its actor.
        auto *audit = c.window->findChild<PagedLogView *>(QStringLiteral("auditLog"));
        QVERIFY(audit);
        audit->firstPage();
        QTRY_VERIFY_WITH_TIMEOUT(audit->model()->rowCount() > 0 &&
                                     audit->model()->value(0, 4).toString() ==
                                         QStringLiteral("beta"),
                                 kWait);
        QVERIFY2(audit->model()->value(0, 2).toString().startsWith(QStringLiteral("admin-api@")),
                 qPrintable(audit->model()->value(0, 2).toString()));
    }

    void pauseReachesTheRemoteRelay()
    {
        RemoteConsole c;
        QVERIFY(c.open(optionsFor(m_relay.url())));
        QTRY_VERIFY_WITH_TIMEOUT(c.remote->isConnected(), kWait);
        QAction *pause = c.window->keeper()->pauseAction();
        QVERIFY(pause->isEnabled());
        pause->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(chat(m_key), 503, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(c.find<QLabel>("pausedLabel")->isVisible(), kWait);
        pause->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(chat(m_key), 200, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(!c.find<QLabel>("pausedLabel")->isVisible(), kWait);
    }

    // Test connection on a relay managed remotely: the relay asks the provider, for an upstream
    // not saved yet as the form describes it (POST /admin/v1/upstreams/test), for a saved one
    // with its stored key and the form's changes (POST /admin/v1/upstreams/{name}/test).
    void testConnectionRunsOnTheRemoteRelay()
    {
        RemoteConsole c;
        QVERIFY(c.open(optionsFor(m_relay.url())));
        c.window->showPanel(QStringLiteral("upstreamsPanel"));
        QTest::mouseClick(c.find<QPushButton>("addUpstreamButton"), Qt::LeftButton);
        UpstreamDialog *dialog = nullptr;
        QVERIFY(QTest::qWaitFor(
            [&] { return (dialog = c.find<UpstreamDialog>("upstreamDialog")) != nullptr; }, kWait));
        auto *test = dialog->findChild<QPushButton *>(QStringLiteral("upstreamTestButton"));
        auto *result = dialog->findChild<QLabel *>(QStringLiteral("upstreamTestResult"));
        auto *url = dialog->findChild<QLineEdit *>(QStringLiteral("upstreamUrlEdit"));
        QVERIFY(test && result && url && test->isEnabled());
        QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("upstreamNameEdit")),
                         QStringLiteral("fresh"));
        QTest::keyClicks(url, m_sim.baseUrl());
        dialog->findChild<QRadioButton *>(QStringLiteral("upstreamKeyStored"))->setChecked(true);
        QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("upstreamKeyEdit")),
                         QStringLiteral("sk-typed-for-the-remote-test"));
        m_sim.clearReceived();
        QTest::mouseClick(test, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(QStringLiteral("Connected")), kWait);
        QVERIFY2(result->text().contains(QStringLiteral("gpt-4o")), qPrintable(result->text()));
        // The relay's request, with the key as typed (the relay is another process).
        QCOMPARE(m_sim.received().last().path, QByteArray("/v1/models"));
        QCOMPARE(m_sim.received().last().authorization,
                 QByteArray("Bearer sk-typed-for-the-remote-test"));
        // Nothing listens there: the relay's error, shown as the local test shows it.
        url->setText(QStringLiteral("http://127.0.0.1:%1/v1").arg(closedPort()));
        QTest::mouseClick(test, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(QStringLiteral("Failed")), kWait);
        // The provider's side of it, worded as a test from the console's own process words it.
        QVERIFY2(result->text().size() > 10 && !result->text().contains(QStringLiteral("HTTP 502")),
                 qPrintable(result->text()));
        QVERIFY(!result->text().contains(QStringLiteral("sk-typed-for-the-remote-test")));
        QVERIFY(test->isEnabled());
        dialog->reject();
        QTRY_VERIFY_WITH_TIMEOUT(!c.find<UpstreamDialog>("upstreamDialog"), kWait);

        // A saved upstream whose key is stored on the relay: edited to the simulator's URL and
        // tested before saving, the relay sends the stored key it alone holds.
        RemoteAdmin admin(optionsFor(m_relay.url()));
        UpstreamChanges keyed;
        keyed.baseUrl = QStringLiteral("http://127.0.0.1:%1/v1").arg(closedPort());
        keyed.apiKey = QStringLiteral("sk-stored-on-the-relay");
        QVERIFY(admin.addUpstream(QStringLiteral("keyed"), keyed).ok);
        RowTableModel *model = c.window->upstreams()->upstreamModel();
        c.window->upstreams()->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(model->findRow(QStringLiteral("keyed")) >= 0, kWait);
        auto *view = c.find<QTableView>("upstreamTable");
        view->setCurrentIndex(view->model()->index(model->findRow(QStringLiteral("keyed")), 0));
        QTest::mouseClick(c.find<QPushButton>("editUpstreamButton"), Qt::LeftButton);
        QVERIFY(QTest::qWaitFor(
            [&] { return (dialog = c.find<UpstreamDialog>("upstreamDialog")) != nullptr; }, kWait));
        test = dialog->findChild<QPushButton *>(QStringLiteral("upstreamTestButton"));
        result = dialog->findChild<QLabel *>(QStringLiteral("upstreamTestResult"));
        url = dialog->findChild<QLineEdit *>(QStringLiteral("upstreamUrlEdit"));
        QVERIFY(dialog->usesStoredKey());
        QTest::mouseClick(test, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(QStringLiteral("Failed")), kWait);
        url->setText(m_sim.baseUrl());
        m_sim.clearReceived();
        QTest::mouseClick(test, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(QStringLiteral("Connected")), kWait);
        QCOMPARE(m_sim.received().last().authorization,
                 QByteArray("Bearer sk-stored-on-the-relay"));
        dialog->reject();
        // Testing saved nothing: the one added above is as it was, "fresh" was never added.
        const AdminValue<QList<UpstreamRecord>> upstreams = admin.listUpstreams();
        QVERIFY(upstreams.ok);
        QStringList names;
        for (const UpstreamRecord &u : upstreams.value) {
            names << u.name;
            if (u.name == QLatin1String("keyed"))
                QCOMPARE(u.baseUrl, *keyed.baseUrl);
        }
        QCOMPARE(names, QStringList({QStringLiteral("sim"), QStringLiteral("keyed")}));
        QVERIFY(admin.removeUpstream(QStringLiteral("keyed")).ok);
    }

    // The relay goes away: the window says so (and stays responsive), then connects again by
    // itself when the relay is back on the same address.
    void unreachableRelayIsShownAndReconnects()
    {
        TempDb db;
        QVERIFY(!seed(db.path(), m_sim.baseUrl()).isEmpty());
        ServeProcess relay;
        QVERIFY(
            relay.start(m_bin, db.path(), {"--admin-token-env", kTokenEnv}, relayEnvironment()));
        RemoteConsole c;
        QVERIFY(c.open(optionsFor(relay.url())));
        QTRY_VERIFY_WITH_TIMEOUT(c.remote->isConnected(), kWait);
        const quint16 port = relay.port();
        relay.stop();
        QTRY_VERIFY_WITH_TIMEOUT(c.connection().startsWith(QStringLiteral("Cannot reach")), kWait);
        QVERIFY2(c.connection().contains(relay.url()), qPrintable(c.connection()));
        QVERIFY(c.window->dashboard()
                    ->findChild<QLabel *>(QStringLiteral("relayStatus"))
                    ->text()
                    .startsWith(QStringLiteral("Cannot reach")));
        // The window still answers while the relay is away: a panel switch is immediate.
        QVERIFY(c.window->showPanel(QStringLiteral("usagePanel")));
        QVERIFY(relay.start(m_bin, db.path(), {"--admin-token-env", kTokenEnv}, relayEnvironment(),
                            port));
        QTRY_VERIFY_WITH_TIMEOUT(c.connection().startsWith(QStringLiteral("Connected to ")), kWait);
    }

    void wrongTokenIsRefusedInTheConnectDialog()
    {
        ConnectDialog dialog;
        dialog.setUrl(m_relay.url());
        dialog.setToken("not-the-token");
        QSignalSpy failed(&dialog, &ConnectDialog::failed);
        dialog.tryConnect();
        QVERIFY(failed.wait(kWait));
        QVERIFY2(failed.at(0).at(0).toString().contains(QStringLiteral("refused the token")),
                 qPrintable(failed.at(0).at(0).toString()));
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
    }

    // HTTPS with a self-signed certificate: refused until the user trusts that certificate by
    // its fingerprint, then the console connects over TLS.
    void selfSignedCertificateIsTrustedByItsFingerprint()
    {
        if (!QSslSocket::supportsSsl())
            QSKIP("no TLS backend");
        TempDb db;
        QVERIFY(!seed(db.path(), m_sim.baseUrl()).isEmpty());
        const TestCertificate cert = makeTestCertificate(db.dir(), QStringLiteral("relay"));
        ServeProcess relay;
        QVERIFY(relay.start(
            m_bin, db.path(),
            {"--admin-token-env", kTokenEnv, "--tls-cert", cert.cert, "--tls-key", cert.key},
            relayEnvironment()));
        QVERIFY(relay.url().startsWith(QStringLiteral("https://")));
        const QString fingerprint = fingerprintText(certificateSha256(cert.certificate()));

        ConnectDialog dialog;
        dialog.setUrl(relay.url());
        dialog.setToken(kToken);
        QSignalSpy failed(&dialog, &ConnectDialog::failed);
        dialog.tryConnect();
        QVERIFY(failed.wait(kWait));
        QVERIFY2(failed.at(0).at(0).toString().contains(fingerprint),
                 qPrintable(failed.at(0).at(0).toString()));
        auto *trust = dialog.findChild<QPushButton *>(QStringLiteral("connectTrustButton"));
        QVERIFY(trust && !trust->isHidden());
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
        QTest::mouseClick(trust, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(dialog.result(), int(QDialog::Accepted), kWait);
        QCOMPARE(dialog.options().trustedSha256, certificateSha256(cert.certificate()));
        QCOMPARE(TrustedCertificates::digestFor(relay.url()), dialog.options().trustedSha256);

        RemoteConsole c;
        QVERIFY(c.open(dialog.options()));
        QTRY_VERIFY_WITH_TIMEOUT(c.connection().startsWith(QStringLiteral("Connected to https")),
                                 kWait);
        QTRY_VERIFY_WITH_TIMEOUT(
            c.window->tenants()->tenantModel()->findRow(QStringLiteral("alpha")) >= 0, kWait);

        // Another certificate on the same address is not trusted by that fingerprint.
        RemoteAdminOptions other = dialog.options();
        other.trustedSha256 = QByteArray(64, 'a');
        RemoteConsole untrusted;
        QVERIFY(untrusted.open(other));
        QTRY_VERIFY_WITH_TIMEOUT(untrusted.connection().contains(fingerprint), kWait);
        QVERIFY(!untrusted.remote->isConnected());
    }

private:
    int chat(const QString &key)
    {
        return request(m_relay.port(), "POST", "/v1/chat/completions",
                       RelayHarness::chatBody(QStringLiteral("gpt-4o"), QStringLiteral("hi")),
                       TestHttpClient::bearer(key))
            .status;
    }

    QTemporaryDir m_config;
    QString m_bin;
    Simulator m_sim;
    TempDb m_db;
    QString m_key;
    ServeProcess m_relay;
};

QTEST_MAIN(TestRemoteConsole)
#include "tst_remoteconsole.moc"
