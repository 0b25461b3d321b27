#!/bin/bash
# User-space instructions per request, TenantRelay against an nginx proxy, both in front of the
# same canned upstream, counted by valgrind (callgrind): a figure that does not move with the
# machine's load, for comparing two builds of the relay when timings are too noisy to.
#
#   bench/instructions.sh [RELAY_BIN ...]      (default: build/app/tenantrelay)
#
# Installs valgrind, nginx-light and wrk with apt-get when they are missing. For each proxy
# (nginx: one worker, no master process, keep-alive to the upstream, `proxy_buffering off`, no
# access log; the relay: `serve` with 2 workers on a fresh temp database, the canned upstream,
# a price for gpt-4o-mini so that every request is metered, a tenant key), under callgrind:
# 3 s of warm-up (wrk -t1 -c4, bench/post.lua), the counters zeroed, 6 s measured, the counters
# dumped. Prints the instructions executed in the proxy's process (every thread: the relay's
# usage writer included) divided by the requests wrk saw answered. Kernel time is not counted:
# the system calls per request are about the same for both (see the README's Performance
# section), so this is the part of the CPU per request that the relay's own code decides.
# Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
need=()
command -v valgrind >/dev/null || need+=(valgrind)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]} (apt-get)" >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
BINS=("$@")
if [ ${#BINS[@]} -eq 0 ]; then
    BINS=(build/app/tenantrelay)
    if [ ! -x build/app/tenantrelay ]; then
        [ -f build/build.ninja ] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
        cmake --build build -j"$(nproc)" --target tenantrelay >&2
    fi
fi

TMP=$(mktemp -d /tmp/instructions.XXXXXX)
UP=19821; NGX=19822; RELAY=19823
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    [ -f "$TMP/upstream.pid" ] && kill "$(cat "$TMP/upstream.pid")" 2>/dev/null
    sleep 0.3
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

JSON='{"id":"chatcmpl-bench","object":"chat.completion","created":1767225600,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello, relay benchmark!"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":6,"total_tokens":20}}'
conf() { # name body -> an nginx configuration
    cat <<EOF
worker_processes 1;
pid $TMP/$1.pid;
error_log $TMP/$1-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $TMP/$1-tmp/body;
    proxy_temp_path $TMP/$1-tmp/proxy;
    fastcgi_temp_path $TMP/$1-tmp/fastcgi;
    uwsgi_temp_path $TMP/$1-tmp/uwsgi;
    scgi_temp_path $TMP/$1-tmp/scgi;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
$2
}
EOF
}
conf upstream "    server {
        listen 127.0.0.1:$UP;
        location / { default_type application/json; return 200 '$JSON'; }
    }" > "$TMP/upstream.conf"
conf proxy "    upstream canned { server 127.0.0.1:$UP; keepalive 64; }
    server {
        listen 127.0.0.1:$NGX;
        location / {
            proxy_pass http://canned;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
            proxy_buffering off;
        }
    }" > "$TMP/proxy.conf"
mkdir -p "$TMP/upstream-tmp" "$TMP/proxy-tmp"
"$NGINX" -p "$TMP" -e "$TMP/upstream-error.log" -c "$TMP/upstream.conf"

measure() { # label port -> one line; $PID runs under callgrind
    local out n ir file
    for _ in $(seq 150); do
        curl -s -o /dev/null "http://127.0.0.1:$2/healthz" && break
        sleep 0.2
    done
    wrk -t1 -c4 -d3s -s bench/post.lua "http://127.0.0.1:$2/v1/chat/completions" >/dev/null
    callgrind_control -z "$PID" >/dev/null 2>&1
    out=$(wrk -t1 -c4 -d6s -s bench/post.lua "http://127.0.0.1:$2/v1/chat/completions")
    callgrind_control -d "$PID" >/dev/null 2>&1
    sleep 1
    n=$(echo "$out" | awk '/requests in/ { print $1 }')
    file=$(ls "$TMP"/cg.out.* | head -1)
    ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$file")
    if echo "$out" | grep -q Non-2xx; then
        echo "$1: answers other than 200 ($(echo "$out" | awk '/Non-2xx/ { print $NF }'))" >&2
        exit 1
    fi
    printf "%-40s %7d requests  %9d instructions per request\n" "$1" "$n" "$((ir / n))"
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    PID=
    rm -f "$TMP"/cg.out*
}

echo "user-space instructions per request (callgrind), wrk -t1 -c4, $(date -u '+%Y-%m-%d %H:%M UTC')"
valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" "$NGINX" -p "$TMP" \
    -e "$TMP/proxy-error.log" -c "$TMP/proxy.conf" -g 'daemon off; master_process off;' \
    2>"$TMP/valgrind-nginx.log" &
PID=$!
measure "nginx proxy" "$NGX"
for bin in "${BINS[@]}"; do
    export TENANTRELAY_DB="$TMP/relay-$RANDOM.db"
    "$bin" upstream add canned --base-url "http://127.0.0.1:$UP/v1" >/dev/null
    "$bin" price set gpt-4o-mini --input 0.15 --output 0.60 >/dev/null
    KEY=$("$bin" tenant add bench)
    export KEY
    valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" "$bin" serve \
        --listen "127.0.0.1:$RELAY" --workers 2 2>"$TMP/valgrind-relay.log" &
    PID=$!
    measure "TenantRelay ($bin)" "$RELAY"
    unset KEY
done
