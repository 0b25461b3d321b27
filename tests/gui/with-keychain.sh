#!/bin/sh
# Runs a test inside a D-Bus session of its own with an unlocked GNOME keyring: the Secret
# Service the console keeps admin tokens in (through QtKeychain). CI and servers have no desktop
# session, so the test brings its own, in a temporary home that is removed afterwards.
set -eu
preload="${LD_PRELOAD:-}"
unset LD_PRELOAD
# The keychain (libsecret) answers through GLib's event loop, which the console runs.
unset QT_NO_GLIB
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
export HOME="$home" XDG_DATA_HOME="$home/data" XDG_RUNTIME_DIR="$home/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# The keyring's password only unlocks this throw-away keyring.
dbus-run-session -- sh -c '
    printf "tenantrelay-test" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    LD_PRELOAD="$0" exec "$@"' "$preload" "$@"
