#!/bin/sh
# Installs what TenantRelay needs to build, test and run on Debian 12, if anything is missing.
set -eu
PACKAGES="cmake ninja-build g++ pkg-config qt6-base-dev qt6-charts-dev libqt6sql6-sqlite \
libhttp-parser-dev libsqlite3-dev libsimdjson-dev libtcmalloc-minimal4 qtkeychain-qt6-dev libgl-dev xvfb xauth wrk curl openssl \
gnome-keyring dbus desktop-file-utils appstream"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "Installing:$missing" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >&2
fi
