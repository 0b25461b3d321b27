#pragma once

#include <QDialog>

class QLineEdit;

namespace relay::ui {

// Shows a freshly issued tenant key, the only time it is ever seen, with a copy button. The key
// is wiped from the widget when the dialog closes.
class KeyDialog : public QDialog
{
    Q_OBJECT
public:
    KeyDialog(const QString &tenant, const QString &key, QWidget *parent = nullptr);
    ~KeyDialog() override;

private:
    void wipe();

    QLineEdit *m_key = nullptr;
};

} // namespace relay::ui
