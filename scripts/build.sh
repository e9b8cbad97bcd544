#!/bin/sh
# Configures (once) and builds into ./build.
set -eu
cd "$(dirname "$0")/.."
# --prefix=/usr: the Debian package (scripts/package.sh) is made from this very build, and the
# binaries and units carry their install paths (/usr/libexec/edgesec, /lib/systemd/system).
if [ ! -f build/build.ninja ]; then
  # meson prints its errors on stdout: show them when the setup fails, keep quiet otherwise.
  log=$(mktemp)
  meson setup build --prefix=/usr >"$log" 2>&1 || { cat "$log"; rm -f "$log"; exit 1; }
  rm -f "$log"
fi
ninja -C build
