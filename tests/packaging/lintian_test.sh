#!/bin/bash
# lintian on the packages that scripts/package.sh builds (edgesec, libedgesec0, libedgesec-dev): no
# errors (warnings and infos are printed, not failures). Skipped, loudly, when lintian is not installed or the build's prefix is not /usr.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_tool dpkg-deb dpkg-shlibdeps meson python3
command -v lintian >/dev/null || skip "lintian is not installed (scripts/deps.sh installs it): the package was NOT checked"
[ "$(build_option prefix)" = /usr ] ||
  skip "the build's prefix is '$(build_option prefix)', not /usr: no Debian package to check"

DEB=$("$EDGESEC_SOURCE_ROOT/scripts/package.sh" --out "$TMP/out" "$EDGESEC_BUILD_ROOT") || { echo "FAIL: scripts/package.sh failed" >&2; exit 1; }
# --allow-root: CI runs as root; the package is only read.
SDK_DEBS=$(ls "$TMP"/out/libedgesec0_*.deb "$TMP"/out/libedgesec-dev_*.deb 2>/dev/null)
[ "$(printf '%s\n' "$SDK_DEBS" | grep -c .)" = 2 ] || fail "package.sh did not write libedgesec0 and libedgesec-dev: $(ls "$TMP/out")"
# shellcheck disable=SC2086 # one path a line, no spaces
out=$(lintian --allow-root --no-cfg --display-info --fail-on error "$DEB" $SDK_DEBS 2>&1)
rc=$?
printf '%s\n' "$out"
echo "lintian: $(printf '%s\n' "$out" | grep -c '^E:') error(s), $(printf '%s\n' "$out" | grep -c '^W:') warning(s), $(printf '%s\n' "$out" | grep -c '^I:') info(s)"
if [ $rc -ne 0 ] || printf '%s\n' "$out" | grep -q '^E:'; then
  fail "lintian reports errors (exit $rc)"
fi

finish
