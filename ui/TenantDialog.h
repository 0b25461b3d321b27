#pragma once

#include "ConsoleWrites.h"
#include "store/AdminTypes.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace relay::ui {

class FormChecks;
class NumberField;

// Create or edit a tenant: every option of `tenant add` / `tenant set` (interface.md §2). Each
// field is checked as it is typed by the admin service's own checks (so it accepts exactly what
// the CLI accepts, with the same messages), its problem shown under it; OK stays disabled until
// every field is right. "No limit" and "tier default" are checkboxes, never a number. The dialog
// stays open until the panel reports the write done (done()) or failed (showError()), so a
// refused change can be corrected in place.
class TenantDialog : public QDialog
{
    Q_OBJECT
public:
    // Empty id = a new tenant.
    explicit TenantDialog(const QString &id, QWidget *parent = nullptr);

    void setTenant(const TenantRecord &t, const ConsoleWrites::BudgetChanges &budget);
    // Warns that no upstream exists yet, so the tenant's requests cannot be served.
    void setNoUpstreamWarning(bool show);
    QString tenantId() const;
    // The form's values; meaningful when validate() is empty.
    TenantChanges changes() const;
    ConsoleWrites::BudgetChanges budget() const;
    void showError(const QString &error);
    // Checks the form; the message of the first problem, or empty.
    QString validate() const;

Q_SIGNALS:
    // OK pressed on a valid form.
    void submitted();

private:
    void onAccept();
    void updateReserved();
    // A number field whose problem `check` finds, checked with the rest of the form.
    QWidget *checkedLimit(NumberField *field, const char *errorName,
                          const std::function<void(TenantChanges &, qint64)> &put);
    QWidget *checkedText(QLineEdit *edit, const char *errorName,
                         const std::function<void(TenantChanges &)> &put);

    bool m_creating;
    QLineEdit *m_id = nullptr;
    QLineEdit *m_name = nullptr;
    QComboBox *m_tier = nullptr;
    NumberField *m_rpm = nullptr;
    NumberField *m_tpm = nullptr;
    NumberField *m_concurrency = nullptr;
    NumberField *m_reserved = nullptr;
    NumberField *m_weight = nullptr;
    NumberField *m_queueTimeout = nullptr;
    NumberField *m_budget = nullptr;
    QCheckBox *m_soft = nullptr;
    QLineEdit *m_alerts = nullptr;
    QLineEdit *m_webhook = nullptr;
    QLineEdit *m_models = nullptr;
    QLineEdit *m_allowIps = nullptr;
    QCheckBox *m_enabled = nullptr;
    QLabel *m_noUpstream = nullptr;
    QLabel *m_error = nullptr;
    QPushButton *m_ok = nullptr;
    FormChecks *m_checks = nullptr;
};

} // namespace relay::ui
