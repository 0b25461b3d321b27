#pragma once

#include <QObject>
#include <QString>
#include <QWidget>

#include <functional>
#include <optional>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace relay::ui {

// A number typed as text, with an optional "none" checkbox beside it (no limit, tier default,
// no budget). What was typed is never changed: no clamping, no spin-box value that secretly
// means "none"; the range is checked by whoever reads it (the admin service's checks). Child
// object names: NAME + "Edit" and NAME + "None".
class NumberField : public QWidget
{
    Q_OBJECT
public:
    // noneText empty: no checkbox, a number is required.
    NumberField(const QString &name, const QString &noneText, QWidget *parent = nullptr);

    QLineEdit *edit() const { return m_edit; }
    QCheckBox *noneBox() const { return m_none; }
    bool isNone() const;
    void setNone(bool none);
    void setText(const QString &text);
    QString text() const;

    // The typed whole number; nullopt with *error when the text is not one. A number too large
    // for 64 bits reads as the largest (or smallest) one, so the range check refuses it.
    std::optional<qint64> wholeNumber(QString *error) const;
    // The typed decimal number (a leading '$' is allowed); nullopt with *error otherwise.
    std::optional<double> decimalNumber(QString *error) const;

Q_SIGNALS:
    void changed();

private:
    QString notANumber(const QString &what) const;

    QLineEdit *m_edit = nullptr;
    QCheckBox *m_none = nullptr;
};

// Checks a form as it is typed: each check has its own error label, shown under its field, and
// the OK button is enabled only while every check passes. In a dialog, the dialog grows to show
// every line of its error labels. GUI thread.
class FormChecks : public QObject
{
    Q_OBJECT
public:
    using Check = std::function<QString()>; // the problem, or empty
    FormChecks(QPushButton *ok, QWidget *parent);

    // `field` with its error label (objectName errorName) under it, for a form row.
    QWidget *add(QWidget *field, const char *errorName, Check check);
    // Re-runs every check when `source` changes (a QLineEdit, QCheckBox, QComboBox,
    // QAbstractButton or NumberField).
    void watch(QObject *source);
    void recheck();
    // The first problem, or empty.
    QString firstProblem() const;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    // A dialog's layout gives wrapped text its lines only within the window's height, which it
    // does not grow by itself: grown here when shown and when an error label changes.
    void fitDialog();

    struct Entry
    {
        QLabel *label;
        Check check;
    };
    QPushButton *m_ok;
    QWidget *m_parent;
    QList<Entry> m_entries;
};

} // namespace relay::ui
