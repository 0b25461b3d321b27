#include "IssueKeyDialog.h"

#include "FormChecks.h"
#include "store/AdminService.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace relay::ui {

IssueKeyDialog::IssueKeyDialog(const QString &tenant, bool rotate, QWidget *parent)
    : QDialog(parent), m_rotate(rotate)
{
    setObjectName(QStringLiteral("issueKeyDialog"));
    setWindowTitle(rotate ? tr("Rotate the key of %1").arg(tenant)
                          : tr("New key for %1").arg(tenant));
    auto *layout = new QVBoxLayout(this);
    auto *note = new QLabel(
        rotate ? tr("A new key for <b>%1</b>. Every other key of the tenant stops working at "
                    "once.")
                     .arg(tenant.toHtmlEscaped())
               : tr("An additional key for <b>%1</b>; its other keys keep working.")
                     .arg(tenant.toHtmlEscaped()),
        this);
    note->setWordWrap(true);
    layout->addWidget(note);
    auto *form = new QFormLayout;
    m_label = new QLineEdit(this);
    m_label->setObjectName(QStringLiteral("keyLabelEdit"));
    m_label->setPlaceholderText(tr("none"));
    m_label->setToolTip(tr("Names the key in the keys list (shown, never secret)"));
    m_expires = new QLineEdit(this);
    m_expires->setObjectName(QStringLiteral("keyExpiresEdit"));
    m_expires->setPlaceholderText(tr("never — or YYYY-MM-DD, or 30d"));
    m_expires->setToolTip(tr("The key stops working at 00:00 UTC of that day, or N × 24 h from "
                             "now (30d)"));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    QPushButton *ok = buttons->button(QDialogButtonBox::Ok);
    ok->setObjectName(QStringLiteral("issueKeyDialogOk"));
    ok->setText(rotate ? tr("&Rotate") : tr("&Issue"));
    m_checks = new FormChecks(ok, this);
    form->addRow(tr("&Label:"), m_checks->add(m_label, "keyLabelError", [this]() -> QString {
        const AdminResult r = AdminService::checkKeyOptions({m_label->text(), QString()}, 0);
        return r.ok ? QString() : r.error;
    }));
    form->addRow(tr("&Expires:"), m_checks->add(m_expires, "keyExpiresError", [this]() -> QString {
        const AdminResult r = AdminService::checkKeyOptions({QString(), m_expires->text()},
                                                            QDateTime::currentMSecsSinceEpoch());
        return r.ok ? QString() : r.error;
    }));
    m_checks->watch(m_label);
    m_checks->watch(m_expires);
    layout->addLayout(form);
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("issueKeyDialogError"));
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    m_error->setWordWrap(true);
    m_error->hide();
    layout->addWidget(m_error);
    connect(buttons, &QDialogButtonBox::accepted, this, &IssueKeyDialog::onAccept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    m_checks->recheck();
    m_label->setFocus();
}

KeyOptions IssueKeyDialog::options() const
{
    return {m_label->text().trimmed(), m_expires->text().trimmed()};
}

QString IssueKeyDialog::validate(qint64 nowMs) const
{
    const AdminResult r = AdminService::checkKeyOptions(options(), nowMs);
    return r.ok ? QString() : r.error;
}

void IssueKeyDialog::showError(const QString &error)
{
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
}

void IssueKeyDialog::onAccept()
{
    const QString problem = validate(QDateTime::currentMSecsSinceEpoch());
    showError(problem);
    if (problem.isEmpty())
        Q_EMIT submitted();
}

} // namespace relay::ui
