#include "KeyDialog.h"

#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace relay::ui {

namespace {

constexpr auto kDefaultModel = "gpt-4o-mini";

// A copy button that copies `text()` and says so.
QPushButton *copyButton(QWidget *parent, const QString &label, const char *name,
                        const QString &toolTip, std::function<QString()> text)
{
    auto *copy = new QPushButton(label, parent);
    copy->setObjectName(QLatin1String(name));
    copy->setToolTip(toolTip);
    QObject::connect(copy, &QPushButton::clicked, parent, [copy, text = std::move(text)] {
        QGuiApplication::clipboard()->setText(text());
        copy->setText(QObject::tr("Copied"));
    });
    return copy;
}

} // namespace

KeyDialog::KeyDialog(const QString &tenant, const QString &key, const QString &baseUrl,
                     const QString &model, QWidget *parent)
    : QDialog(parent), m_baseUrl(baseUrl),
      m_model(model.isEmpty() ? QString::fromLatin1(kDefaultModel) : model)
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
    auto *copy = copyButton(this, tr("&Copy key"), "copyKeyButton",
                            tr("Copy the key to the clipboard"), [this] { return m_key->text(); });
    row->addWidget(m_key, 1);
    row->addWidget(copy);
    layout->addLayout(row);

    auto *snippetRow = new QHBoxLayout;
    auto *use = new QLabel(tr("&Use it with:"), this);
    m_kind = new QComboBox(this);
    m_kind->setObjectName(QStringLiteral("snippetCombo"));
    m_kind->addItems(
        {tr("curl"), tr("Python (openai)"), tr("Node (openai)"), tr("Environment variables")});
    use->setBuddy(m_kind);
    auto *copySnippet = copyButton(this, tr("Copy &snippet"), "copySnippetButton",
                                   tr("Copy the snippet to the clipboard"),
                                   [this] { return m_snippet->toPlainText(); });
    snippetRow->addWidget(use);
    snippetRow->addWidget(m_kind);
    snippetRow->addStretch(1);
    snippetRow->addWidget(copySnippet);
    layout->addLayout(snippetRow);
    m_snippet = new QPlainTextEdit(this);
    m_snippet->setObjectName(QStringLiteral("snippetText"));
    m_snippet->setReadOnly(true);
    m_snippet->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_snippet->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_snippet->setMinimumHeight(m_snippet->fontMetrics().lineSpacing() * 14);
    // Wide enough for the longest line of any snippet, so none is cut.
    int widest = 0;
    for (const Snippet kind : {Snippet::Curl, Snippet::Python, Snippet::Node, Snippet::Environment})
        for (const QString &line : snippet(kind, m_baseUrl, key, m_model).split(QLatin1Char('\n')))
            widest = qMax(widest, m_snippet->fontMetrics().horizontalAdvance(line));
    m_snippet->setMinimumWidth(qMin(widest + 40, 1000));
    layout->addWidget(m_snippet, 1);
    connect(m_kind, &QComboBox::currentIndexChanged, this, [this, copySnippet] {
        copySnippet->setText(tr("Copy &snippet"));
        showSnippet();
    });
    showSnippet();

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

QString KeyDialog::snippet(Snippet kind, const QString &baseUrl, const QString &key,
                           const QString &model)
{
    switch (kind) {
    case Snippet::Curl:
        return QStringLiteral("curl %1/chat/completions \\\n"
                              "  -H \"Authorization: Bearer %2\" \\\n"
                              "  -H \"Content-Type: application/json\" \\\n"
                              "  -d '{\"model\": \"%3\", \"messages\": "
                              "[{\"role\": \"user\", \"content\": \"Hello\"}]}'\n")
            .arg(baseUrl, key, model);
    case Snippet::Python:
        return QStringLiteral("from openai import OpenAI\n\n"
                              "client = OpenAI(\n"
                              "    base_url=\"%1\",\n"
                              "    api_key=\"%2\",\n"
                              ")\n"
                              "reply = client.chat.completions.create(\n"
                              "    model=\"%3\",\n"
                              "    messages=[{\"role\": \"user\", \"content\": \"Hello\"}],\n"
                              ")\n"
                              "print(reply.choices[0].message.content)\n")
            .arg(baseUrl, key, model);
    case Snippet::Node:
        return QStringLiteral("import OpenAI from \"openai\";\n\n"
                              "const client = new OpenAI({\n"
                              "  baseURL: \"%1\",\n"
                              "  apiKey: \"%2\",\n"
                              "});\n"
                              "const reply = await client.chat.completions.create({\n"
                              "  model: \"%3\",\n"
                              "  messages: [{ role: \"user\", content: \"Hello\" }],\n"
                              "});\n"
                              "console.log(reply.choices[0].message.content);\n")
            .arg(baseUrl, key, model);
    case Snippet::Environment: {
        // Anthropic's SDKs (and Claude Code) add /v1 themselves.
        QString root = baseUrl;
        if (root.endsWith(QLatin1String("/v1")))
            root.chop(3);
        return QStringLiteral("# OpenAI SDKs and tools\n"
                              "export OPENAI_BASE_URL=\"%1\"\n"
                              "export OPENAI_API_KEY=\"%2\"\n"
                              "# Anthropic SDKs and Claude Code\n"
                              "export ANTHROPIC_BASE_URL=\"%3\"\n"
                              "export ANTHROPIC_API_KEY=\"%2\"\n")
            .arg(baseUrl, key, root);
    }
    }
    return {};
}

void KeyDialog::showSnippet()
{
    m_snippet->setPlainText(
        snippet(Snippet(m_kind->currentIndex()), m_baseUrl, m_key->text(), m_model));
}

void KeyDialog::wipe()
{
    if (m_key)
        m_key->clear();
    if (m_snippet)
        m_snippet->clear();
}

} // namespace relay::ui
