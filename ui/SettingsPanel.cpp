#include "SettingsPanel.h"

#include "ConsoleWrites.h"
#include "DbWorker.h"
#include "PanelUtil.h"
#include "RelayKeeper.h"
#include "TokenStore.h"
#include "http/TlsCredentials.h"
#include "store/AdminService.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHostAddress>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

namespace relay::ui {

bool SettingsPanel::isLoopback(const QString &host)
{
    if (host == QLatin1String("localhost"))
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

SettingsPanel::SettingsPanel(const ConsoleContext &context, QWidget *parent)
    : QWidget(parent), m_context(context)
{
    setObjectName(QStringLiteral("settingsPanel"));
    QSettings settings;
    const QString listen = settings.value(listenKey(), QStringLiteral("127.0.0.1:8700")).toString();
    const qsizetype colon = listen.lastIndexOf(QLatin1Char(':'));

    QVBoxLayout *layout = makeScrollingContent(this, "settingsScroll");
    auto *local = new QGroupBox(tr("This computer (applies when the console next starts)"), this);
    auto *localForm = new QFormLayout(local);
    m_host = new QLineEdit(listen.left(colon), local);
    m_host->setObjectName(QStringLiteral("listenHostEdit"));
    m_host->setToolTip(tr("127.0.0.1 keeps the relay on this computer; another address lets "
                          "other machines call it"));
    m_port = new QSpinBox(local);
    m_port->setObjectName(QStringLiteral("listenPortSpin"));
    m_port->setRange(1, 65535);
    m_port->setValue(listen.mid(colon + 1).toInt() > 0 ? listen.mid(colon + 1).toInt() : 8700);
    m_warning = new QLabel(tr("⚠ Binding beyond loopback: anyone who can reach this address can "
                              "try tenant keys. Prefer 127.0.0.1 behind a TLS proxy."),
                           local);
    m_warning->setObjectName(QStringLiteral("listenWarning"));
    m_warning->setStyleSheet(QStringLiteral("color: #b26a00"));
    m_warning->setWordWrap(true);
    m_workers = new QSpinBox(local);
    m_workers->setObjectName(QStringLiteral("workersSpin"));
    m_workers->setRange(0, 256);
    m_workers->setSpecialValueText(tr("one per core"));
    m_workers->setValue(settings.value(workersKey(), 0).toInt());
    m_database = new QLineEdit(settings.value(databaseKey()).toString(), local);
    m_database->setObjectName(QStringLiteral("databasePathEdit"));
    m_database->setPlaceholderText(m_context.dbPath);
    m_database->setToolTip(tr("Used when no --db and no $TENANTRELAY_DB is given"));
    auto *browse =
        makeButton(local, tr("Browse…"), "browseDatabaseButton", tr("Choose the database file"));
    auto *dbRow = new QHBoxLayout;
    dbRow->addWidget(m_database, 1);
    dbRow->addWidget(browse);
    // Paths on this computer, so kept with the listen address rather than in the database.
    m_tlsCert = new QLineEdit(settings.value(tlsCertKey()).toString(), local);
    m_tlsCert->setObjectName(QStringLiteral("tlsCertEdit"));
    m_tlsCert->setPlaceholderText(tr("none: plain HTTP"));
    m_tlsCert->setToolTip(tr("PEM certificate file; with a key, the relay speaks HTTPS only"));
    m_tlsKey = new QLineEdit(settings.value(tlsKeyKey()).toString(), local);
    m_tlsKey->setObjectName(QStringLiteral("tlsKeyEdit"));
    m_tlsKey->setPlaceholderText(tr("none: plain HTTP"));
    m_tlsKey->setToolTip(tr("The certificate's PEM private key, without a passphrase"));
    m_adminApi = new QCheckBox(tr("Serve the admin API"), local);
    m_adminApi->setObjectName(QStringLiteral("adminApiCheck"));
    m_adminApi->setChecked(settings.value(adminApiKey(), false).toBool());
    m_adminApi->setToolTip(tr("Other computers manage this relay with the console's \"Connect "
                              "to relay…\" or `tenantrelay --connect`, with the admin token "
                              "kept in this desktop's keychain. Beyond loopback it needs TLS."));
    auto *newToken = makeButton(local, tr("New admin &token…"), "newAdminTokenButton",
                                tr("Make a new admin token, keep it in the keychain and show it "
                                   "once; the previous token stops working at the next start"));
    auto *adminRow = new QHBoxLayout;
    adminRow->addWidget(m_adminApi);
    adminRow->addWidget(newToken);
    adminRow->addStretch(1);
    auto *saveLocalButton = makeButton(local, tr("&Save"), "saveLocalSettingsButton",
                                       tr("Keep these in the application settings"));
    localForm->addRow(tr("Listen &address:"), m_host);
    localForm->addRow(tr("&Port:"), m_port);
    localForm->addRow(QString(), m_warning);
    localForm->addRow(tr("TLS &certificate:"), m_tlsCert);
    localForm->addRow(tr("TLS &key:"), m_tlsKey);
    localForm->addRow(tr("&Workers:"), m_workers);
    // A row whose field is a layout has no buddy of its own: the label names the field its
    // shortcut goes to (else it would show a literal "&").
    const auto rowFor = [local](const QString &text, QWidget *buddy) {
        auto *label = new QLabel(text, local);
        label->setBuddy(buddy);
        return label;
    };
    localForm->addRow(rowFor(tr("&Database:"), m_database), dbRow);
    localForm->addRow(rowFor(tr("Remote &management:"), m_adminApi), adminRow);
    localForm->addRow(QString(), saveLocalButton);
    layout->addWidget(local);

    // Takes effect at once, unlike the rest of this computer's settings.
    auto *closing = new QGroupBox(tr("When the window is closed"), this);
    auto *closingForm = new QFormLayout(closing);
    m_closeAction = new QComboBox(closing);
    m_closeAction->setObjectName(QStringLiteral("closeActionCombo"));
    m_closeAction->addItem(tr("Ask, if tenants are being served"),
                           int(RelayKeeper::CloseAction::Ask));
    m_closeAction->addItem(tr("Keep relaying in the background (icon in the system tray)"),
                           int(RelayKeeper::CloseAction::KeepRelaying));
    m_closeAction->addItem(tr("Stop the relay and quit"), int(RelayKeeper::CloseAction::Quit));
    m_closeAction->setToolTip(tr("Keep relaying: the relay keeps serving tenants with the window "
                                 "closed; its tray icon opens the console, pauses new requests "
                                 "or quits. Without a system tray, closing always quits."));
    closingForm->addRow(tr("Rela&y:"), m_closeAction);
    layout->addWidget(closing);
    showCloseAction();
    connect(m_closeAction, &QComboBox::activated, this, [this] {
        RelayKeeper::saveCloseAction(
            RelayKeeper::CloseAction(m_closeAction->currentData().toInt()));
        showStatus(this, tr("Saved"));
    });

    auto *shared = new QGroupBox(tr("Stored in the database (every relay on it)"), this);
    auto *sharedForm = new QFormLayout(shared);
    m_webhook = new QLineEdit(shared);
    m_webhook->setObjectName(QStringLiteral("settingsWebhookEdit"));
    m_webhook->setPlaceholderText(QStringLiteral("https://hooks.example.com/…"));
    m_webhook->setToolTip(tr("Budget alerts of tenants without their own webhook go here"));
    m_retention = new QSpinBox(shared);
    m_retention->setObjectName(QStringLiteral("retentionSpin"));
    m_retention->setRange(1, 3650);
    m_retention->setValue(90);
    m_retention->setSuffix(tr(" days"));
    m_retention->setToolTip(tr("How long per-request usage rows are kept"));
    auto *saveSharedButton = makeButton(shared, tr("Save to &database"), "saveSharedSettingsButton",
                                        tr("settings set webhook_url / usage_retention_days"));
    sharedForm->addRow(tr("Global &webhook:"), m_webhook);
    sharedForm->addRow(tr("Usage &retention:"), m_retention);
    sharedForm->addRow(QString(), saveSharedButton);
    layout->addWidget(shared);
    layout->addStretch(1);
    // Fields as wide as what they hold, not the window's width (1,140 px at 1366×768).
    for (QFormLayout *form : {localForm, closingForm, sharedForm})
        form->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    for (QLineEdit *edit : {m_host, m_tlsCert, m_tlsKey, m_webhook})
        edit->setMinimumWidth(edit == m_host ? 220 : 460);
    m_database->setMinimumWidth(460);
    // A relay elsewhere: this computer's relay settings are not its; its database's are.
    if (m_context.remote) {
        local->hide();
        closing->hide();
        shared->setTitle(tr("Stored on the relay at %1")
                             .arg(m_context.remote->url.toString(QUrl::RemoveUserInfo)));
        saveSharedButton->setText(tr("Save to the &relay"));
    }

    connect(m_host, &QLineEdit::textChanged, this, &SettingsPanel::updateWarning);
    connect(saveLocalButton, &QPushButton::clicked, this, &SettingsPanel::saveLocal);
    connect(newToken, &QPushButton::clicked, this, &SettingsPanel::makeAdminToken);
    connect(saveSharedButton, &QPushButton::clicked, this, &SettingsPanel::saveShared);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Database"), m_database->text(),
                                                          tr("SQLite databases (*.db)"), nullptr,
                                                          QFileDialog::DontConfirmOverwrite);
        if (!path.isEmpty())
            m_database->setText(path);
    });
    updateWarning();

    m_context.db->run<AdminValue<QList<SettingRecord>>>(
        this, [](DbSession &s) { return s.admin.listSettings(); },
        [this](const AdminValue<QList<SettingRecord>> &settings) {
            m_webhook->setText(settingValue(settings.value, QStringLiteral("webhook_url")));
            m_retention->setValue(
                settingValue(settings.value, QStringLiteral("usage_retention_days")).toInt());
        });
}

