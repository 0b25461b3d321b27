#pragma once

#include "store/AdminTypes.h"
#include "tenants/DirectorySnapshot.h"

#include <QDialog>

#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;

namespace relay {
struct UpstreamTestResult;
}

namespace relay::ui {

class FormChecks;
class NumberField;

// Add or edit an upstream (a provider): a preset for the common providers (kind and base URL
// filled in), the base URL, where its API key comes from (an environment variable's name, a key
// typed into a masked field and stored with the database, or explicitly none for a local
// server), pool size, first-byte timeout and slow-ms. Every field is checked as it is typed by
// the admin service's own checks, its problem shown under it; OK stays disabled until all are
// right. A stored key is never shown again; leaving the field empty on edit keeps it.
// "Test connection" asks the provider for its models list: the panel runs it (testRequested)
// and reports back (showTestResult).
class UpstreamDialog : public QDialog
{
    Q_OBJECT
public:
    struct Preset
    {
        QString label;
        QString name; // the upstream name suggested
        QString kind;
        QString baseUrl;
        QString keyEnv; // the variable suggested; empty = a local server without a key
    };
    // OpenAI, Anthropic, DeepSeek, Gemini (OpenAI-compatible), OpenRouter, local vLLM and Ollama.
    static const QList<Preset> &presets();

    explicit UpstreamDialog(const QString &name, QWidget *parent = nullptr);

    void setUpstream(const UpstreamRecord &u);
    QString upstreamName() const;
    UpstreamChanges changes() const;
    std::optional<int> slowMs() const;
    QString validate() const;
    void showError(const QString &error);

    // The upstream as the form describes it, for a test from this process (the key as typed,
    // or the variable's name to read from this process's environment).
    UpstreamConfig testConfig() const;
    // The test needs the stored key (kept on edit, never shown): the panel fetches it, or has
    // the remote relay test the saved upstream with the form's changes.
    bool usesStoredKey() const;
    void showTestRunning();
    void showTestResult(const UpstreamTestResult &result);

Q_SIGNALS:
    void submitted();
    void testRequested();

private:
    void applyPreset(int index);
    void updateKeyMode();

    bool m_creating;
    QComboBox *m_preset = nullptr;
    QLineEdit *m_name = nullptr;
    QComboBox *m_kind = nullptr;
    QLineEdit *m_url = nullptr;
    QRadioButton *m_useEnv = nullptr;
    QRadioButton *m_useStored = nullptr;
    QRadioButton *m_useNone = nullptr;
    QLineEdit *m_env = nullptr;
    QLineEdit *m_key = nullptr;
    NumberField *m_pool = nullptr;
    NumberField *m_timeout = nullptr;
    NumberField *m_slow = nullptr;
    QPushButton *m_test = nullptr;
    QLabel *m_testResult = nullptr;
    QLabel *m_error = nullptr;
    QPushButton *m_ok = nullptr;
    FormChecks *m_checks = nullptr;
    std::optional<UpstreamRecord> m_saved;
};

} // namespace relay::ui
