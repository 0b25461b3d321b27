#include "KeyDialog.h"

#include <QClipboard>
#include <QDialogButtonBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace relay::ui {

KeyDialog::KeyDialog(const QString &tenant, const QString &key, QWidget *parent) : QDialog(parent)
{
    setObjectName(QStringLiteral("newKeyDialog"));
    setWindowTitle(tr("New key for %1").arg(tenant));
    setAttribute(Qt::WA_DeleteOnClose);
    auto *layout = new QVBoxLayout(this);
    auto *note = new QLabel(tr("Give this key to the team of <b>%1</b>. It is shown only now: "
                               "TenantRelay keeps only its hash and cannot show it again.")
                                .arg(tenant.toHtmlEscaped()),
                            this);
    note->setWordWrap(true);
    layout->addWidget(note);
    auto *row = new QHBoxLayout;
    m_key = new QLineEdit(key, this);
    m_key->setObjectName(QStringLiteral("newKeyField"));
    m_key->setReadOnly(true);
    m_key->setMinimumWidth(m_key->fontMetrics().horizontalAdvance(key) + 24);
    auto *copy = new QPushButton(tr("&Copy"), this);
    copy->setObjectName(QStringLiteral("copyKeyButton"));
    copy->setToolTip(tr("Copy the key to the clipboard"));
    connect(copy, &QPushButton::clicked, this, [this, copy] {
        QGuiApplication::clipboard()->setText(m_key->text());
        copy->setText(tr("Copied"));
    });
    row->addWidget(m_key, 1);
    row->addWidget(copy);
    layout->addLayout(row);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::accept);
    layout->addWidget(buttons);
    connect(this, &QDialog::finished, this, &KeyDialog::wipe);
    copy->setFocus();
}

KeyDialog::~KeyDialog()
{
    wipe();
}

void KeyDialog::wipe()
{
    if (m_key)
        m_key->clear();
}

} // namespace relay::ui
