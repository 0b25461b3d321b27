#!/bin/sh
# The binary's malloc is tcmalloc's: the dynamic linker binds the C library's own calls to
# malloc (and every other library's) to libtcmalloc_minimal, loaded before it.
# Usage: check-allocator.sh TENANTRELAY_BINARY
set -eu
bindings=$(LD_DEBUG=bindings "$1" --version 2>&1 >/dev/null | grep "normal symbol \`malloc'" || true)
if ! printf '%s\n' "$bindings" | grep -q "to [^ ]*libtcmalloc_minimal[^ ]* .*: normal symbol"; then
    echo "FAIL: malloc is not tcmalloc's in $1; bindings seen:" >&2
    printf '%s\n' "$bindings" | head -5 >&2
    exit 1
fi
echo "malloc: $(printf '%s\n' "$bindings" | grep -o 'to [^ ]*libtcmalloc_minimal[^ ]*' | head -1)"
