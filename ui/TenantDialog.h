#pragma once

#include "ConsoleWrites.h"
#include "store/AdminTypes.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace relay::ui {

// Create or edit a tenant: every option of `tenant add` / `tenant set` (interface.md §2),
// checked before it is sent. The dialog stays open until the panel reports the write done
// (done()) or failed (showError()), so a refused change can be corrected in place.
class TenantDialog : public QDialog
{
    Q_OBJECT
public:
    // Empty id = a new tenant.
    explicit TenantDialog(const QString &id, QWidget *parent = nullptr);

    void setTenant(const TenantRecord &t, const ConsoleWrites::BudgetChanges &budget);
    QString tenantId() const;
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

    bool m_creating;
    QLineEdit *m_id = nullptr;
    QLineEdit *m_name = nullptr;
    QComboBox *m_tier = nullptr;
    QSpinBox *m_rpm = nullptr;
    QSpinBox *m_tpm = nullptr;
    QSpinBox *m_concurrency = nullptr;
    QSpinBox *m_reserved = nullptr;
    QSpinBox *m_weight = nullptr;
    QSpinBox *m_queueTimeout = nullptr;
    QDoubleSpinBox *m_budget = nullptr;
    QCheckBox *m_soft = nullptr;
    QLineEdit *m_alerts = nullptr;
    QLineEdit *m_webhook = nullptr;
    QLineEdit *m_models = nullptr;
    QLineEdit *m_allowIps = nullptr;
    QCheckBox *m_enabled = nullptr;
    QLabel *m_error = nullptr;
};

} // namespace relay::ui
