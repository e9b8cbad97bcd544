#!/bin/bash
# scripts/package.sh builds the Debian packages from the `meson install --destdir` tree of this build;
# `dpkg-deb -c` lists the binaries, units, sysusers.d, tmpfiles.d and man pages (all owned by root),
# `dpkg-deb -I` has the control fields and the maintainer scripts, and every unit's ExecStart= names
# a binary in the package. Beside it: libedgesec0 (only the soname-versioned library, with shlibs,
# symbols and the ldconfig trigger) and libedgesec-dev (headers, the .so link, edgesec.pc; Depends on
# libedgesec0 of the same version), and no SDK file in the edgesec package. Skipped when the
# build's prefix is not /usr (package.sh refuses it).
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
# The OpenSSL provider module, where `openssl -provider edgesec` finds it without a path.
has "$(openssl version -m | sed -n 's|^MODULESDIR: "/\(.*\)"$|\1|p')/edgesec.so" -rw-r--r--
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
# libyaml-cpp0.7: edgectl's `config import` (IoT Edge 1.1 config.yaml).
for lib in libc6 libssl3 libsystemd0 libcurl4 libmicrohttpd12 libyaml-cpp0.7; do
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

# --- the SDK's packages ------------------------------------------------------------------------------
LIBDIR=usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
printf '%s\n' "$LISTING" | awk '{print $6}' | grep -E 'libedgesec|/include/|\.pc$' &&
  fail "the edgesec package holds files of libedgesec0 or libedgesec-dev (above)"
for pkg in libedgesec0 libedgesec-dev; do
  SDK_DEB=$TMP/out/${pkg}_${VERSION}_${ARCH}.deb
  [ -f "$SDK_DEB" ] || { fail "package.sh wrote no $(basename "$SDK_DEB")"; continue; }
  [ "$(dpkg-deb -f "$SDK_DEB" Package)" = "$pkg" ] || fail "$pkg: Package: '$(dpkg-deb -f "$SDK_DEB" Package)'"
  [ "$(dpkg-deb -f "$SDK_DEB" Version)" = "$VERSION" ] || fail "$pkg: Version: '$(dpkg-deb -f "$SDK_DEB" Version)'"
  LISTING=$(dpkg-deb -c "$SDK_DEB")
  NOT_ROOT=$(printf '%s\n' "$LISTING" | awk '$2 != "root/root"')
  [ -z "$NOT_ROOT" ] || fail "$pkg: entries not owned by root/root: $NOT_ROOT"
  has "usr/share/doc/$pkg/copyright" -rw-r--r--
  has "usr/share/doc/$pkg/changelog.gz" -rw-r--r--
  dpkg-deb -e "$SDK_DEB" "$TMP/control-$pkg" && dpkg-deb -x "$SDK_DEB" "$TMP/root-$pkg" || fail "$pkg: cannot unpack"
  (cd "$TMP/root-$pkg" && md5sum --quiet -c "$TMP/control-$pkg/md5sums") || fail "$pkg: md5sums does not match the files"
done
LISTING=$(dpkg-deb -c "$TMP/out/libedgesec0_${VERSION}_${ARCH}.deb")
has "$LIBDIR/libedgesec.so.0.1.0" -rw-r--r--
printf '%s\n' "$LISTING" | grep -q "\./$LIBDIR/libedgesec.so.0 -> libedgesec.so.0.1.0" || fail "libedgesec0: no libedgesec.so.0 link"
EXTRA=$(printf '%s\n' "$LISTING" | awk '$1 !~ /^d/ {print $6}' | grep -v -e "^./$LIBDIR/libedgesec.so.0" -e '^./usr/share/doc/libedgesec0/')
[ -z "$EXTRA" ] || fail "libedgesec0 holds more than the library: $EXTRA"
if command -v readelf >/dev/null; then
  SONAME=$(readelf -d "$TMP/root-libedgesec0/$LIBDIR/libedgesec.so.0.1.0" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
  [ "$SONAME" = libedgesec.so.0 ] || fail "libedgesec0: soname '$SONAME'"
fi
[ "$(cat "$TMP/control-libedgesec0/shlibs" 2>/dev/null)" = "libedgesec 0 libedgesec0 (>= $VERSION)" ] ||
  fail "libedgesec0: shlibs is '$(cat "$TMP/control-libedgesec0/shlibs" 2>/dev/null)'"
head -n 1 "$TMP/control-libedgesec0/symbols" 2>/dev/null | grep -q '^libedgesec.so.0 libedgesec0 ' || fail "libedgesec0: no symbols file"
grep -q '^ edgesec_keys_load_evp_pkey@LIBEDGESEC_0 ' "$TMP/control-libedgesec0/symbols" 2>/dev/null ||
  fail "libedgesec0: the symbols file lacks edgesec_keys_load_evp_pkey"
grep -qx 'activate-noawait ldconfig' "$TMP/control-libedgesec0/triggers" 2>/dev/null || fail "libedgesec0: no ldconfig trigger"
DEPENDS=$(dpkg-deb -f "$TMP/out/libedgesec0_${VERSION}_${ARCH}.deb" Depends)
for lib in libc6 libssl3 libstdc++6; do
  [[ $DEPENDS == *"$lib "* || $DEPENDS == *"$lib," || $DEPENDS == *"$lib" ]] || fail "libedgesec0: Depends lacks $lib: '$DEPENDS'"
done
[[ $DEPENDS == *libmicrohttpd* || $DEPENDS == *libsystemd* ]] && fail "libedgesec0 depends on a daemon's library: '$DEPENDS'"
# The SDK's transport is common/http's own client: libcurl stays with certd's EST client.
[[ $DEPENDS == *libcurl* ]] && fail "libedgesec0 depends on libcurl: '$DEPENDS'"
LISTING=$(dpkg-deb -c "$TMP/out/libedgesec-dev_${VERSION}_${ARCH}.deb")
for h in edgesec.h common.h keys.h certs.h identity.h key_engine.h; do has "usr/include/edgesec/$h" -rw-r--r--; done
has "$LIBDIR/pkgconfig/edgesec.pc" -rw-r--r--
printf '%s\n' "$LISTING" | grep -q "\./$LIBDIR/libedgesec.so -> libedgesec.so.0\$" || fail "libedgesec-dev: no libedgesec.so link"
DEPENDS=$(dpkg-deb -f "$TMP/out/libedgesec-dev_${VERSION}_${ARCH}.deb" Depends)
[[ $DEPENDS == *"libedgesec0 (= $VERSION)"* && $DEPENDS == *libssl-dev* ]] || fail "libedgesec-dev: Depends '$DEPENDS'"
grep -q '^Requires: libcrypto' "$TMP/root-libedgesec-dev/$LIBDIR/pkgconfig/edgesec.pc" || fail "edgesec.pc does not require libcrypto"

finish
