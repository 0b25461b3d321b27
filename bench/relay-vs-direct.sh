#!/bin/sh
# Throughput and latency of the relay against the simulated provider called directly, at the
# same load, in one run: wrk with N connections for D seconds on each, then the two side by side.
#   bench/relay-vs-direct.sh [CONNECTIONS] [SECONDS]
set -eu
cd "$(dirname "$0")/.."
CONNS=${1:-32}
SECS=${2:-10}
BIN=build/app/tenantrelay
SIM=build/bench/tenantrelay-sim
[ -x "$BIN" ] && [ -x "$SIM" ] || scripts/build.sh
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
TMP=$(mktemp -d)
SIM_PORT=19701
RELAY_PORT=19702
cleanup() { kill "$SIM_PID" "$RELAY_PID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM
export TENANTRELAY_DB="$TMP/bench.db"
"$SIM" --port $SIM_PORT --workers 1 2>/dev/null & SIM_PID=$!
"$BIN" upstream add sim --base-url http://127.0.0.1:$SIM_PORT/v1 --max-connections 256
"$BIN" price set gpt-4o-mini --input 0.15 --output 0.60
KEY=$("$BIN" tenant add bench)
"$BIN" serve --listen 127.0.0.1:$RELAY_PORT --workers "$(nproc)" 2>/dev/null & RELAY_PID=$!
for i in $(seq 50); do curl -sf http://127.0.0.1:$RELAY_PORT/healthz >/dev/null && break; sleep 0.1; done

run() { # URL -> "rps p50 p99" (latencies in ms)
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -s bench/post.lua "$1" | awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
        /Non-2xx/ { bad = $NF }
        END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }'
}
# Warm both paths (connections, caches) before measuring.
wrk -t1 -c4 -d1s -s bench/post.lua http://127.0.0.1:$SIM_PORT/v1/chat/completions >/dev/null
KEY=$KEY wrk -t1 -c4 -d1s -s bench/post.lua http://127.0.0.1:$RELAY_PORT/v1/chat/completions >/dev/null
set -- $(run http://127.0.0.1:$SIM_PORT/v1/chat/completions); D_RPS=$1 D_P50=$2 D_P99=$3 D_BAD=$4
set -- $(KEY=$KEY run http://127.0.0.1:$RELAY_PORT/v1/chat/completions); R_RPS=$1 R_P50=$2 R_P99=$3 R_BAD=$4
ROWS=$("$BIN" usage --json | grep -o '"requests": *[0-9]*' | grep -o '[0-9]*$' || echo "?")

echo "Non-streaming chat completions, $CONNS connections, ${SECS}s each, $(nproc) cores shared by"
echo "wrk, the relay and the simulated provider (latency 0):"
echo
printf "| %-28s | %10s | %8s | %8s | %7s |\n" "path" "requests/s" "p50 ms" "p99 ms" "non-2xx"
printf "|%s|%s|%s|%s|%s|\n" "------------------------------" "------------" "----------" "----------" "---------"
printf "| %-28s | %10s | %8s | %8s | %7s |\n" "direct to the provider" "$D_RPS" "$D_P50" "$D_P99" "$D_BAD"
printf "| %-28s | %10s | %8s | %8s | %7s |\n" "through the relay" "$R_RPS" "$R_P50" "$R_P99" "$R_BAD"
awk -v a="$R_RPS" -v b="$D_RPS" -v c="$R_P50" -v d="$D_P50" 'BEGIN { printf "\nrelay/direct: throughput %.2fx, p50 latency +%.2f ms\n", a / b, c - d }'
echo "usage rows metered by the relay: $ROWS"
