#pragma once

#include "store/AdminTypes.h"

#include <QDialog>

#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QRadioButton;
class QSpinBox;

namespace relay::ui {

// Add or edit an upstream: kind, base URL, where its API key comes from (an environment
// variable's name, or a key typed into a masked field and stored with the database), pool size,
// first-byte timeout and slow-ms. A stored key is never shown again; leaving the field empty on
// edit keeps it.
class UpstreamDialog : public QDialog
{
    Q_OBJECT
public:
    explicit UpstreamDialog(const QString &name, QWidget *parent = nullptr);

    void setUpstream(const UpstreamRecord &u);
    QString upstreamName() const;
    UpstreamChanges changes() const;
    std::optional<int> slowMs() const;
    QString validate() const;
    void showError(const QString &error);

Q_SIGNALS:
    void submitted();

private:
    bool m_creating;
    QLineEdit *m_name = nullptr;
    QComboBox *m_kind = nullptr;
    QLineEdit *m_url = nullptr;
    QRadioButton *m_useEnv = nullptr;
    QRadioButton *m_useStored = nullptr;
    QLineEdit *m_env = nullptr;
    QLineEdit *m_key = nullptr;
    QSpinBox *m_pool = nullptr;
    QSpinBox *m_timeout = nullptr;
    QSpinBox *m_slow = nullptr;
    QLabel *m_error = nullptr;
    bool m_hadStoredKey = false;
};

} // namespace relay::ui
