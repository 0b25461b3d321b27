#!/bin/sh
# How the usage reports scale with the usage table: fills a database with ROWS usage rows over
# the last 90 days (bench/UsageFill.cpp, with the hourly rollups the writer keeps), then times
# `usage --json` for the month, `tenant list --json` (this month's spend) and `report costs
# --json`, RUNS times each, and prints the medians; then the admin API's tenants, usage,
# history and requests on the same database (curl against `serve --admin-token-env`). Then
# times the usage writer on an empty database and on the filled one, to show that writing does
# not slow down as the table grows.
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
# "WALL ms (CPU ms)": the medians over RUNS runs of a command, wall time and user + system CPU
# time (CPU time shows the work done when other programs share the cores).
median() {
    for i in $(seq "$RUNS"); do
        t0=$(ms); /usr/bin/time -f '%U %S' -o "$TMP/cpu" "$@" >/dev/null; t1=$(ms)
        echo "$((t1 - t0)) $(awk '{ printf "%d", ($1 + $2) * 1000 }' "$TMP/cpu")"
    done >"$TMP/times"
    mid=$(( (RUNS + 1) / 2 ))
    echo "$(cut -d' ' -f1 "$TMP/times" | sort -n | sed -n "${mid}p") ms" \
        "(CPU $(cut -d' ' -f2 "$TMP/times" | sort -n | sed -n "${mid}p") ms)"
}

/usr/bin/time -f 'fill: %e s wall, %U s user CPU' "$FILL" --db "$DB" --rows "$ROWS"
echo "database: $(du -h "$DB" | cut -f1)"
"$BIN" --db "$DB" usage >/dev/null # warm the page cache, as a second run of a user would
echo "median of $RUNS runs, wall time of the whole process (start, open, query, print):"
echo "  usage --json (this month):        $(median "$BIN" --db "$DB" usage --json)"
echo "  usage --json --since 90 days ago: $(median "$BIN" --db "$DB" usage --json \
    --since "$(date -u -d '90 days ago' +%F)")"
echo "  usage --json --tenant search:     $(median "$BIN" --db "$DB" usage --json --tenant search)"
echo "  tenant list --json:               $(median "$BIN" --db "$DB" tenant list --json)"
echo "  report costs --json:              $(median "$BIN" --db "$DB" report costs --json)"
echo "  --version (process start only):  $(median "$BIN" --version)"
"$BIN" --db "$DB" usage
"$BIN" --db "$DB" report costs

# The admin API on the same database, as a remote console or `--connect` asks it: a relay
# started with an admin token, each call timed by curl (time to the last byte), medians.
PORT=${PORT:-18791}
export TR_BENCH_ADMIN_TOKEN=bench-admin-token
"$BIN" --db "$DB" serve --listen "127.0.0.1:$PORT" --admin-token-env TR_BENCH_ADMIN_TOKEN \
    >"$TMP/serve.log" 2>&1 &
SERVE=$!
trap 'kill $SERVE 2>/dev/null || true; rm -rf "$TMP"' EXIT INT TERM
for i in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/admin/v1/settings" \
        -H "Authorization: Bearer $TR_BENCH_ADMIN_TOKEN" && break
    sleep 0.1
done
api() {
    for i in $(seq "$RUNS"); do
        curl -s -o "$TMP/answer" -w '%{http_code} %{time_total}\n' \
            -H "Authorization: Bearer $TR_BENCH_ADMIN_TOKEN" "http://127.0.0.1:$PORT/admin/v1/$1"
    done >"$TMP/api"
    code=$(cut -d' ' -f1 "$TMP/api" | sort -u | tr '\n' ' ')
    mid=$(( (RUNS + 1) / 2 ))
    printf '%s ms (HTTP %s, %s bytes)\n' \
        "$(cut -d' ' -f2 "$TMP/api" | awk '{ printf "%.1f\n", $1 * 1000 }' | sort -n | sed -n "${mid}p")" \
        "$code" "$(wc -c <"$TMP/answer")"
}
echo "admin API, median of $RUNS calls (time to the last byte):"
echo "  GET tenants:                      $(api tenants)"
echo "  GET usage (this month):           $(api usage)"
echo "  GET usage?tenant=search:          $(api 'usage?tenant=search')"
echo "  GET history?window=1h:            $(api 'history?window=1h')"
echo "  GET history?window=24h:           $(api 'history?window=24h')"
echo "  GET history?window=7d:            $(api 'history?window=7d')"
echo "  GET requests (newest 100):        $(api requests)"
echo "  GET requests?tenant=search:       $(api 'requests?tenant=search')"
echo "  GET requests?status=errors:       $(api 'requests?status=errors')"
echo "  GET requests?limit=1000:          $(api 'requests?limit=1000')"
DEEP=$(curl -s -H "Authorization: Bearer $TR_BENCH_ADMIN_TOKEN" \
    "http://127.0.0.1:$PORT/admin/v1/requests?limit=1000&before=$(date -u -d '60 days ago' +%s)000-0" |
    grep -o '"next":"[^"]*"' | cut -d'"' -f4)
echo "  GET requests, a page 60 days back: $(api "requests?before=$DEEP")"
kill $SERVE
wait $SERVE 2>/dev/null || true

BURST=${BURST:-100000}
echo "usage writer, $BURST rows:"
printf '  empty database:    '; "$FILL" --db "$TMP/empty.db" --burst "$BURST"
printf '  %s-row database: ' "$ROWS"; "$FILL" --db "$DB" --burst "$BURST"
