#!/bin/sh
# Installs what the tests need, builds, and runs every test suite (unit and integration).
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/build.sh
meson test -C build --print-errorlogs "$@"
