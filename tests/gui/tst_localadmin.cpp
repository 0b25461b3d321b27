// The console's own relay serving the admin API (interface.md §5) with a token kept in the
// desktop's keychain: Settings makes the token, keeps it in the keychain and shows it once; the
// console started on that database serves /admin/v1 with it, so another computer (here another
// process) manages the relay with `--connect`. Runs inside a D-Bus session of its own with an
// unlocked GNOME keyring (with-keychain.sh), the Secret Service QtKeychain talks to.

#include "ConsoleLauncher.h"
#include "MainWindow.h"
#include "SettingsPanel.h"
#include "TempDir.h"
#include "TestHttpClient.h"
#include "TokenStore.h"
#include "store/AdminService.h"
#include "store/Database.h"

#include <QCheckBox>
#include <QDialog>
#include <QLineEdit>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace relay;
using namespace relay::test;
using namespace relay::ui;

namespace {

constexpr int kWait = 20'000;

quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost))
        return 0;
    return probe.serverPort();
}

ServerConfig loopback()
{
    ServerConfig server;
    server.host = QHostAddress::LocalHost;
    return server;
}

// Clicks `button` and returns the token the dialog it opens shows (empty when none opened).
QString tokenShownBy(QPushButton *button)
{
    QString shown;
    QTimer poll;
    poll.setInterval(20);
    QObject::connect(&poll, &QTimer::timeout, [&shown, &poll] {
        auto *dialog = qobject_cast<QDialog *>(QApplication::activeModalWidget());
        if (!dialog || dialog->objectName() != QLatin1String("adminTokenDialog"))
            return;
        auto *field = dialog->findChild<QLineEdit *>(QStringLiteral("adminTokenEdit"));
        if (field && field->isReadOnly())
            shown = field->text();
        poll.stop();
        dialog->reject();
    });
    poll.start();
    // Gives up after a while rather than waiting forever on a dialog that never came.
    QTimer::singleShot(kWait, &poll, [] {
        if (auto *dialog = qobject_cast<QDialog *>(QApplication::activeModalWidget()))
            dialog->reject();
    });
    button->click();
    return shown;
}

} // namespace

