#!/bin/sh
# Configures (once) and builds TenantRelay with clang and sanitizers into a build directory of
# its own, niced and with at most $JOBS (2) jobs, for scripts/sanitize.sh, tsan.sh and fuzz.sh.
# Optimisation $OPT (default -O0: half the compile time of -O1 on this code base, which matters
# more on a shared machine than the tests' speed) with line tables for the sanitizers' stacks;
# assert() stays on.
#   scripts/build-sanitized.sh BUILD_DIR SANITIZERS [cmake options...] [-- build targets...]
set -eu
cd "$(dirname "$0")/.."
build=$1
sanitizers=$2
shift 2
options=""
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    options="$options $1"
    shift
done
[ $# -gt 0 ] && shift
launcher=""
command -v ccache >/dev/null && launcher="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
# shellcheck disable=SC2086 # options are words on purpose
[ -f "$build/build.ninja" ] || nice -n 15 cmake -S . -B "$build" -G Ninja \
    -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="${OPT:--O0} -g1" \
    -DTENANTRELAY_SANITIZE="$sanitizers" $launcher $options >&2
targets=""
for t in "$@"; do targets="$targets --target $t"; done
# shellcheck disable=SC2086
nice -n 15 cmake --build "$build" -j"${JOBS:-2}" $targets >&2
