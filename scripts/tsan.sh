#!/bin/sh
# Builds TenantRelay with ThreadSanitizer (clang) into ./build-tsan and runs the integration
# tests once; a race report fails its test:
#   scripts/tsan.sh [ctest arguments]         (default: -L integration)
# Only the executables of the tests chosen are built.
# Qt itself is not instrumented, so the ordering its queued calls and threads give (a mutex
# and an event queue inside libQt6Core) is invisible to TSan; tests/sanitizers/tsan.supp
# names those hand-offs, and only those. The full reports are kept in build-tsan/tsan.<pid>.
# Not part of .ci/run.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=build-tsan

[ $# -gt 0 ] || set -- -L integration
# Only what the chosen tests need (each test is the executable of the same name).
scripts/build-sanitized.sh $BUILD thread -- tenantrelay
tests=$(cd $BUILD && ctest -N "$@" | sed -n 's/^ *Test *#[0-9]*: //p')
# shellcheck disable=SC2086
scripts/build-sanitized.sh $BUILD thread -- $tests

rm -f $BUILD/tsan.*
export TSAN_OPTIONS="suppressions=$ROOT/tests/sanitizers/tsan.supp:halt_on_error=0:second_deadlock_stack=1:history_size=4:log_path=$ROOT/$BUILD/tsan:exitcode=66"
export QT_QPA_PLATFORM=offscreen
status=0
(cd $BUILD && nice -n 15 ctest --output-on-failure -j"${JOBS:-2}" "$@") || status=$?
reports=$(cat $BUILD/tsan.* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer' || true)
echo "ThreadSanitizer reports: $reports (in $BUILD/tsan.*)" >&2
cat $BUILD/tsan.* 2>/dev/null | grep -E '^SUMMARY: ThreadSanitizer' | sort | uniq -c | sort -rn >&2 || true
exit $status
