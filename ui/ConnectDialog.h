#pragma once

#include "admin/RemoteAdmin.h"

#include <QDialog>
#include <QNetworkAccessManager>
#include <QPointer>

class QCheckBox;
class QLabel;
class QLineEdit;
class QNetworkReply;
class QPushButton;

namespace relay::ui {

// "Connect to relay…": the URL of a relay's admin API and its admin token. Connect tries the
// token (GET /admin/v1/stats) without blocking the window and closes only when the relay took
// it; a relay whose certificate this computer does not trust (a self-signed one) shows the
// certificate's SHA-256 fingerprint, to compare with the server's, and can be trusted by it.
// Accepted, it has kept the token in the keychain (when asked to) and the trust in the settings.
class ConnectDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ConnectDialog(QWidget *parent = nullptr);

    void setUrl(const QString &url);
    // The token field, for a console started with a URL whose token is not known.
    void setToken(const QByteArray &token);
    // What to connect with, once accepted.
    RemoteAdminOptions options() const { return m_options; }

    // Checks the fields and tries them (also what the Connect button does).
    void tryConnect();
    // Trusts the certificate the relay presented, and tries again.
    void trustCertificate();

Q_SIGNALS:
    // A try ended without connecting; the dialog shows why.
    void failed(const QString &why);

private:
    void finished(QNetworkReply *reply);
    void showError(const QString &text);

    QLineEdit *m_url = nullptr;
    QLineEdit *m_token = nullptr;
    QCheckBox *m_remember = nullptr;
    QLabel *m_message = nullptr;
    QPushButton *m_trust = nullptr;
    QPushButton *m_connect = nullptr;
    QNetworkAccessManager m_network;
    QPointer<QNetworkReply> m_reply;
    RemoteAdminOptions m_options;
    QByteArray m_untrusted;
};

} // namespace relay::ui
