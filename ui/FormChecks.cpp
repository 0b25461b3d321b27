#include "FormChecks.h"

#include <QAbstractButton>
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

#include <limits>

namespace relay::ui {

namespace {

// The text without blanks and the locale's digit grouping ("1,000,000" and "1 000 000" read
// as 1000000).
QString ungrouped(const QString &text)
{
    QString out = text.trimmed();
    const QString group = QLocale().groupSeparator();
    if (!group.isEmpty() && group != QLocale().decimalPoint())
        out.remove(group);
    out.remove(QLatin1Char(' '));
    out.remove(QChar(0x00a0));
    out.remove(QChar(0x202f));
    return out;
}

} // namespace

NumberField::NumberField(const QString &name, const QString &noneText, QWidget *parent)
    : QWidget(parent)
{
    setObjectName(name);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_edit = new QLineEdit(this);
    m_edit->setObjectName(name + QStringLiteral("Edit"));
    m_edit->setMaxLength(40);
    layout->addWidget(m_edit, 1);
    connect(m_edit, &QLineEdit::textChanged, this, &NumberField::changed);
    if (!noneText.isEmpty()) {
        m_none = new QCheckBox(noneText, this);
        m_none->setObjectName(name + QStringLiteral("None"));
        // The boxes of a form line up whatever their words.
        m_none->setMinimumWidth(m_none->fontMetrics().horizontalAdvance(tr("Tier default")) + 32);
        layout->addWidget(m_none);
        connect(m_none, &QCheckBox::toggled, this, [this](bool none) {
            m_edit->setEnabled(!none);
            Q_EMIT changed();
        });
    }
}

bool NumberField::isNone() const
{
    return m_none && m_none->isChecked();
}

void NumberField::setNone(bool none)
{
    if (!m_none)
        return;
    m_none->setChecked(none);
    m_edit->setEnabled(!none);
}

void NumberField::setText(const QString &text)
{
    m_edit->setText(text);
}

QString NumberField::text() const
{
    return m_edit->text();
}

QString NumberField::notANumber(const QString &what) const
{
    return m_none ? tr("Type %1, or tick “%2”").arg(what, m_none->text()) : tr("Type %1").arg(what);
}

std::optional<qint64> NumberField::wholeNumber(QString *error) const
{
    static const QRegularExpression whole(QStringLiteral("^[+-]?[0-9]+$"));
    const QString text = ungrouped(m_edit->text());
    if (!whole.match(text).hasMatch()) {
        *error = notANumber(tr("a whole number"));
        return std::nullopt;
    }
    bool ok = false;
    const qint64 value = text.toLongLong(&ok);
    if (!ok)
        return text.startsWith(QLatin1Char('-')) ? std::numeric_limits<qint64>::min()
                                                 : std::numeric_limits<qint64>::max();
    return value;
}

std::optional<double> NumberField::decimalNumber(QString *error) const
{
    QString text = ungrouped(m_edit->text());
    if (text.startsWith(QLatin1Char('$')))
        text.remove(0, 1);
    bool ok = false;
    double value = QLocale().toDouble(text, &ok);
    if (!ok)
        value = QLocale::c().toDouble(text, &ok);
    if (!ok || text.isEmpty()) {
        *error = notANumber(tr("a number"));
        return std::nullopt;
    }
    return value;
}

FormChecks::FormChecks(QPushButton *ok, QWidget *parent)
    : QObject(parent), m_ok(ok), m_parent(parent)
{
    if (auto *dialog = qobject_cast<QDialog *>(parent->window()))
        dialog->installEventFilter(this);
}

bool FormChecks::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::Show)
        QMetaObject::invokeMethod(this, &FormChecks::fitDialog, Qt::QueuedConnection);
    return QObject::eventFilter(watched, event);
}

void FormChecks::fitDialog()
{
    auto *dialog = qobject_cast<QDialog *>(m_parent->window());
    if (!dialog || !dialog->isVisible() || !dialog->layout())
        return;
    const int needed = dialog->layout()->totalHeightForWidth(dialog->width());
    if (needed > dialog->height())
        dialog->resize(dialog->width(), needed);
}

QWidget *FormChecks::add(QWidget *field, const char *errorName, Check check)
{
    auto *box = new QWidget(m_parent);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    field->setParent(box);
    layout->addWidget(field);
    auto *label = new QLabel(box);
    label->setObjectName(QLatin1String(errorName));
    label->setStyleSheet(QStringLiteral("color: #b00020"));
    label->setWordWrap(true);
    label->hide();
    layout->addWidget(label);
    m_entries.append({label, std::move(check)});
    return box;
}

void FormChecks::watch(QObject *source)
{
    if (auto *edit = qobject_cast<QLineEdit *>(source))
        connect(edit, &QLineEdit::textChanged, this, &FormChecks::recheck);
    else if (auto *combo = qobject_cast<QComboBox *>(source))
        connect(combo, &QComboBox::currentIndexChanged, this, &FormChecks::recheck);
    else if (auto *button = qobject_cast<QAbstractButton *>(source))
        connect(button, &QAbstractButton::toggled, this, &FormChecks::recheck);
    else if (auto *number = qobject_cast<NumberField *>(source))
        connect(number, &NumberField::changed, this, &FormChecks::recheck);
}

void FormChecks::recheck()
{
    bool allGood = true;
    for (const Entry &e : std::as_const(m_entries)) {
        const QString problem = e.check();
        e.label->setText(problem);
        e.label->setVisible(!problem.isEmpty());
        allGood = allGood && problem.isEmpty();
    }
    if (m_ok) {
        m_ok->setEnabled(allGood);
        m_ok->setToolTip(allGood ? QString() : firstProblem());
    }
    QMetaObject::invokeMethod(this, &FormChecks::fitDialog, Qt::QueuedConnection);
}

QString FormChecks::firstProblem() const
{
    for (const Entry &e : m_entries)
        if (const QString problem = e.check(); !problem.isEmpty())
            return problem;
    return {};
}

} // namespace relay::ui
