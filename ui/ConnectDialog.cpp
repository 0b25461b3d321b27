#include "ConnectDialog.h"

#include "TokenStore.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QNetworkReply>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace relay::ui {

namespace {

const QString kLastUrlKey = QStringLiteral("connect/lastUrl");
constexpr int kTryTimeoutMs = 10000;

} // namespace

ConnectDialog::ConnectDialog(QWidget *parent) : QDialog(parent)
{
    setObjectName(QStringLiteral("connectDialog"));
    setWindowTitle(tr("Connect to relay"));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("Manage a relay that runs elsewhere through its admin API (started "
                                "with <tt>tenantrelay serve --admin-token-env VAR</tt>). It opens "
                                "in a window of its own."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto *form = new QFormLayout;
    m_url = new QLineEdit(QSettings().value(kLastUrlKey).toString(), this);
    m_url->setObjectName(QStringLiteral("connectUrlEdit"));
    m_url->setPlaceholderText(QStringLiteral("https://relay.example.com:8700"));
    m_token = new QLineEdit(this);
    m_token->setObjectName(QStringLiteral("connectTokenEdit"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("the value of the relay's --admin-token-env variable"));
    m_remember = new QCheckBox(tr("&Remember the token in this desktop's keychain"), this);
    m_remember->setObjectName(QStringLiteral("connectRememberCheck"));
    m_remember->setChecked(true);
    m_remember->setToolTip(tr("Never in a file. Without a keychain service, the console asks for "
                              "the token each time."));
    form->addRow(tr("Relay &URL:"), m_url);
    form->addRow(tr("Admin &token:"), m_token);
    form->addRow(QString(), m_remember);
    layout->addLayout(form);
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("connectMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_message);
    m_trust = new QPushButton(tr("Trust this certificate"), this);
    m_trust->setObjectName(QStringLiteral("connectTrustButton"));
    m_trust->hide();
    layout->addWidget(m_trust, 0, Qt::AlignLeft);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_connect = buttons->addButton(tr("&Connect"), QDialogButtonBox::AcceptRole);
    m_connect->setObjectName(QStringLiteral("connectButton"));
    m_connect->setDefault(true);
    layout->addWidget(buttons);
    connect(m_trust, &QPushButton::clicked, this, &ConnectDialog::trustCertificate);
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::tryConnect);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    setMinimumWidth(520);
}

void ConnectDialog::setUrl(const QString &url)
{
    m_url->setText(url);
}

void ConnectDialog::setToken(const QByteArray &token)
{
    m_token->setText(QString::fromUtf8(token));
}

void ConnectDialog::showError(const QString &text)
{
    m_message->setStyleSheet(QStringLiteral("color: #b00020"));
    m_message->setText(text);
    m_connect->setEnabled(true);
    Q_EMIT failed(text);
}

void ConnectDialog::tryConnect()
{
    if (m_reply)
        return;
    m_trust->hide();
    const QUrl url(m_url->text().trimmed(), QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() ||
        (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")) ||
        url.hasQuery() || url.hasFragment() || !url.userInfo().isEmpty())
        return showError(tr("Give the relay's http:// or https:// URL, such as "
                            "https://relay.example.com:8700."));
    if (m_token->text().isEmpty())
        return showError(tr("Give the relay's admin token."));
    const QString key = url.toString(QUrl::StripTrailingSlash);
    m_options.url = url;
    m_options.token = m_token->text().toUtf8();
    m_options.tokenSource = tr("the Connect dialog");
    m_options.trustedSha256 = TrustedCertificates::digestFor(key);
    m_message->setStyleSheet(QString());
    m_message->setText(tr("Connecting to %1…").arg(key));
    m_connect->setEnabled(false);
    QNetworkRequest request = adminRequest(m_options, QStringLiteral("stats"));
    request.setTransferTimeout(kTryTimeoutMs);
    m_reply = m_network.get(request);
    m_untrusted.clear();
    acceptTrustedCertificate(m_reply, m_options, &m_untrusted);
    connect(m_reply, &QNetworkReply::finished, this,
            [this, reply = m_reply.data()] { finished(reply); });
}

void ConnectDialog::finished(QNetworkReply *reply)
{
    reply->deleteLater();
    m_reply.clear();
    const QString key = m_options.url.toString(QUrl::StripTrailingSlash);
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (!status.isValid()) {
        if (!m_untrusted.isEmpty()) {
            m_trust->show();
            return showError(
                tr("This computer does not trust the certificate %1 presents (self-signed, or "
                   "another name). Its SHA-256 fingerprint is\n%2\nTrust it only if the relay's "
                   "server shows the same: openssl x509 -noout -fingerprint -sha256 -in CERT")
                    .arg(key, fingerprintText(m_untrusted)));
        }
        return showError(tr("Cannot reach %1: %2").arg(key, reply->errorString()));
    }
    const int code = status.toInt();
    if (code != 200) {
        const QString message = QJsonDocument::fromJson(reply->readAll())
                                    .object()
                                    .value(QStringLiteral("error"))
                                    .toObject()
                                    .value(QStringLiteral("message"))
                                    .toString();
        if (code == 401)
            return showError(tr("%1 refused the token: %2").arg(key, message));
        if (code == 404)
            return showError(
                tr("%1 has no admin API: start it with serve --admin-token-env VAR").arg(key));
        return showError(tr("%1 answered HTTP %2 %3").arg(key).arg(code).arg(message));
    }
    QSettings().setValue(kLastUrlKey, key);
    if (m_remember->isChecked()) {
        QString error;
        if (!TokenStore::write(key, m_options.token, &error))
            m_message->setText(tr("Connected; the token is not kept (%1), so it is asked for "
                                  "next time")
                                   .arg(error));
    }
    accept();
}

void ConnectDialog::trustCertificate()
{
    if (m_untrusted.isEmpty())
        return;
    TrustedCertificates::trust(m_options.url.toString(QUrl::StripTrailingSlash), m_untrusted);
    tryConnect();
}

} // namespace relay::ui
