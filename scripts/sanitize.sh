#!/bin/sh
# Builds TenantRelay with AddressSanitizer and UndefinedBehaviorSanitizer (clang) into
# ./build-asan and runs every test there; any sanitizer report fails its test:
#   scripts/sanitize.sh [ctest arguments, e.g. -L unit or -R tst_proxy]
# ASan stops at its first error (halt_on_error), LeakSanitizer checks every process at exit
# (with tests/sanitizers/lsan.supp for the few one-time allocations of libraries outside
# TenantRelay), and UBSan errors are fatal (the build uses -fno-sanitize-recover=all).
# Not part of .ci/run.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=build-asan

scripts/build-sanitized.sh $BUILD address,undefined

export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:print_summary=1"
export LSAN_OPTIONS="suppressions=$ROOT/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:print_summary=1"
export QT_QPA_PLATFORM=offscreen
cd $BUILD
nice -n 15 ctest --output-on-failure -j"${JOBS:-2}" "$@"
