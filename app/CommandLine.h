#pragma once

namespace relay::app {

// Parses the global options (--db, --demo, --help, --version), picks the command and runs it:
// no command → console, `serve` → runServe, anything else → an admin command.
int run(int argc, char *argv[]);

} // namespace relay::app
