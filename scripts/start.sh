#!/bin/sh
# Installs what is missing, builds, and starts TenantRelay with the given arguments
# (none: the console; "serve": the relay alone; any admin command).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec build/app/tenantrelay "$@"
