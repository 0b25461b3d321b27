#!/bin/sh
# Takes the README's screenshot of the console managing a relay in another process over HTTPS:
# `tenantrelay serve --demo` with TLS (a self-signed certificate made here) and the admin API,
# and `tenantrelay --connect https://127.0.0.1:PORT --connect-ca CERT` under Xvfb (1366×768),
# after SECONDS (default 60) of the demo's simulated traffic. Needs xvfb, imagemagick, openssl;
# writes docs/screenshots/remote-console.png.
set -eu
cd "$(dirname "$0")/.."
BIN=${TENANTRELAY_BIN:-build/app/tenantrelay}
WAIT=${1:-60}
PORT=${PORT:-8741}
OUT=docs/screenshots
mkdir -p "$OUT"
DIR=$(mktemp -d)
RELAY=""
trap '[ -n "$RELAY" ] && kill "$RELAY" 2>/dev/null; rm -rf "$DIR"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$DIR/key.pem" -out "$DIR/cert.pem" 2>/dev/null
TR_SCREENSHOT_ADMIN_TOKEN=$(openssl rand -hex 24)
export TR_SCREENSHOT_ADMIN_TOKEN XDG_CONFIG_HOME="$DIR/config" BIN WAIT PORT OUT DIR
"$BIN" serve --demo --listen "127.0.0.1:$PORT" --tls-cert "$DIR/cert.pem" --tls-key "$DIR/key.pem" \
    --admin-token-env TR_SCREENSHOT_ADMIN_TOKEN 2>"$DIR/serve.log" &
RELAY=$!
sleep 3
TENANTRELAY_ADMIN_TOKEN=$TR_SCREENSHOT_ADMIN_TOKEN xvfb-run -a -s "-screen 0 1366x768x24" sh -c '
    "$BIN" --connect "https://127.0.0.1:$PORT" --connect-ca "$DIR/cert.pem" &
    pid=$!
    sleep "$WAIT"
    # The console window: 1280×700 at the top left of the 1366×768 screen.
    import -window root -crop 1280x700+0+0 +repage "$OUT/remote-console.png"
    kill $pid
    wait $pid || true
'
ls -l "$OUT/remote-console.png"
