#!/bin/sh
# Builds the Debian packages from an existing build: `meson install --destdir` of that build into a
# staging tree, split into the three packages' trees, plus the control data and maintainer scripts
# of packaging/debian/, then `dpkg-deb --build --root-owner-group`. No second build: what the tests
# ran is what ships.
#
#   scripts/package.sh [--out DIR] [--keep-staging] [BUILD_DIR]
#
# BUILD_DIR (default: build) must be configured with --prefix=/usr, as scripts/build.sh does. Writes
# DIR/edgesec_<version>_<arch>.deb (daemons, edgectl, units, the OpenSSL provider module) and beside
# it libedgesec0_<version>_<arch>.deb (the SDK's shared library) and libedgesec-dev_<version>_<arch>.deb
# (headers, libedgesec.so, edgesec.pc); DIR defaults to BUILD_DIR. Prints the path of the edgesec
# package (the other two are beside it, under those fixed names).
set -eu
umask 022
cd "$(dirname "$0")/.."
SRC=$(pwd)

OUT=""
KEEP=0
BUILD=build
while [ $# -gt 0 ]; do
  case $1 in
    --out) OUT=$2; shift 2 ;;
    --keep-staging) KEEP=1; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "package.sh: unknown option '$1'" >&2; exit 2 ;;
    *) BUILD=$1; shift ;;
  esac
done
[ -n "$OUT" ] || OUT=$BUILD
die() { echo "package.sh: $*" >&2; exit 1; }
for tool in meson dpkg-deb dpkg-shlibdeps python3 gzip nm; do
  command -v "$tool" >/dev/null || die "'$tool' is not installed (scripts/deps.sh installs it)"
done
[ -f "$BUILD/build.ninja" ] || die "'$BUILD' is not a configured build directory (run scripts/build.sh)"

