#!/bin/bash
# How long an admin change takes to reach a running relay under load (interface.md §1: within
# 2 s). Runs `serve` against a simulated provider with 4 clients sending chat requests in a loop
# and 3 admin-command loops on the same database (`usage`, `tenant set`, `key list` + `backup`),
# then RUNS times issues a key with `key issue` and times how long until the relay accepts it:
# from the command's start, and from its return (the change committed). Gives up on a key after
# 10 s.
#   bench/reload-latency.sh [RUNS]        (BUILD=build-dir to use another build)
set -u
cd "$(dirname "$0")/.."
RUNS=${1:-10}
BUILD=${BUILD:-build}
BIN=$BUILD/app/tenantrelay
SIM=$BUILD/bench/tenantrelay-sim
[ -x "$BIN" ] && [ -x "$SIM" ] || scripts/build.sh
TMP=$(mktemp -d)
export TENANTRELAY_DB=$TMP/relay.db
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
ms() { echo $(( $(date +%s%N) / 1000000 )); }

SIM_PORT=$((20000 + RANDOM % 20000))
RELAY_PORT=$((SIM_PORT + 1))
"$SIM" --port "$SIM_PORT" --latency-ms 5 >/dev/null 2>&1 & pids+=($!)
"$BIN" upstream add sim --base-url "http://127.0.0.1:$SIM_PORT/v1" --max-connections 8 >/dev/null
KEY=$("$BIN" tenant add t1)
"$BIN" tenant add t2 >/dev/null
"$BIN" serve --listen "127.0.0.1:$RELAY_PORT" 2>"$TMP/serve.log" & pids+=($!)
until curl -s -o /dev/null "http://127.0.0.1:$RELAY_PORT/healthz"; do sleep 0.1; done
for _ in 1 2 3 4; do
    ( while :; do curl -s -o /dev/null "http://127.0.0.1:$RELAY_PORT/v1/chat/completions" \
        -H "Authorization: Bearer $KEY" \
        -d '{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}'; done ) & pids+=($!)
done
( while :; do "$BIN" usage --json >/dev/null 2>&1; done ) & pids+=($!)
( i=0; while :; do i=$((i + 1)); "$BIN" tenant set t2 --rpm $((1000 + i)) >/dev/null 2>&1; done ) \
    & pids+=($!)
( while :; do "$BIN" key list --json >/dev/null 2>&1; "$BIN" backup "$TMP/copy.db" >/dev/null 2>&1
  done ) & pids+=($!)
sleep 2
worst=0
for n in $(seq "$RUNS"); do
    t0=$(ms); NEW=$("$BIN" key issue t1); t1=$(ms)
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$RELAY_PORT/v1/models" \
                -H "Authorization: Bearer $NEW")" = 200 ] || [ $(( $(ms) - t1 )) -gt 10000 ]; do :; done
    t2=$(ms)
    [ $((t2 - t0)) -gt "$worst" ] && worst=$((t2 - t0))
    echo "key $n: command $((t1 - t0)) ms; live $((t2 - t1)) ms after it returned," \
        "$((t2 - t0)) ms after it started"
done
echo "worst: $worst ms from the command's start"