class TestLocalAdmin : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_config.isValid());
        qputenv("XDG_CONFIG_HOME", m_config.path().toLocal8Bit());
        QCoreApplication::setOrganizationName(QStringLiteral("TenantRelay"));
        QCoreApplication::setApplicationName(QStringLiteral("TenantRelay"));
        // The keychain this test runs with answers; without it nothing below means anything.
        QString error;
        QVERIFY2(TokenStore::write(QStringLiteral("probe"), "x", &error),
                 qPrintable(QStringLiteral("no usable keychain (run through with-keychain.sh): ") +
                            error));
        QCOMPARE(TokenStore::read(QStringLiteral("probe")), QByteArray("x"));
        QVERIFY(TokenStore::remove(QStringLiteral("probe")));
        Database db;
        QVERIFY(db.open(m_db.path(), &error));
        QVERIFY(AdminService(db.db()).addTenant(QStringLiteral("alpha"), {}).ok);
    }

    // Settings ▸ New admin token: a fresh token, shown once, kept in the keychain under this
    // database's relay; Save turns the admin API on for the next start.
    void settingsMakeATokenAndKeepItInTheKeychain()
    {
        MainWindow window(nullptr, m_db.path());
        auto *panel = window.findChild<SettingsPanel *>();
        QVERIFY(panel);
        auto *check = panel->findChild<QCheckBox *>(QStringLiteral("adminApiCheck"));
        QVERIFY(check);
        QVERIFY(!check->isChecked());
        // The button first waits for the keychain (with the event loop running), then opens the
        // dialog: a timer reads the token once the dialog is up, and closes it.
        const QString shown =
            tokenShownBy(panel->findChild<QPushButton *>(QStringLiteral("newAdminTokenButton")));
        QVERIFY2(shown.startsWith(QStringLiteral("tra-")) && shown.size() == 47, qPrintable(shown));
        QCOMPARE(TokenStore::read(TokenStore::localRelayKey(m_db.path())), shown.toLatin1());
        QVERIFY(check->isChecked());
        QVERIFY(!QSettings().value(SettingsPanel::adminApiKey()).toBool());
        panel->findChild<QPushButton *>(QStringLiteral("saveLocalSettingsButton"))->click();
        QVERIFY(QSettings().value(SettingsPanel::adminApiKey()).toBool());
        m_token = shown.toLatin1();

        // A second token replaces the first in the keychain.
        const QString second =
            tokenShownBy(panel->findChild<QPushButton *>(QStringLiteral("newAdminTokenButton")));
        QVERIFY(!second.isEmpty() && second != shown);
        QCOMPARE(TokenStore::read(TokenStore::localRelayKey(m_db.path())), second.toLatin1());
        m_token = second.toLatin1();
    }

    // What the launcher gives the engine: the keychain's token on loopback; nothing beyond
    // loopback without TLS, nor when the keychain holds none, and the note says why.
    void launcherTakesTheTokenOnlyWhereItMayCrossTheNetwork()
    {
        QVERIFY(!m_token.isEmpty());
        QString note;
        QCOMPARE(localAdminToken(m_db.path(), loopback(), &note), m_token);
        QVERIFY(note.isEmpty());

        ServerConfig open;
        open.host = QHostAddress(QStringLiteral("0.0.0.0"));
        QVERIFY(localAdminToken(m_db.path(), open, &note).isEmpty());
        QVERIFY2(note.contains(QStringLiteral("TLS")), qPrintable(note));

        note.clear();
        TempDb other;
        QVERIFY(localAdminToken(other.path(), loopback(), &note).isEmpty());
        QVERIFY2(note.contains(QStringLiteral("keychain")), qPrintable(note));

        QSettings().setValue(SettingsPanel::adminApiKey(), false);
        note.clear();
        QVERIFY(localAdminToken(m_db.path(), loopback(), &note).isEmpty());
        QVERIFY(note.isEmpty());
        QSettings().setValue(SettingsPanel::adminApiKey(), true);
    }

    // The real console process on the database serves the admin API with the keychain's token;
    // another process manages it with `--connect`, and a wrong token is refused.
    void consoleProcessServesTheAdminApi()
    {
        const QString bin = qEnvironmentVariable("TENANTRELAY_BIN");
        QVERIFY(QFile::exists(bin));
        const quint16 port = freePort();
        QVERIFY(port != 0);
        QSettings().setValue(SettingsPanel::listenKey(), QStringLiteral("127.0.0.1:%1").arg(port));
        QSettings().sync();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.remove(QStringLiteral("TENANTRELAY_DB"));
        env.remove(QStringLiteral("TENANTRELAY_ADMIN_TOKEN"));
        QProcess console;
        console.setProcessEnvironment(env);
        console.start(bin, {QStringLiteral("--db"), m_db.path()});
        QVERIFY(console.waitForStarted(kWait));
        const HttpHeaders admin = TestHttpClient::bearer(QString::fromLatin1(m_token));
        QTRY_VERIFY_WITH_TIMEOUT(request(port, "GET", "/healthz", {}, {}, 1000).status == 200 ||
                                     console.state() != QProcess::Running,
                                 kWait);
        QVERIFY2(console.state() == QProcess::Running, console.readAllStandardError().constData());
        const int status = request(port, "GET", "/admin/v1/tenants", {}, admin).status;
        QVERIFY2(status == 200,
                 qPrintable(QStringLiteral("status %1; the console said: %2")
                                .arg(status)
                                .arg(QString::fromLocal8Bit(console.readAllStandardError()))));
        const TestResponse tenants = request(port, "GET", "/admin/v1/tenants", {}, admin);
        QVERIFY2(tenants.body.contains("\"alpha\""), tenants.body.constData());
        QCOMPARE(request(port, "GET", "/admin/v1/tenants", {},
                         TestHttpClient::bearer(QStringLiteral("tra-wrong")))
                     .status,
                 401);

        // A second process, as on another computer: `tenantrelay --connect URL tenant add`.
        QProcess cli;
        QProcessEnvironment cliEnv = env;
        cliEnv.insert(QStringLiteral("TENANTRELAY_ADMIN_TOKEN"), QString::fromLatin1(m_token));
        cli.setProcessEnvironment(cliEnv);
        cli.start(bin,
                  {QStringLiteral("--connect"), QStringLiteral("http://127.0.0.1:%1").arg(port),
                   QStringLiteral("tenant"), QStringLiteral("add"), QStringLiteral("beta")});
        QVERIFY(cli.waitForFinished(kWait));
        QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
        const QString key = QString::fromLatin1(cli.readAllStandardOutput().trimmed());
        QVERIFY2(key.startsWith(QStringLiteral("sk-tr-")), qPrintable(key));
        // The console's relay serves the new tenant's key at once.
        QCOMPARE(request(port, "GET", "/v1/models", {}, TestHttpClient::bearer(key)).status, 200);

        console.terminate();
        QVERIFY(console.waitForFinished(kWait));
        QCOMPARE(console.exitCode(), 0);

        // Without a token in the keychain the same console serves no admin API: 404.
        QVERIFY(TokenStore::remove(TokenStore::localRelayKey(m_db.path())));
        QProcess bare;
        bare.setProcessEnvironment(env);
        bare.start(bin, {QStringLiteral("--db"), m_db.path()});
        QVERIFY(bare.waitForStarted(kWait));
        QTRY_COMPARE_WITH_TIMEOUT(request(port, "GET", "/healthz", {}, {}, 1000).status, 200,
                                  kWait);
        QCOMPARE(request(port, "GET", "/admin/v1/tenants", {}, admin).status, 404);
        bare.terminate();
        QVERIFY(bare.waitForFinished(kWait));
    }

private:
    QTemporaryDir m_config;
    TempDb m_db;
    QByteArray m_token;
};

QTEST_MAIN(TestLocalAdmin)
#include "tst_localadmin.moc"
