#!/bin/sh
# `cmake --install` (into a staging folder) puts every file where the desktop, systemd and the
# binary look for it; the installed binary runs and reads the installed price list; the
# launcher, the AppStream metadata and the service pass their validators (each where the
# validator is installed: desktop-file-utils, appstream, systemd).
# Usage: check-install.sh BUILD_DIR
set -eu
build=$1
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

DESTDIR=$stage cmake --install "$build" >"$stage/install.log" || fail "cmake --install: $(cat "$stage/install.log")"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
root=$stage$prefix
id=io.tenantrelay.TenantRelay
for file in bin/tenantrelay share/applications/$id.desktop share/metainfo/$id.metainfo.xml \
    share/icons/hicolor/scalable/apps/$id.svg share/icons/hicolor/16x16/apps/$id.png \
    share/icons/hicolor/256x256/apps/$id.png share/tenantrelay/pricing.json \
    lib/systemd/system/tenantrelay.service lib/sysusers.d/tenantrelay.conf \
    share/doc/tenantrelay/README.md share/doc/tenantrelay/examples/serve.env; do
    [ -s "$root/$file" ] || fail "$prefix/$file is not installed"
done
[ -x "$root/bin/tenantrelay" ] || fail "the binary is not executable"
echo "installed under $prefix: $(cd "$root" && find . -type f | wc -l) files"

# The installed binary, and the installed price list as `report costs --prices`.
"$root/bin/tenantrelay" --help >/dev/null || fail "tenantrelay --help"
"$root/bin/tenantrelay" --db "$stage/costs.db" report costs --json \
    --prices "$root/share/tenantrelay/pricing.json" >"$stage/costs.json" ||
    fail "report costs --prices the installed pricing.json: $(cat "$stage/costs.json")"

# The .desktop file names the installed binary and icon.
grep -qx "Exec=tenantrelay" "$root/share/applications/$id.desktop" || fail "Exec= is not tenantrelay"
grep -qx "Icon=$id" "$root/share/applications/$id.desktop" || fail "Icon= is not $id"
# The service runs the installed binary on its own database, as its own user.
unit=$root/lib/systemd/system/tenantrelay.service
grep -q "^ExecStart=$prefix/bin/tenantrelay --db /var/lib/tenantrelay/tenantrelay.db serve " "$unit" ||
    fail "ExecStart does not run $prefix/bin/tenantrelay serve on /var/lib/tenantrelay"
grep -qx "User=tenantrelay" "$unit" || fail "the service does not run as tenantrelay"
grep -q "^u tenantrelay " "$root/lib/sysusers.d/tenantrelay.conf" || fail "sysusers.d makes no user"

# The metadata says under which licence it and the program come; the .deb names a maintainer
# ("Name <address>").
grep -q "<project_license>[^<]" "$root/share/metainfo/$id.metainfo.xml" ||
    fail "the AppStream metadata has no project_license"
grep -q "<metadata_license>[^<]" "$root/share/metainfo/$id.metainfo.xml" ||
    fail "the AppStream metadata has no metadata_license"
grep -Eq '^set\(CPACK_PACKAGE_CONTACT "[^"<]+ <[^"@<>]+@[^"<>]+>"\)$' "$build/CPackConfig.cmake" ||
    fail "the .deb's maintainer is not 'Name <address>': $(grep CPACK_PACKAGE_CONTACT "$build/CPackConfig.cmake")"

if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$root/share/applications/$id.desktop" || fail "desktop-file-validate"
    echo "desktop-file-validate: ok"
fi
if command -v appstreamcli >/dev/null; then
    appstreamcli validate --no-net "$root/share/metainfo/$id.metainfo.xml" >"$stage/as.log" 2>&1 ||
        fail "appstreamcli validate: $(cat "$stage/as.log")"
    echo "appstreamcli validate: ok"
fi
if command -v systemd-analyze >/dev/null; then
    # Verified as installed, but with the staged binary (the real path is not there yet).
    mkdir "$stage/unit"
    sed "s|^ExecStart=$prefix/bin/tenantrelay|ExecStart=$root/bin/tenantrelay|" "$unit" \
        >"$stage/unit/tenantrelay.service"
    SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$stage/unit/tenantrelay.service" \
        >"$stage/verify.log" 2>&1 || fail "systemd-analyze verify: $(cat "$stage/verify.log")"
    [ ! -s "$stage/verify.log" ] || fail "systemd-analyze verify says: $(cat "$stage/verify.log")"
    echo "systemd-analyze verify: ok"
fi
echo "PASS"
