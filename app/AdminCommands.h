#pragma once

#include "CliOutput.h"
#include "ConnectOptions.h"

#include <QStringList>

namespace relay::app {

// The admin commands (everything but the console and serve).
namespace AdminCommands {

// True when `word` is the first word of an admin command.
bool isCommand(const QString &word);
// Runs `words` (the command and its arguments) against the database at `dbPath`, which is
// opened only once the words parse: --help and bad usage never touch it. Returns the exit status.
int run(const QString &dbPath, const QStringList &words, CliOutput &out);
// The same through a relay's admin API (--connect): the same output, the relay's answers.
int runRemote(const ConnectOptions &connect, const QStringList &words, CliOutput &out);
// The "Commands:" part of the global help.
QString overview();

} // namespace AdminCommands
} // namespace relay::app
