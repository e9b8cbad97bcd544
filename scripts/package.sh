#!/bin/sh
# Builds the Debian package from an existing build: `meson install --destdir` of that build into a
# staging tree, plus the control data and maintainer scripts of packaging/debian/, then
# `dpkg-deb --build --root-owner-group`. No second build: what the tests ran is what ships.
#
#   scripts/package.sh [--out DIR] [--keep-staging] [BUILD_DIR]
#
# BUILD_DIR (default: build) must be configured with --prefix=/usr, as scripts/build.sh does. Writes
# DIR/edgesec_<version>_<arch>.deb (DIR defaults to BUILD_DIR) and prints its path.
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
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "package.sh: unknown option '$1'" >&2; exit 2 ;;
    *) BUILD=$1; shift ;;
  esac
done
[ -n "$OUT" ] || OUT=$BUILD
die() { echo "package.sh: $*" >&2; exit 1; }
for tool in meson dpkg-deb dpkg-shlibdeps python3 gzip; do
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

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/edgesec-pkg-XXXXXX")
[ "$KEEP" -eq 1 ] || trap 'rm -rf "$STAGE"' EXIT
chmod 0755 "$STAGE"

meson install -C "$BUILD" --no-rebuild --quiet --strip --destdir "$STAGE" >/dev/null ||
  die "meson install --destdir '$STAGE' failed"

# What must be there; an absent binary means the build is incomplete, not a smaller package.
UNITDIR=""
for d in lib/systemd/system usr/lib/systemd/system; do
  [ -d "$STAGE/$d" ] && UNITDIR=$d
done
[ -n "$UNITDIR" ] || die "meson install put no systemd units into the staging tree"
for f in usr/bin/edgectl usr/libexec/edgesec/edgesec-keyd usr/libexec/edgesec/edgesec-certd \
         usr/lib/sysusers.d/edgesec.conf usr/lib/tmpfiles.d/edgesec.conf; do
  [ -e "$STAGE/$f" ] || die "'/$f' is missing from the install tree"
done
UNITS=$(cd "$STAGE/$UNITDIR" && ls edgesec-*.socket edgesec-*.service | tr '\n' ' ' | sed 's/ $//')
SOCKETS=$(cd "$STAGE/$UNITDIR" && ls edgesec-*.socket | tr '\n' ' ' | sed 's/ $//')
SERVICES=$(cd "$STAGE/$UNITDIR" && ls edgesec-*.service | tr '\n' ' ' | sed 's/ $//')
[ -e "$STAGE/usr/libexec/edgesec/edgesec-identityd" ] ||
  echo "package.sh: note: edgesec-identityd is not built; the package has keyd, certd and edgectl" >&2

# Debian's layout for what meson does not know about: compressed man pages, copyright, changelog.
find "$STAGE/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +
DOC=$STAGE/usr/share/doc/edgesec
mkdir -p "$DOC"
install -m 0644 packaging/debian/copyright "$DOC/copyright"
gzip -9nc packaging/debian/changelog >"$DOC/changelog.gz"
chmod 0644 "$DOC/changelog.gz"

# Control data. Depends: the shared libraries the binaries link, as dpkg-shlibdeps finds them.
SHLIBS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/edgesec-shlibs-XXXXXX")
mkdir "$SHLIBS_DIR/debian"
printf 'Source: edgesec\n\nPackage: edgesec\nArchitecture: any\n' >"$SHLIBS_DIR/debian/control"
ELF_FILES=$(find "$STAGE/usr" -type f -perm -0100 | while read -r f; do
  [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = 177ELF ] && echo "$f"
done)
SHLIBS=$(cd "$SHLIBS_DIR" && dpkg-shlibdeps -O $(for f in $ELF_FILES; do printf -- '-e%s ' "$f"; done) 2>/dev/null) ||
  { rm -rf "$SHLIBS_DIR"; die "dpkg-shlibdeps failed"; }
rm -rf "$SHLIBS_DIR"
SHLIBS_DEPENDS=${SHLIBS#shlibs:Depends=}
INSTALLED_SIZE=$(du -sk --apparent-size "$STAGE" | cut -f1)

mkdir -m 0755 "$STAGE/DEBIAN"
sed -e "s|@VERSION@|$VERSION|" -e "s|@ARCH@|$ARCH|" -e "s|@INSTALLED_SIZE@|$INSTALLED_SIZE|" \
    -e "s|@SHLIBS_DEPENDS@|$SHLIBS_DEPENDS|" packaging/debian/control.in >"$STAGE/DEBIAN/control"
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
(cd "$STAGE" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort |
  xargs -d '\n' md5sum) >"$STAGE/DEBIAN/md5sums"
chmod 0644 "$STAGE/DEBIAN/control" "$STAGE/DEBIAN/md5sums"

mkdir -p "$OUT"
DEB=$OUT/edgesec_${VERSION}_${ARCH}.deb
# Reproducible: every file's mtime is the last commit's time when there is one.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$SRC" log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
find "$STAGE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null || die "dpkg-deb --build failed"
[ "$KEEP" -eq 0 ] || echo "package.sh: staging tree kept in '$STAGE'" >&2
echo "$DEB"
