#pragma once

#include <QByteArray>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace relay::test {

// What one run of a command-line program left: its exit status (-1 when it did not start,
// crashed or was stopped), stdout and stderr.
struct CliResult
{
    int code = -1;
    QString out;
    QString err;
};

// Runs PROGRAM ARGS to its end with `input` on stdin (then closed) in `env`, for at most
// `timeoutMs` (then kills it).
CliResult runCli(const QString &program, const QStringList &args, const QByteArray &input,
                 const QProcessEnvironment &env, int timeoutMs = 30'000);

} // namespace relay::test
