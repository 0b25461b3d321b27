#!/bin/sh
# Configures (once) and builds TenantRelay into ./build with warnings as errors.
set -eu
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTENANTRELAY_WERROR=ON >&2
cmake --build build -j"$(nproc)" >&2
