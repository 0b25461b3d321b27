#pragma once

#include <QDialog>

class QComboBox;
class QLineEdit;
class QPlainTextEdit;

namespace relay::ui {

// Shows a freshly issued tenant key, the only time it is ever seen, with a copy button, and
// ready-to-paste snippets that use it against the relay's base URL: curl, Python and Node with
// the OpenAI SDK, and the environment variables of the OpenAI and Anthropic SDKs. The key is
// wiped from the widgets when the dialog closes.
class KeyDialog : public QDialog
{
    Q_OBJECT
public:
    enum class Snippet { Curl, Python, Node, Environment };

    // baseUrl: the relay's OpenAI base URL (http://HOST:PORT/v1); model: the one the snippets
    // ask for.
    KeyDialog(const QString &tenant, const QString &key, const QString &baseUrl,
              const QString &model = QString(), QWidget *parent = nullptr);
    ~KeyDialog() override;

    static QString snippet(Snippet kind, const QString &baseUrl, const QString &key,
                           const QString &model);

private:
    void wipe();
    void showSnippet();

    QString m_baseUrl;
    QString m_model;
    QLineEdit *m_key = nullptr;
    QComboBox *m_kind = nullptr;
    QPlainTextEdit *m_snippet = nullptr;
};

} // namespace relay::ui
