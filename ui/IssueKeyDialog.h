#pragma once

#include "store/AdminTypes.h"

#include <QDialog>

class QLabel;
class QLineEdit;
class QPushButton;

namespace relay::ui {

class FormChecks;

// Asks for a new key's label and expiry (`key issue` / `key rotate`, interface.md §2) before it
// is issued, each field checked as typed by the admin service's checks (OK disabled until both
// are right); a rotation says that the tenant's other keys stop working. The dialog stays open
// until the panel reports the key issued (accept()) or refused (showError()).
class IssueKeyDialog : public QDialog
{
    Q_OBJECT
public:
    IssueKeyDialog(const QString &tenant, bool rotate, QWidget *parent = nullptr);

    KeyOptions options() const;
    bool rotates() const { return m_rotate; }
    // Checks the form against nowMs; the message of the first problem, or empty.
    QString validate(qint64 nowMs) const;
    void showError(const QString &error);

Q_SIGNALS:
    // OK pressed on a valid form.
    void submitted();

private:
    void onAccept();

    bool m_rotate;
    QLineEdit *m_label = nullptr;
    QLineEdit *m_expires = nullptr;
    QLabel *m_error = nullptr;
    FormChecks *m_checks = nullptr;
};

} // namespace relay::ui
