#!/bin/bash
# TenantRelay against an nginx reverse proxy, both in front of the same canned upstream, measured
# in one run with the two proxies alternating round by round; medians over the rounds.
#
#   bench/compare-nginx.sh [--quick]        (ROUNDS=N SECONDS_PER_RUN=S override the defaults)
#
# Installs nginx-light (with its echo module) and wrk with apt-get when they are missing, builds
# the relay (Release) when build/app/tenantrelay is missing, and runs everything on loopback:
#
#   canned upstream  nginx, its own instance (1 worker): port A answers every request with
#                    `return 200` and a fixed chat.completion JSON body (usage included); port B
#                    answers with a canned SSE stream: a role chunk, 10 content chunks 100 ms
#                    apart (echo module: echo + echo_flush + echo_sleep), a finish chunk, a usage
#                    chunk and [DONE] — 14 events in about 1 s.
#   nginx proxy      a second instance: one worker process, keep-alive to the upstream
#                    (`keepalive 1024`, HTTP/1.1), `proxy_buffering off`, no access log;
#                    one port in front of A and one in front of B.
#   TenantRelay      `build/app/tenantrelay serve` with its default workers on a fresh temp
#                    database: upstream `canned` (A) and `canned-sse` (B, model bench-sse routed
#                    to it as gpt-4o-mini), a price for gpt-4o-mini (metering on), and a tenant
#                    key with no limits.
#
# Each round runs, for both proxies (which one goes first alternates by round):
#   1. max load: wrk -t2 -c64 for S s, POST /v1/chat/completions with a small body and the
#      tenant key (bench/post.lua); requests/s, and the proxy's CPU per request: the utime+stime
#      delta of the proxy process (/proc/PID/stat; nginx: its worker) over the requests answered.
#   2. fixed 1,000 req/s: build/bench/paced-load (bench/PacedLoad.cpp), an open-loop generator in
#      the manner of wrk2: a timer paces the requests, each has an intended send time, and its
#      latency runs from that time to the answer's last byte over a pool of 32 keep-alive
#      connections (so stalls are charged, no coordinated omission); 1 s warm-up, then S s
#      measured. The same run straight to the canned upstream (once per round) is the baseline:
#      "added" latency = through the proxy minus direct, per round, then the median. CPU per
#      request as above, over the measured window only.
#   3. the same with 2,000 idle keep-alive connections open to the proxy (each made one request,
#      then stays silent for the whole run).
#   4. 1,000 concurrent streams: paced-load keeps 1,000 connections each streaming one canned
#      SSE answer after another; after a 1.5 s warm-up, S s measured: SSE events received, the
#      proxy's CPU per received event, and its peak RSS (VmHWM, reset before the run by writing
#      5 to /proc/PID/clear_refs).
# After the last round the relay's usage report is compared with the requests it answered
# (its /metrics).
#
# Everything shares the machine's cores: wrk or paced-load, the upstream and the proxy under
# test. Run it on a quiet machine; the figures are for comparing the two proxies in one run.
# Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
for a in "$@"; do
    case $a in
        --quick) QUICK=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 0 ;;
        *) echo "usage: bench/compare-nginx.sh [--quick]" >&2; exit 2 ;;
    esac
done
if [ "$QUICK" = 1 ]; then
    ROUNDS=${ROUNDS:-3}; SECS=${SECONDS_PER_RUN:-2}
else
    ROUNDS=${ROUNDS:-5}; SECS=${SECONDS_PER_RUN:-8}
fi
RATE=1000
IDLE=2000
STREAMS=1000
EVENTS_PER_STREAM=14

# --- tools ------------------------------------------------------------------------------------
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
[ -f /usr/lib/nginx/modules/ngx_http_echo_module.so ] || need+=(libnginx-mod-http-echo)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]} (apt-get)" >&2
    $SUDO apt-get update -qq >&2
    # policy-rc.d may refuse to start the system's nginx; this script starts its own instances.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
BIN=${RELAY_BIN:-build/app/tenantrelay}  # RELAY_BIN: another build of the relay
LOAD=build/bench/paced-load
if [ ! -x "$BIN" ] || [ ! -x "$LOAD" ]; then
    [ -f build/build.ninja ] || cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DTENANTRELAY_WERROR=ON >&2
    cmake --build build -j"$(nproc)" --target tenantrelay paced-load >&2
fi
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' build/CMakeCache.txt ||
    echo "note: build/ is not a Release build" >&2

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" -lt 8192 ]; then
    echo "the open-files limit is $(ulimit -n); 2,000 idle connections need more (ulimit -n)" >&2
    exit 1
fi