void SettingsPanel::showCloseAction()
{
    m_closeAction->setCurrentIndex(m_closeAction->findData(int(RelayKeeper::savedCloseAction())));
}

void SettingsPanel::updateWarning()
{
    m_warning->setVisible(!isLoopback(m_host->text().trimmed()));
}

void SettingsPanel::saveLocal()
{
    const QString host = m_host->text().trimmed();
    if (QHostAddress(host).isNull() && host != QLatin1String("localhost")) {
        showStatus(this, tr("The listen address must be an IP address, e.g. 127.0.0.1"), true);
        return;
    }
    const QString cert = m_tlsCert->text().trimmed();
    const QString key = m_tlsKey->text().trimmed();
    if (cert.isEmpty() != key.isEmpty()) {
        showStatus(this, tr("HTTPS needs both the certificate and its key"), true);
        return;
    }
    QString tlsError;
    if (!cert.isEmpty() && !TlsCredentials::read(cert, key, &tlsError)) {
        showStatus(this, tlsError, true);
        return;
    }
    // Admin tokens never cross a network in clear (interface.md §5).
    if (m_adminApi->isChecked() && !isLoopback(host) && cert.isEmpty()) {
        showStatus(this,
                   tr("The admin API beyond loopback needs TLS: give a certificate and key, or "
                      "listen on 127.0.0.1"),
                   true);
        return;
    }
    QSettings settings;
    settings.setValue(adminApiKey(), m_adminApi->isChecked());
    settings.setValue(tlsCertKey(), cert);
    settings.setValue(tlsKeyKey(), key);
    settings.setValue(listenKey(), QStringLiteral("%1:%2").arg(host).arg(m_port->value()));
    settings.setValue(workersKey(), m_workers->value());
    if (m_database->text().trimmed().isEmpty())
        settings.remove(databaseKey());
    else
        settings.setValue(databaseKey(), m_database->text().trimmed());
    showStatus(this, tr("Saved; the relay uses them from the next start"));
}

