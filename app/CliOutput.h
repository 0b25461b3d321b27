#pragma once

#include <QJsonValue>
#include <QTextStream>

namespace relay::app {

// The command line's two channels: stdout carries only the requested output, stderr every
// message. Failures follow interface.md §1: one line and status 1, or for bad usage a message
// plus a hint line and status 2.
class CliOutput
{
public:
    CliOutput();

    // Writes text to stdout, ending it with a newline if it has none.
    void print(const QString &text);
    void printJson(const QJsonValue &value);
    // Prints "tenantrelay: message" on stderr and returns kExitFailure.
    int failure(const QString &message);
    // Prints the message and a hint pointing at `command`'s help (the global help when empty)
    // on stderr, and returns kExitUsage.
    int usageError(const QString &message, const QString &command = QString());

private:
    QTextStream m_out;
    QTextStream m_err;
};

} // namespace relay::app
