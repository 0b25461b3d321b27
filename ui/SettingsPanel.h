#pragma once

#include "ConsoleContext.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace relay::ui {

// Where the console's relay listens (and its TLS certificate), its worker threads and the
// database path, whether it serves the admin API (the platform's application settings,
// QSettings: the database cannot hold its own path; they apply at the next start; the admin
// token is in the keychain), what closing the window does to the relay (at once), and the settings
// kept in the database (global webhook, usage retention).
class SettingsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit SettingsPanel(const ConsoleContext &context, QWidget *parent = nullptr);

    // QSettings keys, shared with the launcher.
    static QString listenKey() { return QStringLiteral("console/listen"); }
    static QString workersKey() { return QStringLiteral("console/workers"); }
    // HTTPS for the console's relay: PEM certificate and key files (both empty: plain HTTP).
    static QString tlsCertKey() { return QStringLiteral("console/tlsCert"); }
    static QString tlsKeyKey() { return QStringLiteral("console/tlsKey"); }
    static QString databaseKey() { return QStringLiteral("database/path"); }
    static QString panelKey() { return QStringLiteral("console/panel"); }
    // The console's relay serves the admin API (interface.md §5) with the token the keychain
    // keeps for it (TokenStore::localRelayKey).
    static QString adminApiKey() { return QStringLiteral("console/adminApi"); }

    // True when `host` is a loopback address (or "localhost").
    static bool isLoopback(const QString &host);
    // Shows the saved "when the window is closed" choice (made in the closing question too).
    void showCloseAction();

private:
    void saveLocal();
    void saveShared();
    void updateWarning();
    void makeAdminToken();

    ConsoleContext m_context;
    QLineEdit *m_host = nullptr;
    QSpinBox *m_port = nullptr;
    QSpinBox *m_workers = nullptr;
    QLineEdit *m_database = nullptr;
    QLineEdit *m_tlsCert = nullptr;
    QLineEdit *m_tlsKey = nullptr;
    QLabel *m_warning = nullptr;
    QCheckBox *m_adminApi = nullptr;
    QComboBox *m_closeAction = nullptr;
    QLineEdit *m_webhook = nullptr;
    QSpinBox *m_retention = nullptr;
};

} // namespace relay::ui
