#!/bin/sh
# Takes the README's console screenshots from a running `tenantrelay --demo` under Xvfb
# (1366×768, a laptop screen): after SECONDS (default 90) of simulated traffic, the dashboard,
# tenants and budgets panels, switched with their keyboard shortcuts (Ctrl+1, Ctrl+2, Ctrl+4).
# Needs xvfb, imagemagick and libxtst6; writes docs/screenshots/*.png.
set -eu
cd "$(dirname "$0")/.."
BIN=${TENANTRELAY_BIN:-build/app/tenantrelay}
WAIT=${1:-90}
OUT=docs/screenshots
mkdir -p "$OUT"
CONFIG=$(mktemp -d)
trap 'rm -rf "$CONFIG"' EXIT
export XDG_CONFIG_HOME="$CONFIG" OUT WAIT BIN

xvfb-run -a -s "-screen 0 1366x768x24" sh -c '
    "$BIN" --demo &
    pid=$!
    sleep "$WAIT"
    for shot in 1:dashboard 2:tenants 4:budgets; do
        python3 - "${shot%%:*}" <<PY
import ctypes, sys, time
x11 = ctypes.cdll.LoadLibrary("libX11.so.6")
xtst = ctypes.cdll.LoadLibrary("libXtst.so.6")
x11.XOpenDisplay.restype = ctypes.c_void_p
display = ctypes.c_void_p(x11.XOpenDisplay(None))
def code(sym):
    return x11.XKeysymToKeycode(display, x11.XStringToKeysym(sym))
# A click on the empty end of the tab bar gives the window the keyboard focus (no window manager).
xtst.XTestFakeMotionEvent(display, -1, 1200, 12, 0)
for down in (1, 0):
    xtst.XTestFakeButtonEvent(display, 1, down, 0)
    x11.XFlush(display)
    time.sleep(0.05)
ctrl, key = code(b"Control_L"), code(sys.argv[1].encode())
for keycode, down in ((ctrl, 1), (key, 1), (key, 0), (ctrl, 0)):
    xtst.XTestFakeKeyEvent(display, keycode, down, 0)
    x11.XFlush(display)
    time.sleep(0.05)
x11.XCloseDisplay(display)
PY
        sleep 3
        # The console window: 1280×700 at the top left of the 1366×768 screen.
        import -window root -crop 1280x700+0+0 +repage "$OUT/${shot#*:}.png"
    done
    kill $pid
    wait $pid || true
'
ls -l "$OUT"
