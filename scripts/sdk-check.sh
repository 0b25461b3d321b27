#!/bin/sh
# TenantRelay through the official SDKs, as its users call it: builds, starts the simulated
# provider (OpenAI and Anthropic on one port) and a relay on a throw-away database, runs
# tests/sdk/check.mjs with the `openai` and `@anthropic-ai/sdk` npm packages (Anthropic's
# messages.create, messages.stream, tools, countTokens, models.list, errors; OpenAI's
# models.retrieve, chat, streams, responses.create, completions, moderations), then prints what
# `usage` metered. Needs node and npm; the packages install from the npm registry into
# tests/sdk/node_modules. Not part of .ci/run. SDK_CHECK_TLS=1: the relay speaks HTTPS with a
# self-signed certificate made here by openssl, which the SDKs trust via NODE_EXTRA_CA_CERTS.
#   scripts/sdk-check.sh
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
scripts/build.sh
B=$ROOT/build/app/tenantrelay
SIM=$ROOT/build/bench/tenantrelay-sim
SIM_PORT=${SIM_PORT:-19611}
RELAY_PORT=${RELAY_PORT:-19610}
D=$(mktemp -d)
export TENANTRELAY_DB="$D/relay.db"
SIM_PID=
RELAY_PID=
cleanup() {
    [ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
    rm -rf "$D"
}
trap cleanup EXIT INT TERM

if [ ! -d tests/sdk/node_modules/openai ] || [ ! -d tests/sdk/node_modules/@anthropic-ai/sdk ]; then
    echo "Installing the SDKs from the npm registry..."
    (cd tests/sdk && npm install --no-audit --no-fund --silent)
fi

"$SIM" --port "$SIM_PORT" --latency-ms 5 >"$D/sim.log" 2>&1 &
SIM_PID=$!
export SDK_CHECK_UPSTREAM_KEY=sk-sim-upstream-key # what the relay sends the provider
"$B" upstream add sim-openai --base-url "http://127.0.0.1:$SIM_PORT/v1" \
    --api-key-env SDK_CHECK_UPSTREAM_KEY >/dev/null
"$B" upstream add sim-claude --kind anthropic --base-url "http://127.0.0.1:$SIM_PORT" \
    --api-key-env SDK_CHECK_UPSTREAM_KEY >/dev/null
"$B" route set claude-sonnet-4-5 sim-claude >/dev/null
"$B" price set gpt-4o --input 2.5 --output 10 >/dev/null
"$B" price set claude-sonnet-4-5 --input 3 --output 15 >/dev/null
KEY=$("$B" tenant add sdk-team)
SCHEME=http
TLS_ARGS=""
if [ "${SDK_CHECK_TLS:-0}" = 1 ]; then
    openssl req -x509 -nodes -days 2 -subj /CN=sdk-check -addext subjectAltName=IP:127.0.0.1 \
        -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -keyout "$D/relay.key" -out "$D/relay.crt" 2>/dev/null
    SCHEME=https
    TLS_ARGS="--tls-cert $D/relay.crt --tls-key $D/relay.key"
    export NODE_EXTRA_CA_CERTS="$D/relay.crt"
fi
# shellcheck disable=SC2086 # TLS_ARGS is two options or none
"$B" serve --listen "127.0.0.1:$RELAY_PORT" $TLS_ARGS >"$D/relay.log" 2>&1 &
RELAY_PID=$!
i=0
until curl -sf ${NODE_EXTRA_CA_CERTS:+--cacert "$NODE_EXTRA_CA_CERTS"} "$SCHEME://127.0.0.1:$RELAY_PORT/healthz" >/dev/null; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
        echo "The relay did not start:" >&2
        cat "$D/relay.log" >&2
        exit 1
    fi
    sleep 0.1
done

RC=0
RELAY_URL="$SCHEME://127.0.0.1:$RELAY_PORT" TENANT_KEY="$KEY" node tests/sdk/check.mjs || RC=$?
kill "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null || true
RELAY_PID=
echo
echo "Metered by endpoint (usage rows):"
sqlite3 -cmd ".timeout 5000" "$TENANTRELAY_DB" \
    "select endpoint, count(*), sum(prompt_tokens), sum(completion_tokens), printf('%.6f', sum(cost_usd)) from usage group by endpoint order by endpoint" |
    awk -F'|' 'BEGIN { printf "%-13s %8s %8s %10s %12s\n", "endpoint", "requests", "prompt", "completion", "cost_usd" }
               { printf "%-13s %8s %8s %10s %12s\n", $1, $2, $3, $4, $5 }'
"$B" usage --tenant sdk-team
exit $RC