# --- processes --------------------------------------------------------------------------------
TMP=$(mktemp -d /tmp/compare-nginx.XXXXXX)
UP=19811; UP_SSE=19812; NGX=19813; NGX_SSE=19814; RELAY=19815
RELAY_PID=
cleanup() {
    [ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null && wait "$RELAY_PID" 2>/dev/null
    for conf in proxy upstream; do
        [ -f "$TMP/$conf.pid" ] && kill "$(cat "$TMP/$conf.pid")" 2>/dev/null
    done
    sleep 0.3
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

JSON='{"id":"chatcmpl-bench","object":"chat.completion","created":1767225600,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello, relay benchmark!"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":14,"completion_tokens":6,"total_tokens":20}}'
chunk() { # delta JSON, finish_reason -> one SSE event as an nginx echo line
    printf "            echo 'data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1767225600,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":%s}]}\\\\n';\n" "$1" "$2"
}
{
    chunk '{"role":"assistant","content":""}' null
    for i in $(seq 10); do
        echo "            echo_flush; echo_sleep 0.1;"
        chunk '{"content":"Hello "}' null
    done
    chunk '{}' '"stop"'
    echo "            echo 'data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1767225600,\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":14,\"completion_tokens\":11,\"total_tokens\":25}}\\\\n';"
    echo "            echo 'data: [DONE]\\\\n';"
} > "$TMP/sse.inc"

