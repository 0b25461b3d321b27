#!/bin/sh
# How the usage reports scale with the usage table: fills a database with ROWS usage rows over
# the last 90 days (bench/UsageFill.cpp, with the hourly rollups the writer keeps), then times
# `usage --json` for the month, `tenant list --json` (this month's spend) and `report costs
# --json`, RUNS times each, and prints the medians. Then times the usage writer on an empty
# database and on the filled one, to show that writing does not slow down as the table grows.
#   bench/usage-scale.sh [ROWS] [RUNS]        (BUILD=build-dir to use another build)
set -eu
cd "$(dirname "$0")/.."
ROWS=${1:-10000000}
RUNS=${2:-7}
BUILD=${BUILD:-build}
BIN=$BUILD/app/tenantrelay
FILL=$BUILD/bench/usage-fill
[ -x "$BIN" ] && [ -x "$FILL" ] || scripts/build.sh
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
DB=$TMP/usage.db

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# median of the times in ms of RUNS runs of a command
median() {
    for i in $(seq "$RUNS"); do
        t0=$(ms); "$@" >/dev/null; t1=$(ms); echo $((t1 - t0))
    done | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

"$FILL" --db "$DB" --rows "$ROWS"
echo "database: $(du -h "$DB" | cut -f1)"
"$BIN" --db "$DB" usage >/dev/null # warm the page cache, as a second run of a user would
echo "median of $RUNS runs, wall time of the whole process (start, open, query, print):"
echo "  usage --json (this month):   $(median "$BIN" --db "$DB" usage --json) ms"
echo "  usage --json --since 90 days ago: $(median "$BIN" --db "$DB" usage --json \
    --since "$(date -u -d '90 days ago' +%F)") ms"
echo "  tenant list --json:          $(median "$BIN" --db "$DB" tenant list --json) ms"
echo "  report costs --json:         $(median "$BIN" --db "$DB" report costs --json) ms"
echo "  --version (process start only): $(median "$BIN" --version) ms"
"$BIN" --db "$DB" usage
"$BIN" --db "$DB" report costs

BURST=${BURST:-100000}
echo "usage writer, $BURST rows:"
printf '  empty database:    '; "$FILL" --db "$TMP/empty.db" --burst "$BURST"
printf '  %s-row database: ' "$ROWS"; "$FILL" --db "$DB" --burst "$BURST"
