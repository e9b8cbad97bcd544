#!/bin/bash
# scripts/package.sh builds the Debian package from the `meson install --destdir` tree of this build;
# `dpkg-deb -c` lists the binaries, units, sysusers.d, tmpfiles.d and man pages (all owned by root),
# `dpkg-deb -I` has the control fields and the maintainer scripts, and every unit's ExecStart= names
# a binary in the package. Skipped when the build's prefix is not /usr (package.sh refuses it).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
require_tool dpkg-deb dpkg-shlibdeps meson python3

[ "$(build_option prefix)" = /usr ] ||
  skip "the build's prefix is '$(build_option prefix)', not /usr: a Debian package cannot be built from it (meson configure -Dprefix=/usr)"

VERSION=$(project_version)
ARCH=$(dpkg --print-architecture)
DEB=$("$EDGESEC_SOURCE_ROOT/scripts/package.sh" --out "$TMP/out" "$EDGESEC_BUILD_ROOT") || { echo "FAIL: scripts/package.sh failed" >&2; exit 1; }
[ "$DEB" = "$TMP/out/edgesec_${VERSION}_${ARCH}.deb" ] || fail "package.sh wrote '$DEB', expected edgesec_${VERSION}_${ARCH}.deb"
[ -f "$DEB" ] || { echo "FAIL: '$DEB' does not exist" >&2; exit 1; }
echo "built $(basename "$DEB") ($(du -k "$DEB" | cut -f1) KiB)"

LISTING=$(dpkg-deb -c "$DEB") || { echo "FAIL: dpkg-deb -c failed" >&2; exit 1; }
# has PATH [MODE]: the package holds PATH (with permissions MODE, e.g. -rwxr-xr-x), owned by root.
has() {
  local line
  line=$(printf '%s\n' "$LISTING" | awk -v p="./$1" '$6 == p')
  if [ -z "$line" ]; then fail "the package has no '/$1'"; return; fi
  [ -z "${2-}" ] || [ "${line%% *}" = "$2" ] || fail "'/$1' has mode ${line%% *}, expected $2"
}
has usr/bin/edgectl -rwxr-xr-x
for daemon in $DAEMONS; do
  has "usr/libexec/edgesec/edgesec-$daemon" -rwxr-xr-x
  has "usr/share/man/man8/edgesec-$daemon.8.gz" -rw-r--r--
done
for unit in $(expected_units); do has "lib/systemd/system/$unit" -rw-r--r--; done
has usr/lib/sysusers.d/edgesec.conf -rw-r--r--
have_identityd && has usr/share/polkit-1/rules.d/50-edgesec-trust.rules -rw-r--r--
has usr/lib/tmpfiles.d/edgesec.conf -rw-r--r--
has usr/share/man/man1/edgectl.1.gz -rw-r--r--
has usr/share/doc/edgesec/copyright -rw-r--r--
has usr/share/doc/edgesec/changelog.gz -rw-r--r--
NOT_ROOT=$(printf '%s\n' "$LISTING" | awk '$2 != "root/root"')
[ -z "$NOT_ROOT" ] || fail "entries not owned by root/root: $NOT_ROOT"
# Nothing under /etc: the package has no conffiles; tmpfiles.d makes /etc/edgesec.
printf '%s\n' "$LISTING" | awk '{print $6}' | grep -q '^\./etc/' && fail "the package installs files under /etc"

INFO=$(dpkg-deb -I "$DEB") || { echo "FAIL: dpkg-deb -I failed" >&2; exit 1; }
field() { dpkg-deb -f "$DEB" "$1"; }
[ "$(field Package)" = edgesec ] || fail "Package: '$(field Package)'"
[ "$(field Version)" = "$VERSION" ] || fail "Version: '$(field Version)', the build is $VERSION"
[ "$(field Architecture)" = "$ARCH" ] || fail "Architecture: '$(field Architecture)'"
for f in Maintainer Installed-Size Section Priority Description Depends; do
  [ -n "$(field $f)" ] || fail "no $f field"
done
DEPENDS=$(field Depends)
for lib in libc6 libssl3 libsystemd0 libcurl4 libmicrohttpd12; do
  [[ $DEPENDS == *"$lib "* || $DEPENDS == *"$lib," || $DEPENDS == *"$lib" ]] || fail "Depends lacks $lib: '$DEPENDS'"
done
[[ $DEPENDS == *systemd* ]] || fail "Depends lacks systemd (postinst runs systemd-sysusers): '$DEPENDS'"
for script in postinst prerm postrm; do
  printf '%s\n' "$INFO" | grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +\* +$script +#!/bin/sh" ||
    fail "no executable '$script' in the control area"
done
printf '%s\n' "$INFO" | grep -q ' md5sums ' || fail "no md5sums in the control area"

# The control area and the files, as dpkg would see them.
dpkg-deb -e "$DEB" "$TMP/control" && dpkg-deb -x "$DEB" "$TMP/root" || { echo "FAIL: cannot unpack" >&2; exit 1; }
for script in postinst prerm postrm; do
  sh -n "$TMP/control/$script" || fail "$script: sh -n finds a syntax error"
  grep -q '@[A-Z_]*@' "$TMP/control/$script" && fail "$script: an unsubstituted @VARIABLE@ is left"
done
for unit in $(expected_units); do
  grep -qw "$unit" "$TMP/control/postinst" || fail "postinst does not enable $unit"
done
(cd "$TMP/root" && md5sum --quiet -c "$TMP/control/md5sums") || fail "md5sums does not match the files"
for service in "$TMP"/root/lib/systemd/system/*.service; do
  exec_start=$(sed -n 's/^ExecStart=//p' "$service")
  [ -x "$TMP/root${exec_start%% *}" ] || fail "$(basename "$service"): ExecStart='$exec_start' is not in the package"
done
file_out=$(LC_ALL=C od -An -c -N4 "$TMP/root/usr/bin/edgectl" | tr -d ' ')
[ "$file_out" = 177ELF ] || fail "/usr/bin/edgectl is not an ELF file"
# Stripped (package.sh installs with --strip): no .debug_info section left.
if command -v readelf >/dev/null; then
  readelf -S "$TMP/root/usr/bin/edgectl" | grep -q '\.debug_info' && fail "/usr/bin/edgectl is not stripped"
fi

finish