# What the build says about itself.
introspect() {
  meson introspect "$BUILD" "$1" | python3 -c "$2"
}
VERSION=$(introspect --projectinfo 'import json,sys; print(json.load(sys.stdin)["version"])')
PREFIX=$(introspect --buildoptions 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
ARCH=$(dpkg --print-architecture)
[ "$PREFIX" = /usr ] ||
  die "the build in '$BUILD' has prefix '$PREFIX'; a Debian package installs under /usr: run 'meson configure $BUILD -Dprefix=/usr' and rebuild"
CHANGELOG_VERSION=$(sed -n '1s/^edgesec (\([^)]*\)).*/\1/p' packaging/debian/changelog)
[ "$CHANGELOG_VERSION" = "$VERSION" ] ||
  die "packaging/debian/changelog starts with version '$CHANGELOG_VERSION' but the project is '$VERSION': add a changelog entry"
if [ "$(ninja -C "$BUILD" -n 2>/dev/null | tail -n 1)" != "ninja: no work to do." ]; then
  echo "package.sh: warning: '$BUILD' is not up to date; packaging what was built last" >&2
fi

# One staging tree per package: meson installs into edgesec/, the SDK's files move to the others.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/edgesec-pkg-XXXXXX")
[ "$KEEP" -eq 1 ] || trap 'rm -rf "$WORK"' EXIT
STAGE=$WORK/edgesec
LIBSTAGE=$WORK/libedgesec0
DEVSTAGE=$WORK/libedgesec-dev
mkdir -m 0755 "$STAGE" "$LIBSTAGE" "$DEVSTAGE"
chmod 0755 "$WORK"

meson install -C "$BUILD" --no-rebuild --quiet --strip --destdir "$STAGE" >/dev/null ||
  die "meson install --destdir '$STAGE' failed"

# What must be there; an absent binary means the build is incomplete, not a smaller package.
UNITDIR=""
for d in lib/systemd/system usr/lib/systemd/system; do
  [ -d "$STAGE/$d" ] && UNITDIR=$d
done
[ -n "$UNITDIR" ] || die "meson install put no systemd units into the staging tree"
LIBDIR=$(cd "$STAGE" && find usr/lib -name 'libedgesec.so.0' | head -n 1 | xargs -r dirname)
[ -n "$LIBDIR" ] || die "'libedgesec.so.0' is missing from the install tree"
for f in usr/bin/edgectl usr/libexec/edgesec/edgesec-keyd usr/libexec/edgesec/edgesec-certd \
         usr/lib/sysusers.d/edgesec.conf usr/lib/tmpfiles.d/edgesec.conf \
         "$LIBDIR/libedgesec.so" "$LIBDIR/pkgconfig/edgesec.pc" usr/include/edgesec/edgesec.h \
         usr/include/edgesec/key_engine.h; do
  [ -e "$STAGE/$f" ] || die "'/$f' is missing from the install tree"
done
UNITS=$(cd "$STAGE/$UNITDIR" && ls edgesec-*.socket edgesec-*.service | tr '\n' ' ' | sed 's/ $//')
SOCKETS=$(cd "$STAGE/$UNITDIR" && ls edgesec-*.socket | tr '\n' ' ' | sed 's/ $//')
SERVICES=$(cd "$STAGE/$UNITDIR" && ls edgesec-*.service | tr '\n' ' ' | sed 's/ $//')
[ -e "$STAGE/usr/libexec/edgesec/edgesec-identityd" ] ||
  echo "package.sh: note: edgesec-identityd is not built; the package has keyd, certd and edgectl" >&2

# The split (Debian's library packaging): libedgesec0 has the runtime (libedgesec.so.0*),
# libedgesec-dev what a build needs (headers, the libedgesec.so link, edgesec.pc); edgesec keeps the
# rest, with the OpenSSL provider module (ossl-modules/edgesec.so) when the build has one.
move() {  # move DEST PATH...: PATH (relative to $STAGE) into the tree DEST
  local dest=$1 path
  shift
  for path in "$@"; do
    mkdir -p "$dest/$(dirname "$path")"
    mv "$STAGE/$path" "$dest/$path"
  done
}
move "$LIBSTAGE" $(cd "$STAGE" && ls -d "$LIBDIR"/libedgesec.so.0*)
move "$DEVSTAGE" "$LIBDIR/libedgesec.so" "$LIBDIR/pkgconfig/edgesec.pc" usr/include
rmdir "$STAGE/$LIBDIR/pkgconfig" "$STAGE/$LIBDIR" 2>/dev/null || true  # when nothing else is there
# Shared objects are not executables (Debian policy 8.1); the real file of each.
find "$LIBSTAGE" "$STAGE/$LIBDIR" -type f -name '*.so*' -exec chmod 0644 {} + 2>/dev/null || true
[ -z "$(find "$STAGE/$LIBDIR" -path '*/ossl-modules/*' -name '*.so' 2>/dev/null)" ] ||
  echo "package.sh: the edgesec package has the OpenSSL provider module" >&2

# Debian's layout for what meson does not know about: compressed man pages, copyright, changelog.
find "$STAGE/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +
for pkg in edgesec libedgesec0 libedgesec-dev; do
  DOC=$WORK/$pkg/usr/share/doc/$pkg
  mkdir -p "$DOC"
  install -m 0644 packaging/debian/copyright "$DOC/copyright"
  gzip -9nc packaging/debian/changelog >"$DOC/changelog.gz"
  chmod 0644 "$DOC/changelog.gz"
done

# shlibdeps ROOT: the Depends of the ELF files under ROOT, as dpkg-shlibdeps finds them (libedgesec
# itself from packaging/debian/libedgesec0.shlibs, for anything that links it).
shlibdeps() {
  local root=$1 dir elf out
  elf=$(find "$root/usr" -type f \( -perm -0100 -o -name '*.so*' \) | while read -r f; do
    [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = 177ELF ] && echo "$f"
  done)
  [ -n "$elf" ] || return 0
  dir=$(mktemp -d "${TMPDIR:-/tmp}/edgesec-shlibs-XXXXXX")
  mkdir "$dir/debian"
  printf 'Source: edgesec\n\nPackage: edgesec\nArchitecture: any\n' >"$dir/debian/control"
  sed "s|@VERSION@|$VERSION|" packaging/debian/libedgesec0.shlibs >"$dir/debian/shlibs.local"
  out=$(cd "$dir" && dpkg-shlibdeps -O -l"$LIBSTAGE/$LIBDIR" $(for f in $elf; do printf -- '-e%s ' "$f"; done) 2>/dev/null) ||
    { rm -rf "$dir"; die "dpkg-shlibdeps failed on the files of $(basename "$root")"; }
  rm -rf "$dir"
  printf '%s' "${out#shlibs:Depends=}"
}

# control ROOT TEMPLATE: DEBIAN/control from packaging/debian/TEMPLATE, and DEBIAN/md5sums.
control() {
  local root=$1 template=$2 depends size
  depends=$(shlibdeps "$root") || exit 1
  size=$(du -sk --apparent-size "$root" | cut -f1)
  mkdir -p -m 0755 "$root/DEBIAN"
  sed -e "s|@VERSION@|$VERSION|g" -e "s|@ARCH@|$ARCH|" -e "s|@INSTALLED_SIZE@|$size|" \
      -e "s|@SHLIBS_DEPENDS@|$depends|" "packaging/debian/$template" >"$root/DEBIAN/control"
  (cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort |
    xargs -d '\n' md5sum) >"$root/DEBIAN/md5sums"
  chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
}

control "$STAGE" control.in
for script in postinst prerm postrm; do
  sed -e "s|@UNITS@|$UNITS|" -e "s|@SOCKETS@|$SOCKETS|" -e "s|@SERVICES@|$SERVICES|" \
    "packaging/debian/$script" >"$STAGE/DEBIAN/$script"
  chmod 0755 "$STAGE/DEBIAN/$script"
done
# Everything under /etc would have to be a conffile; the package ships nothing there (tmpfiles.d
# makes the directories), and this keeps it so.
if [ -d "$STAGE/etc" ]; then
  (cd "$STAGE" && find etc -type f | sed 's|^|/|') >"$STAGE/DEBIAN/conffiles"
  [ -s "$STAGE/DEBIAN/conffiles" ] || rm -f "$STAGE/DEBIAN/conffiles"
fi

# libedgesec0: shlibs and symbols (every exported symbol listed, so that an ABI change shows here
# first), and the ldconfig trigger.
control "$LIBSTAGE" libedgesec0.control.in
sed "s|@VERSION@|$VERSION|" packaging/debian/libedgesec0.shlibs >"$LIBSTAGE/DEBIAN/shlibs"
cp packaging/debian/libedgesec0.symbols "$LIBSTAGE/DEBIAN/symbols"
echo 'activate-noawait ldconfig' >"$LIBSTAGE/DEBIAN/triggers"
chmod 0644 "$LIBSTAGE/DEBIAN/shlibs" "$LIBSTAGE/DEBIAN/symbols" "$LIBSTAGE/DEBIAN/triggers"
EXPORTED=$(nm -D --defined-only "$LIBSTAGE/$LIBDIR/libedgesec.so.0" | awk '$2 != "A" {print $3}' | sed 's/@@/@/' | LC_ALL=C sort)
LISTED=$(sed -n 's/^ \([^ ]*\) .*/\1/p' "$LIBSTAGE/DEBIAN/symbols" | grep -v '^LIBEDGESEC_0@' | LC_ALL=C sort)
if [ "$EXPORTED" != "$LISTED" ]; then
  echo "$LISTED" >"$WORK/listed"
  echo "$EXPORTED" >"$WORK/exported"
  die "packaging/debian/libedgesec0.symbols must list exactly what libedgesec.so.0 exports; exported, not listed: $(LC_ALL=C comm -13 "$WORK/listed" "$WORK/exported" | tr '\n' ' ')listed, not exported: $(LC_ALL=C comm -23 "$WORK/listed" "$WORK/exported" | tr '\n' ' ')"
fi
control "$DEVSTAGE" libedgesec-dev.control.in

mkdir -p "$OUT"
# Reproducible: every file's mtime is the last commit's time when there is one.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$SRC" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
for pkg in edgesec libedgesec0 libedgesec-dev; do
  find "$WORK/$pkg" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
  dpkg-deb --root-owner-group -Zxz --build "$WORK/$pkg" "$OUT/${pkg}_${VERSION}_${ARCH}.deb" >/dev/null ||
    die "dpkg-deb --build of $pkg failed"
done
[ "$KEEP" -eq 0 ] || echo "package.sh: staging trees kept in '$WORK'" >&2
echo "$OUT/edgesec_${VERSION}_${ARCH}.deb"