common() { # name -> the shared top of an nginx configuration
    cat <<EOF
worker_processes 1;
worker_rlimit_nofile $(ulimit -Hn);
pid $TMP/$1.pid;
error_log $TMP/$1-error.log warn;
events { worker_connections 16384; }
EOF
}
http_common() {
    cat <<EOF
    access_log off;
    client_body_temp_path $TMP/$1-tmp/body;
    proxy_temp_path $TMP/$1-tmp/proxy;
    fastcgi_temp_path $TMP/$1-tmp/fastcgi;
    uwsgi_temp_path $TMP/$1-tmp/uwsgi;
    scgi_temp_path $TMP/$1-tmp/scgi;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
EOF
}
{
    echo "load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;"
    common upstream
    echo "http {"
    http_common upstream
    cat <<EOF
    server {
        listen 127.0.0.1:$UP backlog=4096;
        location / {
            default_type application/json;
            return 200 '$JSON';
        }
    }
    server {
        listen 127.0.0.1:$UP_SSE backlog=4096;
        location / {
            default_type text/event-stream;
            echo_read_request_body;
$(cat "$TMP/sse.inc")
        }
    }
}
EOF
} > "$TMP/upstream.conf"
{
    common proxy
    echo "http {"
    http_common proxy
    for pair in "canned $UP $NGX" "canned_sse $UP_SSE $NGX_SSE"; do
        set -- $pair
        cat <<EOF
    upstream $1 {
        server 127.0.0.1:$2;
        keepalive 1024;
        keepalive_requests 1000000;
        keepalive_timeout 300s;
    }
    server {
        listen 127.0.0.1:$3 backlog=4096;
        location / {
            proxy_pass http://$1;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
EOF
    done
    echo "}"
} > "$TMP/proxy.conf"
for conf in upstream proxy; do
    mkdir -p "$TMP/$conf-tmp"
    "$NGINX" -p "$TMP" -e "$TMP/$conf-error.log" -c "$TMP/$conf.conf"
done
sleep 0.3
NGINX_WORKER=$(pgrep -P "$(cat "$TMP/proxy.pid")" | head -1)

export TENANTRELAY_DB="$TMP/relay.db"
"$BIN" upstream add canned --base-url "http://127.0.0.1:$UP/v1" --max-connections 4096 >/dev/null
"$BIN" upstream add canned-sse --base-url "http://127.0.0.1:$UP_SSE/v1" --max-connections 4096 \
    >/dev/null
"$BIN" route set bench-sse canned-sse:gpt-4o-mini >/dev/null
"$BIN" price set gpt-4o-mini --input 0.15 --output 0.60 >/dev/null
"$BIN" price set bench-sse --input 0.15 --output 0.60 >/dev/null
KEY=$("$BIN" tenant add bench)
export KEY
"$BIN" serve --listen "127.0.0.1:$RELAY" 2>"$TMP/relay.log" &
RELAY_PID=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$RELAY/healthz" >/dev/null && break
    sleep 0.1
done
WORKERS=$(grep -o 'with [0-9]* workers' "$TMP/relay.log" | grep -o '[0-9]*' || echo "?")

# Every path answers before anything is measured.
check() { # port model stream -> fails loudly unless the answer is 200 with a usage object
    local body="{\"model\":\"$2\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]$3}"
    local out
    out=$(curl -sS -N --max-time 5 -H "Authorization: Bearer $KEY" \
        -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$1/v1/chat/completions")
    case $out in
        *'"usage"'*) ;;
        *) echo "no usage in the answer of port $1 ($2$3): $out" >&2; exit 1 ;;
    esac
}
check $UP gpt-4o-mini ""
check $NGX gpt-4o-mini ""
check $RELAY gpt-4o-mini ""
check $UP_SSE gpt-4o-mini ',"stream":true'
check $NGX_SSE gpt-4o-mini ',"stream":true'
check $RELAY bench-sse ',"stream":true'

# --- measurements -----------------------------------------------------------------------------
cpu_us() { awk '{ sub(/.*\) /, ""); print ($12 + $13) * 1e6 / '"$(getconf CLK_TCK)"' }' "/proc/$1/stat"; }
kv() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
R="$TMP/results"
: > "$R"
record() { echo "$1 $2 $3" >> "$R"; } # metric proxy value

port_of() { [ "$1" = relay ] && echo $RELAY || echo $NGX; }
sse_port_of() { [ "$1" = relay ] && echo $RELAY || echo $NGX_SSE; }
pid_of() { [ "$1" = relay ] && echo "$RELAY_PID" || echo "$NGINX_WORKER"; }
sse_model_of() { [ "$1" = relay ] && echo bench-sse || echo gpt-4o-mini; }

max_load() { # proxy
    local pid c0 c1 out req bad rps
    pid=$(pid_of "$1")
    c0=$(cpu_us "$pid")
    out=$(wrk -t2 -c64 -d"${SECS}s" -s bench/post.lua "http://127.0.0.1:$(port_of "$1")/v1/chat/completions")
    c1=$(cpu_us "$pid")
    req=$(echo "$out" | awk '/requests in/ { print $1 }')
    bad=$(echo "$out" | awk '/Non-2xx/ { print $NF }'); bad=${bad:-0}
    rps=$(echo "$out" | awk '/^Requests\/sec/ { printf "%.0f", $2 }')
    record max_rps "$1" "$rps"
    record max_cpu "$1" "$(awk -v a="$c0" -v b="$c1" -v n="$req" 'BEGIN { printf "%.1f", (b - a) / n }')"
    printf "  %-6s max load         %7s req/s  %6.1f us/req  non-2xx %s\n" "$1" "$rps" \
        "$(awk -v a="$c0" -v b="$c1" -v n="$req" 'BEGIN { print (b - a) / n }')" "$bad"
}
paced() { # proxy|direct idle -> one paced-load line
    local port pid
    if [ "$1" = direct ]; then port=$UP; pid=$(cat "$TMP/upstream.pid"); pid=$(pgrep -P "$pid" | head -1)
    else port=$(port_of "$1"); pid=$(pid_of "$1"); fi
    "$LOAD" rate --port "$port" --rate $RATE --seconds "$SECS" --warmup 1 --connections 32 \
        --idle "$2" --key "$KEY" --pid "$pid"
}
fixed_rate() { # proxy idle tag
    local out
    out=$(paced "$1" "$2")
    record "$3_p50" "$1" "$(kv "$out" p50_ms)"
    record "$3_p99" "$1" "$(kv "$out" p99_ms)"
    record "$3_cpu" "$1" "$(kv "$out" cpu_us_per_req)"
    printf "  %-6s %-16s p50 %6s ms  p99 %6s ms  %6s us/req  errors %s  idle open %s/%s\n" "$1" \
        "1,000 req/s$([ "$2" -gt 0 ] && echo "+idle" || true)" "$(kv "$out" p50_ms)" "$(kv "$out" p99_ms)" \
        "$(kv "$out" cpu_us_per_req)" "$(( $(kv "$out" errors) + $(kv "$out" unanswered) ))" \
        "$(kv "$out" idle_open)" "$2"
}
streams() { # proxy
    local pid out hwm
    pid=$(pid_of "$1")
    echo 5 > "/proc/$pid/clear_refs"
    out=$("$LOAD" streams --port "$(sse_port_of "$1")" --concurrency $STREAMS --seconds "$SECS" \
        --warmup 1.5 --key "$KEY" --model "$(sse_model_of "$1")" --pid "$pid")
    hwm=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
    record sse_cpu "$1" "$(kv "$out" cpu_us_per_event)"
    record sse_rss "$1" "$hwm"
    record sse_eps "$1" "$(kv "$out" events_per_s)"
    printf "  %-6s 1,000 streams    %6s events/s  %6s us/event  peak RSS %s MB  errors %s\n" "$1" \
        "$(kv "$out" events_per_s)" "$(kv "$out" cpu_us_per_event)" "$hwm" "$(kv "$out" errors)"
    sleep 1.5 # the streams cut at the end of the window finish or close
}

START=$(date +%s)
echo "TenantRelay vs nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(uname -r)"
echo "relay: $WORKERS workers, $(grep -o 'CMAKE_BUILD_TYPE:STRING=.*' build/CMakeCache.txt | cut -d= -f2); $ROUNDS rounds of ${SECS} s per measurement"
# Warm every path: connections, caches, the relay's first database writes.
wrk -t1 -c8 -d1s -s bench/post.lua "http://127.0.0.1:$NGX/v1/chat/completions" >/dev/null
wrk -t1 -c8 -d1s -s bench/post.lua "http://127.0.0.1:$RELAY/v1/chat/completions" >/dev/null
for round in $(seq "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="relay nginx"; else order="nginx relay"; fi
    echo "round $round/$ROUNDS ($order first)"
    for p in $order; do max_load "$p"; done
    out=$(paced direct 0)
    record direct_p50 direct "$(kv "$out" p50_ms)"
    record direct_p99 direct "$(kv "$out" p99_ms)"
    printf "  %-6s 1,000 req/s      p50 %6s ms  p99 %6s ms\n" direct "$(kv "$out" p50_ms)" "$(kv "$out" p99_ms)"
    for p in $order; do fixed_rate "$p" 0 rate; done
    for p in $order; do fixed_rate "$p" $IDLE idle; done
    for p in $order; do streams "$p"; done
    # added latency per round, against this round's direct run
    for p in relay nginx; do
        for m in rate idle; do
            for q in p50 p99; do
                record "${m}_add_$q" "$p" "$(awk -v m="${m}_$q" -v d="direct_$q" -v p="$p" -v r="$round" '
                    $1 == m && $2 == p { v[++n] = $3 } $1 == d { w[++k] = $3 }
                    END { printf "%.3f", v[r] - w[r] }' "$R")"
            done
        done
    done
done

# --- summary ----------------------------------------------------------------------------------
med() { # metric proxy -> median
    awk -v m="$1" -v p="$2" '$1 == m && $2 == p { print $3 }' "$R" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
row() { # label metric format ratio?
    local n r
    n=$(med "$2" nginx); r=$(med "$2" relay)
    printf "| %-58s | %11s | %11s | %11s |\n" "$1" "$(printf "$3" "$n")" "$(printf "$3" "$r")" \
        "$( [ "$4" = yes ] && awk -v a="$r" -v b="$n" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }' || echo "")"
}
sleep 3 # the usage writer's last batch
METRICS=$(curl -sf "http://127.0.0.1:$RELAY/metrics" || true)
ANSWERED=$(echo "$METRICS" | awk '/^tenantrelay_tenant_requests_total\{tenant="bench"\}/ { print $2 }')
FAILED=$(echo "$METRICS" | awk '/^tenantrelay_tenant_errors_total\{tenant="bench"\}/ { print $2 }')
ROWS=$("$BIN" usage --json | grep -o '"requests": *[0-9]*' | grep -o '[0-9]*$' | head -1 || true)
echo
echo "Medians of $ROUNDS interleaved rounds (relay/nginx: ratio of the medians; added latency: minus"
echo "the direct run of the same round; direct to the upstream: p50 $(med direct_p50 direct) ms, p99 $(med direct_p99 direct) ms)"
echo
printf "| %-58s | %11s | %11s | %11s |\n" "" "nginx proxy" "TenantRelay" "relay/nginx"
printf "|%s|%s|%s|%s|\n" "------------------------------------------------------------" "-------------" "-------------" "-------------"
row "max req/s, non-streaming chat, 64 keep-alive connections" max_rps "%'.0f" yes
row "CPU us per request at max load" max_cpu "%.1f" yes
row "added p50 ms at 1,000 req/s" rate_add_p50 "%+.3f" yes
row "added p99 ms at 1,000 req/s" rate_add_p99 "%+.3f" yes
row "CPU us per request at 1,000 req/s" rate_cpu "%.1f" yes
row "added p50 ms at 1,000 req/s, 2,000 idle keep-alive conns" idle_add_p50 "%+.3f" yes
row "added p99 ms at 1,000 req/s, 2,000 idle keep-alive conns" idle_add_p99 "%+.3f" yes
row "CPU us per request at 1,000 req/s, 2,000 idle conns" idle_cpu "%.1f" yes
row "1,000 concurrent streams: SSE events/s received" sse_eps "%'.0f" yes
row "1,000 concurrent streams: peak RSS MB (VmHWM)" sse_rss "%.1f" yes
row "1,000 concurrent streams: CPU us per relayed SSE event" sse_cpu "%.1f" yes
echo
echo "metering: the relay answered ${ANSWERED:-?} requests and its usage report counts ${ROWS:-?}; ${FAILED:-?}"
echo "of them are errors: streams still open when each streams run ended and its client hung up"
echo "total time $(( $(date +%s) - START )) s"