void SettingsPanel::makeAdminToken()
{
    const QByteArray token = TokenStore::newToken();
    QString error;
    if (!TokenStore::write(TokenStore::localRelayKey(m_context.dbPath), token, &error)) {
        showStatus(this,
                   tr("The admin token cannot be kept (%1), so the admin API stays off; "
                      "`tenantrelay serve --admin-token-env` serves it without a keychain")
                       .arg(error),
                   true);
        return;
    }
    m_adminApi->setChecked(true);
    QDialog dialog(this);
    dialog.setObjectName(QStringLiteral("adminTokenDialog"));
    dialog.setWindowTitle(tr("New admin token"));
    auto *layout = new QVBoxLayout(&dialog);
    auto *text = new QLabel(
        tr("Copy it now: it is kept in this desktop's keychain and not shown again. On another "
           "computer, give it to \"Connect to relay…\" or to `tenantrelay --connect URL`. "
           "The relay serves the admin API with it from the console's next start (press Save "
           "to keep \"Serve the admin API\" on)."),
        &dialog);
    text->setWordWrap(true);
    auto *field = new QLineEdit(QString::fromLatin1(token), &dialog);
    field->setObjectName(QStringLiteral("adminTokenEdit"));
    field->setReadOnly(true);
    field->selectAll();
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
    auto *copy = buttons->addButton(tr("&Copy"), QDialogButtonBox::ActionRole);
    copy->setObjectName(QStringLiteral("copyAdminTokenButton"));
    connect(copy, &QPushButton::clicked, &dialog,
            [field] { QApplication::clipboard()->setText(field->text()); });
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(text);
    layout->addWidget(field);
    layout->addWidget(buttons);
    dialog.resize(560, dialog.sizeHint().height());
    dialog.exec();
    showStatus(this, tr("New admin token kept in the keychain; press Save, it applies at the next "
                        "start"));
}

void SettingsPanel::saveShared()
{
    const QString webhook = m_webhook->text().trimmed();
    const QString retention = QString::number(m_retention->value());
    m_context.db->run<AdminResult>(
        this,
        [webhook, retention](DbSession &s) {
            AdminResult r =
                ConsoleWrites::setSetting(s.admin, QStringLiteral("webhook_url"), webhook);
            if (r.ok)
                r = ConsoleWrites::setSetting(s.admin, QStringLiteral("usage_retention_days"),
                                              retention);
            s.reloadEngine();
            return r;
        },
        [this](const AdminResult &r) {
            showStatus(this, r.ok ? tr("Settings saved") : r.error, !r.ok);
        });
}

} // namespace relay::ui
