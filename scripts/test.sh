#!/bin/sh
# Builds TenantRelay and runs every test (unit, integration, cli, gui) with CTest.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
QT_QPA_PLATFORM=offscreen ctest --output-on-failure --timeout 300 "$@"
