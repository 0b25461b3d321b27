#!/bin/sh
# Takes the README's console screenshots under Xvfb at 1366×768 (a laptop screen):
#  - first-run.png: the console on a new, empty database (what a new user sees first);
#  - dashboard.png, tenants.png, tenant-view.png, budgets.png: `tenantrelay --demo` after
#    SECONDS (default 90) of simulated traffic; panels switched with their shortcuts (Ctrl+1,
#    Ctrl+2, Ctrl+4), the tenant view opened on the first tenant with its View… button.
# Needs xvfb, imagemagick and libxtst6; writes docs/screenshots/*.png.
set -eu
cd "$(dirname "$0")/.."
BIN=${TENANTRELAY_BIN:-build/app/tenantrelay}
WAIT=${1:-90}
OUT=docs/screenshots
mkdir -p "$OUT"
CONFIG=$(mktemp -d)
trap 'rm -rf "$CONFIG"' EXIT
export XDG_CONFIG_HOME="$CONFIG/config" OUT WAIT BIN CONFIG

# Keys and clicks through XTest (no window manager: a click on the status bar first gives the
# window the focus).
cat > "$CONFIG/input.py" <<'PY'
import ctypes, sys, time
x11 = ctypes.cdll.LoadLibrary("libX11.so.6")
xtst = ctypes.cdll.LoadLibrary("libXtst.so.6")
x11.XOpenDisplay.restype = ctypes.c_void_p
display = ctypes.c_void_p(x11.XOpenDisplay(None))
def code(sym):
    return x11.XKeysymToKeycode(display, x11.XStringToKeysym(sym))
def click(x, y):
    xtst.XTestFakeMotionEvent(display, -1, x, y, 0)
    for down in (1, 0):
        xtst.XTestFakeButtonEvent(display, 1, down, 0)
        x11.XFlush(display)
        time.sleep(0.05)
def chord(modifier, key):
    mod, k = code(modifier.encode()), code(key.encode())
    for keycode, down in ((mod, 1), (k, 1), (k, 0), (mod, 0)):
        xtst.XTestFakeKeyEvent(display, keycode, down, 0)
        x11.XFlush(display)
        time.sleep(0.05)
def key(name):
    k = code(name.encode())
    for down in (1, 0):
        xtst.XTestFakeKeyEvent(display, k, down, 0)
        x11.XFlush(display)
        time.sleep(0.05)
# Arguments: "click X Y", "key NAME", "ctrl KEY" or "alt KEY", in order.
args = sys.argv[1:]
while args:
    if args[0] == "click":
        click(int(args[1]), int(args[2])); args = args[3:]
    elif args[0] == "key":
        key(args[1]); args = args[2:]
    else:
        chord("Control_L" if args[0] == "ctrl" else "Alt_L", args[1]); args = args[2:]
    time.sleep(0.3)
x11.XCloseDisplay(display)
PY

xvfb-run -a -s "-screen 0 1366x768x24" sh -c '
    # The console window: 1280×700 at the top left of the 1366×768 screen.
    shot() { sleep 3; import -window root -crop 1280x700+0+0 +repage "$OUT/$1.png"; }
    input() { python3 "$CONFIG/input.py" "$@"; }

    # First run: a new database, nothing configured yet.
    # (its own settings: the demo below must not reopen where this window was left)
    XDG_CONFIG_HOME="$CONFIG/first-config" "$BIN" --db "$CONFIG/first.db" &
    pid=$!
    sleep 5
    input click 640 690
    shot first-run
    kill $pid; wait $pid || true

    "$BIN" --demo &
    pid=$!
    sleep "$WAIT"
    input click 640 690 ctrl 1; shot dashboard
    input click 640 690 ctrl 2; shot tenants
    # The first tenant row, then View… (Alt+W); the view opens in a window of its own.
    input click 200 110 alt w; shot tenant-view
    input key Escape
    input click 640 690 ctrl 4; shot budgets
    kill $pid
    wait $pid || true
'
ls -l "$OUT"
