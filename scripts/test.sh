#!/bin/sh
# Builds TenantRelay and runs every test (unit, integration, cli, gui) with CTest, as many at once
# as there are cores (the tests move time with a manual clock, so they do not depend on being
# alone on the machine). Arguments go to ctest: scripts/test.sh -L unit, -R tst_cli, -j 1.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
QT_QPA_PLATFORM=offscreen ctest --output-on-failure --timeout 300 --parallel "$(nproc)" "$@"
