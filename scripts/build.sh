#!/bin/sh
# Configures (once) and builds into ./build.
set -eu
cd "$(dirname "$0")/.."
# --prefix=/usr: the Debian package (scripts/package.sh) is made from this very build, and the
# binaries and units carry their install paths (/usr/libexec/edgesec, /lib/systemd/system).
[ -f build/build.ninja ] || meson setup build --prefix=/usr >/dev/null
ninja -C build
