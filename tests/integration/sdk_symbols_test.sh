#!/bin/bash
# libedgesec's ABI surface (packaging/libedgesec.map): the dynamic symbols libedgesec.so.0 defines
# are exactly the functions its installed headers declare (EDGESEC_API … edgesec_name(), in
# <svc>/include/edgesec/*.h), all in version node LIBEDGESEC_0 — no C++ (_Z…), no libstdc++ or
# OpenSSL symbol re-exported; its soname is libedgesec.so.0; and it needs none of the daemons'
# server-side libraries (libmicrohttpd, libsystemd).
#   sdk_symbols_test.sh PATH_TO_libedgesec.so
set -uo pipefail
for tool in nm readelf; do
  command -v "$tool" >/dev/null || { echo "SKIP: '$tool' is not installed" >&2; exit 77; }
done
: "${EDGESEC_SOURCE_ROOT:?run this test through meson test (EDGESEC_SOURCE_ROOT is not set)}"
LIB=${1:?usage: sdk_symbols_test.sh LIBEDGESEC}
FAILED=0
fail() { echo "FAIL: $*" >&2; FAILED=$((FAILED + 1)); }

SONAME=$(readelf -d "$LIB" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$SONAME" = libedgesec.so.0 ] || fail "soname is '$SONAME', expected libedgesec.so.0"

# Function symbols with their version: "name@@LIBEDGESEC_0"; the version node itself is an A symbol.
DEFINED=$(nm -D --defined-only "$LIB" | awk '$2 != "A" {print $3}' | LC_ALL=C sort)
[ -n "$DEFINED" ] || fail "nm finds no defined dynamic symbol in $LIB"
BAD=$(printf '%s\n' "$DEFINED" | grep -v '^edgesec_[a-z0-9_]*@@LIBEDGESEC_0$')
[ -z "$BAD" ] || fail "exported beyond edgesec_*@@LIBEDGESEC_0: $(printf '%s\n' "$BAD" | head -20 | tr '\n' ' ')"
EXPORTED=$(printf '%s\n' "$DEFINED" | sed 's/@@.*//' | LC_ALL=C sort -u)

HEADERS=$(ls "$EDGESEC_SOURCE_ROOT"/{common,keyd,certd,daemon}/include/edgesec/*.h 2>/dev/null | grep -v key_engine.h)
DECLARED=$(grep -h 'EDGESEC_API' $HEADERS | grep -o 'edgesec_[a-z0-9_]*(' | tr -d '(' | LC_ALL=C sort -u)
[ "$(printf '%s\n' "$DECLARED" | grep -c .)" -ge 30 ] || fail "found only $(printf '%s\n' "$DECLARED" | grep -c .) declarations in the headers"
MISSING=$(LC_ALL=C comm -23 <(printf '%s\n' "$DECLARED") <(printf '%s\n' "$EXPORTED"))
EXTRA=$(LC_ALL=C comm -13 <(printf '%s\n' "$DECLARED") <(printf '%s\n' "$EXPORTED"))
[ -z "$MISSING" ] || fail "declared but not exported: $MISSING"
[ -z "$EXTRA" ] || fail "exported but declared in no header: $EXTRA"

NEEDED=$(readelf -d "$LIB" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
for lib in libmicrohttpd libsystemd; do
  [[ $NEEDED == *"$lib"* ]] && fail "libedgesec needs $lib (a daemon's library): $NEEDED"
done

if [ "$FAILED" -ne 0 ]; then
  echo "$FAILED check(s) failed" >&2
  exit 1
fi
echo "libedgesec.so.0 exports the $(printf '%s\n' "$EXPORTED" | grep -c .) functions of its headers and nothing else; needs: $NEEDED"
