#!/bin/sh
# Renders the application icon's PNG sizes from resources/icons/io.tenantrelay.TenantRelay.svg
# (after changing the SVG; the PNGs are committed). They are the console's window icon (Qt
# reads PNG without any plugin) and the hicolor sizes for desktops that do not draw SVG.
# Needs rsvg-convert (Debian: librsvg2-bin).
set -eu
cd "$(dirname "$0")/../resources/icons"
for size in 16 32 48 64 128 256; do
    rsvg-convert -w "$size" -h "$size" io.tenantrelay.TenantRelay.svg \
        -o "io.tenantrelay.TenantRelay-$size.png"
done
